"""Scores of the standard instruments: ACR 2016 criteria, FIQR and medication-overuse days.

Pure functions on plain values and DataFrames, so the UI, the CLI and the tests
all get the same numbers.  Rules and sources are in ``shared/docs/domain.md``
("Standard instruments").  Nothing here diagnoses: the results are what the
instruments say about the numbers a person entered, to take to their doctor.
"""

from __future__ import annotations

import datetime as dt
import math
import numbers
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

import pandas as pd

from .. import domain
from ..wording import plural

# --- ACR 2016 fibromyalgia criteria --------------------------------------------

ACR2016_RULE = (
    "ACR 2016 criteria are met when (WPI >= 7 and SSS >= 5) or (WPI 4-6 and SSS >= 9), "
    "and pain is generalized (pain in at least 4 of the 5 body regions; jaw, chest and "
    "abdominal pain do not count towards it), and symptoms have been at a similar level "
    "for at least 3 months. The 3-month condition is taken as stated by the person; "
    "it is not checked here."
)

# Lower bound of each polysymptomatic distress (FS = WPI + SSS) band, highest first.
FS_BANDS: tuple[tuple[int, str], ...] = (
    (20, "very severe"),
    (12, "severe"),
    (8, "moderate"),
    (4, "mild"),
    (0, "none"),
)
FS_MAX = 31

ACR_SYMPTOM_MAX = 3


@dataclass(frozen=True)
class Acr2016Result:
    """The ACR 2016 scores of one assessment and whether the criteria are met."""

    wpi: int
    sss: int
    generalized_pain: bool
    fs: int
    severity: str
    criteria_met: bool
    rule: str = field(default=ACR2016_RULE, compare=False)

    def to_dict(self) -> dict[str, object]:
        """The scores without the rule text, e.g. for a table or JSON."""
        return {
            "wpi": self.wpi,
            "sss": self.sss,
            "generalized_pain": self.generalized_pain,
            "fs": self.fs,
            "severity": self.severity,
            "criteria_met": self.criteria_met,
        }


def fs_severity(fs: int) -> str:
    """The Wolfe 2015 band of a polysymptomatic distress score (0-31)."""
    if not 0 <= fs <= FS_MAX:
        raise ValueError(f"FS score must be 0-{FS_MAX}, got {fs!r}")
    return next(label for low, label in FS_BANDS if fs >= low)


def _symptom_level(name: str, value: object) -> int:
    """A 0-3 symptom severity as an int; whole-valued floats (2.0) are accepted."""
    whole = (
        isinstance(value, numbers.Real)
        and not isinstance(value, bool)
        and float(value).is_integer()
    )
    if not whole or not 0 <= value <= ACR_SYMPTOM_MAX:
        raise ValueError(f"{name} must be a whole number 0-{ACR_SYMPTOM_MAX}, got {value!r}")
    return int(value)


def _regions_with_pain(painful: set[str]) -> int:
    """How many of the five generalized-pain regions hold at least one painful WPI region."""
    return sum(
        1 for members in domain.GENERALIZED_PAIN_REGIONS.values() if painful.intersection(members)
    )


def acr2016(
    pain_regions: Iterable[str],
    fatigue: int,
    unrefreshed: int,
    cognitive: int,
    headaches: bool = False,
    abdominal: bool = False,
    depression: bool = False,
) -> Acr2016Result:
    """Score the ACR 2016 criteria from painful WPI regions and the symptom items.

    ``pain_regions`` are names from ``domain.WPI_REGIONS`` (repeats count once);
    fatigue, waking unrefreshed and cognitive symptoms are 0-3 for the past week;
    headaches, lower-abdominal pain or cramps and depression are yes/no for the
    past 6 months.  The 3-month duration is assumed to be asserted by the person.
    """
    if isinstance(pain_regions, str):
        raise TypeError("pain_regions must be a collection of region names, not one string")
    painful = set(pain_regions)
    unknown = sorted(map(repr, painful.difference(domain.WPI_REGIONS)))
    if unknown:
        raise ValueError(f"unknown WPI region {', '.join(unknown)}")

    levels = [
        _symptom_level("fatigue", fatigue),
        _symptom_level("unrefreshed", unrefreshed),
        _symptom_level("cognitive", cognitive),
    ]
    wpi = len(painful)
    sss = sum(levels) + sum(bool(flag) for flag in (headaches, abdominal, depression))
    regions = _regions_with_pain(painful)
    generalized = regions >= 4
    enough = (wpi >= 7 and sss >= 5) or (4 <= wpi <= 6 and sss >= 9)
    fs = wpi + sss
    return Acr2016Result(
        wpi=wpi,
        sss=sss,
        generalized_pain=generalized,
        fs=fs,
        severity=fs_severity(fs),
        criteria_met=enough and generalized,
        rule=f"{ACR2016_RULE} Here: WPI {wpi}, SSS {sss}, pain in {regions} of 5 regions.",
    )


# --- FIQR, Revised Fibromyalgia Impact Questionnaire -----------------------------

# Short labels only: the FIQR wording is copyrighted, the full form is at FIQR_FORM_URL.
FIQR_FORM_URL = "https://fiqr.info"

FIQR_ITEMS: tuple[tuple[str, str, str], ...] = (
    ("brush_hair", "Brush or comb hair", "function"),
    ("walk", "Walk 20 minutes", "function"),
    ("prepare_meal", "Prepare a meal", "function"),
    ("vacuum", "Vacuum, scrub or sweep", "function"),
    ("carry_groceries", "Lift and carry groceries", "function"),
    ("stairs", "Climb one flight of stairs", "function"),
    ("bed_sheets", "Change bed sheets", "function"),
    ("sit", "Sit 45 minutes", "function"),
    ("shop", "Shop for groceries", "function"),
    ("goals", "Prevented me from reaching goals", "overall"),
    ("overwhelmed", "Overwhelmed by my symptoms", "overall"),
    ("pain", "Pain", "symptoms"),
    ("energy", "Energy", "symptoms"),
    ("stiffness", "Stiffness", "symptoms"),
    ("sleep", "Sleep: rested on waking", "symptoms"),  # not the diary's sleep quality
    ("depression", "Depression", "symptoms"),
    ("memory", "Memory", "symptoms"),
    ("anxiety", "Anxiety", "symptoms"),
    ("tenderness", "Tenderness to touch", "symptoms"),
    ("balance", "Balance", "symptoms"),
    ("sensitivity", "Sensitivity to noise, lights, odours or cold", "symptoms"),
)

FIQR_ITEM_MAX = 10

# Each domain's sum is divided by this to give its score (function 0-30,
# overall 0-20, symptoms 0-50), and may miss at most this many answers.
FIQR_DIVISORS: dict[str, int] = {"function": 3, "overall": 1, "symptoms": 2}
FIQR_MISSING_ALLOWED: dict[str, int] = {"function": 1, "overall": 0, "symptoms": 0}
_FIQR_ITEM_NOUNS: dict[str, str] = {
    "function": "function",
    "overall": "overall-impact",
    "symptoms": "symptom",
}

# Lower bound of each Salaffi et al. 2020 band, highest first.  A total between
# two integer bands (23.5) belongs to the lower one: the thresholds are 24, 41,
# 64 and 83, so 23.5 is remission and 24.0 is mild.
FIQR_BANDS: tuple[tuple[int, str], ...] = (
    (83, "very severe"),
    (64, "severe"),
    (41, "moderate"),
    (24, "mild"),
    (0, "remission"),
)
FIQR_MAX = 100


@dataclass(frozen=True)
class FiqrResult:
    """FIQR domain scores and total; a score that cannot be computed is None."""

    function: float | None
    overall: float | None
    symptoms: float | None
    total: float | None
    severity: str | None
    valid: bool
    problems: list[str] = field(default_factory=list, compare=False)

    def to_dict(self) -> dict[str, object]:
        """The scores without the problem list, e.g. for a table or JSON."""
        return {
            "function": self.function,
            "overall": self.overall,
            "symptoms": self.symptoms,
            "total": self.total,
            "severity": self.severity,
            "valid": self.valid,
        }


def fiqr_severity(total: float) -> str:
    """The Salaffi 2020 band of a FIQR total (0-100); thresholds at 24, 41, 64, 83."""
    if not 0 <= total <= FIQR_MAX:
        raise ValueError(f"FIQR total must be 0-{FIQR_MAX}, got {total!r}")
    return next(label for low, label in FIQR_BANDS if total >= low)


def _is_blank(value: object) -> bool:
    """An unanswered item: None, pandas NA or NaN."""
    if value is None or value is pd.NA:
        return True
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isnan(value)


def _answer(number: int, key: str, value: object) -> Fraction:
    """An item's answer as an exact fraction of its decimal form, so 0.1 + 0.2 == 0.3."""
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Real)
        or not 0 <= value <= FIQR_ITEM_MAX
    ):
        raise ValueError(
            f"FIQR item {number} ({key}) must be 0-{FIQR_ITEM_MAX} or blank, got {value!r}"
        )
    return Fraction(str(value))


def _domain_score(name: str, answers: list[Fraction], missing: list[str]) -> Fraction | None:
    """A domain's score with its sum scaled by n/x for x of n answered, or None if too few."""
    if len(missing) > FIQR_MISSING_ALLOWED[name]:
        return None
    n = len(answers) + len(missing)
    return sum(answers, Fraction(0)) * n / len(answers) / FIQR_DIVISORS[name]


def _missing_note(name: str, answered: int, missing: list[str]) -> str:
    n = answered + len(missing)
    head = (
        f"{len(missing)} of {n} {_FIQR_ITEM_NOUNS[name]} items unanswered ({', '.join(missing)})"
    )
    allowed = FIQR_MISSING_ALLOWED[name]
    if len(missing) <= allowed:
        return f"{head}; the {name} sum was scaled by {n}/{answered}"
    if allowed:
        return (
            f"{head}; at most {allowed} may be missing, "
            f"so the {name} score and the total cannot be computed"
        )
    return f"{head}; all are needed, so the {name} score and the total cannot be computed"


def _as_float(score: Fraction | None) -> float | None:
    return None if score is None else float(score)


def fiqr(items: Sequence[float | None]) -> FiqrResult:
    """Score the 21 FIQR answers (0-10, None or NaN when unanswered) in FIQR_ITEMS order.

    With x of a domain's n items answered its sum is scaled by n/x; the form is
    invalid with 2 or more function items or any overall or symptom item missing,
    and then the domain scores that cannot be computed, and the total, are None.
    """
    if isinstance(items, str):
        raise TypeError("items must be a sequence of 21 answers, not a string")
    values = list(items)
    if len(values) != len(FIQR_ITEMS):
        raise ValueError(f"the FIQR has {len(FIQR_ITEMS)} items, got {len(values)}")

    answers: dict[str, list[Fraction]] = {name: [] for name in FIQR_DIVISORS}
    missing: dict[str, list[str]] = {name: [] for name in FIQR_DIVISORS}
    for number, ((key, label, name), value) in enumerate(zip(FIQR_ITEMS, values), start=1):
        if _is_blank(value):
            missing[name].append(label)
        else:
            answers[name].append(_answer(number, key, value))

    scores = {name: _domain_score(name, answers[name], missing[name]) for name in FIQR_DIVISORS}
    problems = [
        _missing_note(name, len(answers[name]), missing[name])
        for name in FIQR_DIVISORS
        if missing[name]
    ]
    valid = all(score is not None for score in scores.values())
    total = sum(scores.values(), Fraction(0)) if valid else None
    return FiqrResult(
        function=_as_float(scores["function"]),
        overall=_as_float(scores["overall"]),
        symptoms=_as_float(scores["symptoms"]),
        total=_as_float(total),
        severity=None if total is None else fiqr_severity(total),
        valid=valid,
        problems=problems,
    )


# --- Medication overuse (ICHD-3, 8.2) -------------------------------------------

# Days a month with at least one dose at which ICHD-3 speaks of overuse of the
# class.  Other classes (muscle relaxants, antidepressants, ...) are not counted.
OVERUSE_THRESHOLDS: dict[str, int] = {
    "ergot": 10,
    "triptan": 10,
    "opioid": 10,
    "combination_analgesic": 10,
    "simple_analgesic": 15,
    "nsaid": 15,
}
ACUTE_CLASSES: tuple[str, ...] = domain.ACUTE_CLASSES  # exactly the classes with a threshold

ALL_ACUTE = "all_acute"
ALL_ACUTE_LABEL = "Acute pain and headache medicines"
COMBINED_THRESHOLD = 10

OVERUSE_COLUMNS: tuple[str, ...] = ("month", "drug_class", "days", "threshold", "crossed")

# What the day counts cannot show; for the UI to print beside the table.
OVERUSE_CAVEAT = (
    "ICHD-3 speaks of medication-overuse headache only with headache on 15 or more days "
    "a month and overuse for more than 3 months; these counts show days of use, "
    "month by month, and are not a diagnosis."
)

_CLASS_ORDER = {name: i for i, name in enumerate((*domain.DRUG_CLASSES, ALL_ACUTE))}


def _empty_overuse() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "month": pd.Series([], dtype=str),
            "drug_class": pd.Series([], dtype=str),
            "days": pd.Series([], dtype="int64"),
            "threshold": pd.Series([], dtype="float64"),
            "crossed": pd.Series([], dtype=bool),
        }
    )


def medication_overuse(doses: pd.DataFrame) -> pd.DataFrame:
    """Days of use per calendar month and drug class, against the ICHD-3 thresholds.

    One row per month and class with doses (``threshold`` NaN for classes ICHD-3
    does not count), plus one ``all_acute`` row per month: distinct days with
    any acute class.  The combined rule is "10 or more days in total across
    several classes, none overused on its own", so ``all_acute`` is crossed only
    when at least two acute classes were taken that month, their distinct days
    reach 10, and no class crossed its own threshold.  With one class its own
    threshold is the rule (paracetamol alone on 12 days is below 15, not
    overuse); when a class crosses on its own, its row is the flag, so the
    month is flagged either way and the combined note does not repeat it.
    A day is a calendar day of ``time`` as stored (local time if tz-aware).
    """
    absent = [c for c in ("time", "drug_class") if c not in doses.columns]
    if absent:
        raise ValueError(f"doses lacks column {', '.join(absent)}")
    if doses.empty:
        return _empty_overuse()
    if not pd.api.types.is_datetime64_any_dtype(doses["time"]):
        raise ValueError(f"doses 'time' must be datetime64, got {doses['time'].dtype}")
    undated = int(doses["time"].isna().sum())
    if undated:
        raise ValueError(f"{undated} doses have no time, so their day cannot be counted")
    unknown = sorted(map(repr, set(doses["drug_class"]).difference(domain.DRUG_CLASSES)))
    if unknown:
        raise ValueError(f"unknown drug class {', '.join(unknown)}")

    # Whole-frame operations, no loop over months: the therapist's view recomputes this at
    # every session logged, and a month-by-month loop over three years took 0.1-0.3 s.
    day = doses["time"].dt.normalize()
    number = day.dt.year * 100 + day.dt.month  # 202403; each month written out once
    month = number.map({n: f"{n // 100:04d}-{n % 100:02d}" for n in number.unique()})
    taken = pd.DataFrame(
        {"month": month.astype(str), "day": day, "drug_class": doses["drug_class"].astype(str)}
    )

    per_class = taken.groupby(["month", "drug_class"])["day"].nunique().reset_index(name="days")
    per_class["threshold"] = per_class["drug_class"].map(OVERUSE_THRESHOLDS).astype("float64")
    per_class["crossed"] = per_class["days"] >= per_class["threshold"]

    acute = taken[taken["drug_class"].isin(ACUTE_CLASSES)].groupby("month")
    all_months = pd.Index(sorted(taken["month"].unique()), name="month")
    days = acute["day"].nunique().reindex(all_months, fill_value=0)
    several = acute["drug_class"].nunique().reindex(all_months, fill_value=0) >= 2
    single_crossed = per_class.groupby("month")["crossed"].any().reindex(all_months, fill_value=False)
    combined = pd.DataFrame({
        "month": all_months, "drug_class": ALL_ACUTE, "days": days.to_numpy(),
        "threshold": float(COMBINED_THRESHOLD),
        "crossed": (days >= COMBINED_THRESHOLD).to_numpy() & several.to_numpy()
        & ~single_crossed.to_numpy(dtype=bool)})

    result = pd.concat([per_class, combined], ignore_index=True)
    result = result.sort_values(
        ["month", "drug_class"],
        key=lambda column: column.map(_CLASS_ORDER) if column.name == "drug_class" else column,
        ignore_index=True,
    )
    return result.astype(
        {"month": str, "drug_class": str, "days": "int64", "threshold": "float64", "crossed": bool}
    )[list(OVERUSE_COLUMNS)]


def _days(n: int) -> str:
    return plural(n, "day")


def month_name(month: str) -> str:
    """'2024-03' -> 'March 2024'."""
    year, number = (int(part) for part in month.split("-"))
    return dt.date(year, number, 1).strftime("%B %Y")


_SEE_DOCTOR = "This is not a diagnosis, but it is worth mentioning to your doctor."


def overuse_note(row: Mapping[str, object] | pd.Series) -> str:
    """A plain, non-diagnostic sentence about one row of ``medication_overuse``."""
    drug_class = str(row["drug_class"])
    days = int(row["days"])
    month = month_name(str(row["month"]))
    threshold = row["threshold"]

    if drug_class == ALL_ACUTE:
        limit = f"{COMBINED_THRESHOLD} days a month"
        if days == 0:
            return f"No acute pain or headache medicines were used in {month}."
        if row["crossed"]:
            return (
                f"{ALL_ACUTE_LABEL} of several classes were used on {_days(days)} in total "
                f"in {month}, none of them reaching its own threshold; together they reached "
                f"the ICHD-3 medication-overuse threshold for combined use ({limit}). "
                f"{_SEE_DOCTOR}"
            )
        if days < COMBINED_THRESHOLD:
            return (
                f"{ALL_ACUTE_LABEL} were used on {_days(days)} in total in {month}: "
                f"{_days(COMBINED_THRESHOLD - days)} below the ICHD-3 threshold for several "
                f"classes combined ({limit})."
            )
        return (
            f"{ALL_ACUTE_LABEL} were used on {_days(days)} in total in {month}. The ICHD-3 "
            f"threshold for combined use ({limit}) applies only when several classes share "
            f"those days and none reaches its own threshold, so the note for each class is "
            f"the one to read."
        )

    label = domain.DRUG_CLASS_LABELS.get(drug_class, drug_class)
    if pd.isna(threshold):
        return (
            f"{label} used on {_days(days)} in {month}. ICHD-3 does not count this class "
            f"towards medication overuse."
        )
    limit = f"{int(threshold)} days a month"
    if row["crossed"]:
        return (
            f"{label} used on {_days(days)} in {month}, which reached the ICHD-3 "
            f"medication-overuse threshold for this class ({limit}). {_SEE_DOCTOR}"
        )
    return (
        f"{label} used on {_days(days)} in {month}: {_days(int(threshold) - days)} below the "
        f"ICHD-3 medication-overuse threshold for this class ({limit})."
    )


def overuse_notes(table: pd.DataFrame) -> tuple[list[str], list[str]]:
    """Plain sentences about a ``medication_overuse`` table: earlier months that crossed a
    threshold, and where the latest month with counted doses stands (Scores page, the
    therapist's view)."""
    counted = table[table["threshold"].notna()]
    if counted.empty:
        return [], []
    last = counted["month"].max()
    earlier = counted[counted["crossed"] & (counted["month"] < last)]
    latest = counted[counted["month"] == last]
    return ([overuse_note(row) for _, row in earlier.iterrows()],
            [overuse_note(row) for _, row in latest.iterrows()])


def result_text(instrument: str, row: Mapping[str, object] | pd.Series) -> str:
    """One kept questionnaire's result in words: 'WPI 9 of 19, SSS 6 of 12, FS 15 of 31
    (severe); criteria met' or 'total 52.3 of 100 (moderate): function 14.0 of 30, ...'."""
    def number(key: str, digits: int = 0) -> str:
        value = row.get(key)
        return "–" if value is None or pd.isna(value) else f"{float(value):.{digits}f}"

    if instrument == "acr2016":
        met = "criteria met" if row.get("criteria_met") else "criteria not met"
        return (f"WPI {number('wpi')} of 19, SSS {number('sss')} of 12, FS {number('fs')} of 31 "
                f"({row.get('severity') or '–'}); {met}")
    if instrument == "fiqr":
        if row.get("total") is None or pd.isna(row.get("total")):
            return "incomplete: too many unanswered items for a total"
        return (f"total {number('total', 1)} of 100 ({row.get('severity') or '–'}): function "
                f"{number('function', 1)} of 30, overall {number('overall', 1)} of 20, symptoms "
                f"{number('symptoms', 1)} of 50")
    raise ValueError(f"unknown instrument {instrument!r}")
