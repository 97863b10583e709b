"""Does a pressure help: the one service every view of the effects asks.

The Effects page (``page_effects``: the sidebar's pressures and areas over the whole diary
or the days shown), the therapist's view (``pooled_estimates`` of the whole diary), the PDF
report (``period_effects``), ``fibro effects`` and the notebook (``effects_json``) all come
here; the statistics are in ``analysis.effects``, whose ``MIN_SESSIONS`` is the only one.
Frames in, plain data out: no Panel, so a notebook, a test or a worker thread can call it,
and a page can hand it an already-filtered diary.  ``effect_rows`` gives the rows as a
person reads them, for the Effects page and the therapist's view alike.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import pandas as pd

from . import domain
from .analysis import effects as fx
from .analysis import summary as an
from .formatting import interval, p_text, signed

EVENT_DAYS = 3  # the means around a session run from 3 days before to 3 days after
SCOPES = ("all", "window")  # the whole diary, or only the days shown
EFFECT_HEADERS = ["Pressure", "Body area", "Outcome", "Unit", "Sessions", "Comparison days",
                  "Estimate", "95 % interval", "p-value", "Adjusted p", "Reading"]


@dataclass(frozen=True)
class EffectsResult:
    """Everything the Effects page shows for one set of frames and filters."""

    pressures: tuple[str, ...]
    effects: pd.DataFrame
    comparisons: pd.DataFrame | None
    events: pd.DataFrame
    sentences: list[str]
    session_counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    primary: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=fx.EFFECT_COLUMNS))
    primary_comparisons: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=fx.COMPARISON_COLUMNS))

    @classmethod
    def empty(cls, pressures=()) -> "EffectsResult":
        """No figures: before the first computation, or with no sessions or no pressure."""
        return cls(tuple(pressures), pd.DataFrame(columns=fx.EFFECT_COLUMNS), None,
                   pd.DataFrame(columns=fx.EVENT_COLUMNS), [])

    @property
    def n_sessions(self) -> int:
        return sum(self.session_counts.values())


def scope_frames(diary, scope: str = "all", start=None, end=None
                 ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Daily, sessions and doses the figures use: the whole ``diary`` (``scope`` "all"), or
    its days ``start``..``end`` ("window"). Sessions are never filtered by pressure or area
    here, so that comparison days avoid sessions of any pressure."""
    if scope not in SCOPES:
        raise ValueError(f"scope is one of {', '.join(SCOPES)}, not {scope!r}")
    if scope == "all" or diary.sessions.empty:
        return diary.daily, diary.sessions, diary.doses
    return (an.in_window(diary.daily, "date", start, end),
            an.filter_sessions(diary.sessions, None, None, start, end),
            an.in_window(diary.doses, "time", start, end))


def compute_effects(daily: pd.DataFrame, sessions: pd.DataFrame, doses: pd.DataFrame,
                    pressures: tuple[str, ...], areas: tuple[str, ...]) -> EffectsResult:
    """The primary answers (whatever the filters), the exploratory effects and deep-vs-light
    comparisons (None unless both are chosen) for the filters, and event means.

    ``sessions`` holds every session of the period, so that comparison days avoid
    sessions of any pressure; ``pressures`` and ``areas`` pick the exploratory rows.
    The sentences come from the primary answers only.
    """
    started = time.perf_counter()
    if sessions.empty or not pressures:
        return EffectsResult.empty(pressures)
    chosen, area_list = list(pressures), list(areas) or None
    primary, primary_comparisons = fx.primary_answers(daily, sessions, doses, fx.MIN_SESSIONS)
    effects = fx.effects_table(daily, sessions, doses, chosen, area_list, fx.MIN_SESSIONS)
    comparisons = (fx.deep_vs_light(daily, sessions, doses, area_list, fx.MIN_SESSIONS)
                   if {"deep", "light"} <= set(chosen) else None)
    events = fx.event_aligned(daily, sessions, doses, chosen, area_list, EVENT_DAYS)
    sentences = (fx.plain_sentences(primary, max_rows=6)
                 + fx.plain_sentences(primary_comparisons, max_rows=2))
    matching = an.filter_sessions(sessions, chosen, area_list)["pressure"].value_counts()
    counts = {p: int(matching.get(p, 0)) for p in chosen}
    return EffectsResult(tuple(chosen), effects, comparisons, events, sentences, counts,
                         time.perf_counter() - started, primary, primary_comparisons)


def page_effects(diary, pressures=(), areas=(), scope: str = "all", start=None,
                 end=None) -> EffectsResult:
    """What the Effects page shows for the sidebar's pressures, areas and days."""
    return compute_effects(*scope_frames(diary, scope, start, end), tuple(pressures or ()),
                           tuple(areas or ()))


def waiting(effects: pd.DataFrame) -> pd.DataFrame:
    """One row per pressure x area with no estimate for any outcome yet: ``pressure``,
    ``area``, ``n`` (sessions that count, the most of any outcome), ``needed`` (how many
    more reach the minimum). A body area is left out when its pressure has no estimate
    over all areas either (the all-areas row says it)."""
    if effects.empty:
        return pd.DataFrame(columns=["pressure", "area", "n", "needed"])
    groups = effects.groupby(["pressure", "area"], sort=False).agg(
        n=("n_sessions", "max"), estimated=("estimate", lambda v: v.notna().any()))
    rows = groups[~groups["estimated"]].reset_index()
    whole = set(rows.loc[rows["area"] == fx.ALL_AREAS, "pressure"])
    rows = rows[(rows["area"] == fx.ALL_AREAS) | ~rows["pressure"].isin(whole)]
    rows["n"] = rows["n"].astype(int)
    rows["needed"] = [max(fx.sessions_needed(n, fx.MIN_SESSIONS), 1) for n in rows["n"]]
    return rows[["pressure", "area", "n", "needed"]].reset_index(drop=True)


def pooled_estimates(effects: pd.DataFrame) -> pd.DataFrame:
    """The rows over all body areas that have an estimate (the therapist's table)."""
    if effects.empty:
        return effects
    pooled = effects[effects["area"] == fx.ALL_AREAS]
    return pooled.dropna(subset=["estimate"]) if len(pooled) else pooled


def period_effects(daily, sessions, doses, start, end, pressures=None, areas=None):
    """The effects of a period, as the Effects page computes them for the days shown
    (the PDF report): pooled areas ("all"), or the chosen areas.

    Returns the rows with an estimate, the pressures whose rows all lacked data, and how
    many more sessions each of those needs for its first estimate (``fx.sessions_needed``
    of its best-filled pooled row).
    """
    window_sessions = an.in_window(sessions, "start", start, end)
    if window_sessions.empty or (pressures is not None and not list(pressures)):
        return pd.DataFrame(columns=fx.EFFECT_COLUMNS), [], {}
    table = fx.effects_table(an.in_window(daily, "date", start, end), window_sessions,
                             an.in_window(doses, "time", start, end),
                             pressures=list(pressures) if pressures is not None else None,
                             areas=[fx.ALL_AREAS, *areas] if areas else [fx.ALL_AREAS])
    shown = table[table["estimate"].notna()].reset_index(drop=True)
    too_few = [p for p in domain.PRESSURES
               if p in set(table["pressure"]) and p not in set(shown["pressure"])]
    pooled = table[table["area"] == fx.ALL_AREAS]
    # Sessions of unknown pressure (imported) are not asked for: nobody books one.
    needed = {p: fx.sessions_needed(int(pooled.loc[pooled["pressure"] == p, "n_sessions"].max()))
              for p in too_few if p != "unknown"}
    return shown, too_few, needed


def effects_json(diary, pressures=None, areas=None,
                 min_sessions: int = fx.MIN_SESSIONS) -> dict:
    """Every effect and deep-vs-light comparison of the whole ``diary`` as plain,
    ``json.dumps``-able values (``fibro effects``, the notebook): see
    ``analysis.effects.effects_json``."""
    return fx.effects_json(diary.daily, diary.sessions, diary.doses,
                           pressures=list(pressures) if pressures else None,
                           areas=list(areas) if areas else None, min_sessions=min_sessions)


# --- the rows as a person reads them (the Effects page, the therapist's view) ------

def area_text(area: str) -> str:
    """'All areas' or the area's label."""
    return "All areas" if area == fx.ALL_AREAS else domain.area_label(str(area))


def effect_rows(effects: pd.DataFrame) -> pd.DataFrame:
    """An ``effects_table`` as readable text: labels, 2-decimal numbers, no NaN.

    A pressure and area with no estimate for any outcome take one row ("Every outcome",
    not enough data yet) instead of one per outcome, and its areas none (its
    all-areas row speaks for them): a new diary's table is a few lines, not pages.
    """
    pending = waiting(effects)
    one_row = {(r.pressure, r.area): r.n for r in pending.itertuples(index=False)}
    unlisted = set(pending.loc[pending["area"] == fx.ALL_AREAS, "pressure"])  # their areas
    rows, written = [], set()
    for r in effects.itertuples(index=False):
        key = (r.pressure, r.area)
        if (r.pressure in unlisted and r.area != fx.ALL_AREAS) or key in written:
            continue
        pressure = domain.PRESSURE_LABELS.get(r.pressure, str(r.pressure))
        if key in one_row:
            written.add(key)
            rows.append([pressure, area_text(r.area), "Every outcome", "", one_row[key], "–", "–",
                         "–", "–", "–", fx.NOT_ENOUGH])
            continue
        immediate = r.outcome == "pain_change_immediate"
        rows.append([
            pressure,
            area_text(r.area),
            fx.OUTCOME_LABELS.get(r.outcome, str(r.outcome)),
            fx.OUTCOME_UNITS.get(r.outcome, ""),
            int(r.n_sessions),
            "same session" if immediate else int(r.n_comparison),
            signed(r.estimate),
            interval(r.ci_low, r.ci_high),
            p_text(r.p_value),
            p_text(r.p_adjusted),
            r.reading,
        ])
    table = pd.DataFrame(rows, columns=EFFECT_HEADERS)
    return table.astype({"Sessions": "int64", "Comparison days": "object"})
