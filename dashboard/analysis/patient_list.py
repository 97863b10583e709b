"""A therapist's patient list: each patient's last visit and a one-line pain trend.

Pure functions on the rows two set-based reads return for all the listed patients at
once (``Store.last_sessions``, ``Store.daily_ratings``), so the list costs the same two
queries for 3 patients or 60.  The trend compares the mean pain of the last
``TREND_DAYS`` days (today included) with the ``TREND_DAYS`` before, and says how many
days each mean stands on; with fewer than ``MIN_DAYS`` logged days in either window it
says so instead of guessing.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from ..formatting import day
from ..wording import plural

TREND_DAYS = 14
MIN_DAYS = 4  # logged days in each window behind a trend
STEADY = 0.5  # a change of less than this (points on 0-10) is "about the same"
COLUMNS = ["id", "name", "last_visit", "last_therapist", "days_since_visit", "recent_mean",
           "recent_days", "earlier_mean", "earlier_days", "change", "trend", "trend_text",
           "visit_text"]


def trend_windows(today: dt.date) -> tuple[dt.date, dt.date, dt.date]:
    """First day of the earlier window, first day of the recent one, and today."""
    recent_start = today - dt.timedelta(days=TREND_DAYS - 1)
    return recent_start - dt.timedelta(days=TREND_DAYS), recent_start, today


def pain_trend(pain: pd.DataFrame, today: dt.date) -> pd.DataFrame:
    """Per patient (index ``patient_id``): recent and earlier mean pain, days behind each,
    the change and 'better' / 'worse' / 'about the same' (None: too few days).

    ``pain`` has ``patient_id``, ``date`` and ``value`` (blank ratings are left out).
    """
    earlier_start, recent_start, _ = trend_windows(today)
    rows = pain.dropna(subset=["value"])
    days = pd.to_datetime(rows["date"]).dt.date
    in_recent = (days >= recent_start) & (days <= today)
    in_earlier = (days >= earlier_start) & (days < recent_start)

    def per_patient(mask) -> pd.DataFrame:
        grouped = rows[mask].groupby("patient_id")["value"]
        return pd.DataFrame({"mean": grouped.mean(), "days": grouped.size()})

    recent, earlier = per_patient(in_recent), per_patient(in_earlier)
    frame = recent.add_prefix("recent_").join(earlier.add_prefix("earlier_"), how="outer")
    for column in ("recent_days", "earlier_days"):
        frame[column] = frame[column].fillna(0).astype(int)
    frame["change"] = frame["recent_mean"] - frame["earlier_mean"]
    enough = (frame["recent_days"] >= MIN_DAYS) & (frame["earlier_days"] >= MIN_DAYS)
    frame["trend"] = None
    frame.loc[enough, "trend"] = "about the same"
    frame.loc[enough & (frame["change"] <= -STEADY), "trend"] = "better"
    frame.loc[enough & (frame["change"] >= STEADY), "trend"] = "worse"
    frame.loc[~enough, "change"] = float("nan")
    return frame


def trend_text(trend, recent_mean, earlier_mean, recent_days: int, earlier_days: int) -> str:
    """One line: '↓ better: pain 5.0 → 4.0 (last 14 days, 12 logged; the 14 before, 13)'."""
    if trend is None:
        return (f"Too few check-ins for a trend: {plural(recent_days, 'day')} logged in the last "
                f"{TREND_DAYS}, {earlier_days} in the {TREND_DAYS} before ({MIN_DAYS} needed in each).")
    arrow = {"better": "↓", "worse": "↑", "about the same": "→"}[trend]
    return (f"{arrow} {trend}: pain {earlier_mean:.1f} → {recent_mean:.1f} (the {TREND_DAYS} days "
            f"before: {earlier_days} logged; the last {TREND_DAYS} days: {recent_days} logged)")


def visit_text(last_visit, therapist, today: dt.date) -> str:
    if last_visit is None or pd.isna(last_visit):
        return "No massage session logged yet."
    days = (today - pd.Timestamp(last_visit).date()).days
    ago = "today" if days == 0 else ("in the future" if days < 0 else f"{plural(days, 'day')} ago")
    by = f", {therapist}" if therapist else ""
    return f"{day(pd.Timestamp(last_visit))} ({ago}{by})"


def patient_list(patients: pd.DataFrame, last_sessions: pd.DataFrame, pain: pd.DataFrame,
                 today: dt.date) -> pd.DataFrame:
    """One row per patient in ``patients`` (id, name), in name order, with ``COLUMNS``.

    ``last_sessions``: patient_id, start, therapist (each patient's latest session);
    ``pain``: patient_id, date, value (the daily pain ratings of the trend's 28 days).
    """
    frame = patients[["id", "name"]].copy()
    frame["id"] = frame["id"].astype(int)
    last = last_sessions[["patient_id", "start", "therapist"]].astype({"patient_id": int})
    frame = frame.merge(last.rename(columns={"patient_id": "id", "start": "last_visit",
                                             "therapist": "last_therapist"}), on="id", how="left")
    frame["last_visit"] = pd.to_datetime(frame["last_visit"])
    frame["last_therapist"] = frame["last_therapist"].fillna("")
    frame["days_since_visit"] = [
        None if pd.isna(v) else (today - v.date()).days for v in frame["last_visit"]]
    trend = pain_trend(pain.assign(patient_id=pain["patient_id"].astype(int)), today)
    for column in ("recent_mean", "recent_days", "earlier_mean", "earlier_days", "change", "trend"):
        frame[column] = frame["id"].map(trend[column])
    for column in ("recent_days", "earlier_days"):
        frame[column] = frame[column].fillna(0).astype(int)
    frame["trend"] = frame["trend"].astype(object).where(frame["trend"].notna(), None)
    frame["trend_text"] = [trend_text(*r) for r in zip(frame["trend"], frame["recent_mean"],
                                                       frame["earlier_mean"], frame["recent_days"],
                                                       frame["earlier_days"])]
    frame["visit_text"] = [visit_text(v, t, today) for v, t in zip(frame["last_visit"],
                                                                   frame["last_therapist"])]
    return frame.sort_values("name", key=lambda s: s.str.casefold()).reset_index(drop=True)[COLUMNS]
