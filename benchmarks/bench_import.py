"""How fast each importer is: 100,000-row files of every format into fresh SQLite stores.

``python benchmarks/bench_import.py [rows]`` prints rows/second for parsing alone
and for the whole import (parse, validate, one store transaction), plus the
import's CPU seconds, which stay meaningful when other work shares the machine.
"""

from __future__ import annotations

import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from dashboard.importers import import_into, parse
from dashboard.store import Store

ROWS = 100_000
START = dt.date(1990, 1, 1)


def _days(n: int, start: dt.date = START) -> pd.DatetimeIndex:
    return pd.date_range(start, periods=n, freq="D")


def _ordinal(days: pd.DatetimeIndex) -> pd.Series:
    suffix = np.where((days.day % 100 >= 11) & (days.day % 100 <= 13), "th",
                      pd.Series(days.day % 10).map({1: "st", 2: "nd", 3: "rd"}).fillna("th"))
    return pd.Series(days.day.astype(str)) + suffix + " " + pd.Series(days.strftime("%b %Y"))


def bearable(path: Path, rows: int) -> None:
    """14 readings a day: sleep, sleep quality, 8 symptoms, 2 meds, mood and a factor."""
    per_day = 14
    days = _days(-(-rows // per_day))
    date = _ordinal(days)
    weekday = pd.Series(days.strftime("%A"))
    rng = np.random.default_rng(1)
    symptoms = ["Back (lower) pain", "Neck pain", "Shoulder pain", "Fatigue", "Headache",
                "Anxiety", "Depression", "Acne"]
    labels = np.array(["None", "Mild", "Moderate", "Severe", "Unbearable"])
    parts = []
    n = len(days)
    sleep_minutes = rng.integers(240, 540, n)
    parts.append(pd.DataFrame({"category": "Sleep", "time of day": "am",
                               "rating/amount": [f"{m // 60}:{m % 60:02d}" for m in sleep_minutes],
                               "detail": "Asleep 23:30 - 07:00. In bed 23:00 - 07:15", "notes": ""}))
    parts.append(pd.DataFrame({"category": "Sleep quality", "time of day": "am",
                               "rating/amount": rng.integers(1, 6, n).astype(str), "detail": "",
                               "notes": ""}))
    for i, name in enumerate(symptoms):
        severity = rng.integers(0, 5, n)
        parts.append(pd.DataFrame({"category": "Symptom", "time of day": ["am", "mid", "pm"][i % 3],
                                   "rating/amount": severity.astype(str),
                                   "detail": name + " (" + labels[severity] + ")", "notes": ""}))
    parts.append(pd.DataFrame({"category": "Meds/Supplements", "time of day": "am",
                               "rating/amount": "500", "detail": "Paracetamol (mg)", "notes": ""},
                              index=range(n)))
    parts.append(pd.DataFrame({"category": "Meds/Supplements", "time of day": "pre",
                               "rating/amount": "10", "detail": "Amitriptyline (mg)", "notes": ""},
                              index=range(n)))
    parts.append(pd.DataFrame({"category": "Mood", "time of day": "all day",
                               "rating/amount": rng.integers(1, 11, n).astype(str),
                               "detail": "Calm | Tired", "notes": ""}))
    factor = np.where(np.arange(n) % 7 == 0, "Massage", "Walk")
    parts.append(pd.DataFrame({"category": "Factors", "time of day": "pm", "rating/amount": "",
                               "detail": factor, "notes": ""}))
    frame = pd.concat([p.assign(order=k, day=np.arange(n)) for k, p in enumerate(parts)])
    frame = frame.sort_values(["day", "order"]).head(rows)
    frame.insert(0, "date", date.to_numpy()[frame["day"]])
    frame.insert(1, "weekday", weekday.to_numpy()[frame["day"]])
    columns = ["date", "weekday", "time of day", "category", "rating/amount", "detail", "notes"]
    frame[columns].to_csv(path, index=False, lineterminator="\n")


def fitbit(path: Path, rows: int) -> None:
    """40 people, one row a night each."""
    people = 40
    per_person = -(-rows // people)
    days = _days(per_person)
    rng = np.random.default_rng(2)
    ids = np.repeat(1503960366 + np.arange(people) * 1000, per_person)[:rows]
    day = np.tile([f"{d.month}/{d.day}/{d.year} 12:00:00 AM" for d in days], people)[:rows]
    asleep = rng.integers(200, 600, rows)
    pd.DataFrame({"Id": ids, "SleepDay": day, "TotalSleepRecords": 1, "TotalMinutesAsleep": asleep,
                  "TotalTimeInBed": asleep + 20}).to_csv(path, index=False, lineterminator="\n")


def sleep_as_android(path: Path, rows: int) -> None:
    """A header, a value line and two extra lines (noise, actigraphy) per night."""
    nights = rows // 3
    days = _days(nights, dt.date(1930, 1, 1))
    rng = np.random.default_rng(3)
    hours = rng.uniform(4, 9, nights)
    stars = rng.integers(0, 11, nights) / 2
    header = ("Id,Tz,From,To,Sched,Hours,Rating,Comment,Framerate,Snore,Noise,Cycles,DeepSleep,"
              "LenAdjust,Geo,\"23:00\",\"23:10\",\"23:20\"")
    noise = ',,,,,,,,,,,,,,,"0.01","0.02","0.03"'
    lines = []
    for i, day in enumerate(days):
        end = day + pd.Timedelta(days=1)
        lines += [header,
                  f'"{1000000 + i}","Europe/Berlin","{day:%d. %m. %Y} 23:00","{end:%d. %m. %Y} 7:00",'
                  f'"{end:%d. %m. %Y} 7:00","{hours[i]:.3f}","{stars[i]:.1f}","","10000","-1",'
                  f'"0.2","4","0.4","0","","0.1","0.2","0.3"',
                  noise, ',,,,,,,,,,,,,,,"12","15","9"']
    lines += [noise] * (rows - 3 * nights)
    path.write_text("\n".join(lines) + "\n")


def flaredown(path: Path, rows: int) -> None:
    """20 people, ten entries a check-in: condition, symptoms, treatments, a tag, weather."""
    people = 20
    entries = [("Condition", "Fibromyalgia"), ("Symptom", "Fatigue"), ("Symptom", "Neck pain"),
               ("Symptom", "Lower back pain"), ("Symptom", "Brain fog"), ("Treatment", "Gabapentin"),
               ("Treatment", "Ibuprofen"), ("Tag", "stress"), ("Weather", "icon"),
               ("Weather", "temperature_max")]
    checkins = -(-rows // len(entries))
    per_person = -(-checkins // people)
    days = np.tile(_days(per_person, dt.date(2000, 1, 1)).strftime("%Y-%m-%d"), people)[:checkins]
    users = np.repeat([f"user{u:03d}==" for u in range(people)], per_person)[:checkins]
    rng = np.random.default_rng(4)
    frames = []
    for k, (kind, name) in enumerate(entries):
        if kind in ("Condition", "Symptom"):
            value = rng.integers(0, 5, checkins).astype(str)
        elif name == "Gabapentin":
            value = np.full(checkins, "300 mg")
        elif kind == "Weather":
            value = np.full(checkins, "cloudy")
        else:
            value = np.full(checkins, "")
        if name == "Ibuprofen":
            name = np.where(np.arange(checkins) % 9 == 0, "Massage", "Ibuprofen")
        frames.append(pd.DataFrame({"user_id": users, "age": 40, "sex": "female", "country": "US",
                                    "checkin_date": days, "trackable_id": k, "trackable_type": kind,
                                    "trackable_name": name, "trackable_value": value,
                                    "order": k, "checkin": np.arange(checkins)}))
    frame = pd.concat(frames).sort_values(["checkin", "order"]).head(rows)
    frame.drop(columns=["order", "checkin"]).to_csv(path, index=False, lineterminator="\n")


def template(folder: Path, rows: int) -> None:
    """Ten patients: half the rows daily check-ins, a fifth sessions, the rest doses."""
    folder.mkdir(parents=True, exist_ok=True)
    people = 10
    rng = np.random.default_rng(5)
    n_daily, n_sessions = rows // 2, rows // 5
    n_doses = rows - n_daily - n_sessions

    def spread(n: int) -> tuple[np.ndarray, np.ndarray]:
        per = -(-n // people)
        who = np.repeat([f"patient {p}" for p in range(people)], per)[:n]
        index = np.tile(np.arange(per), people)[:n]
        return who, index

    who, index = spread(n_daily)
    day = pd.Timestamp(START) + pd.to_timedelta(index, unit="D")
    pd.DataFrame({"patient": who, "date": day.strftime("%Y-%m-%d"),
                  "pain": rng.integers(0, 11, n_daily), "sleep_hours": rng.integers(8, 36, n_daily) / 4,
                  "sleep_quality": rng.integers(0, 11, n_daily), "fatigue": "", "stiffness": "",
                  "anxiety": "", "low_mood": "", "fog": "", "headache": rng.integers(0, 11, n_daily),
                  "notes": "", "pain_neck": rng.integers(0, 11, n_daily)}
                 ).to_csv(folder / "daily.csv", index=False, lineterminator="\n")
    who, index = spread(n_sessions)
    start = pd.Timestamp(START) + pd.to_timedelta(index * 2, unit="D") + pd.Timedelta(hours=17)
    pd.DataFrame({"patient": who, "start": start.strftime("%Y-%m-%dT%H:%M"), "duration_min": 45,
                  "pressure": np.array(["light", "moderate", "deep"])[index % 3],
                  "areas": "neck;shoulders", "technique": "", "therapist": "",
                  "pain_before": 6, "pain_after": 4, "notes": ""}
                 ).to_csv(folder / "sessions.csv", index=False, lineterminator="\n")
    who, index = spread(n_doses)
    time = pd.Timestamp(START) + pd.to_timedelta(index, unit="D") + pd.Timedelta(hours=8)
    pd.DataFrame({"patient": who, "time": time.strftime("%Y-%m-%dT%H:%M"), "name": "Paracetamol",
                  "drug_class": "simple_analgesic", "dose": 1000, "unit": "mg", "reason": ""}
                 ).to_csv(folder / "medications.csv", index=False, lineterminator="\n")


GENERATORS = {
    "bearable": ("bearable.csv", bearable),
    "fitbit-sleep": ("sleepDay_merged.csv", fitbit),
    "sleep-as-android": ("sleep-export.csv", sleep_as_android),
    "flaredown": ("flaredown.csv", flaredown),
    "csv": ("template", template),
}


def run(rows: int = ROWS) -> list[dict]:
    """Generate, parse and import ``rows`` rows of every format; one result dict per format."""
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for kind, (name, generate) in GENERATORS.items():
            path = Path(tmp) / name
            generate(path, rows)
            started = time.perf_counter()
            parsed = parse(kind, path)
            parse_s = time.perf_counter() - started
            store = Store(Path(tmp) / f"{kind}.sqlite")
            started, cpu = time.perf_counter(), time.process_time()
            summary = import_into(store, kind, path)
            import_s = time.perf_counter() - started
            import_cpu_s = time.process_time() - cpu
            store.close()
            records = sum(len(r) for r in parsed.records.values())
            results.append({
                "kind": kind, "rows": parsed.rows_read, "records": records,
                "parse_s": round(parse_s, 2), "import_s": round(import_s, 2),
                "import_cpu_s": round(import_cpu_s, 2),
                "parse_rows_per_s": round(parsed.rows_read / parse_s),
                "rows_per_s": round(parsed.rows_read / import_s),
                "created": sum(summary["created"].values()),
            })
    return results


def main(argv: list[str]) -> None:
    rows = int(argv[1]) if len(argv) > 1 else ROWS
    results = run(rows)
    print(f"{'kind':<18}{'rows':>9}{'records':>9}{'parse s':>9}{'import s':>10}{'(cpu s)':>9}"
          f"{'parse rows/s':>14}{'import rows/s':>15}")
    for r in results:
        print(f"{r['kind']:<18}{r['rows']:>9}{r['records']:>9}{r['parse_s']:>9}{r['import_s']:>10}"
              f"{r['import_cpu_s']:>9}{r['parse_rows_per_s']:>14}{r['rows_per_s']:>15}")


if __name__ == "__main__":
    main(sys.argv)
