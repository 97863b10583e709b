"""What a therapist reads first: the sessions since their previous visit, and how the
48 hours after each went.  Pure: frames in, a frame out; the visit service
(``dashboard.visit``) adds what the whole diary says and keeps it per diary revision.

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
