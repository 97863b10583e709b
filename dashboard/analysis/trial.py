"""A randomized n-of-1 trial of two pressures: the plan, its progress and its result.

Pure functions on plain values and the frames of ``Store.daily``, ``Store.sessions`` and
``Store.doses``; no SQL, no Panel.  The design follows ``shared/docs/domain.md``
("Single-patient (n-of-1) trials"):

* **Plan.**  ``blocks`` pairs of periods; each block holds one period of each pressure
  (counterbalanced), in an order drawn at random (AB or BA, independently per block) from
  a stored ``seed``, so the schedule can be reproduced and audited.  A period is
  ``sessions_per_period`` sessions ``every_days`` apart; between periods the gap is long
  enough for the outcome to be measured and then ``WASHOUT_DAYS`` free of sessions.
* **Run.**  A logged session within ``match_tolerance`` days of a planned date is matched
  to it (the nearest one); one of the other pressure is a *deviation*, kept and shown (one
  whose areas leave out the planned area is noted, not counted as a deviation).  Sessions in the trial's span matched to no date are
  *unplanned* and listed too.
* **Result.**  The outcome of each matched session (next-day pain, sleep the night after,
  as-needed painkiller doses in the 48 h after) is averaged per period; each block gives
  one difference, second pressure minus first.  The estimate is the mean of the block
  differences with a 95 % t-interval over blocks; the p-value is a randomization test over
  the allocations the design allowed (each complete block's order flipped: 2^k of them),
  enumerated exactly up to ``EXACT_UP_TO_BLOCKS`` blocks, else estimated from
  ``MONTE_CARLO_DRAWS`` seeded draws.  Intention-to-treat uses the planned pressure of
  every matched session; per-protocol leaves out the deviations.
* **Lost periods.**  A period whose sessions and outcome days are past without one usable
  outcome is *lost*: its block cannot count, which can put p < 0.05 out of reach
  (``lost_periods``, ``lost_news``); one randomized replacement block can be added per lost
  block (``replacement_block``), its order drawn from the trial's seed and the block's number.
* **Probabilities.**  Beside the p-value, the posterior probability of three zones (B better
  by at least the named difference, within it, A better by at least it) from the block
  differences under a stated weakly sceptical prior (``posterior_zones``).
* **Power.**  ``analysis.trial_planner`` simulates the schedule with the diary's own kind of
  noise and runs the same randomization test (``randomization.randomization_p_values``).
"""

from __future__ import annotations

import datetime as dt
import math
import secrets
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

from .. import domain
from ..formatting import interval, signed
from .randomization import (ALPHA, EXACT_UP_TO_BLOCKS, randomization_p_value,
                            smallest_p_value)
from .student_t import t_quantile
from .summary import daily_pain

OUTCOMES: tuple[str, ...] = ("pain_next_day", "sleep_hours_next_night", "doses_48h")
OUTCOME_LABELS: dict[str, str] = {
    "pain_next_day": "Pain the next day",
    "sleep_hours_next_night": "Sleep hours the night after",
    "doses_48h": "Painkiller doses in the 48 h after",
}
OUTCOME_UNITS: dict[str, str] = {
    "pain_next_day": "points (0-10)", "sleep_hours_next_night": "hours", "doses_48h": "doses",
}
# Whether a lower outcome is the better one (pain, doses) or a higher one (sleep).
LOWER_IS_BETTER: dict[str, bool] = {
    "pain_next_day": True, "sleep_hours_next_night": False, "doses_48h": True,
}
# Days after the session day that the outcome reaches (the next day; 48 h reach two).
OUTCOME_DAYS: dict[str, int] = {"pain_next_day": 1, "sleep_hours_next_night": 1, "doses_48h": 2}
TRIAL_PRESSURES: tuple[str, ...] = tuple(p for p in domain.PRESSURES if p != "unknown")

WASHOUT_DAYS = 2  # days free of sessions after a period's last outcome, before the next period
DEFAULT_BLOCKS, DEFAULT_SESSIONS_PER_PERIOD, DEFAULT_EVERY_DAYS = 6, 2, 4
DEFAULT_DIFFERENCE = 1.0
MIN_BLOCKS, MAX_BLOCKS = 2, 30
MAX_SESSIONS_PER_PERIOD, MAX_EVERY_DAYS = 10, 28

NOT_ENOUGH = "not enough data yet"
CAVEATS: list[str] = [
    "A randomized trial in one person tells you about this person, in this period, with "
    "this therapist; it says nothing about other people.",
    "Both pressures were given, in an order chosen at random, so slow changes (a flare, "
    "the season, new medicine) are unlikely to explain a difference; a carry-over longer "
    "than the washout still could.",
    "You knew which pressure you had, so expectations can colour the ratings.",
    "This is not a medical device: talk about the result with your therapist or doctor.",
]


# --- the plan ----------------------------------------------------------------------------

@dataclass(frozen=True)
class TrialDesign:
    """What the person chose: two pressures, an outcome, the blocks and the rhythm."""

    pressure_a: str
    pressure_b: str
    outcome: str = "pain_next_day"
    area: str | None = None
    blocks: int = DEFAULT_BLOCKS
    sessions_per_period: int = DEFAULT_SESSIONS_PER_PERIOD
    start: dt.date = field(default_factory=lambda: dt.date.today() + dt.timedelta(days=1))
    every_days: int = DEFAULT_EVERY_DAYS
    seed: int = field(default_factory=lambda: secrets.randbelow(2**31))

    def validate(self) -> dict[str, str]:
        """``{field: message}`` for every problem (empty when the design can be planned)."""
        problems: dict[str, str] = {}
        for name in ("pressure_a", "pressure_b"):
            if getattr(self, name) not in TRIAL_PRESSURES:
                problems[name] = f"choose one of {', '.join(TRIAL_PRESSURES)}"
        if not problems and self.pressure_a == self.pressure_b:
            problems["pressure_b"] = "choose two different pressures"
        if self.outcome not in OUTCOMES:
            problems["outcome"] = f"choose one of {', '.join(OUTCOMES)}"
        if self.area is not None and self.area not in domain.BODY_AREAS:
            problems["area"] = f"choose one of {', '.join(domain.BODY_AREAS)}"
        if not MIN_BLOCKS <= self.blocks <= MAX_BLOCKS:
            problems["blocks"] = f"between {MIN_BLOCKS} and {MAX_BLOCKS}"
        if not 1 <= self.sessions_per_period <= MAX_SESSIONS_PER_PERIOD:
            problems["sessions_per_period"] = f"between 1 and {MAX_SESSIONS_PER_PERIOD}"
        low = OUTCOME_DAYS.get(self.outcome, 1) + 1
        if not low <= self.every_days <= MAX_EVERY_DAYS:
            problems["every_days"] = (f"between {low} and {MAX_EVERY_DAYS} days, so that each "
                                      "outcome is measured before the next session")
        if not 0 <= int(self.seed) < 2**63:
            problems["seed"] = "a whole number from 0"
        return problems

    @property
    def period_gap(self) -> int:
        """Days from a period's last session to the next period's first: the outcome, then
        at least ``WASHOUT_DAYS`` without sessions."""
        return max(self.every_days, OUTCOME_DAYS[self.outcome] + WASHOUT_DAYS + 1)

    @property
    def match_tolerance(self) -> int:
        """How many days a session may be off its planned date and still count for it
        (one, or none when sessions are two days apart: the windows must not overlap)."""
        return min(1, (self.every_days - 1) // 2)

    def to_dict(self) -> dict:
        values = asdict(self)
        values["start"] = self.start.isoformat()
        return values


def block_orders(design: TrialDesign) -> list[tuple[str, str]]:
    """Each block's (first, second) pressure, drawn from the design's seed."""
    rng = np.random.default_rng(int(design.seed))
    flips = rng.integers(0, 2, size=design.blocks)
    a, b = design.pressure_a, design.pressure_b
    return [(b, a) if flip else (a, b) for flip in flips]


def _block_rows(design: TrialDesign, block: int, order: tuple[str, str],
                day: dt.date) -> tuple[list[dict], dt.date]:
    """One block's planned sessions from ``day``, and the day the next block starts."""
    rows = []
    for period, pressure in enumerate(order, start=1):
        for session in range(1, design.sessions_per_period + 1):
            rows.append({"date": day, "pressure": pressure, "block": block,
                         "period": period, "session": session})
            last = session == design.sessions_per_period
            day += dt.timedelta(days=design.period_gap if last else design.every_days)
    return rows, day


SCHEDULE_COLUMNS = ["date", "pressure", "block", "period", "session"]


def schedule(design: TrialDesign) -> pd.DataFrame:
    """The planned sessions: date, pressure, block, period (1 or 2), session (within the period)."""
    rows, day = [], design.start
    for block, order in enumerate(block_orders(design), start=1):
        block_rows, day = _block_rows(design, block, order, day)
        rows += block_rows
    return pd.DataFrame(rows, columns=SCHEDULE_COLUMNS)


def replacement_order(design: TrialDesign, block: int) -> tuple[str, str]:
    """A replacement block's (first, second) pressure: a fair coin drawn from the trial's seed
    and the block's number, so the stored schedule can be audited like the planned one."""
    flip = np.random.default_rng([int(design.seed), int(block)]).integers(0, 2)
    a, b = design.pressure_a, design.pressure_b
    return (b, a) if flip else (a, b)


def replacement_block(design: TrialDesign, plan: pd.DataFrame, today: dt.date) -> pd.DataFrame:
    """One more block after the schedule's last one (or from tomorrow, whichever is later), in
    a randomized order (``replacement_order``), at the trial's rhythm."""
    block = int(plan["block"].max()) + 1
    last = pd.Timestamp(plan["date"].max()).date()
    day = max(last + dt.timedelta(days=design.period_gap), today + dt.timedelta(days=1))
    rows, _ = _block_rows(design, block, replacement_order(design, block), day)
    return pd.DataFrame(rows, columns=SCHEDULE_COLUMNS)


def schedule_reproduces(design: TrialDesign, plan: pd.DataFrame) -> bool:
    """Whether the stored schedule is the one the seed draws: the planned blocks exactly, and
    each replacement block in the order its coin gives."""
    again = schedule(design)
    planned = plan[plan["block"] <= design.blocks]
    same = (planned["pressure"].tolist() == again["pressure"].tolist()
            and [pd.Timestamp(d) for d in planned["date"]] == [pd.Timestamp(d) for d in again["date"]])
    for block, part in plan[plan["block"] > design.blocks].groupby("block"):
        order = tuple(part.sort_values(["period"])["pressure"].drop_duplicates())
        same = same and order == replacement_order(design, int(block))
    return same


def schedule_records(plan: pd.DataFrame) -> list[dict]:
    """The schedule as JSON-ready rows: ``{"date": "YYYY-MM-DD", "pressure", "block", "period"}``."""
    return [{"date": pd.Timestamp(r.date).date().isoformat(), "pressure": r.pressure,
             "block": int(r.block), "period": int(r.period)} for r in plan.itertuples()]




def simulated_diary(plan: pd.DataFrame, effect: float, noise: float = 1.0, baseline: float = 5.0,
                    pressure_with_effect: str | None = None, rho: float = 0.0,
                    follow: float = 1.0, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(daily, sessions) frames of an invented diary that follows ``plan`` (for tests and
    benchmarks): pain every day, ``baseline`` plus noise of spread ``noise`` (AR(1) with
    ``rho`` when given), ``effect`` points more on the day after each session of
    ``pressure_with_effect``; a session is given as planned with chance
    ``follow``, else with the other pressure.  Ratings are kept within 0-10."""
    rng = np.random.default_rng(seed)
    pressures = sorted(set(plan["pressure"]))
    first = pd.Timestamp(plan["date"].min()) - pd.Timedelta(days=35)
    days = pd.date_range(first, pd.Timestamp(plan["date"].max()) + pd.Timedelta(days=3), freq="D")
    shocks = rng.normal(0.0, noise * math.sqrt(1 - rho ** 2), size=len(days))
    wobble = np.empty(len(days))
    wobble[0] = rng.normal(0.0, noise)
    for i in range(1, len(days)):
        wobble[i] = rho * wobble[i - 1] + shocks[i]
    pain = baseline + wobble
    given = []
    for row in plan.itertuples():
        pressure = row.pressure
        if rng.random() >= follow:
            pressure = next(p for p in pressures if p != row.pressure)
        given.append(pressure)
        if pressure == pressure_with_effect:
            pain[days.get_loc(pd.Timestamp(row.date) + pd.Timedelta(days=1))] += effect
    daily = pd.DataFrame({"date": days, "pain": np.clip(pain, 0.0, 10.0)})
    sessions = pd.DataFrame({
        "id": np.arange(1, len(plan) + 1),
        "start": pd.to_datetime(plan["date"]) + pd.Timedelta(hours=17),
        "pressure": given, "areas": "neck;shoulders"})
    return daily, sessions


def outcome_series(daily: pd.DataFrame, doses: pd.DataFrame, outcome: str,
                   area: str | None = None) -> pd.Series:
    """The outcome as a daily series indexed by day (pain: the area's own when logged;
    doses: as-needed doses on that day and the next, i.e. a 48 h window)."""
    if outcome == "doses_48h":
        if daily.empty and doses.empty:
            return pd.Series(dtype=float)
        acute = doses[doses["drug_class"].isin(domain.ACUTE_CLASSES)] if len(doses) else doses
        days = pd.concat([daily["date"] if len(daily) else pd.Series(dtype="datetime64[ns]"),
                          doses["time"].dt.normalize() if len(doses) else
                          pd.Series(dtype="datetime64[ns]")])
        index = pd.date_range(days.min(), days.max(), freq="D")
        per_day = (acute["time"].dt.normalize().value_counts() if len(acute)
                   else pd.Series(dtype=float)).reindex(index, fill_value=0).astype(float)
        return (per_day + per_day.shift(-1)).dropna()
    if daily.empty:
        return pd.Series(dtype=float)
    if outcome == "pain_next_day":
        values = daily_pain(daily, [area] if area else None)[0]
    else:
        values = daily["sleep_hours"]
    return pd.Series(pd.to_numeric(values, errors="coerce").to_numpy(dtype=float),
                     index=pd.DatetimeIndex(daily["date"])).dropna()


def amount(value: float, outcome: str) -> str:
    """'1 point (0-10)', '2.5 points (0-10)', '1 hour', '2 doses'."""
    unit = OUTCOME_UNITS[outcome]
    if abs(value) == 1:
        unit = {"points (0-10)": "point (0-10)", "hours": "hour", "doses": "dose"}[unit]
    return f"{value:g} {unit}"


# --- running: planned sessions matched to the diary ------------------------------------------

SLOT_COLUMNS = ["date", "pressure", "block", "period", "status", "session_id",
                "given_on", "given_pressure", "deviation", "note", "outcome"]


def _areas_of(text) -> set[str]:
    return {a for a in str(text or "").split(domain.AREAS_SEPARATOR) if a}


def match_sessions(design: TrialDesign, plan: pd.DataFrame, sessions: pd.DataFrame,
                   today: dt.date, stopped_on: dt.date | None = None) -> tuple[pd.DataFrame,
                                                                              pd.DataFrame]:
    """(slots, unplanned): each planned session with what happened, and the logged sessions
    in the trial's span that no planned date claimed.

    A slot's status: ``given`` (as planned), ``deviation`` (matched, but another pressure;
    a session without the planned area has a ``note``), ``missed`` (its date is past, nothing matched), ``stopped``
    (the trial was stopped before it), ``ahead`` (still to come).
    """
    tolerance = design.match_tolerance
    slots = plan.copy().reset_index(drop=True)
    slots["date"] = pd.to_datetime(slots["date"])
    logged = sessions.copy().reset_index(drop=True) if len(sessions) else pd.DataFrame(
        columns=["id", "start", "pressure", "areas"])
    logged["day"] = pd.to_datetime(logged["start"]).dt.normalize()
    logged_days = logged["day"].to_numpy().astype("datetime64[D]").astype(np.int64)
    logged_pressure = logged["pressure"].to_numpy()
    free = np.ones(len(logged), dtype=bool)
    found: list[int | None] = []
    for day, pressure in zip(slots["date"].to_numpy().astype("datetime64[D]").astype(np.int64),
                             slots["pressure"]):
        off = np.abs(logged_days - day)
        near = np.flatnonzero(free & (off <= tolerance))
        if not near.size:
            found.append(None)
            continue
        # the nearest; between equally near ones, the planned pressure; then the earlier
        chosen = int(near[np.lexsort((near, logged_pressure[near] != pressure, off[near]))[0]])
        free[chosen] = False
        found.append(chosen)
    status, ids, given_on, given_pressure, deviation, note = [], [], [], [], [], []
    records = logged.to_dict(orient="records")
    for slot, index in zip(slots.itertuples(), found):
        day = slot.date.date()
        session = None if index is None else records[index]
        if session is None:
            if stopped_on is not None and day >= stopped_on:
                status.append("stopped")
            elif day + dt.timedelta(days=tolerance) < today:
                status.append("missed")
            else:
                status.append("ahead")
            ids.append(None), given_on.append(None), given_pressure.append(None)
            deviation.append(""), note.append("")
            continue
        other = session["pressure"] != slot.pressure
        status.append("deviation" if other else "given")
        deviation.append(f"{session['pressure']} instead of {slot.pressure}" if other else "")
        missing_area = design.area and design.area not in _areas_of(session.get("areas"))
        note.append(f"{domain.area_label(design.area).lower()} not among its areas"
                    if missing_area else "")
        ids.append(None if pd.isna(session.get("id")) else int(session["id"]))
        given_on.append(pd.Timestamp(session["start"]))
        given_pressure.append(session["pressure"])
    slots = slots.assign(status=status, session_id=ids, given_on=given_on,
                         given_pressure=given_pressure, deviation=deviation, note=note)
    first = slots["date"].min() - pd.Timedelta(days=tolerance)
    last = slots["date"].max() + pd.Timedelta(days=tolerance)
    unplanned = logged[(logged["day"] >= first) & (logged["day"] <= last) & free].drop(columns="day")
    return slots, unplanned.reset_index(drop=True)


def slot_outcomes(design: TrialDesign, slots: pd.DataFrame, daily: pd.DataFrame,
                  doses: pd.DataFrame) -> pd.Series:
    """The outcome measured after each matched session (NaN when not logged or not given)."""
    values = np.full(len(slots), np.nan)
    if design.outcome == "doses_48h":
        acute = doses[doses["drug_class"].isin(domain.ACUTE_CLASSES)] if len(doses) else doses
        times = pd.to_datetime(acute["time"]) if len(acute) else pd.Series(dtype="datetime64[ns]")
        ends = ([pd.Timestamp(daily["date"].max())] if len(daily) else []) + (
            [pd.Timestamp(doses["time"].max()).normalize()] if len(doses) else [])
        logged_to = max(ends, default=None)
        for i, start in enumerate(slots["given_on"]):
            if start is None or pd.isna(start) or logged_to is None:
                continue
            end = start + pd.Timedelta(hours=48)
            if logged_to < end.normalize():
                continue  # the 48 h are not logged to their end yet
            values[i] = float(((times >= start) & (times < end)).sum())
        return pd.Series(values, index=slots.index)
    series = outcome_series(daily, doses, design.outcome, design.area)
    for i, start in enumerate(slots["given_on"]):
        if start is None or pd.isna(start):
            continue
        values[i] = series.get(pd.Timestamp(start).normalize() + pd.Timedelta(days=1), np.nan)
    return pd.Series(values, index=slots.index)


@dataclass(frozen=True)
class Progress:
    """Where the trial stands: its slots and what to do next."""

    slots: pd.DataFrame
    unplanned: pd.DataFrame
    stopped_on: dt.date | None
    today: dt.date = field(default_factory=dt.date.today)

    def counts(self) -> dict[str, int]:
        counts = self.slots["status"].value_counts()
        return {s: int(counts.get(s, 0)) for s in ("given", "deviation", "missed", "stopped", "ahead")}

    def next_session(self) -> dict | None:
        ahead = self.slots[self.slots["status"] == "ahead"]
        if ahead.empty:
            return None
        row = ahead.iloc[0]
        return {"date": row["date"].date().isoformat(), "pressure": row["pressure"],
                "block": int(row["block"]), "period": int(row["period"])}

    @property
    def complete(self) -> bool:
        """Nothing planned is still to come, and the trial was not stopped early."""
        counts = self.counts()
        return counts["ahead"] == 0 and counts["stopped"] == 0

    @property
    def stopped_early(self) -> bool:
        return self.stopped_on is not None and self.counts()["stopped"] > 0


def progress(design: TrialDesign, plan: pd.DataFrame, daily: pd.DataFrame,
             sessions: pd.DataFrame, doses: pd.DataFrame, today: dt.date | None = None,
             stopped_on: dt.date | None = None) -> Progress:
    """The plan matched to the diary, with each session's outcome."""
    today = today or dt.date.today()
    slots, unplanned = match_sessions(design, plan, sessions, today, stopped_on)
    slots["outcome"] = slot_outcomes(design, slots, daily, doses)
    return Progress(slots[SLOT_COLUMNS], unplanned, stopped_on, today)


# --- lost periods: a block that can no longer count ----------------------------------------

LOST_COLUMNS = ["block", "period", "pressure", "first", "last", "reason"]


def lost_periods(design: TrialDesign, prog: Progress) -> pd.DataFrame:
    """The periods whose sessions and outcome days are all past without one usable outcome
    (no session given, or the outcome not logged after any): their blocks cannot count."""
    wait = dt.timedelta(days=OUTCOME_DAYS[design.outcome])
    label = OUTCOME_LABELS[design.outcome].lower()
    rows = []
    for (block, period), part in prog.slots.groupby(["block", "period"], sort=True):
        if part["status"].isin(["ahead", "stopped"]).any():
            continue
        given = part["status"].isin(["given", "deviation"]).to_numpy()
        if (given & part["outcome"].notna().to_numpy()).any():
            continue
        due = [pd.Timestamp(g).date() + wait for g in part["given_on"][given]]
        if any(day >= prog.today for day in due):
            continue  # an outcome can still be logged today
        n, n_given = len(part), int(given.sum())
        if n_given == 0:
            reason = "no session was given" if n > 1 else "the session was not given"
        elif n_given == n:
            reason = (f"{label} was not logged after "
                      f"{'the session' if n == 1 else 'either session' if n == 2 else 'any session'}")
        else:
            reason = (f"{n - n_given} session{'s' if n - n_given > 1 else ''} not given, and "
                      f"{label} not logged after the other{'s' if n_given > 1 else ''}")
        rows.append({"block": int(block), "period": int(period),
                     "pressure": part["pressure"].iloc[0],
                     "first": pd.Timestamp(part["date"].min()).date(),
                     "last": pd.Timestamp(part["date"].max()).date(), "reason": reason})
    return pd.DataFrame(rows, columns=LOST_COLUMNS)


def lost_news(design: TrialDesign, prog: Progress) -> dict:
    """What a lost period costs, as ``fibro trial status`` says it at once: the blocks that
    can still count, the smallest p-value they allow, and whether a replacement block may be
    added (one per lost block, while the trial runs)."""
    lost = lost_periods(design, prog)
    planned = int(prog.slots["block"].nunique())
    lost_blocks = sorted(set(lost["block"]))
    usable = planned - len(lost_blocks)
    replacements = planned - design.blocks
    smallest = smallest_p_value(usable)
    may_replace = (len(lost_blocks) > replacements and prog.stopped_on is None
                   and planned < MAX_BLOCKS)
    news = {"lost_periods": [{**r, "first": r["first"].isoformat(), "last": r["last"].isoformat()}
                             for r in lost.to_dict(orient="records")],
            "lost_blocks": lost_blocks, "usable_blocks": usable, "blocks_planned": planned,
            "replacement_blocks": replacements, "smallest_p_now": smallest,
            "can_still_reach": smallest < ALPHA, "may_add_replacement": may_replace, "text": ""}
    if lost.empty:
        return news
    said = []
    for r in lost.itertuples():
        span = (f"{r.first:%d %b}" if r.first == r.last else f"{r.first:%d %b} to {r.last:%d %b}")
        said.append(f"Period {r.period} of block {r.block} ({r.pressure} pressure, {span}) has "
                    f"no usable outcome: {r.reason}.")
    which = ", ".join(str(b) for b in lost_blocks)
    said.append(f"Block{'s' if len(lost_blocks) > 1 else ''} {which} cannot count, so at most "
                f"{usable} of {planned} blocks can: the smallest p-value the test can then give "
                f"is {smallest:.3g}" + (f", so no result can reach p < {ALPHA:g} now."
                                        if smallest >= ALPHA else
                                        f"; p < {ALPHA:g} is still possible, with less power."))
    if may_replace:
        said.append("One randomized replacement block can be added at the end of the schedule "
                    "(on the Trial page, or with fibro trial add-block).")
    elif replacements:
        said.append(f"{replacements} replacement block{'s were' if replacements > 1 else ' was'} "
                    "added.")
    news["text"] = " ".join(said)
    return news


def next_session_text(next_session: dict | None) -> str:
    """'next session: deep pressure (block 2, period 1), Mon 02 Mar 2026'."""
    if next_session is None:
        return "no session left to give in this trial"
    day = dt.date.fromisoformat(next_session["date"])
    return (f"next session: {next_session['pressure']} pressure (block {next_session['block']}, "
            f"period {next_session['period']}), {day:%a %d %b %Y}")


# --- the result --------------------------------------------------------------------------

BLOCK_COLUMNS = ["block", "order", "mean_a", "mean_b", "n_a", "n_b", "difference"]


def _counted(slots: pd.DataFrame, per_protocol: bool) -> np.ndarray:
    """The slots an analysis uses: measured, and given (ITT: deviations too)."""
    kept = ("given",) if per_protocol else ("given", "deviation")
    return slots["status"].isin(kept).to_numpy() & slots["outcome"].notna().to_numpy()


def block_differences(design: TrialDesign, slots: pd.DataFrame,
                      per_protocol: bool = False) -> pd.DataFrame:
    """One row per block with both periods measured: the period means of each pressure,
    their session counts and the difference (second pressure minus first).  Periods keep
    their planned pressure (intention to treat) unless ``per_protocol`` leaves out the
    deviations."""
    counted = _counted(slots, per_protocol)
    blocks = slots["block"].to_numpy()
    pressure = slots["pressure"].to_numpy()
    outcome = slots["outcome"].to_numpy(dtype=float)
    first_of = dict(zip(blocks[slots["period"].to_numpy() == 1],
                        pressure[slots["period"].to_numpy() == 1]))
    rows = []
    a, b = design.pressure_a, design.pressure_b
    for block in np.unique(blocks[counted]):
        here = counted & (blocks == block)
        of_a, of_b = outcome[here & (pressure == a)], outcome[here & (pressure == b)]
        if not (of_a.size and of_b.size):
            continue
        rows.append({"block": int(block), "order": "AB" if first_of[block] == a else "BA",
                     "mean_a": float(of_a.mean()), "mean_b": float(of_b.mean()),
                     "n_a": int(of_a.size), "n_b": int(of_b.size),
                     "difference": float(of_b.mean() - of_a.mean())})
    return pd.DataFrame(rows, columns=BLOCK_COLUMNS)


def _interval(differences: np.ndarray) -> tuple[float | None, float | None]:
    """95 % t-interval of the mean block difference (None with fewer than 2 blocks)."""
    k = len(differences)
    if k < 2:
        return None, None
    mean = float(differences.mean())
    spread = float(differences.std(ddof=1)) / math.sqrt(k)
    half = t_quantile(0.975, k - 1) * spread
    return mean - half, mean + half


def estimate(design: TrialDesign, slots: pd.DataFrame, per_protocol: bool = False) -> dict:
    """The estimate (second pressure minus first), its 95 % interval, the randomization test's
    p-value, the blocks and sessions behind them."""
    blocks = block_differences(design, slots, per_protocol)
    d = blocks["difference"].to_numpy(dtype=float)
    if len(d) < 2:  # one block is one comparison: no interval, no test
        d = d[:0]
    low, high = _interval(d)
    used = slots[_counted(slots, per_protocol) & slots["block"].isin(blocks["block"]).to_numpy()]
    return {
        "estimate": float(d.mean()) if len(d) else None,
        "ci_low": low, "ci_high": high,
        "p_value": randomization_p_value(d, seed=int(design.seed)) if len(d) else None,
        "smallest_p": smallest_p_value(len(d)) if len(d) else None,
        "exact": len(d) <= EXACT_UP_TO_BLOCKS,
        "n_blocks": int(len(d)),
        "n_sessions": {p: int((used["pressure"] == p).sum())
                       for p in (design.pressure_a, design.pressure_b)},
    }


# --- probabilities a person can act on ------------------------------------------------------

LEAN = 0.8  # a zone this probable is a lean the sentence says
# One pressure better at all (perhaps by less than the named difference).  Measured on 2000
# simulated 6 x 2 trials (a diary with spread 1.5, correlation 0.7, whole numbers, 5 % blank;
# named difference 1 point): with no true difference 0.9 made 13 % of trials lean one way,
# 0.95 makes 5 % (beside the test's 1.2 % at p < 0.05); with a true 2.5-point benefit
# "cannot tell" falls from 48 % (the test alone) to 37 % (16 % at 0.9).
LEAN_AT_ALL = 0.95
MIN_SPREAD_SHARE = 0.25  # block differences spread at least a quarter of the named difference
PRIOR = ("a normal prior on the true difference centred on no difference, with a standard "
         "deviation equal to the difference named when planning: before the trial it gives "
         "16 % to each pressure being better by at least that much and 68 % to a smaller "
         "difference, so the blocks must move it")


def posterior_zones(differences, margin: float, lower_is_better: bool = True,
                    prior_sd: float | None = None) -> dict | None:
    """The posterior probability that the second pressure is better by at least ``margin``,
    that the two are within it, and that the first is better by at least it (and that the
    second is better at all), with the posterior mean and 95 % credible interval.

    The model is Trialist's and the ``nof1`` package's simplest: block differences normal
    around the true difference with an unknown spread (a flat prior on its log, which gives a
    t likelihood with k - 1 degrees of freedom), and a weakly sceptical normal prior on the
    difference (``PRIOR``; SD ``prior_sd``, the margin by default).  Whole-number ratings can
    give identical blocks; their spread is taken as at least ``MIN_SPREAD_SHARE`` of the
    margin so that a few ties do not make the model certain.  None below two blocks."""
    d = np.asarray(differences, dtype=float)
    k = len(d)
    if k < 2 or not margin > 0:
        return None
    prior_sd = float(margin if prior_sd is None else prior_sd)
    mean = float(d.mean())
    se = max(float(d.std(ddof=1)), MIN_SPREAD_SHARE * margin) / math.sqrt(k)
    # a grid fine where the prior is and where the blocks are (trapezoid weights)
    mu = np.unique(np.concatenate([
        np.linspace(-12 * prior_sd, 12 * prior_sd, 20_001),
        np.linspace(mean - 60 * se, mean + 60 * se, 20_001), [-margin, 0.0, margin]]))
    log_density = (-k / 2 * np.log1p(((mean - mu) / se) ** 2 / (k - 1))
                   - mu ** 2 / (2 * prior_sd ** 2))
    steps = np.diff(mu)
    weight = np.exp(log_density - log_density.max()) * (
        np.concatenate([[0.0], steps]) + np.concatenate([steps, [0.0]])) / 2
    weight /= weight.sum()
    cumulative = np.cumsum(weight)
    below, above = float(weight[mu <= -margin].sum()), float(weight[mu >= margin].sum())
    negative = float(weight[mu < 0].sum() + weight[mu == 0].sum() / 2)
    b_better, a_better = (below, above) if lower_is_better else (above, below)
    return {"b_better": b_better, "within": max(0.0, 1.0 - below - above), "a_better": a_better,
            "b_better_at_all": negative if lower_is_better else 1.0 - negative,
            "a_better_at_all": 1.0 - negative if lower_is_better else negative,
            "mean": float((weight * mu).sum()),
            "low": float(mu[np.searchsorted(cumulative, 0.025)]),
            "high": float(mu[np.searchsorted(cumulative, 0.975)]),
            "margin": float(margin), "prior_sd": prior_sd, "n_blocks": k}


def percent_text(p: float) -> str:
    """'86 %'; never '100 %' or '0 %' for a probability short of certain."""
    value = 100 * p
    if value > 99:
        return "over 99 %"
    if value < 1:
        return "under 1 %"
    return f"{value:.0f} %"


def lean_sentence(design: TrialDesign, zones: dict, interval: tuple | None = None) -> str:
    """What the three probabilities say, in words ('the data lean towards deep: ...').

    The prior alone puts 68 % within the margin, so "no important difference" is said only
    when the blocks' own 95 % interval (``interval``) lies within the margin too: noisy
    blocks that rule nothing out must not read as reassurance."""
    a, b = design.pressure_a, design.pressure_b
    label, margin = OUTCOME_LABELS[design.outcome].lower(), amount(zones["margin"], design.outcome)
    for better, other, key in ((b, a, "b"), (a, b, "a")):
        if zones[f"{key}_better"] >= LEAN:
            return (f"The data lean towards {better} pressure: {percent_text(zones[f'{key}_better'])} "
                    f"probability that, for you, it is associated with {label} better by at "
                    f"least {margin} than {other} pressure.")
    low, high = interval if interval is not None else (None, None)
    data_within = low is not None and -zones["margin"] < low and high < zones["margin"]
    if zones["within"] >= LEAN and data_within:
        return (f"The data lean towards no important difference: {percent_text(zones['within'])} "
                f"probability that the two pressures are within {margin} of each other for "
                f"{label}.")
    for better, other, key in ((b, a, "b"), (a, b, "a")):
        if zones[f"{key}_better_at_all"] >= LEAN_AT_ALL:
            return (f"The data lean towards {better} pressure, perhaps by less than {margin}: "
                    f"{percent_text(zones[f'{key}_better_at_all'])} probability that it is "
                    f"associated with better {label} than {other} pressure, "
                    f"{percent_text(zones[f'{key}_better'])} that it is better by at least {margin}.")
    return ("The trial cannot tell the two pressures apart yet: the data do not lean clearly "
            "either way, and a difference this size could come from day-to-day ups and downs "
            "alone. That is not proof that they work the same.")


def zones_sentence(design: TrialDesign, zones: dict) -> str:
    a, b = design.pressure_a, design.pressure_b
    margin = amount(zones["margin"], design.outcome)
    return (f"Probabilities over {zones['n_blocks']} blocks: {b} better by at least {margin} "
            f"{percent_text(zones['b_better'])}; within {margin} of each other "
            f"{percent_text(zones['within'])}; {a} better by at least {margin} "
            f"{percent_text(zones['a_better'])} (95 % credible interval for {b} minus {a}: "
            f"{interval(zones['low'], zones['high'])}; under a weakly sceptical prior, "
            "centred on no difference).")


def plain_sentence(design: TrialDesign, figures: dict, complete: bool, stopped_early: bool,
                   zones: dict | None = None) -> str:
    """What the result can and cannot tell, in words; never more than the design permits.
    Beside the p-value it follows the three probabilities (``posterior_zones``)."""
    a, b = design.pressure_a, design.pressure_b
    label, unit = OUTCOME_LABELS[design.outcome].lower(), OUTCOME_UNITS[design.outcome]
    where = f" on the {domain.area_label(design.area).lower()}" if design.area else ""
    if figures["n_blocks"] < 2:
        return (f"{NOT_ENOUGH.capitalize()}: the trial needs at least two blocks with both "
                f"pressures measured before it can compare {a} and {b} pressure{where}.")
    est = figures["estimate"]
    better = (est < 0) == LOWER_IS_BETTER[design.outcome]
    direction = f"{'lower' if est < 0 else 'higher'}"
    state = ("The trial is complete." if complete else
             "The trial was stopped early; the result uses the blocks finished so far."
             if stopped_early else "The trial is still running; this is an interim look.")
    said = (f"{state} With {b} pressure{where}, {label} was on average {abs(est):.2f} {unit} "
            f"{direction} than with {a} pressure (95 % interval {signed(figures['ci_low'])} to "
            f"{signed(figures['ci_high'])}, over {figures['n_blocks']} blocks; "
            f"randomization p = {figures['p_value']:.3f}). ")
    if figures["p_value"] < ALPHA:
        said += (f"Because the order was randomized, the trial suggests that for you {b} "
                 f"pressure is {'better' if better else 'worse'} than {a} pressure for "
                 f"{label}. ")
    elif zones is not None:
        said += lean_sentence(design, zones, (figures["ci_low"], figures["ci_high"])) + " "
    else:
        said += ("The trial cannot tell the two pressures apart: a difference this size could "
                 "come from day-to-day ups and downs alone. That is not proof that they work "
                 "the same. ")
    if zones is not None:
        said += zones_sentence(design, zones) + " "
    if figures["smallest_p"] is not None and figures["smallest_p"] >= ALPHA:
        said += (f"With {figures['n_blocks']} blocks no result could reach p < {ALPHA:g}. ")
    excludes_zero = figures["ci_low"] > 0 or figures["ci_high"] < 0
    if excludes_zero != (figures["p_value"] < ALPHA):
        said += ("The interval (which assumes block differences spread like a bell curve) and "
                 "the randomization test (which assumes only the random order) disagree here; "
                 "trust the test, and read the interval as rough. ")
    if stopped_early:
        said += ("Stopping early because of how the results looked makes a chance finding "
                 "more likely. ")
    return said + "It tells you about you, in this period; it is not a medical diagnosis."


def trial_result(design: TrialDesign, prog: Progress,
                 difference: float = DEFAULT_DIFFERENCE) -> dict:
    """The result as ``fibro trial result --json`` prints it; ``difference`` is the one named
    when planning (the margin of the three probabilities)."""
    itt = estimate(design, prog.slots)
    counts = prog.counts()
    blocks = block_differences(design, prog.slots)
    zones = (posterior_zones(blocks["difference"].to_numpy(dtype=float), abs(difference),
                             LOWER_IS_BETTER[design.outcome]) if itt["n_blocks"] >= 2 else None)
    news = lost_news(design, prog)
    result = {
        "compare": [design.pressure_a, design.pressure_b],
        "outcome": design.outcome, "area": design.area,
        "estimate": itt["estimate"], "ci_low": itt["ci_low"], "ci_high": itt["ci_high"],
        "p_value": itt["p_value"], "n_sessions": itt["n_sessions"],
        "n_blocks": itt["n_blocks"], "blocks_planned": news["blocks_planned"],
        "deviations": counts["deviation"], "missed": counts["missed"],
        "unplanned": int(len(prog.unplanned)),
        "complete": prog.complete, "stopped_early": prog.stopped_early,
        "smallest_p": itt["smallest_p"], "exact_test": itt["exact"],
        "analysis": "intention to treat",
        "difference": abs(difference), "probabilities": zones, "prior": PRIOR,
        "lost": news,
        "sentence": plain_sentence(design, itt, prog.complete, prog.stopped_early, zones),
        "blocks": blocks.to_dict(orient="records"),
        "caveats": CAVEATS,
    }
    if counts["deviation"]:
        pp = estimate(design, prog.slots, per_protocol=True)
        result["per_protocol"] = {k: pp[k] for k in ("estimate", "ci_low", "ci_high", "p_value",
                                                      "n_sessions", "n_blocks")}
    return result


def design_from_row(row) -> TrialDesign:
    """A stored trial (a row of ``Store.trials``) as its design."""
    area = row["area"]
    return TrialDesign(
        pressure_a=row["pressure_a"], pressure_b=row["pressure_b"], outcome=row["outcome"],
        area=None if area is None or (isinstance(area, float) and math.isnan(area)) or area == ""
        else area,
        blocks=int(row["blocks"]), sessions_per_period=int(row["sessions_per_period"]),
        start=pd.Timestamp(row["start"]).date(), every_days=int(row["every_days"]),
        seed=int(row["seed"]))
