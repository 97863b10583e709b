"""Importers end to end: real fixture files into a real store, SQLite and PostgreSQL.

Each format's fixtures (``tests/fixtures/imports``) include the awkward parts
of real exports; malformed copies must leave the store exactly as it was.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path

import pandas as pd
import pytest

from dashboard.importers import KINDS, ImportFormatError, guess_kind, import_into, parse
from dashboard.importers.vocab import drug_class, massage_areas, symptom_target
from dashboard.records import DailyCheckin, MassageSession, MedicationDose
from dashboard.store import Store

FIX = Path(__file__).parent / "fixtures" / "imports"
pytestmark = pytest.mark.both_engines  # the tests that use ``store`` run on SQLite and PostgreSQL


def snapshot(store: Store) -> dict[str, list[pd.DataFrame]]:
    """Every stored frame of every patient."""
    return {name: [store.daily(pid), store.sessions(pid), store.doses(pid)]
            for pid, name in store.patients().itertuples(index=False)}


def assert_same_store(before, after) -> None:
    assert before.keys() == after.keys()
    for name in before:
        for a, b in zip(before[name], after[name]):
            pd.testing.assert_frame_equal(a, b)


def patient_id(store: Store, name: str) -> int:
    patients = store.patients()
    return int(patients.loc[patients["name"] == name, "id"].iloc[0])


def total(counts: dict[str, int]) -> int:
    return sum(counts.values())


# kind, first export, overlapping later export, days new in the later one, patient names
FORMATS = [
    ("bearable", "bearable_export.csv", "bearable_later.csv", 2, ["me"]),
    ("fitbit-sleep", "fitbit_one_person.csv", "fitbit_later.csv", 2, ["me"]),
    ("sleep-as-android", "saa_sleep-export.csv", "saa_later.csv", 1, ["me"]),
    ("flaredown", "flaredown_one_person.csv", "flaredown_later.csv", 1, ["me"]),
]

# kind, good file imported first, malformed copy, line, column, words in the message
MALFORMED = [
    ("bearable", "bearable_export.csv", "bearable_bad_date.csv", 29, "date", "'31st Feb 2020'"),
    ("bearable", "bearable_export.csv", "bearable_out_of_range.csv", 30, "rating/amount", "outside 0-4"),
    ("bearable", "bearable_export.csv", "bearable_truncated.csv", 39, "rating/amount", "cut off"),
    ("bearable", "bearable_export.csv", "bearable_cut_in_notes.csv", 22, "notes",
     "cut off inside a quoted value"),
    ("bearable", "bearable_export.csv", "bearable_wrong_kind.csv", 1, None, "not a Bearable export"),
    ("fitbit-sleep", "fitbit_one_person.csv", "fitbit_bad_date.csv", 3, "SleepDay",
     "'31/02/2016 12:00:00 AM' is not a date like 4/12/2016 12:00:00 AM"),
    ("fitbit-sleep", "fitbit_one_person.csv", "fitbit_out_of_range.csv", 4, "TotalMinutesAsleep",
     "outside 0-1440"),
    ("fitbit-sleep", "fitbit_one_person.csv", "fitbit_truncated.csv", 4, "TotalMinutesAsleep", "cut off"),
    ("sleep-as-android", "saa_sleep-export.csv", "saa_bad_date.csv", 11, "To", "'32. 05. 2020 7:00'"),
    ("sleep-as-android", "saa_sleep-export.csv", "saa_bad_rating.csv", 7, "Rating", "outside 0-5"),
    ("sleep-as-android", "saa_sleep-export.csv", "saa_truncated.csv", 15, "Sched", "cut off"),
    ("flaredown", "flaredown_export.csv", "flaredown_out_of_range.csv", 16, "trackable_value", "outside 0-4"),
    ("flaredown", "flaredown_export.csv", "flaredown_bad_date.csv", 21, "checkin_date", "'2017-02-30'"),
]


# --- behaviour every importer shares ---------------------------------------------

@pytest.mark.parametrize("kind, first, later, new_days, patients", FORMATS)
def test_summary_adds_up_and_matches_the_store(store, kind, first, later, new_days, patients):
    parsed = parse(kind, FIX / first)
    summary = import_into(store, kind, FIX / first)
    assert summary["kind"] == kind
    assert summary["rows_read"] == parsed.rows_read > 0
    assert summary["rows_read"] == summary["rows_used"] + summary["rows_skipped"]
    assert summary["rows_skipped"] == total(summary["skipped"])
    assert summary["created"] == {"daily": parsed.count(DailyCheckin),
                                  "sessions": parsed.count(MassageSession),
                                  "doses": parsed.count(MedicationDose)}
    assert total(summary["updated"]) == total(summary["unchanged"]) == 0
    assert summary["patients"] == patients
    assert summary["first_date"] == parsed.first_date.isoformat()
    pid = patient_id(store, "me")
    assert len(store.daily(pid)) == summary["created"]["daily"]
    assert (store.daily(pid)["source"] == kind).all()
    dumped = json.dumps(summary)  # JSON-able
    assert kind in dumped


@pytest.mark.parametrize("kind, first, later, new_days, patients", FORMATS)
def test_second_import_adds_nothing(store, kind, first, later, new_days, patients):
    first_summary = import_into(store, kind, FIX / first)
    before = snapshot(store)
    again = import_into(store, kind, FIX / first)
    assert total(again["created"]) == total(again["updated"]) == 0
    assert again["unchanged"] == first_summary["created"]
    assert_same_store(before, snapshot(store))


@pytest.mark.parametrize("kind, first, later, new_days, patients", FORMATS)
def test_overlapping_later_export_adds_only_new_days(store, kind, first, later, new_days, patients):
    import_into(store, kind, FIX / first)
    before = store.daily(patient_id(store, "me"))
    summary = import_into(store, kind, FIX / later)
    assert summary["created"]["daily"] == new_days
    assert total(summary["updated"]) == 0
    assert summary["unchanged"]["daily"] > 0
    after = store.daily(patient_id(store, "me"))
    assert len(after) == len(before) + new_days
    old = after[after["date"].isin(before["date"])].reset_index(drop=True)
    pd.testing.assert_frame_equal(old, before.reset_index(drop=True))


@pytest.mark.parametrize("kind, first, later, new_days, patients", FORMATS)
def test_dry_run_writes_nothing_and_predicts_the_real_run(store, kind, first, later, new_days,
                                                          patients):
    import_into(store, kind, FIX / first)
    before = snapshot(store)
    predicted = import_into(store, kind, FIX / later, dry_run=True)
    assert predicted["dry_run"] is True
    assert_same_store(before, snapshot(store))
    real = import_into(store, kind, FIX / later)
    for outcome in ("created", "updated", "unchanged"):
        assert predicted[outcome] == real[outcome]


def test_dry_run_into_an_empty_store_creates_no_patient(store):
    summary = import_into(store, "bearable", FIX / "bearable_export.csv", dry_run=True)
    assert summary["created"]["daily"] == 4
    assert store.patients().empty and store.is_empty()


@pytest.mark.parametrize("kind, good, bad, line, column, words", MALFORMED)
def test_malformed_file_leaves_store_unchanged(store, kind, good, bad, line, column, words):
    import_into(store, kind, FIX / good)
    before = snapshot(store)
    with pytest.raises(ImportFormatError) as caught:
        import_into(store, kind, FIX / bad)
    error = caught.value
    assert (error.line, error.column) == (line, column)
    assert error.path.name == bad
    message = str(error)
    assert message.startswith(f"{bad} line {line}" + (f", column {column}" if column else ""))
    assert words in message
    assert_same_store(before, snapshot(store))


def test_backup_is_made_before_importing_into_a_non_empty_store(tmp_path):
    store = Store(tmp_path / "x.sqlite")  # backups are SQLite's; PostgreSQL has pg_dump
    first = import_into(store, "bearable", FIX / "bearable_export.csv")
    assert first["backup"] is None  # nothing to lose yet
    second = import_into(store, "bearable", FIX / "bearable_later.csv")
    backup = Path(second["backup"])
    assert backup.exists() and "before-import" in backup.name
    restored = Store(backup)
    assert len(restored.daily(patient_id(restored, "me"))) == 4
    restored.close()


@pytest.mark.parametrize("name", ["empty.csv"])
def test_empty_file_is_a_clear_error(store, name):
    for kind in ("bearable", None):
        with pytest.raises(ImportFormatError, match="empty.csv: the file is empty"):
            import_into(store, kind, FIX / name)
    assert store.is_empty()


@pytest.mark.parametrize("name, kind", [
    ("bearable_export.csv", "bearable"), ("bearable_latin1.csv", "bearable"),
    ("bearable_bom.csv", "bearable"), ("fitbit_sleepDay_merged.csv", "fitbit-sleep"),
    ("saa_sleep-export.csv", "sleep-as-android"), ("flaredown_export.csv", "flaredown"),
    ("empty.csv", None),
])
def test_guess_kind_from_the_header(name, kind):
    assert guess_kind(FIX / name) == kind


def test_parse_guesses_the_kind_when_not_given():
    assert parse(None, FIX / "saa_sleep-export.csv").kind == "sleep-as-android"


def test_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="unknown import kind 'daylio'"):
        parse("daylio", FIX / "bearable_export.csv")
    assert KINDS == ("bearable", "fitbit-sleep", "sleep-as-android", "flaredown", "csv")


# --- Bearable -------------------------------------------------------------------------

def test_bearable_values_land_on_the_right_days(store):
    summary = import_into(store, "bearable", FIX / "bearable_export.csv")
    assert summary["rows_read"] == 38
    assert summary["skipped"] == {
        "Bearable category Gratitudes: not tracked here": 2,
        "Bearable category Mood: not tracked here": 1,
        "Bearable category Food Diary: not tracked here": 1,
        "symptom 'Acne' has no field here": 1,
    }
    assert (summary["first_date"], summary["last_date"]) == ("2020-09-20", "2020-09-23")
    pid = patient_id(store, "me")
    daily = store.daily(pid).set_index("date")
    day = daily.loc["2020-09-20"]
    # worst of two lower-back entries (2 and 3 of 4) x 2.5; no overall pain logged -> worst area
    assert day["pain_lower_back"] == 7.5 and day["pain_neck"] == 2.5 and day["pain"] == 7.5
    assert day["fatigue"] == 5.0 and day["headache"] == 2.5
    assert day["sleep_hours"] == 7.25 and day["sleep_quality"] == 7.5  # 4 of 1-5 -> 7.5
    day = daily.loc["2020-09-21"]
    assert day["sleep_hours"] == 6.5  # the Asleep times only: nap left out of 8:05
    assert day["nap_minutes"] == 95 + 45  # the nap inside the night's detail and the nap row
    assert day["sleep_quality"] == 2.5 and day["anxiety"] == 5.0 and day["low_mood"] == 2.5
    assert day["pain_shoulders"] == 5.0 and day["pain"] == 7.5
    day = daily.loc["2020-09-22"]
    assert day["pain"] == 10.0  # logged overall pain wins over areas
    assert day["pain_jaw"] == 0.0 and day["pain_upper_back"] == 5.0
    assert day["headache"] == 7.5  # worst of Migraine (1) and Headache (3)
    assert day["sleep_hours"] == 6.83
    assert daily.loc["2020-09-23", "fog"] == 2.5

    doses = store.doses(pid)
    assert list(zip(doses["time"].dt.strftime("%d %H:%M"), doses["name"], doses["dose"],
                    doses["unit"], doses["drug_class"])) == [
        ("20 08:00", "Paracetamol", 500.0, "mg", "simple_analgesic"),
        ("20 18:00", "Ibuprofen", 400.0, "mg", "nsaid"),
        ("20 22:00", "Amitriptyline", 10.0, "mg", "antidepressant"),
        ("21 09:15", "Co-codamol", 2.0, "tablets", "combination_analgesic"),
        ("21 12:00", "Vitamin D", 1000.0, "IU", "other"),
        ("22 22:00", "Ibuprofen", 600.0, "mg", "nsaid"),  # two entries at one time add up
    ]

    sessions = store.sessions(pid)
    assert list(zip(sessions["start"].dt.strftime("%d %H:%M"), sessions["areas"])) == [
        ("21 17:30", "neck;shoulders"),
        ("22 18:00", "upper_back;lower_back"),  # mentioned in an Energy row's notes
        ("23 13:00", "neck;shoulders;upper_back;lower_back"),  # assumed, and said so
    ]
    assert (sessions["pressure"] == "unknown").all()
    assert "assumed" in sessions["notes"].iloc[2]


def test_bearable_latin1_and_bom_files_read_like_the_plain_one():
    plain = parse("bearable", FIX / "bearable_export.csv")
    bom = parse("bearable", FIX / "bearable_bom.csv")
    latin = parse("bearable", FIX / "bearable_latin1.csv")
    assert bom.records == plain.records and bom.notes == plain.notes
    assert plain.notes == ["Medication names not in the list of known drugs, kept with class other: "
                           "Vitamin D (1 row)"]
    assert latin.records == plain.records
    assert latin.notes and "not UTF-8" in latin.notes[0] and "Latin-1" in latin.notes[0]


def test_bearable_skipped_categories_are_reported_not_fatal(tmp_path):
    path = tmp_path / "b.csv"
    path.write_text("date,weekday,time of day,category,rating/amount,detail,notes\n"
                    "1st Mar 2021,Monday,,Custom rating,3,Productivity,\n"
                    "1st Mar 2021,Monday,am,Symptom,2,Nausea (Moderate),\n"
                    "2nd Mar 2021,Tuesday,pm,Symptom,3,Knee pain (Severe),\n")
    parsed = parse("bearable", path)
    assert parsed.skipped == {"Bearable category Custom rating: not tracked here": 1,
                              "symptom 'Nausea' has no field here": 1}
    (record,) = parsed.records[""]
    assert record.area_pain == {"legs": 7.5} and record.pain == 7.5


def test_bearable_unknown_time_of_day_names_line_and_column(tmp_path):
    path = tmp_path / "b.csv"
    path.write_text("date,weekday,time of day,category,rating/amount,detail,notes\n"
                    "1st Mar 2021,Monday,teatime,Meds/Supplements,1,Ibuprofen (pill),\n")
    with pytest.raises(ImportFormatError, match=r"b.csv line 2, column time of day: 'teatime'"):
        parse("bearable", path)


def test_bearable_future_day_is_refused_with_its_line(tmp_path):
    soon = dt.date.today() + dt.timedelta(days=3)
    day = soon.day
    suffix = "th" if 11 <= day <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    path = tmp_path / "b.csv"
    path.write_text("date,weekday,time of day,category,rating/amount,detail,notes\n"
                    f"{day}{suffix} {soon:%b %Y},X,am,Symptom,2,Fatigue (Moderate),\n")
    with pytest.raises(ImportFormatError, match=r"line 2, column date: date: .* is in the future"):
        parse("bearable", path)


# --- Fitbit ---------------------------------------------------------------------------------

def test_fitbit_several_people_become_one_patient_each(store):
    summary = import_into(store, "fitbit-sleep", FIX / "fitbit_sleepDay_merged.csv")
    assert summary["patients"] == ["1503960366", "1644430081", "1927972279"]
    assert summary["rows_read"] == summary["rows_used"] == 7  # the repeated day is merged
    assert summary["created"]["daily"] == 6
    daily = store.daily(patient_id(store, "1503960366")).set_index("date")["sleep_hours"]
    assert daily.to_dict() == {pd.Timestamp("2016-04-12"): 5.45, pd.Timestamp("2016-04-13"): 6.4,
                               pd.Timestamp("2016-04-15"): 6.87}
    assert store.daily(patient_id(store, "1927972279"))["sleep_hours"].tolist() == [12.5]


def test_fitbit_person_picks_one_id_into_the_chosen_patient(store):
    summary = import_into(store, "fitbit-sleep", FIX / "fitbit_sleepDay_merged.csv",
                          patient="Ann", person="1644430081")
    assert summary["patients"] == ["Ann"]
    assert summary["skipped"] == {"another person in the file (Id not chosen)": 5}
    assert store.patients()["name"].tolist() == ["Ann"]
    assert store.daily(patient_id(store, "Ann"))["sleep_hours"].tolist() == [1.98, 2.07]


def test_fitbit_unknown_person_is_a_clear_error():
    with pytest.raises(ImportFormatError, match="column Id: no rows for person '42'"):
        parse("fitbit-sleep", FIX / "fitbit_sleepDay_merged.csv", person="42")


# --- Sleep as Android --------------------------------------------------------------------

def test_sleep_as_android_nights_go_to_the_wake_day(store):
    summary = import_into(store, "sleep-as-android", FIX / "saa_sleep-export.csv")
    assert summary["rows_read"] == 9  # 6 value lines + 3 extra lines; headers are not rows
    assert summary["skipped"] == {
        "Sleep as Android extra line (noise/actigraphy): not used": 3,
        "Sleep as Android night repeated (same Id)": 1,
    }
    daily = store.daily(patient_id(store, "me")).set_index("date")
    assert daily["sleep_hours"].to_dict() == {pd.Timestamp("2020-05-03"): 7.52,
                                              pd.Timestamp("2020-05-04"): 6.55,  # 3.2 + 3.35
                                              pd.Timestamp("2020-05-05"): 7.25}
    # stars x 2; 0 stars = not rated, so 4 May is the 3.5-star part alone
    assert daily["sleep_quality"].tolist() == [8.0, 7.0, 10.0]
    assert daily["nap_minutes"].fillna(0).tolist() == [0, 48, 0]  # 14:10-15:00, 0.8 h asleep


# --- Flaredown ----------------------------------------------------------------------------

def test_flaredown_several_users_and_their_records(store):
    summary = import_into(store, "flaredown", FIX / "flaredown_export.csv")
    one, two = "QEVuQwEA4SSw3g9UTHfOeA==", "Ar2dBpfmu6Ku+Zfo2uEuQw=="
    assert summary["patients"] == sorted([one, two])
    assert summary["rows_read"] == 23 == summary["rows_used"] + summary["rows_skipped"]
    assert summary["skipped"]["condition 'Crohn's disease' has no field here"] == 1
    assert summary["skipped"]["Flaredown Weather: not tracked here"] == 2
    assert any("as needed" in note for note in summary["notes"])
    daily = store.daily(patient_id(store, one)).set_index("date")
    day = daily.loc["2017-03-01"]
    assert day["pain_neck"] == 7.5 and day["pain_lower_back"] == 10.0 and day["fatigue"] == 7.5
    assert day["pain"] == 10.0  # worst of areas and the fibromyalgia rating
    assert daily.loc["2017-03-02", "pain"] == 5.0  # the condition rating alone (2 of 4)
    doses = store.doses(patient_id(store, one))
    assert doses["name"].tolist() == ["Gabapentin", "Ibuprofen", "Tylenol Extra Strength"]
    assert doses["dose"].tolist()[0] == 300 and math.isnan(doses["dose"].tolist()[1])
    assert (doses["time"].dt.hour == 12).all()
    assert doses["drug_class"].tolist() == ["anticonvulsant", "nsaid", "simple_analgesic"]
    sessions = store.sessions(patient_id(store, one))
    assert sessions["duration_min"].tolist() == [45.0, 60.0]
    assert sessions["areas"].tolist() == ["neck;shoulders;upper_back;lower_back", "neck"]
    other = store.daily(patient_id(store, two))
    assert other["headache"].tolist() == [5.0] and other["fog"].tolist() == [2.5]


def test_flaredown_person_and_latin1(store):
    summary = import_into(store, "flaredown", FIX / "flaredown_latin1.csv")
    assert any("Latin-1" in note for note in summary["notes"])
    assert "Naproxène sódico" in store.doses(patient_id(store, "me"))["name"].tolist()
    chosen = parse("flaredown", FIX / "flaredown_export.csv", person="Ar2dBpfmu6Ku+Zfo2uEuQw==")
    assert list(chosen.records) == [""]
    assert chosen.skipped["another person in the file (user_id not chosen)"] == 18


# --- vocabulary -------------------------------------------------------------------------

@pytest.mark.parametrize("name, target", [
    ("Back (lower) pain", "pain_lower_back"), ("Back (upper) pain", "pain_upper_back"),
    ("Neck pain", "pain_neck"), ("Jaw pain", "pain_jaw"), ("Chest pain", "pain_chest"),
    ("Abdominal pain", "pain_abdomen"), ("Left shoulder pain", "pain_shoulders"),
    ("Knee pain", "pain_legs"), ("pain in my hands", "pain_hands"), ("Stomachache", "pain_abdomen"),
    ("Headache", "headache"), ("Migraine", "headache"), ("Depression", "low_mood"),
    ("Anxiety", "anxiety"), ("Fatigue", "fatigue"), ("Brain fog", "fog"), ("Pain", "pain"),
    ("Back pain", None), ("Acne", None), ("Earache", None),
])
def test_symptom_names(name, target):
    assert symptom_target(name) == target


def test_drug_classes_and_massage_areas():
    assert drug_class("Ibuprofen") == "nsaid"
    assert drug_class("Tylenol Extra Strength") == "simple_analgesic"
    assert drug_class("Paracetamol + codeine") == "combination_analgesic"
    assert drug_class("Vitamin D") == "other"
    assert drug_class("Clomipramine") == drug_class("Prozac") == "antidepressant"
    assert drug_class("Tylenol #3") == "combination_analgesic"  # not Tylenol alone
    assert massage_areas("Indian head massage") == (("head",), False)
    assert massage_areas("full body massage")[0][0] == "head"
    assert massage_areas("Massage") == (("neck", "shoulders", "upper_back", "lower_back"), True)


BEARABLE_HEADER = "date,weekday,time of day,category,rating/amount,detail,notes\n"


@pytest.mark.parametrize("row, column, words", [
    ("1st Mar 2021,Monday,am,Sleep,25:10,,", "rating/amount", "'25:10' is outside 0:00-24:00"),
    ("1st Mar 2021,Monday,am,Sleep,7:75,,", "rating/amount", "'7:75' is outside"),
    ("1st Mar 2021,Monday,am,Sleep,seven,,", "rating/amount", "'seven' is not a sleep amount"),
    ("1st Mar 2021,Monday,am,Sleep quality,0,,", "rating/amount", "'0' is outside 1-5"),
    ("1st Mar 2021,Monday,am,Meds/Supplements,-1,Ibuprofen (mg),", "rating/amount", "'-1' is below 0"),
    ("1st Mar 2021,Monday,am,Meds/Supplements,1,(mg),", "detail", "needs a name"),
])
def test_bearable_bad_cells(tmp_path, row, column, words):
    path = tmp_path / "b.csv"
    path.write_text(BEARABLE_HEADER + "1st Mar 2021,Monday,pm,Symptom,1,Neck pain (Mild),\n" + row + "\n")
    with pytest.raises(ImportFormatError) as caught:
        parse("bearable", path)
    assert (caught.value.line, caught.value.column) == (3, column)
    assert words in str(caught.value)


def test_late_massage_still_ends_on_its_day(tmp_path):
    path = tmp_path / "b.csv"
    path.write_text(BEARABLE_HEADER + "1st Mar 2021,Monday,23:45,Factors,,Massage,\n")
    (session,) = parse("bearable", path).records[""]
    assert session.start == dt.datetime(2021, 3, 1, 23, 45) and session.duration_min == 14


@pytest.mark.parametrize("kind, header", [
    ("bearable", BEARABLE_HEADER),
    ("fitbit-sleep", "Id,SleepDay,TotalSleepRecords,TotalMinutesAsleep,TotalTimeInBed\n"),
    ("flaredown", "user_id,age,sex,country,checkin_date,trackable_id,trackable_type,"
                  "trackable_name,trackable_value\n"),
    ("csv", "date,pain,sleep_hours,sleep_quality,fatigue,stiffness,anxiety,low_mood,fog,headache,notes\n"),
])
def test_header_only_file_imports_nothing(store, tmp_path, kind, header):
    path = tmp_path / "h.csv"
    path.write_text(header)
    summary = import_into(store, kind, path)
    assert summary["rows_read"] == 0 and total(summary["created"]) == 0
    assert summary["patients"] == [] and store.is_empty()


def test_a_file_without_a_last_line_end_says_its_last_line_may_be_cut(tmp_path):
    """A file cut inside an unquoted last value cannot be told from a whole one, except that
    exports end with a line break: the preview says so, naming the line."""
    whole = (FIX / "bearable_export.csv").read_bytes()
    cut = whole[:whole.index(b"had a back mass") + len(b"had a back mass")]
    path = tmp_path / "bearable.csv"
    path.write_bytes(cut)
    parsed = parse("bearable", path)
    line = cut.count(b"\n") + 1
    assert [n for n in parsed.notes if "no line end" in n] == [
        f"bearable.csv has no line end after its last line (line {line}): if the file was cut "
        "off there, that line's last value is incomplete; check it, or export the file again"]
    assert not [n for n in parse("bearable", FIX / "bearable_export.csv").notes
                if "no line end" in n]
