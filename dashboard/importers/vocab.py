"""Words other apps use, mapped onto ours: symptom names, drug names, massage mentions.

Shared by the Bearable and Flaredown readers so one symptom name lands on the
same field whichever app it came from.  Names not listed here are skipped and
reported by the importer, never guessed.
"""

from __future__ import annotations

import re
from functools import lru_cache

from .. import domain
from .common import PAIN_FALLBACK

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


@lru_cache(maxsize=4096)
def drug_class(name: str) -> str:
    """The class of a product name: an exact known name, else the known names it contains.

    'Tylenol Extra Strength' -> simple_analgesic; 'Paracetamol + codeine' names
    two painkiller classes -> combination_analgesic; anything else -> 'other'.
    """
    exact = domain.drug_class_of(name)
    if exact != "other":
        return exact
    words = re.findall(r"[a-z][a-z-]*", name.lower())
    found = {domain.KNOWN_DRUGS[w] for w in words if w in domain.KNOWN_DRUGS}
    if len(found) == 1:
        return found.pop()
    if len(found) > 1 and found <= _PAIN_CLASSES:
        return "combination_analgesic"
    return "other"


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
