"""The dose form without a browser, on a real SQLite store: the person's recent medicines
are offered as taps (most often taken in the last 30 days first, then the most recent),
and a tap fills in the name, class and last dose; a new name can still be typed."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from dashboard.records import MedicationDose
from dashboard.store import Store
from dashboard.session import DiarySession
from dashboard.ui.datastore import DataStore
from dashboard.ui.forms import DoseForm, recent_medicines

LAST = dt.datetime(2026, 3, 25, 8, 0)


def dose(days_before: int, name: str, drug_class: str = "other", amount=None, unit="mg",
         hour: int = 8) -> MedicationDose:
    return MedicationDose(time=LAST - dt.timedelta(days=days_before) + dt.timedelta(hours=hour - 8),
                          name=name, drug_class=drug_class, dose=amount, unit=unit)


DOSES = ([dose(n, "Amitriptyline", "antidepressant", 10, hour=22) for n in range(0, 20)]
         + [dose(n, "Ibuprofen", "nsaid", 400) for n in (1, 4, 9)]
         + [dose(2, "Ibuprofen", "nsaid", 200)]  # not the latest: 400 mg a day later
         + [dose(0, "paracetamol ", "simple_analgesic", 1000)]  # once, today
         + [dose(60 + n, "Tramadol", "opioid", 50) for n in range(10)])  # often, but long ago


def frame(records) -> pd.DataFrame:
    return pd.DataFrame([{"time": r.time, "name": r.name, "drug_class": r.drug_class,
                          "dose": r.dose, "unit": r.unit} for r in records])


def test_recent_medicines_most_taken_lately_first_then_the_most_recent():
    offered = recent_medicines(frame(DOSES))
    assert [m["name"] for m in offered] == ["Amitriptyline", "Ibuprofen", "paracetamol", "Tramadol"]
    ibuprofen = offered[1]
    assert (ibuprofen["drug_class"], ibuprofen["dose"], ibuprofen["unit"]) == ("nsaid", 400.0, "mg")
    assert len(recent_medicines(frame(DOSES), limit=2)) == 2
    assert recent_medicines(frame([])) == []


def test_a_tap_fills_in_the_dose_and_a_new_name_is_still_typed(tmp_path):
    store = Store(tmp_path / "fibro.sqlite")
    store.save_by_name({"Ann": DOSES})
    form = DoseForm(data=DataStore(DiarySession(store)))
    form.__panel__()
    recent = form.fields["recent"]
    assert recent.visible and [o["text"] for o in recent.options][:2] == ["Amitriptyline", "Ibuprofen"]
    recent.value = "Ibuprofen"  # a tap in the browser
    f = form.fields
    assert (f["name"].value, f["drug_class"].value, f["dose"].value, f["unit"].value) == (
        "Ibuprofen", "nsaid", 400.0, "mg")
    f["name"].value = "Naproxen"  # typed: a medicine not taken before
    assert recent.value is None and f["drug_class"].value == "nsaid"  # the built-in list's class
    f["name"].value = "amitriptyline"  # typed, a recent one: shown chosen
    assert recent.value == "Amitriptyline"
    store.close()


def test_a_new_diary_offers_no_recent_medicines(tmp_path):
    store = Store(tmp_path / "fibro.sqlite")
    form = DoseForm(data=DataStore(DiarySession(store)))
    form.__panel__()
    assert not form.fields["recent"].visible and form.fields["recent"].options == []
    store.close()
