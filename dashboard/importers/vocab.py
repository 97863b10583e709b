"""Words other apps use, mapped onto ours: symptom names, drug names, massage mentions.

Shared by the Bearable and Flaredown readers so one symptom name lands on the
same field whichever app it came from.  Names not listed here are skipped and
reported by the importer, never guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import pandas as pd

from .. import domain
from .common import PAIN_FALLBACK, SHOWN_LENGTH, per_unique, short_text

# Symptom names (lower case) -> daily field.  PAIN_FALLBACK means "a pain that
# is not in one area": it becomes the day's overall pain only when no overall
# pain was logged, like the per-area pains.
SYMPTOM_FIELDS: dict[str, str] = {
    **dict.fromkeys(("pain", "overall pain", "general pain", "widespread pain", "body pain",
                     "chronic pain", "fibromyalgia pain", "fibro pain", "all over pain"), "pain"),
    **dict.fromkeys(("muscle pain", "muscle aches", "joint pain", "body aches", "aches",
                     "fibromyalgia", "fibromyalgia syndrome", "fibro", "fms"), PAIN_FALLBACK),
    **dict.fromkeys(("headache", "headaches", "migraine", "migraines", "tension headache",
                     "tension headaches", "head pain", "head ache"), "headache"),
    **dict.fromkeys(("fatigue", "tiredness", "exhaustion", "chronic fatigue", "low energy",
                     "lack of energy", "chronic fatigue syndrome", "cfs", "me/cfs"), "fatigue"),
    **dict.fromkeys(("anxiety", "anxious", "anxiousness", "nervousness",
                     "generalized anxiety disorder", "generalised anxiety disorder"), "anxiety"),
    **dict.fromkeys(("depression", "depressed", "depressed mood", "low mood", "sadness",
                     "feeling down", "major depressive disorder"), "low_mood"),
    **dict.fromkeys(("stiffness", "morning stiffness", "joint stiffness", "muscle stiffness",
                     "stiff joints", "stiff muscles"), "stiffness"),
    **dict.fromkeys(("brain fog", "fibro fog", "fog", "cognitive dysfunction", "cognitive problems",
                     "poor concentration", "difficulty concentrating", "trouble concentrating",
                     "memory problems", "forgetfulness", "confusion"), "fog"),
}

# Body-part words in "<part> pain" / "pain in <part>" -> body area.  A bare
# "back" is left out on purpose: it does not say upper or lower back.
PART_AREAS: dict[str, str] = {
    **dict.fromkeys(("jaw", "tmj", "jaw joint"), "jaw"),
    **dict.fromkeys(("neck", "cervical"), "neck"),
    **dict.fromkeys(("shoulder", "shoulders"), "shoulders"),
    **dict.fromkeys(("upper back", "mid back", "middle back", "thoracic"), "upper_back"),
    **dict.fromkeys(("lower back", "low back", "lumbar"), "lower_back"),
    **dict.fromkeys(("chest", "rib", "ribs"), "chest"),
    **dict.fromkeys(("abdominal", "abdomen", "stomach", "belly", "tummy"), "abdomen"),
    **dict.fromkeys(("arm", "arms", "elbow", "elbows", "forearm", "forearms"), "arms"),
    **dict.fromkeys(("hand", "hands", "wrist", "wrists", "finger", "fingers"), "hands"),
    **dict.fromkeys(("hip", "hips", "buttock", "buttocks"), "hips"),
    **dict.fromkeys(("leg", "legs", "knee", "knees", "thigh", "thighs", "calf", "calves"), "legs"),
    **dict.fromkeys(("foot", "feet", "ankle", "ankles", "toe", "toes"), "feet"),
}

_QUALIFIED_BACK = re.compile(r"\bback\s*\((upper|lower)\)")
_SIDES = re.compile(r"\b(left|right|both|l|r)\b")
_PAIN_SUFFIX = re.compile(r"^(?P<part>.+?)\s*(?:pain|ache|aches|soreness)$")
_PAIN_PREFIX = re.compile(r"^pain in (?:the |my )?(?P<part>.+)$")


@lru_cache(maxsize=4096)
def symptom_target(name: str) -> str | None:
    """The daily field a symptom name feeds ('fatigue', 'pain_neck', ...), or None.

    'Back (lower) pain' and 'Left knee pain' are understood; unknown names give None.
    """
    text = " ".join(name.strip().lower().replace("_", " ").split())
    if text in SYMPTOM_FIELDS:
        return SYMPTOM_FIELDS[text]
    text = _QUALIFIED_BACK.sub(lambda m: f"{m.group(1)} back", text)
    text = " ".join(_SIDES.sub(" ", text).split())
    if text in SYMPTOM_FIELDS:
        return SYMPTOM_FIELDS[text]
    match = _PAIN_SUFFIX.match(text) or _PAIN_PREFIX.match(text)
    if match:
        area = PART_AREAS.get(match.group("part").strip())
        if area:
            return domain.AREA_PAIN_PREFIX + area
    return None


# --- medication -----------------------------------------------------------------

_PAIN_CLASSES = {"simple_analgesic", "nsaid", "opioid", "combination_analgesic"}
_KNOWN_NAMES = re.compile(r"(?<![a-z0-9])(" + "|".join(
    sorted(map(re.escape, domain.KNOWN_DRUGS), key=len, reverse=True)) + r")(?![a-z0-9])")
_WORDS = re.compile(r"[a-z][a-z-]*")
_SPELLING_CANDIDATES = tuple(n for n in domain.KNOWN_DRUGS if _WORDS.fullmatch(n))


@dataclass(frozen=True)
class DrugMatch:
    """The class of a product name and, when a misspelling was read as a known name, that name."""

    drug_class: str
    read_as: str | None = None  # the known name a misspelt word was taken for
    known: bool = True  # False: no known name in it (class 'other' by default)


def misspelling_limit(word: str) -> int:
    """Edits allowed between a typed word and a known name: none under 7 letters, 1, then 2 from 11."""
    return 0 if len(word) < 7 else 1 if len(word) < 11 else 2


def edit_distance(a: str, b: str, limit: int) -> int:
    """Insertions, deletions, substitutions and swaps of neighbours turning ``a`` into ``b``; limit + 1 once past it."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2, previous = None, list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, start=1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb))
            if previous2 is not None and i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]


@lru_cache(maxsize=4096)
def closest_known(word: str) -> str | None:
    """The one known name ``word`` is a small misspelling of (same first letter), else None.

    Conservative: short words are never matched, and a word as close to two
    known names as to one is left alone.
    """
    limit = misspelling_limit(word)
    if not limit or word in domain.KNOWN_DRUGS:
        return None
    distances = {n: edit_distance(word, n, limit) for n in _SPELLING_CANDIDATES if n[0] == word[0]}
    best = min(distances.values(), default=limit + 1)
    closest = [n for n, d in distances.items() if d == best]
    return closest[0] if best <= limit and len(closest) == 1 else None


@lru_cache(maxsize=4096)
def match_drug(name: str) -> DrugMatch:
    """The class of a product name: known names in it, else a small misspelling of one.

    'Tylenol Extra Strength' -> simple_analgesic; 'Paracetamol + codeine' names two
    painkiller classes -> combination_analgesic; 'Fluoxitine' -> antidepressant,
    read as fluoxetine; anything else -> 'other', not known.
    """
    text = " ".join(name.lower().split())
    if text in domain.KNOWN_DRUGS:
        return DrugMatch(domain.KNOWN_DRUGS[text])
    found = _KNOWN_NAMES.findall(text)
    read_as = None
    if not found:
        found = [c for c in map(closest_known, _WORDS.findall(text)) if c]
        read_as = ", ".join(found) or None
    classes = {domain.KNOWN_DRUGS[f] for f in found}
    if len(classes) == 1:
        return DrugMatch(classes.pop(), read_as)
    if len(classes) > 1 and classes <= _PAIN_CLASSES:
        return DrugMatch("combination_analgesic", read_as)
    return DrugMatch("other", read_as, known=bool(found))


def drug_class(name: str) -> str:
    """The class of a product name (see ``match_drug``)."""
    return match_drug(name).drug_class


def drug_classes(names: pd.Series, notes: list[str]) -> pd.Series:
    """The class of each name; notes say which misspellings were read as which name and which names are unknown."""
    matches = per_unique(names, lambda u: u.map(match_drug))
    counts = names.value_counts(sort=False)
    unknown = []
    for text, rows in counts.items():
        match = match_drug(text)
        if match.read_as:
            notes.append(f"{short_text(text, SHOWN_LENGTH)} read as {match.read_as} "
                         f"({rows} row{'s' if rows != 1 else ''})")
        elif not match.known:
            unknown.append(f"{short_text(text, SHOWN_LENGTH)} ({rows} row{'s' if rows != 1 else ''})")
    if unknown:
        shown = ", ".join(unknown[:10]) + (f" and {len(unknown) - 10} more" if len(unknown) > 10 else "")
        notes.append(f"Medication names not in the list of known drugs, kept with class other: {shown}")
    return matches.map(lambda m: m.drug_class)


# --- massage ------------------------------------------------------------------------

MASSAGE = re.compile(r"massage", re.IGNORECASE)

# Used when an import says "massage" but not where: the four areas domain.md
# names as the common targets.  The session's notes say they were assumed.
DEFAULT_MASSAGE_AREAS: tuple[str, ...] = ("neck", "shoulders", "upper_back", "lower_back")
DEFAULT_MASSAGE_MINUTES = 60.0
ASSUMED_AREAS_NOTE = "[areas not in the import; assumed neck, shoulders, upper and lower back]"

_MASSAGE_PARTS: dict[str, tuple[str, ...]] = {
    **{part: (area,) for part, area in PART_AREAS.items()},
    "back": ("upper_back", "lower_back"),
    "head": ("head",), "scalp": ("head",), "face": ("head",),
}
_FULL_BODY = re.compile(r"\b(full|whole)[ -]body\b")
_PART_WORDS = re.compile(
    r"\b(" + "|".join(sorted(map(re.escape, _MASSAGE_PARTS), key=len, reverse=True)) + r")\b")


def massage_areas(text: str) -> tuple[tuple[str, ...], bool]:
    """Body areas a massage description names, in vocabulary order, and whether they were assumed."""
    lower = _QUALIFIED_BACK.sub(lambda m: f"{m.group(1)} back", text.lower())
    if _FULL_BODY.search(lower):
        return domain.BODY_AREAS, False
    found: set[str] = set()
    for match in _PART_WORDS.finditer(lower):
        found.update(_MASSAGE_PARTS[match.group(1)])
    if not found:
        return DEFAULT_MASSAGE_AREAS, True
    return tuple(a for a in domain.BODY_AREAS if a in found), False


def massage_minutes(start_minute_of_day: int) -> float:
    """The default session length, cut short so a late session still ends on its day."""
    left = 24 * 60 - start_minute_of_day
    return min(DEFAULT_MASSAGE_MINUTES, max(left - 1.0, 0.5))
