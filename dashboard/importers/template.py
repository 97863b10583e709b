"""The template CSV format: ``daily.csv``, ``sessions.csv``, ``medications.csv``.

``fibro export`` writes it and ``fibro import csv`` reads it; column lists live
in ``dashboard.domain``.  Blanks mean "not recorded".
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .. import domain

FILES = {"daily": "daily.csv", "sessions": "sessions.csv", "doses": "medications.csv"}


def _number(series: pd.Series) -> pd.Series:
    """Numbers as short text: 5.0 -> '5', 6.5 -> '6.5', NaN -> ''."""
    return series.map(lambda v: "" if pd.isna(v) else f"{float(v):g}")


def template_frames(daily: pd.DataFrame, sessions: pd.DataFrame, doses: pd.DataFrame,
                    patient: str | None = None) -> dict[str, pd.DataFrame]:
    """Store frames -> the three template tables (text cells, exact column order)."""
    area_cols = [domain.AREA_PAIN_PREFIX + a for a in domain.BODY_AREAS
                 if domain.AREA_PAIN_PREFIX + a in daily.columns]
    out_daily = pd.DataFrame({"date": daily["date"].dt.strftime("%Y-%m-%d")})
    for column in domain.DAILY_COLUMNS[1:-1]:
        out_daily[column] = _number(daily[column])
    out_daily["notes"] = daily["notes"].fillna("")
    for column in area_cols:
        out_daily[column] = _number(daily[column])

    out_sessions = pd.DataFrame({
        "start": sessions["start"].dt.strftime("%Y-%m-%dT%H:%M"),
        "duration_min": _number(sessions["duration_min"]),
        "pressure": sessions["pressure"],
        "areas": sessions["areas"],
        "technique": sessions["technique"],
        "therapist": sessions["therapist"],
        "pain_before": _number(sessions["pain_before"]),
        "pain_after": _number(sessions["pain_after"]),
        "notes": sessions["notes"],
    }, columns=list(domain.SESSION_COLUMNS))

    out_doses = pd.DataFrame({
        "time": doses["time"].dt.strftime("%Y-%m-%dT%H:%M"),
        "name": doses["name"],
        "drug_class": doses["drug_class"],
        "dose": _number(doses["dose"]),
        "unit": doses["unit"],
        "reason": doses["reason"],
    }, columns=list(domain.MEDICATION_COLUMNS))

    frames = {"daily": out_daily, "sessions": out_sessions, "doses": out_doses}
    if patient is not None:
        for frame in frames.values():
            frame.insert(0, "patient", patient)
    return frames


def write_template(frames: dict[str, pd.DataFrame], out_dir: str | Path) -> list[Path]:
    """Write the three tables as UTF-8 CSV into ``out_dir``; returns the paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for key, name in FILES.items():
        path = out / name
        frames[key].to_csv(path, index=False, lineterminator="\n")
        paths.append(path)
    return paths
