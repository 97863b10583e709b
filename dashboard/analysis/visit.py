"""What a therapist reads first: the sessions since their previous visit, and how the
48 hours after each went; then what the whole diary says (``visit_report``).  Pure:
frames in, frames and sentences out (``DiarySession.visit_report`` caches it per diary
revision).

"Since the last visit" starts at the most recent session the therapist gave before today
(their name in the session's therapist field, ignoring case), so a session they log
during today's visit joins the list instead of becoming the "last visit"; when they had
given none before today, it is the last ``FALLBACK_DAYS`` days.  A **flare after a session** is a day within the
48 h after it whose pain is at least ``FLARE_RISE`` points above the mean pain of the
seven days before it: a description of the diary, not a diagnosis.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import domain
from . import effects as fx
from . import scores as sc

FALLBACK_DAYS = 30
FLARE_RISE = 2.0
AFTER = pd.Timedelta(hours=48)


@dataclass(frozen=True)
class Visit:
    since: pd.Timestamp
    from_own_visit: bool  # since the therapist's own previous session, or the fallback window
    sessions: pd.DataFrame  # one row per session since then, with the 48 h after it


def _mean(values: pd.Series) -> float:
    values = pd.to_numeric(values, errors="coerce").dropna()
    return float(values.mean()) if len(values) else np.nan


def since_last_visit(daily: pd.DataFrame, sessions: pd.DataFrame, doses: pd.DataFrame,
                     therapist: str, today: pd.Timestamp | None = None) -> Visit:
    today = pd.Timestamp(today if today is not None else pd.Timestamp.now()).normalize()
    names = sessions.get("therapist", pd.Series(dtype=str)).fillna("").str.strip().str.casefold()
    theirs = sessions[(names == therapist.strip().casefold()) & (sessions["start"] < today)
                      ] if len(sessions) else sessions
    if len(theirs):
        since, own = theirs["start"].max().normalize(), True
    else:
        since, own = today - pd.Timedelta(days=FALLBACK_DAYS), False
    chosen = sessions[sessions["start"] >= since] if len(sessions) else sessions
    rows = [_after_session(daily, doses, s) for _, s in chosen.iterrows()]
    columns = ["start", "pressure", "areas", "duration_min", "therapist", "pain_before",
               "pain_after", "pain_before_week", "pain_48h", "sleep_48h", "painkillers_48h",
               "flare"]
    frame = pd.DataFrame(rows, columns=columns)
    return Visit(since=since, from_own_visit=own, sessions=frame)


def _after_session(daily: pd.DataFrame, doses: pd.DataFrame, session: pd.Series) -> dict:
    start = session["start"]
    day = start.normalize()
    if len(daily):
        week = daily[(daily["date"] >= day - pd.Timedelta(days=7)) & (daily["date"] < day)]
        after = daily[(daily["date"] > day) & (daily["date"] <= day + pd.Timedelta(days=2))]
    else:
        week = after = pd.DataFrame(columns=["pain", "sleep_hours"])
    baseline, pain_after = _mean(week["pain"]), pd.to_numeric(after["pain"], errors="coerce")
    flare = bool(len(pain_after.dropna()) and not np.isnan(baseline)
                 and (pain_after >= baseline + FLARE_RISE).any())
    if len(doses):
        acute = doses[doses["drug_class"].isin(domain.ACUTE_CLASSES)]
        painkillers = int(((acute["time"] >= start) & (acute["time"] < start + AFTER)).sum())
    else:
        painkillers = 0
    return {
        "start": start, "pressure": session["pressure"], "areas": session.get("areas", ""),
        "duration_min": session.get("duration_min"), "therapist": session.get("therapist", ""),
        "pain_before": session.get("pain_before"), "pain_after": session.get("pain_after"),
        "pain_before_week": baseline, "pain_48h": _mean(after["pain"]),
        "sleep_48h": _mean(after["sleep_hours"]), "painkillers_48h": painkillers, "flare": flare,
    }


INSTRUMENTS = {"acr2016": "ACR 2016", "fiqr": "FIQR"}


@dataclass(frozen=True)
class VisitReport:
    """Everything the therapist's first screen says about one diary: plain data (frames,
    strings), so one computation can serve every page open on that diary."""

    visit: Visit
    effects: pd.DataFrame  # effects.effects_table over the whole diary
    sentences: list[str]  # effects.plain_sentences of it
    overuse_month: str | None  # the latest month with counted doses, in words
    overuse_notes: list[str]  # where that month stands against the ICHD-3 thresholds
    scores: list[tuple[str, pd.Timestamp | None, str]]  # (instrument title, taken on, result)


def visit_report(daily: pd.DataFrame, sessions: pd.DataFrame, doses: pd.DataFrame,
                 assessments: dict[str, pd.DataFrame], therapist: str,
                 today: pd.Timestamp | None = None) -> VisitReport:
    """The visit, the effects over the whole diary, the latest month's medication overuse
    and the latest kept questionnaires (``assessments``: instrument -> its kept results)."""
    visit = since_last_visit(daily, sessions, doses, therapist, today)
    effects = fx.effects_table(daily, sessions, doses)
    overuse = sc.medication_overuse(doses)
    counted = overuse[overuse["threshold"].notna()]
    _earlier, latest = sc.overuse_notes(overuse)
    scores = []
    for instrument, title in INSTRUMENTS.items():
        kept = assessments.get(instrument)
        if kept is None or kept.empty:
            scores.append((title, None, "none kept yet"))
            continue
        last = kept.iloc[-1]
        scores.append((title, pd.Timestamp(last["taken_on"]), sc.result_text(instrument, last)))
    return VisitReport(visit=visit, effects=effects, sentences=fx.plain_sentences(effects),
                       overuse_month=sc.month_name(str(counted["month"].max())) if len(counted)
                       else None, overuse_notes=latest, scores=scores)
