"""The vocabulary of the tool: pressures, body areas, WPI regions, drug classes, fields.

Every other module takes its words from here, so that a label, a colour or a
category is defined once.  Sources are in ``shared/docs/domain.md``.
"""

from __future__ import annotations

# --- massage pressure -------------------------------------------------------

PRESSURES: tuple[str, ...] = ("light", "moderate", "deep", "unknown")

PRESSURE_LABELS: dict[str, str] = {
    "light": "Light / soft stroking",
    "moderate": "Moderate",
    "deep": "Deep",
    "unknown": "Unknown",
}

# Okabe-Ito palette: distinguishable with the common colour-vision deficiencies.
PRESSURE_COLORS: dict[str, str] = {
    "light": "#56B4E9",  # sky blue
    "moderate": "#009E73",  # bluish green
    "deep": "#D55E00",  # vermillion
    "unknown": "#999999",  # grey
}

# Marker shapes double-encode pressure, so colour is never the only cue.
PRESSURE_MARKERS: dict[str, str] = {
    "light": "circle",
    "moderate": "square",
    "deep": "triangle",
    "unknown": "diamond",
}

# --- body areas and the ACR 2016 Widespread Pain Index ------------------------

BODY_AREAS: tuple[str, ...] = (
    "head", "jaw", "neck", "shoulders", "upper_back", "lower_back", "chest",
    "abdomen", "arms", "hands", "hips", "legs", "feet",
)

WPI_REGIONS: tuple[str, ...] = (
    "left_jaw", "right_jaw",
    "left_shoulder_girdle", "right_shoulder_girdle",
    "left_upper_arm", "right_upper_arm",
    "left_lower_arm", "right_lower_arm",
    "left_hip", "right_hip",
    "left_upper_leg", "right_upper_leg",
    "left_lower_leg", "right_lower_leg",
    "neck", "upper_back", "lower_back", "chest", "abdomen",
)

AREA_TO_WPI: dict[str, tuple[str, ...]] = {
    "head": (),
    "jaw": ("left_jaw", "right_jaw"),
    "neck": ("neck",),
    "shoulders": ("left_shoulder_girdle", "right_shoulder_girdle"),
    "upper_back": ("upper_back",),
    "lower_back": ("lower_back",),
    "chest": ("chest",),
    "abdomen": ("abdomen",),
    "arms": ("left_upper_arm", "right_upper_arm", "left_lower_arm", "right_lower_arm"),
    "hands": (),
    "hips": ("left_hip", "right_hip"),
    "legs": ("left_upper_leg", "right_upper_leg", "left_lower_leg", "right_lower_leg"),
    "feet": (),
}

# The five regions of "generalized pain" (ACR 2016).  Jaw, chest and abdomen
# are WPI regions but do not count towards generalized pain.
GENERALIZED_PAIN_REGIONS: dict[str, tuple[str, ...]] = {
    "left_upper": ("left_shoulder_girdle", "left_upper_arm", "left_lower_arm"),
    "right_upper": ("right_shoulder_girdle", "right_upper_arm", "right_lower_arm"),
    "left_lower": ("left_hip", "left_upper_leg", "left_lower_leg"),
    "right_lower": ("right_hip", "right_upper_leg", "right_lower_leg"),
    "axial": ("neck", "upper_back", "lower_back"),
}


def area_label(area: str) -> str:
    """'upper_back' -> 'Upper back'."""
    return area.replace("_", " ").capitalize()


# --- medication ---------------------------------------------------------------

DRUG_CLASSES: tuple[str, ...] = (
    "simple_analgesic", "nsaid", "combination_analgesic", "opioid", "triptan",
    "ergot", "muscle_relaxant", "antidepressant", "anticonvulsant", "sleep_aid",
    "other",
)

DRUG_CLASS_LABELS: dict[str, str] = {
    "simple_analgesic": "Simple analgesic",
    "nsaid": "NSAID",
    "combination_analgesic": "Combination analgesic",
    "opioid": "Opioid",
    "triptan": "Triptan",
    "ergot": "Ergot",
    "muscle_relaxant": "Muscle relaxant",
    "antidepressant": "Antidepressant",
    "anticonvulsant": "Anticonvulsant",
    "sleep_aid": "Sleep aid",
    "other": "Other",
}

# Okabe-Ito first, then muted tones; fixed so a class keeps its colour everywhere.
DRUG_CLASS_COLORS: dict[str, str] = {
    "simple_analgesic": "#56B4E9",
    "nsaid": "#E69F00",
    "combination_analgesic": "#CC79A7",
    "opioid": "#D55E00",
    "triptan": "#0072B2",
    "ergot": "#882255",
    "muscle_relaxant": "#009E73",
    "antidepressant": "#44AA99",
    "anticonvulsant": "#F0E442",
    "sleep_aid": "#332288",
    "other": "#999999",
}

# Known product names (lower case) -> class; used to fill in the class of a new
# entry and by importers.  The person can always change it.
KNOWN_DRUGS: dict[str, str] = {
    "paracetamol": "simple_analgesic",
    "acetaminophen": "simple_analgesic",
    "tylenol": "simple_analgesic",
    "panadol": "simple_analgesic",
    "ibuprofen": "nsaid",
    "advil": "nsaid",
    "nurofen": "nsaid",
    "naproxen": "nsaid",
    "aleve": "nsaid",
    "aspirin": "nsaid",
    "diclofenac": "nsaid",
    "celecoxib": "nsaid",
    "co-codamol": "combination_analgesic",
    "excedrin": "combination_analgesic",
    "tramadol": "opioid",
    "codeine": "opioid",
    "oxycodone": "opioid",
    "morphine": "opioid",
    "tapentadol": "opioid",
    "sumatriptan": "triptan",
    "rizatriptan": "triptan",
    "zolmitriptan": "triptan",
    "ergotamine": "ergot",
    "cyclobenzaprine": "muscle_relaxant",
    "tizanidine": "muscle_relaxant",
    "methocarbamol": "muscle_relaxant",
    "amitriptyline": "antidepressant",
    "duloxetine": "antidepressant",
    "milnacipran": "antidepressant",
    "nortriptyline": "antidepressant",
    "pregabalin": "anticonvulsant",
    "lyrica": "anticonvulsant",
    "gabapentin": "anticonvulsant",
    "melatonin": "sleep_aid",
    "zopiclone": "sleep_aid",
    "zolpidem": "sleep_aid",
}

# Classes taken "as needed" for pain; the summary's "painkiller days" and the
# ICHD-3 overuse count use these.  Preventives (antidepressants, anticonvulsants)
# taken every day would otherwise make every day a medication day.
ACUTE_CLASSES: tuple[str, ...] = (
    "simple_analgesic", "nsaid", "combination_analgesic", "opioid", "triptan", "ergot",
)


def drug_class_of(name: str) -> str:
    """The class of a known product name, else 'other'."""
    return KNOWN_DRUGS.get(name.strip().lower(), "other")


# --- daily check-in fields ----------------------------------------------------

RATING_MIN, RATING_MAX = 0, 10

# 0-10 numeric rating scales of a daily check-in, with their labels.
DAILY_RATINGS: dict[str, str] = {
    "pain": "Pain",
    "sleep_quality": "Sleep quality",
    "fatigue": "Fatigue",
    "stiffness": "Stiffness",
    "anxiety": "Anxiety",
    "low_mood": "Low mood",
    "fog": "Fog",
    "headache": "Headache",
}

SLEEP_HOURS_MAX = 24.0
NAP_MINUTES_MAX = 24 * 60  # minutes napped in a day (sleeps shorter than the day's main sleep)

# The template CSV format (``fibro export`` writes it, ``fibro import csv`` reads it).
DAILY_COLUMNS: tuple[str, ...] = (
    "date", "pain", "sleep_hours", "sleep_quality", "fatigue", "stiffness",
    "anxiety", "low_mood", "fog", "headache", "notes",
)
# Optional daily.csv column after notes (older files lack it), before any pain_<area> columns.
NAP_MINUTES_COLUMN = "nap_minutes"
SESSION_COLUMNS: tuple[str, ...] = (
    "start", "duration_min", "pressure", "areas", "technique", "therapist",
    "pain_before", "pain_after", "notes",
)
MEDICATION_COLUMNS: tuple[str, ...] = ("time", "name", "drug_class", "dose", "unit", "reason")

AREA_PAIN_PREFIX = "pain_"
AREAS_SEPARATOR = ";"

# Days after a session that count as "after" it: the 48 h that follow a session
# reach the two calendar days after the session day (the session day itself mixes
# before and after, so it belongs to neither group).
AFTER_SESSION_DAYS: tuple[int, ...] = (1, 2)
