"""Exports as people really have them (issue 9): spreadsheet-mangled dates, daytime sleep, naps.

Fixtures in ``tests/fixtures/imports`` (see its README); small files are written here.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from dashboard.importers import ImportFormatError, import_into, parse
from dashboard.importers.dates import style_of
from dashboard.importers.template import template_frames, write_template
from dashboard.records import DailyCheckin
from dashboard.store import Store

FIX = Path(__file__).parent / "fixtures" / "imports"
DAILY_HEADER = "date,pain,sleep_hours,sleep_quality,fatigue,stiffness,anxiety,low_mood,fog,headache,notes"


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "x.sqlite")
    yield s
    s.close()


def days_of(parsed, patient=""):
    return [r.date for r in parsed.records[patient]]


# --- dates ------------------------------------------------------------------------------

def test_style_is_the_shape_of_the_text():
    assert style_of("4/13/2016 12:00:00 AM") == "9/9/9999 9:9:9 AM"
    assert style_of("12/04/2016 12:00 AM") == "9/9/9999 9:9 AM"
    assert style_of("04-12-2016 0.00") == "9-9-9999 9.9"
    assert style_of("22nd Sep 2020") == "9 Mon 9999"


def test_fitbit_file_resaved_by_a_day_first_spreadsheet_reads_both_styles(store):
    parsed = parse("fitbit-sleep", FIX / "fitbit_spreadsheet_resaved.csv")
    assert parsed.notes == ["Dates in the style 4/13/2016 12:00:00 AM read as month/day (47 rows)",
                            "Dates in the style 12/04/2016 12:00 AM read as day/month (36 rows)"]
    assert parsed.rows_read == parsed.rows_used == 83  # 36 of 83 rows (43 %) in the second style
    for patient, records in parsed.records.items():
        days = [r.date for r in records]
        assert days == sorted(days) and len(set(days)) == len(days), patient
        assert dt.date(2016, 4, 12) <= days[0] and days[-1] <= dt.date(2016, 5, 12)
    first = parsed.records["1503960366"]
    assert (first[0].date, first[0].sleep_hours) == (dt.date(2016, 4, 12), round(395 / 60, 2))
    summary = import_into(store, "fitbit-sleep", FIX / "fitbit_spreadsheet_resaved.csv")
    assert summary["created"]["daily"] == 83 and summary["notes"] == parsed.notes


def test_three_styles_in_one_file_each_decided_on_its_own():
    parsed = parse("fitbit-sleep", FIX / "fitbit_three_styles.csv")
    assert parsed.notes == ["Dates in the style 4/13/2016 12:00:00 AM read as month/day (14 rows)",
                            "Dates in the style 12/04/2016 12:00 AM read as day/month (6 rows)",
                            "Dates in the style 15-04-2016 0.00 read as day/month (5 rows)"]
    assert days_of(parsed) == [dt.date(2016, 4, 12) + dt.timedelta(days=i) for i in range(25)]


def test_an_untouched_export_says_nothing_about_dates():
    assert parse("fitbit-sleep", FIX / "fitbit_one_person.csv").notes == []
    assert parse("sleep-as-android", FIX / "saa_sleep-export.csv").notes == []


def test_a_date_nothing_decides_is_refused_with_line_and_column(tmp_path):
    path = tmp_path / "sleepDay_merged.csv"
    path.write_text("Id,SleepDay,TotalSleepRecords,TotalMinutesAsleep,TotalTimeInBed\n"
                    "1,4/1/2016 12:00:00 AM,1,400,420\n"
                    "1,05/06/2016 12:00 AM,1,400,420\n"  # 5 June or 6 May: both in order
                    "1,6/30/2016 12:00:00 AM,1,400,420\n")
    with pytest.raises(ImportFormatError) as caught:
        parse("fitbit-sleep", path)
    assert (caught.value.line, caught.value.column) == (3, "SleepDay")
    assert "'05/06/2016 12:00 AM' could be 5 June 2016 or 6 May 2016" in str(caught.value)


def test_a_value_that_contradicts_its_style_is_refused(tmp_path):
    path = tmp_path / "daily.csv"
    path.write_text(f"{DAILY_HEADER}\n13/03/2024,5,,,,,,,,,\n14/03/2024,5,,,,,,,,,\n03/15/2024,4,,,,,,,,,\n")
    with pytest.raises(ImportFormatError) as caught:
        parse("csv", path)
    assert (caught.value.line, caught.value.column) == (4, "date")
    assert "reads only as month/day, but other dates written like it read as day/month" in str(caught.value)


def test_template_daily_resaved_day_first_and_the_order_decides_the_rest(tmp_path):
    rows = [f"{d:%Y-%m-%d}" if d.day > 12 else f"{d:%d/%m/%Y}"
            for d in (dt.date(2024, 2, 25) + dt.timedelta(days=i) for i in range(20))]
    path = tmp_path / "daily.csv"
    path.write_text(DAILY_HEADER + "\n" + "".join(f"{r},4,,,,,,,,,\n" for r in rows))
    parsed = parse("csv", path)
    assert days_of(parsed) == [dt.date(2024, 2, 25) + dt.timedelta(days=i) for i in range(20)]
    assert parsed.notes == ["Dates in the style 01/03/2024 read as day/month (12 rows)"]


def test_flaredown_month_first_from_a_us_spreadsheet(tmp_path):
    path = tmp_path / "fd.csv"
    lines = ["user_id,age,sex,country,checkin_date,trackable_id,trackable_type,trackable_name,"
             "trackable_value"]
    for day in (dt.date(2017, 3, 9) + dt.timedelta(days=i) for i in range(8)):
        lines.append(f"u1,40,female,US,{day.month}/{day.day}/{day.year},1,Symptom,Fatigue,3")
    path.write_text("\n".join(lines) + "\n")
    parsed = parse("flaredown", path)
    assert days_of(parsed) == [dt.date(2017, 3, 9) + dt.timedelta(days=i) for i in range(8)]
    assert parsed.notes == ["Dates in the style 3/9/2017 read as month/day (8 rows)"]


def test_bearable_dates_rewritten_by_a_spreadsheet_next_to_its_own(tmp_path):
    path = tmp_path / "bearable.csv"
    path.write_text("date,weekday,time of day,category,rating/amount,detail,notes\n"
                    "22nd Sep 2020,Tuesday,am,Sleep quality,4,,\n"
                    "23/09/2020,Wednesday,am,Sleep quality,3,,\n"
                    "01/10/2020,Thursday,am,Sleep quality,2,,\n")
    parsed = parse("bearable", path)
    assert days_of(parsed) == [dt.date(2020, 9, 22), dt.date(2020, 9, 23), dt.date(2020, 10, 1)]
    assert parsed.notes == ["Dates in the style 23/09/2020 read as day/month (2 rows)"]


# --- daytime sleep and naps ----------------------------------------------------------------

def test_the_longest_sleep_ending_on_a_day_is_its_sleep_whatever_the_hour(store):
    summary = import_into(store, "sleep-as-android", FIX / "saa_daytime_sleep.csv")
    assert summary["skipped"] == {} and summary["rows_used"] == 6
    daily = store.daily(store.patients()["id"].iloc[0]).set_index("date")
    assert daily["sleep_hours"].to_dict() == {pd.Timestamp("2020-06-03"): 5.7,  # 10:58 -> 16:39
                                              pd.Timestamp("2020-06-04"): 6.2,  # split night 2.8 + 3.4
                                              pd.Timestamp("2020-06-05"): 6.0}  # daytime beats 3.1 h
    assert daily["nap_minutes"].fillna(0).tolist() == [0, 54, 186]
    assert daily["sleep_quality"].tolist() == [6.0, 6.0, 8.0]  # the main sleep's stars x 2


def test_template_nap_minutes_round_trip_and_older_files_still_import(store, tmp_path):
    pid = store.ensure_patient("me")
    store.save(pid, [DailyCheckin(dt.date(2024, 3, 1), sleep_hours=6.0, nap_minutes=40),
                     DailyCheckin(dt.date(2024, 3, 2), pain=5)])
    write_template(template_frames(store.daily(pid), store.sessions(pid), store.doses(pid)),
                   tmp_path / "out")
    text = (tmp_path / "out" / "daily.csv").read_text()
    assert text.splitlines()[0] == DAILY_HEADER + ",nap_minutes"
    assert text.splitlines()[1].endswith(",40")
    again = parse("csv", tmp_path / "out" / "daily.csv")
    assert [r.nap_minutes for r in again.records[""]] == [40, None]
    older = tmp_path / "daily.csv"
    older.write_text(f"{DAILY_HEADER},pain_neck\n2024-03-03,5,,,,,,,,,,6\n")
    assert parse("csv", older).records[""][0].nap_minutes is None
    bad = tmp_path / "bad" / "daily.csv"
    bad.parent.mkdir()
    bad.write_text(f"{DAILY_HEADER},nap_minutes\n2024-03-03,5,,,,,,,,,,12.5\n")
    with pytest.raises(ImportFormatError, match="line 2, column nap_minutes"):
        parse("csv", bad)


# --- drug names ------------------------------------------------------------------------------

@pytest.mark.parametrize("name, drug_class, read_as", [
    ("Fluoxitine", "antidepressant", "fluoxetine"),
    ("Sertaline 50mg", "antidepressant", "sertraline"),
    ("Amitriptiline", "antidepressant", "amitriptyline"),
    ("Pregablin", "anticonvulsant", "pregabalin"),
    ("Tramadal", "opioid", "tramadol"),
    ("Clomipramine", "antidepressant", None),
    ("Savella", "antidepressant", None),
    ("Flexeril", "muscle_relaxant", None),
    ("Doxylamine", "sleep_aid", None),
    ("Co-codamol 30/500", "combination_analgesic", None),
    ("Tylenol with codeine", "combination_analgesic", None),
    ("Aleve", "nsaid", None),
    ("Maxalt", "triptan", None),
    # near misses that must stay unknown: a different drug one letter off is never guessed
    ("Cerebyx", "other", None),  # fosphenytoin, the classic sound-alike of Celebrex
    ("Lyrca", "other", None),  # too short to guess
])
def test_drug_names_brands_and_small_misspellings(name, drug_class, read_as):
    from dashboard.importers.vocab import match_drug

    match = match_drug(name)
    assert (match.drug_class, match.read_as) == (drug_class, read_as)


def test_a_word_as_close_to_two_known_names_is_not_guessed():
    from dashboard.importers.vocab import closest_known

    assert closest_known("fluoxetine") is None  # known: no guessing needed
    assert closest_known("nortriptyline") is None
    assert closest_known("amitriptyline") is None
    assert closest_known("tramadal") == "tramadol"


def test_import_summary_says_which_names_were_read_as_what(store, tmp_path):
    path = tmp_path / "bearable.csv"
    rows = ["date,weekday,time of day,category,rating/amount,detail,notes"]
    rows += [f"{d}th Sep 2020,,pm,Meds/Supplements,20,Fluoxitine (mg)," for d in range(14, 26)]
    rows += ["26th Sep 2020,,pm,Meds/Supplements,1,Cerebyx (tablet),"]
    path.write_text("\n".join(rows) + "\n")
    summary = import_into(store, "bearable", path)
    assert summary["notes"] == [
        "Fluoxitine read as fluoxetine (12 rows)",
        "Medication names not in the list of known drugs, kept with class other: Cerebyx (1 row)"]
    doses = store.doses(store.patients()["id"].iloc[0])
    assert doses["drug_class"].tolist() == ["antidepressant"] * 12 + ["other"]
    assert doses["name"].iloc[0] == "Fluoxitine"  # the person's spelling is kept
