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
    days = _DaysAround(daily, doses)
    rows = [days.after_session(s) for s in chosen.to_dict("records")]
    columns = ["start", "pressure", "areas", "duration_min", "therapist", "pain_before",
               "pain_after", "pain_before_week", "pain_48h", "sleep_48h", "painkillers_48h",
               "flare"]
    frame = pd.DataFrame(rows, columns=columns)
    return Visit(since=since, from_own_visit=own, sessions=frame)


class _DaysAround:
    """The diary's days and acute doses as sorted arrays, so each session's week before and
    48 h after are two binary searches, not masks over the whole diary (a therapist who
    logs many sessions in a day had each one cost 10 ms of a three-year diary)."""

    def __init__(self, daily: pd.DataFrame, doses: pd.DataFrame):
        daily = daily.sort_values("date") if len(daily) else pd.DataFrame(
            {"date": pd.Series(dtype="datetime64[ns]"), "pain": [], "sleep_hours": []})
        self.dates = daily["date"].to_numpy(dtype="datetime64[ns]")
        self.pain = pd.to_numeric(daily["pain"], errors="coerce").to_numpy(dtype=float)
        self.sleep = pd.to_numeric(daily["sleep_hours"], errors="coerce").to_numpy(dtype=float)
        acute = doses[doses["drug_class"].isin(domain.ACUTE_CLASSES)] if len(doses) else None
        self.acute = (np.sort(acute["time"].to_numpy(dtype="datetime64[ns]")) if acute is not None
                      else np.array([], dtype="datetime64[ns]"))

    def _at(self, when: pd.Timestamp, side: str = "left") -> int:
        return int(np.searchsorted(self.dates, np.datetime64(when, "ns"), side))

    def after_session(self, session: dict) -> dict:
        start = pd.Timestamp(session["start"])
        day = start.normalize()
        week = slice(self._at(day - pd.Timedelta(days=7)), self._at(day))  # the 7 days before
        after = slice(self._at(day, "right"), self._at(day + pd.Timedelta(days=2), "right"))
        baseline = _nanmean(self.pain[week])
        pain_after = self.pain[after]
        logged = pain_after[~np.isnan(pain_after)]
        flare = bool(len(logged) and not np.isnan(baseline)
                     and (logged >= baseline + FLARE_RISE).any())
        painkillers = int(np.searchsorted(self.acute, np.datetime64(start + AFTER, "ns"))
                          - np.searchsorted(self.acute, np.datetime64(start, "ns")))
        return {
            "start": start, "pressure": session["pressure"], "areas": session.get("areas", ""),
            "duration_min": session.get("duration_min"), "therapist": session.get("therapist", ""),
            "pain_before": session.get("pain_before"), "pain_after": session.get("pain_after"),
            "pain_before_week": baseline, "pain_48h": _nanmean(pain_after),
            "sleep_48h": _nanmean(self.sleep[after]), "painkillers_48h": painkillers,
            "flare": flare,
        }


def _nanmean(values: np.ndarray) -> float:
    values = values[~np.isnan(values)]
    return float(values.mean()) if len(values) else np.nan
