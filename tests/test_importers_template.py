"""The template CSV: what ``write_template`` writes, ``read_template`` reads back unchanged."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from dashboard.importers import ImportFormatError, guess_kind, import_into, parse
from dashboard.importers.template import read_template, template_frames, write_template
from dashboard.records import DailyCheckin, MassageSession, MedicationDose
from dashboard.store import Store

FIX = Path(__file__).parent / "fixtures" / "imports"

DAILY = [
    DailyCheckin(date=dt.date(2024, 3, 1), pain=6.5, sleep_hours=5.75, sleep_quality=3,
                 fatigue=7, stiffness=4, anxiety=2, low_mood=3.5, fog=6, headache=0,
                 notes='bad night, "burning" legs', area_pain={"neck": 7, "lower_back": 5.5}),
    DailyCheckin(date=dt.date(2024, 3, 2), pain=None, sleep_hours=8.25, notes="line one\nline two",
                 area_pain={"hips": 3}),
    DailyCheckin(date=dt.date(2024, 3, 3)),
    DailyCheckin(date=dt.date(2024, 3, 4), pain=2, fog=1.25, sleep_hours=7.283333333333333,
                 notes="Café, crème"),
]
SESSIONS = [
    MassageSession(start=dt.datetime(2024, 3, 1, 17, 30), duration_min=45, pressure="light",
                   areas=("neck", "shoulders", "upper_back"), technique="myofascial release",
                   therapist="Sam", pain_before=7, pain_after=4.5, notes="felt, warm"),
    MassageSession(start=dt.datetime(2024, 3, 3, 9, 0), duration_min=60, pressure="unknown",
                   areas=("lower_back",)),
]
DOSES = [
    MedicationDose(time=dt.datetime(2024, 3, 1, 8, 0), name="Paracetamol",
                   drug_class="simple_analgesic", dose=1000, unit="mg", reason="pain"),
    MedicationDose(time=dt.datetime(2024, 3, 1, 22, 0), name="Amitriptyline",
                   drug_class="antidepressant", dose=10, unit="mg"),
    MedicationDose(time=dt.datetime(2024, 3, 2, 13, 0), name="Tiger balm", drug_class="other"),
]


@pytest.fixture
def stores(tmp_path):
    made = []

    def make(name: str) -> Store:
        made.append(Store(tmp_path / name))
        return made[-1]

    yield make
    for s in made:
        s.close()


def export(store: Store, name: str, out: Path, patient: str | None = None) -> list[Path]:
    pid = int(store.patients().set_index("name").loc[name, "id"])
    frames = template_frames(store.daily(pid), store.sessions(pid), store.doses(pid), patient=patient)
    return write_template(frames, out)


def frames_of(store: Store, name: str) -> list[pd.DataFrame]:
    pid = int(store.patients().set_index("name").loc[name, "id"])
    return [f.drop(columns=["id", "patient_id", "source"])
            for f in (store.daily(pid), store.sessions(pid), store.doses(pid))]


def test_round_trip_keeps_every_field(stores, tmp_path):
    original = stores("a.sqlite")
    original.save_by_name({"me": DAILY + SESSIONS + DOSES})
    export(original, "me", tmp_path / "out")
    assert guess_kind(tmp_path / "out") == "csv"

    parsed = read_template(tmp_path / "out")
    assert parsed.rows_read == parsed.rows_used == len(DAILY) + len(SESSIONS) + len(DOSES)
    assert parsed.skipped == {}
    assert sorted(parsed.records[""], key=repr) == sorted(DAILY + SESSIONS + DOSES, key=repr)

    copy = stores("b.sqlite")
    summary = import_into(copy, "csv", tmp_path / "out")
    assert summary["created"] == {"daily": 4, "sessions": 2, "doses": 3}
    for a, b in zip(frames_of(original, "me"), frames_of(copy, "me")):
        pd.testing.assert_frame_equal(a, b)
    again = import_into(copy, "csv", tmp_path / "out")
    assert again["unchanged"] == summary["created"]


def test_patient_column_names_the_patient(stores, tmp_path):
    original = stores("a.sqlite")
    original.save_by_name({"Ann": DAILY[:2] + SESSIONS[:1]})
    export(original, "Ann", tmp_path / "out", patient="Ann")
    copy = stores("b.sqlite")
    summary = import_into(copy, "csv", tmp_path / "out", patient="me")
    assert summary["patients"] == ["Ann"]
    for a, b in zip(frames_of(original, "Ann"), frames_of(copy, "Ann")):
        pd.testing.assert_frame_equal(a, b)
    chosen = parse("csv", tmp_path / "out", person="Ann")
    assert list(chosen.records) == [""]


def test_single_file_and_missing_files(tmp_path):
    (tmp_path / "medications.csv").write_text(
        "time,name,drug_class,dose,unit,reason\n2024-03-01T08:00,Ibuprofen,,400,mg,\n")
    parsed = parse("csv", tmp_path)
    (dose,) = parsed.records[""]
    assert dose.drug_class == "nsaid"  # blank class filled from the name
    assert parse("csv", tmp_path / "medications.csv").records == parsed.records
    assert guess_kind(tmp_path / "medications.csv") == guess_kind(tmp_path) == "csv"
    (tmp_path / "empty-folder").mkdir()
    with pytest.raises(ImportFormatError, match="no daily.csv, sessions.csv, medications.csv"):
        read_template(tmp_path / "empty-folder")
    with pytest.raises(ImportFormatError, match="nothing-here: no such file or folder"):
        read_template(tmp_path / "nothing-here")


@pytest.mark.parametrize("text, line, column, words", [
    ("date,pain,sleep_hours,sleep_quality,fatigue,stiffness,anxiety,low_mood,fog,headache,notes\n"
     "2024-03-01,5,,,,,,,,,\n2024-03-02,11,,,,,,,,,\n", 3, "pain", "11 is outside 0-10"),
    ("date,pain,sleep_hours,sleep_quality,fatigue,stiffness,anxiety,low_mood,fog,headache,notes,pain_elbow\n"
     "2024-03-01,5,,,,,,,,,,3\n", 1, "pain_elbow", "unexpected column"),
    ("date,pain,sleep_hours,sleep_quality,fatigue,stiffness,anxiety,low_mood,fog,headache,notes\n"
     "2024-03-01,5,,,,,,,,,\n2024-03-01,6,,,,,,,,,\n", 3, "date", "appears twice"),
    ("date,pain,sleep_hours,sleep_quality,fatigue,stiffness,anxiety,low_mood,fog,headache,notes\n"
     "01/03/2024,5,,,,,,,,,\n", 2, "date", "'01/03/2024' could be 1 March 2024 or 3 January 2024"),
    ("start,duration_min,pressure,areas,technique,therapist,pain_before,pain_after,notes\n"
     "2024-03-01T17:00,45,firm,neck,,,,,\n", 2, "pressure", "unknown pressure 'firm'"),
    ("start,duration_min,pressure,areas,technique,therapist,pain_before,pain_after,notes\n"
     "2024-03-01T17:00,45,deep,neck;elbow,,,,,\n", 2, "areas", "unknown body area"),
    ("time,name,drug_class,dose,unit,reason\n2024-03-01T08:00,Ibuprofen,,-2,mg,\n",
     2, "dose", "must be zero or more"),
    ("time,name,drug_class,dose,unit,reason\n2024-03-01T08:00,Ibuprofen,,two,mg,\n",
     2, "dose", "'two' is not a number"),
])
def test_bad_template_rows_name_line_and_column(stores, tmp_path, text, line, column, words):
    path = tmp_path / "file.csv"
    path.write_text(text)
    store = stores("x.sqlite")
    store.save_by_name({"me": DAILY[:1]})
    before = frames_of(store, "me")
    with pytest.raises(ImportFormatError) as caught:
        import_into(store, "csv", path)
    assert (caught.value.line, caught.value.column) == (line, column)
    assert str(caught.value).startswith(f"file.csv line {line}, column {column}: ")
    assert words in str(caught.value)
    for a, b in zip(before, frames_of(store, "me")):
        pd.testing.assert_frame_equal(a, b)


def test_other_file_is_not_a_template(tmp_path):
    with pytest.raises(ImportFormatError, match="not a template daily.csv.*looks like a 'bearable' file"):
        read_template(FIX / "bearable_export.csv")
