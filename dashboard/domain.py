"""The vocabulary of the tool: pressures, body areas, WPI regions, drug classes, fields.

Every other module takes its words from here, so that a label, a colour or a
category is defined once.  Sources are in ``shared/docs/domain.md``.
"""

from __future__ import annotations

# --- estimates ---------------------------------------------------------------

# An effect estimate needs this many sessions whose outcome could be computed. Every
# view, the report and the CLI read this one number (``analysis.effects`` uses it).
MIN_SESSIONS = 5

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

# Known names (lower case; generic and common brand names) -> class; used to fill in
# the class of a new entry and by importers.  The person can always change it.
# A product with two or more analgesic classes (or one with caffeine) is a
# combination analgesic (ICHD-3 8.2).  Drugs for fibromyalgia and migraine first
# (Macfarlane et al., EULAR 2017; NICE NG193), then what people also take.
KNOWN_DRUGS: dict[str, str] = {
    **dict.fromkeys((
        "paracetamol", "acetaminophen", "tylenol", "panadol", "calpol", "tempra", "apap",
    ), "simple_analgesic"),
    **dict.fromkeys((
        "ibuprofen", "advil", "motrin", "nurofen", "brufen", "naproxen", "aleve", "naprosyn",
        "anaprox", "aspirin", "acetylsalicylic acid", "disprin", "diclofenac", "voltaren",
        "voltarol", "cataflam", "celecoxib", "celebrex", "meloxicam", "mobic", "etoricoxib",
        "arcoxia", "ketoprofen", "ketorolac", "toradol", "indomethacin", "indometacin", "etodolac",
        "nabumetone", "piroxicam", "mefenamic acid", "ponstan",
    ), "nsaid"),
    **dict.fromkeys((
        "co-codamol", "co-dydramol", "co-proxamol", "tylenol #3", "tylenol 3", "tylenol #4",
        "tylenol with codeine", "percocet", "vicodin", "norco", "lortab", "ultracet", "tramacet",
        "excedrin", "solpadeine", "nurofen plus", "anadin extra", "fioricet", "fiorinal",
        "migraleve", "syndol", "panadeine", "mersyndol",
    ), "combination_analgesic"),
    **dict.fromkeys((
        "tramadol", "ultram", "zydol", "tramal", "conzip", "codeine", "dihydrocodeine", "dhc",
        "oxycodone", "oxycontin", "oxynorm", "roxicodone", "hydrocodone", "hysingla", "morphine",
        "ms contin", "zomorph", "oramorph", "tapentadol", "nucynta", "palexia", "buprenorphine",
        "butrans", "fentanyl", "durogesic", "hydromorphone", "dilaudid", "methadone",
    ), "opioid"),
    **dict.fromkeys((
        "sumatriptan", "imitrex", "imigran", "rizatriptan", "maxalt", "zolmitriptan", "zomig",
        "eletriptan", "relpax", "naratriptan", "amerge", "naramig", "almotriptan", "frovatriptan",
        "treximet",
    ), "triptan"),
    **dict.fromkeys((
        "ergotamine", "cafergot", "dihydroergotamine", "migranal", "d.h.e. 45",
    ), "ergot"),
    **dict.fromkeys((
        "cyclobenzaprine", "flexeril", "amrix", "tizanidine", "zanaflex", "methocarbamol",
        "robaxin", "baclofen", "lioresal", "carisoprodol", "soma", "orphenadrine", "norflex",
        "metaxalone", "skelaxin", "chlorzoxazone",
    ), "muscle_relaxant"),
    **dict.fromkeys((
        # tricyclics
        "amitriptyline", "elavil", "nortriptyline", "pamelor", "allegron", "clomipramine",
        "anafranil", "imipramine", "tofranil", "desipramine", "doxepin", "silenor", "dosulepin",
        "dothiepin", "trimipramine",
        # SSRIs
        "fluoxetine", "prozac", "sertraline", "zoloft", "lustral", "paroxetine", "paxil",
        "seroxat", "citalopram", "celexa", "cipramil", "escitalopram", "lexapro", "cipralex",
        "fluvoxamine",
        # SNRIs
        "duloxetine", "cymbalta", "milnacipran", "savella", "venlafaxine", "effexor",
        "desvenlafaxine", "pristiq", "levomilnacipran",
        # others used for pain, mood or sleep
        "trazodone", "desyrel", "mirtazapine", "remeron", "bupropion", "wellbutrin",
    ), "antidepressant"),
    **dict.fromkeys((
        "pregabalin", "lyrica", "gabapentin", "neurontin", "gralise", "horizant", "topiramate",
        "topamax", "lamotrigine", "lamictal",
    ), "anticonvulsant"),
    **dict.fromkeys((
        "melatonin", "circadin", "zopiclone", "imovane", "zimovane", "eszopiclone", "lunesta",
        "zolpidem", "ambien", "stilnox", "zaleplon", "sonata", "temazepam", "suvorexant",
        "belsomra", "sodium oxybate", "xyrem",
        # antihistamines taken for sleep
        "doxylamine", "unisom", "diphenhydramine", "benadryl", "nytol", "zzzquil", "sominex",
        "promethazine", "phenergan", "hydroxyzine",
    ), "sleep_aid"),
    **dict.fromkeys((
        "naltrexone", "low dose naltrexone", "ldn", "propranolol", "rimegepant", "nurtec",
        "ubrogepant", "ubrelvy", "atogepant", "lasmiditan", "erenumab", "aimovig",
    ), "other"),
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

# --- scale directions (shared/docs/domain.md, "Scale directions") -------------------
# What 0 and 10 mean on each 0-10 rating: (the meaning of 0, the meaning of 10).
# Diary ratings: 0 = none, 10 = worst; sleep quality is the exception people expect.
_NONE_WORST = ("none", "worst")
RATING_ANCHORS: dict[str, tuple[str, str]] = {
    **dict.fromkeys(("pain", "fatigue", "stiffness", "anxiety", "low_mood", "fog", "headache",
                     "pain_before", "pain_after"), _NONE_WORST),
    "sleep_quality": ("very poor", "excellent"),
}

# The FIQR's own anchors per item (its keys are analysis.scores.FIQR_ITEMS'); a
# questionnaire answer, never mixed with the diary's ratings: its sleep item runs
# the other way from the diary's sleep quality.
_FIQR_FUNCTION = ("no difficulty", "very difficult")
FIQR_ANCHORS: dict[str, tuple[str, str]] = {
    **dict.fromkeys(("brush_hair", "walk", "prepare_meal", "vacuum", "carry_groceries", "stairs",
                     "bed_sheets", "sit", "shop"), _FIQR_FUNCTION),
    **dict.fromkeys(("goals", "overwhelmed"), ("never", "always")),
    "pain": ("no pain", "unbearable pain"),
    "energy": ("lots of energy", "no energy"),
    "stiffness": ("no stiffness", "severe stiffness"),
    "sleep": ("awoke well rested", "awoke very tired"),
    "depression": ("no depression", "very depressed"),
    "memory": ("good memory", "very poor memory"),
    "anxiety": ("not anxious", "very anxious"),
    "tenderness": ("no tenderness", "very tender"),
    "balance": ("no imbalance", "severe imbalance"),
    "sensitivity": ("no sensitivity", "extreme sensitivity"),
}


def rating_anchors(name: str) -> tuple[str, str]:
    """(meaning of 0, meaning of 10) of a diary rating; ``pain_<area>`` is a pain."""
    if name.startswith(AREA_PAIN_PREFIX) and name[len(AREA_PAIN_PREFIX):] in BODY_AREAS:
        return RATING_ANCHORS["pain"]
    return RATING_ANCHORS[name]


def anchors_text(anchors: tuple[str, str], separator: str = " · ") -> str:
    """('none', 'worst') -> '0 = none · 10 = worst' (for a control, an axis or a report)."""
    low, high = anchors
    return f"{RATING_MIN} = {low}{separator}{RATING_MAX} = {high}"


def rating_axis_label(name: str, separator: str = " ") -> str:
    """A plot axis for a diary rating: 'Pain (0 = none, 10 = worst)'; ``separator="\\n"``
    puts the anchors on a line of their own (a short plot's vertical axis)."""
    area = name[len(AREA_PAIN_PREFIX):] if name.startswith(AREA_PAIN_PREFIX) else ""
    label = (DAILY_RATINGS.get(name) or (f"{area_label(area)} pain" if area in BODY_AREAS else "")
             or name.replace("_", " ").capitalize())
    return f"{label}{separator}({anchors_text(rating_anchors(name), ', ')})"


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
