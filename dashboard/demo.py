"""Seeded synthetic diaries of a person with fibromyalgia, with known built-in effects.

The same seed gives the same diary.  Pain follows a slow day-to-day drift
(AR(1), coefficient 0.7) around 5/10 with flares (about one every six weeks,
3-7 days, +2.5 points) and runs of bad nights (about one a month, 3-6 nights,
-1.5 h).  Massage sessions come every 5-9 days at a random time of the
window, *independently of how the person feels* (so the effects below can be
recovered; real diaries are often booked on bad days).  Pressure is light
35 %, moderate 40 %, deep 25 %; 1-3 areas from neck, shoulders, upper back,
lower back, hips, legs.

Built-in effects (``BUILT_IN_EFFECTS``), the same for every body area.  Each is
the whole effect on that outcome: sleep follows the pain *before* session
effects, so a pain effect does not leak into the sleep effects.

==========  ===============  ==================  ====================  =====================
pressure    pain after -     pain, day after     sleep hours, night    sleep quality, night
            before (same     (day +1; half of    after (ends on day    after
            session)         it on day +2)       +1)
==========  ===============  ==================  ====================  =====================
light       -1.0             -0.5                +0.3                  +0.5
moderate    -1.5             -1.0                +0.6                  +1.0
deep        -2.0             +0.8 (soreness)     -0.3                  -0.5
==========  ===============  ==================  ====================  =====================

Medication follows pain: paracetamol more often on worse days, ibuprofen on
days of pain >= 7, tramadol on days >= 8.5, and amitriptyline 10 mg nearly
every night; so doses in the 48 h after a session follow the pain effects.
Per-area pain is logged for neck, shoulders, upper back and lower back as the
day's pain plus a fixed offset and noise.  About 4 % of days have no check-in.

``write_clinic`` invents a clinic: many such diaries, each from its own ``Profile``
(favourite pressure and areas, how strongly massage works for that person: the
effects above times 0, 0.5, 1 or 1.5; how often they come), therapist users and grants.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass, field

import numpy as np

from .records import DailyCheckin, MassageSession, MedicationDose

DEMO_PATIENT = "Demo patient"
DEFAULT_DAYS = 548
DEFAULT_SEED = 7

BUILT_IN_EFFECTS: dict[str, dict[str, float]] = {
    "pain_change_immediate": {"light": -1.0, "moderate": -1.5, "deep": -2.0},
    "pain_next_day": {"light": -0.5, "moderate": -1.0, "deep": 0.8},
    "sleep_hours_next_night": {"light": 0.3, "moderate": 0.6, "deep": -0.3},
    "sleep_quality_next_night": {"light": 0.5, "moderate": 1.0, "deep": -0.5},
}

PRESSURE_SHARE = {"light": 0.35, "moderate": 0.40, "deep": 0.25}
AREA_WEIGHTS = {"neck": 0.25, "shoulders": 0.25, "upper_back": 0.2, "lower_back": 0.2,
                "hips": 0.05, "legs": 0.05}
LOGGED_AREA_OFFSETS = {"neck": 0.5, "shoulders": 0.3, "upper_back": 0.0, "lower_back": 0.8}
TECHNIQUES = {"light": ["Swedish, soft stroking", "Lymphatic drainage"],
              "moderate": ["Myofascial release", "Shiatsu"],
              "deep": ["Deep tissue", "Trigger point"]}
THERAPISTS = ["Sam Rivera", "Alex Chen"]


@dataclass(frozen=True)
class Profile:
    """Who the invented person is, as far as massage goes; the default is the documented one."""

    pressure_share: dict[str, float] = field(default_factory=lambda: dict(PRESSURE_SHARE))
    area_weights: dict[str, float] = field(default_factory=lambda: dict(AREA_WEIGHTS))
    effect_scale: float = 1.0  # times BUILT_IN_EFFECTS: 0 = massage does nothing for them
    visit_every: tuple[int, int] = (5, 9)  # days between sessions, both ends included
    therapists: tuple[str, ...] = tuple(THERAPISTS)  # the first gives ~70 % of the sessions


@dataclass
class DemoDiary:
    daily: list[DailyCheckin]
    sessions: list[MassageSession]
    doses: list[MedicationDose]

    @property
    def records(self) -> list:
        return [*self.daily, *self.sessions, *self.doses]


def _runs(rng: np.random.Generator, n: int, every: float, length: tuple[int, int]) -> np.ndarray:
    """A 0/1 mask of episodes starting on average every ``every`` days."""
    mask = np.zeros(n)
    starts = np.flatnonzero(rng.random(n) < 1 / every)
    for start in starts:
        mask[start:start + rng.integers(length[0], length[1] + 1)] = 1
    return mask


def _rate(values: np.ndarray) -> np.ndarray:
    return np.clip(np.round(values), 0, 10)


def _rate_one(value: float) -> float:
    """``_rate`` of one number, without numpy's per-call cost (a clinic calls it a million
    times); ``round`` rounds halves to even as ``np.round`` does."""
    return float(min(max(round(value), 0), 10))


def generate(days: int = DEFAULT_DAYS, seed: int = DEFAULT_SEED,
             end: dt.date | None = None, profile: Profile | None = None) -> DemoDiary:
    """A reproducible diary of ``days`` days ending on ``end`` (yesterday by default)."""
    profile = profile or Profile()
    if days < 1:
        raise ValueError("days must be at least 1")
    rng = np.random.default_rng(seed)
    end = end or dt.date.today() - dt.timedelta(days=1)
    dates = [end - dt.timedelta(days=days - 1 - i) for i in range(days)]

    drift = np.zeros(days)
    shocks = rng.normal(0, 0.8, days)
    for i in range(1, days):
        drift[i] = 0.7 * drift[i - 1] + shocks[i]
    flare = _runs(rng, days, 42, (3, 7))
    bad_nights = _runs(rng, days, 30, (3, 6))
    pain = 5.0 + drift + 2.5 * flare
    baseline = pain.copy()  # before session effects: sleep follows it, so effects stay separate
    sleep_shift = np.zeros(days)
    quality_shift = np.zeros(days)

    sessions: list[MassageSession] = []
    day = int(rng.integers(0, 7))
    effects = {name: {p: v * profile.effect_scale for p, v in by_pressure.items()}
               for name, by_pressure in BUILT_IN_EFFECTS.items()}
    shares, weights = profile.pressure_share, profile.area_weights
    while day < days:
        pressure = rng.choice(list(shares), p=list(shares.values()))
        n_areas = int(rng.integers(1, 4))
        areas = rng.choice(list(weights), size=n_areas, replace=False, p=list(weights.values()))
        hour, minute = [(10, 0), (13, 30), (17, 30), (18, 0)][int(rng.integers(0, 4))]
        before = _rate_one(pain[day] + rng.normal(0, 0.5))
        after = _rate_one(before + effects["pain_change_immediate"][pressure]
                          + rng.normal(0, 0.5))
        sessions.append(MassageSession(
            start=dt.datetime.combine(dates[day], dt.time(hour, minute)),
            duration_min=float(rng.choice([30, 45, 60, 60, 90])),
            pressure=str(pressure),
            areas=tuple(a for a in AREA_WEIGHTS if a in set(areas)),
            technique=str(rng.choice(TECHNIQUES[pressure])),
            therapist=profile.therapists[int(rng.random() < 0.3) % len(profile.therapists)],
            pain_before=before, pain_after=after,
        ))
        for offset, weight in ((1, 1.0), (2, 0.5)):
            if day + offset < days:
                pain[day + offset] += weight * effects["pain_next_day"][pressure]
        if day + 1 < days:
            sleep_shift[day + 1] += effects["sleep_hours_next_night"][pressure]
            quality_shift[day + 1] += effects["sleep_quality_next_night"][pressure]
        day += int(rng.integers(profile.visit_every[0], profile.visit_every[1] + 1))

    pain_rating = _rate(pain + rng.normal(0, 0.4, days))
    hours = np.clip(6.3 - 0.25 * (baseline - 5) - 1.5 * bad_nights + sleep_shift
                    + rng.normal(0, 0.6, days), 0, 12).round(1)
    quality = _rate(5 - 0.4 * (baseline - 5) + 0.8 * (hours - 6.3 - sleep_shift) + quality_shift
                    + rng.normal(0, 0.8, days))
    logged = rng.random(days) > 0.04

    daily = []
    for i in np.flatnonzero(logged):
        area_pain = {a: _rate_one(pain[i] + off + rng.normal(0, 0.7))
                     for a, off in LOGGED_AREA_OFFSETS.items()}
        note = "Flare" if flare[i] and (i == 0 or not flare[i - 1]) else ""
        daily.append(DailyCheckin(
            date=dates[i], pain=float(pain_rating[i]), sleep_hours=float(hours[i]),
            sleep_quality=float(quality[i]),
            fatigue=_rate_one(0.6 * pain[i] + 2 + rng.normal(0, 1)),
            stiffness=_rate_one(0.7 * pain[i] + 1 + rng.normal(0, 1)),
            anxiety=_rate_one(0.3 * pain[i] + 2 + rng.normal(0, 1.2)),
            low_mood=_rate_one(0.35 * pain[i] + 1.5 + rng.normal(0, 1.2)),
            fog=_rate_one(0.5 * pain[i] + 1.5 - 0.3 * (hours[i] - 6.3) + rng.normal(0, 1)),
            headache=None if rng.random() < 0.1 else _rate_one(0.4 * pain[i] + rng.normal(0, 1.5)),
            notes=note, area_pain=area_pain,
        ))

    doses: list[MedicationDose] = []
    times = [dt.time(8, 0), dt.time(13, 0), dt.time(18, 0), dt.time(22, 30)]
    for i, date in enumerate(dates):
        if rng.random() < 0.95:
            doses.append(MedicationDose(dt.datetime.combine(date, dt.time(21, 30)),
                                        "Amitriptyline", "antidepressant", 10, "mg", "sleep and pain"))
        n_paracetamol = min(4, rng.poisson(max(0.0, 0.45 * (pain[i] - 4))))
        for t in times[:n_paracetamol]:
            doses.append(MedicationDose(dt.datetime.combine(date, t), "Paracetamol",
                                        "simple_analgesic", 1000, "mg", "pain"))
        if pain[i] >= 7 and rng.random() < 0.6:
            doses.append(MedicationDose(dt.datetime.combine(date, dt.time(12, 15)), "Ibuprofen",
                                        "nsaid", 400, "mg", "pain"))
        if pain[i] >= 8.5 and rng.random() < 0.5:
            doses.append(MedicationDose(dt.datetime.combine(date, dt.time(20, 0)), "Tramadol",
                                        "opioid", 50, "mg", "flare"))
    return DemoDiary(daily, sessions, doses)


def write_demo(store, patient: str = DEMO_PATIENT, days: int = DEFAULT_DAYS,
               seed: int = DEFAULT_SEED, end: dt.date | None = None):
    """Generate a diary and save it for ``patient`` in one transaction."""
    diary = generate(days=days, seed=seed, end=end)
    return store.save_by_name({patient: diary.records}, source="demo")


# --- a clinic ------------------------------------------------------------------------

THERAPIST_USERS = ("sam", "alex", "robin", "kim", "jo", "lee", "max", "ari", "noor", "eli")
EFFECT_SCALES = (0.0, 0.5, 1.0, 1.5)  # non-responders to strong responders
SAVE_BATCH = 25  # patients per transaction


def therapist_names(count: int) -> list[str]:
    """User names for ``count`` demo therapists: sam, alex, ..., then sam2, alex2, ..."""
    return [THERAPIST_USERS[i % len(THERAPIST_USERS)] + (str(i // len(THERAPIST_USERS) + 1)
                                                          if i >= len(THERAPIST_USERS) else "")
            for i in range(count)]


def clinic_profile(rng: np.random.Generator, therapist: str) -> Profile:
    """A person with a favourite pressure and two favourite areas, a response to massage
    drawn from ``EFFECT_SCALES`` and their own rhythm of visits, seen by ``therapist``."""
    favourite = rng.choice(list(PRESSURE_SHARE))
    shares = {p: (0.7 if p == favourite else 0.15) for p in PRESSURE_SHARE}
    liked = set(rng.choice(list(AREA_WEIGHTS), size=2, replace=False))
    weights = {a: (0.35 if a in liked else 0.075) for a in AREA_WEIGHTS}
    low = int(rng.integers(4, 12))
    return Profile(pressure_share=shares, area_weights=weights,
                   effect_scale=float(rng.choice(EFFECT_SCALES)),
                   visit_every=(low, low + int(rng.integers(2, 8))), therapists=(therapist,))


@dataclass
class Clinic:
    """What ``write_clinic`` made: patient diary -> its therapist, the therapist users,
    the records created, and whether the therapists' password was given."""

    patients: dict[str, str]
    therapists: list[str]
    created: dict[str, int]
    password_given: bool


def write_clinic(store, patients: int = 200, days: int = 1095, therapists: int = 5,
                 seed: int = DEFAULT_SEED, end: dt.date | None = None,
                 password: str | None = None) -> Clinic:
    """Invent a clinic: ``patients`` diaries of ``days`` days (``Profile`` per person), the
    therapist users (``dashboard.accounts``) and grants: each patient lets their own
    therapist log sessions and one other therapist read.  Saved ``SAVE_BATCH`` patients a
    transaction through the bulk save; running it again adds nothing.  Without
    ``password`` the therapists get a random one nobody knows (set it with
    ``fibro user password``)."""
    from .accounts import Accounts

    accounts = Accounts(store)
    names = therapist_names(therapists)
    rng = np.random.default_rng(seed)
    seen_by = {f"Patient {i:03d}": names[i % len(names)] for i in range(1, patients + 1)}
    profiles = {name: clinic_profile(rng, _display(who)) for name, who in seen_by.items()}
    created: dict[str, int] = {}
    batch: dict[str, list] = {}
    for index, (name, profile) in enumerate(profiles.items(), start=1):
        batch[name] = generate(days=days, seed=seed * 100_003 + index, end=end,
                               profile=profile).records
        if len(batch) == SAVE_BATCH or index == len(profiles):
            result = store.save_by_name(batch, source="demo")
            for kind, n in result.created.items():
                created[kind] = created.get(kind, 0) + n
            batch = {}
    known = set(accounts.users()["name"])
    for who in names:
        if who not in known:
            accounts.add_user(who, "therapist", password or secrets.token_urlsafe(24))
    granted = {(g.patient, g.therapist) for g in store.grants().itertuples()}
    for i, (name, who) in enumerate(seen_by.items()):
        other = names[(names.index(who) + 1 + i % max(1, len(names) - 1)) % len(names)]
        for therapist, scope in ((who, "log"), (other, "read")):
            if (name, therapist) not in granted and (therapist != who or scope == "log"):
                accounts.add_grant(name, therapist, scope, actor="demo")
                granted.add((name, therapist))
    return Clinic(seen_by, names, created, password is not None)


def _display(user: str) -> str:
    """The name a session's therapist field shows for a demo therapist user."""
    return user.capitalize()
