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
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

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


def generate(days: int = DEFAULT_DAYS, seed: int = DEFAULT_SEED,
             end: dt.date | None = None) -> DemoDiary:
    """A reproducible diary of ``days`` days ending on ``end`` (yesterday by default)."""
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
    effects = BUILT_IN_EFFECTS
    while day < days:
        pressure = rng.choice(list(PRESSURE_SHARE), p=list(PRESSURE_SHARE.values()))
        n_areas = int(rng.integers(1, 4))
        areas = rng.choice(list(AREA_WEIGHTS), size=n_areas, replace=False,
                           p=list(AREA_WEIGHTS.values()))
        hour, minute = [(10, 0), (13, 30), (17, 30), (18, 0)][int(rng.integers(0, 4))]
        before = float(_rate(pain[day] + rng.normal(0, 0.5)))
        after = float(_rate(before + effects["pain_change_immediate"][pressure]
                            + rng.normal(0, 0.5)))
        sessions.append(MassageSession(
            start=dt.datetime.combine(dates[day], dt.time(hour, minute)),
            duration_min=float(rng.choice([30, 45, 60, 60, 90])),
            pressure=str(pressure),
            areas=tuple(a for a in AREA_WEIGHTS if a in set(areas)),
            technique=str(rng.choice(TECHNIQUES[pressure])),
            therapist=THERAPISTS[int(rng.random() < 0.3)],
            pain_before=before, pain_after=after,
        ))
        for offset, weight in ((1, 1.0), (2, 0.5)):
            if day + offset < days:
                pain[day + offset] += weight * effects["pain_next_day"][pressure]
        if day + 1 < days:
            sleep_shift[day + 1] += effects["sleep_hours_next_night"][pressure]
            quality_shift[day + 1] += effects["sleep_quality_next_night"][pressure]
        day += int(rng.integers(5, 10))

    pain_rating = _rate(pain + rng.normal(0, 0.4, days))
    hours = np.clip(6.3 - 0.25 * (baseline - 5) - 1.5 * bad_nights + sleep_shift
                    + rng.normal(0, 0.6, days), 0, 12).round(1)
    quality = _rate(5 - 0.4 * (baseline - 5) + 0.8 * (hours - 6.3 - sleep_shift) + quality_shift
                    + rng.normal(0, 0.8, days))
    logged = rng.random(days) > 0.04

    daily = []
    for i in np.flatnonzero(logged):
        area_pain = {a: float(_rate(pain[i] + off + rng.normal(0, 0.7)))
                     for a, off in LOGGED_AREA_OFFSETS.items()}
        note = "Flare" if flare[i] and (i == 0 or not flare[i - 1]) else ""
        daily.append(DailyCheckin(
            date=dates[i], pain=float(pain_rating[i]), sleep_hours=float(hours[i]),
            sleep_quality=float(quality[i]),
            fatigue=float(_rate(0.6 * pain[i] + 2 + rng.normal(0, 1))),
            stiffness=float(_rate(0.7 * pain[i] + 1 + rng.normal(0, 1))),
            anxiety=float(_rate(0.3 * pain[i] + 2 + rng.normal(0, 1.2))),
            low_mood=float(_rate(0.35 * pain[i] + 1.5 + rng.normal(0, 1.2))),
            fog=float(_rate(0.5 * pain[i] + 1.5 - 0.3 * (hours[i] - 6.3) + rng.normal(0, 1))),
            headache=None if rng.random() < 0.1 else float(_rate(0.4 * pain[i] + rng.normal(0, 1.5))),
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
