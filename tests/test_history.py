"""The Log page's history (``forms.History`` and its ``tables.RecordTable``) without a
browser, on a real SQLite store: ten entries a page, newest first, only the shown page
sent; the selection follows the entry (kept when it is still listed, cleared when not,
after a page turn or a delete); what people typed is sent as text and set as text."""

from __future__ import annotations

import datetime as dt
import re

import pandas as pd
import pytest

from dashboard.records import DailyCheckin, MassageSession, MedicationDose
from dashboard.store import Store
from dashboard.session import DiarySession
from dashboard.ui.datastore import DataStore
from dashboard.ui.forms import DailyForm, DoseForm, History, SessionForm
from dashboard.ui.tables import RECORD_ESM, RecordTable, cell_text, record_page

LAST = dt.date(2026, 3, 25)
DAYS = [LAST - dt.timedelta(days=n) for n in range(25)]  # newest first
HOSTILE = '<img src=x onerror="window.__pwned=1"> & <b>bold</b>'


@pytest.fixture
def store(tmp_path):
    store = Store(tmp_path / "fibro.sqlite")
    records = [DailyCheckin(day, pain=day.day % 11, notes=f"day {day.day}") for day in DAYS]
    records += [MassageSession(start=dt.datetime.combine(day, dt.time(10)), duration_min=45,
                               pressure=pressure, areas=(area,), therapist="Bea")
                for day, pressure, area in ((DAYS[1], "light", "neck"), (DAYS[3], "deep", "neck"),
                                            (DAYS[5], "deep", "lower_back"))]
    records.append(MedicationDose(time=dt.datetime.combine(DAYS[2], dt.time(8)), name=HOSTILE,
                                  drug_class="other", dose=500.0, unit="mg", reason=HOSTILE))
    store.save_by_name({"Ann": records})
    yield store
    store.close()


def history_of(store: Store, form_type=DailyForm) -> History:
    history = History(form=form_type(data=DataStore(DiarySession(store))))
    history.form.data.filters.date_range = (DAYS[-1], LAST)  # all 25 days
    history.__panel__()
    return history


def shown(history: History, column: int = 0) -> list[str]:
    """One column of the rows sent to the browser (0: the date)."""
    return [row["cells"][column] for row in history.table.rows]


def day(n: int) -> str:
    return f"{DAYS[n]:%Y-%m-%d}"


def said(history: History) -> str:
    """The message under the form, as read (without Markdown's escapes)."""
    return re.sub(r"\\(.)", r"\1", history.form.message.object)


def id_of(history: History, date: str) -> int:
    return int(history.frame.loc[history.frame["date"] == date, "id"].iloc[0])


# --- paging ---------------------------------------------------------------------------


def test_ten_entries_a_page_newest_first_and_only_that_page_is_sent(store):
    history = history_of(store)
    table = history.table
    assert (table.page, table.pages, table.total, table.page_size) == (1, 3, 25, 10)
    assert shown(history) == [day(n) for n in range(10)]
    assert [c["title"] for c in table.columns] == ["Day", "Pain", "Sleep (h)", "Sleep quality",
                                                   "Fatigue", "Notes"]
    assert [c["field"] for c in table.columns if c["number"]] == ["pain", "sleep_hours",
                                                                  "sleep_quality", "fatigue"]
    assert table.rows[0]["name"] == f"Select {day(0)}"
    assert table.rows[0]["id"] == id_of(history, day(0))
    assert table.label == "Your daily check-ins"
    assert "history-daily" in table.css_classes

    table.page = 2  # the browser's Next
    assert shown(history) == [day(n) for n in range(10, 20)]
    table.page = 3
    assert shown(history) == [day(n) for n in range(20, 25)]


def test_a_page_past_the_end_shows_the_last(store):
    history = history_of(store)
    history._show(7)
    assert history.table.page == 3 and len(history.table.rows) == 5


def test_record_page_cuts_and_writes_text():
    frame = pd.DataFrame({"id": range(1, 24), "when": [f"d{i}" for i in range(1, 24)],
                          "pain": [7.0, float("nan"), 5.5] + [1.0] * 20})
    page = record_page(frame, 1, 10, lambda row: f"Select {row['when']}")
    assert (page["page"], page["pages"], page["total"]) == (1, 3, 23)
    assert page["rows"][:3] == [{"id": 1, "name": "Select d1", "cells": ["d1", "7"]},
                                {"id": 2, "name": "Select d2", "cells": ["d2", ""]},
                                {"id": 3, "name": "Select d3", "cells": ["d3", "5.5"]}]
    assert [r["id"] for r in record_page(frame, 3, 10, str)["rows"]] == [21, 22, 23]
    assert record_page(frame, 0, 10, str)["page"] == 1
    empty = record_page(frame.iloc[:0], 4, 10, str)
    assert (empty["rows"], empty["page"], empty["pages"], empty["total"]) == ([], 1, 1, 0)
    assert [cell_text(v) for v in (None, pd.NA, pd.NaT, 3, 2.0, "a;b")] == ["", "", "", "3", "2", "a;b"]


# --- selection ------------------------------------------------------------------------


def test_nothing_selected_asks_for_a_selection(store):
    history = history_of(store)
    history._edit()
    assert history.form.message.alert_type == "warning"
    assert "Select an entry in the table first" in said(history)
    assert history.form.editing is None


def test_a_page_turn_clears_the_selection(store):
    history = history_of(store)
    history.table.selected = id_of(history, day(3))
    history.table.page = 2
    assert history.table.selected is None


def test_an_edited_entry_stays_on_its_page(store):
    """The store gives an edited entry a new id: the selection clears, the page stays."""
    history = history_of(store)
    history.table.page = 2
    target = id_of(history, day(14))
    history.table.selected = target
    history._edit()
    assert history.form.editing == target
    history.form.fields["notes"].value = "edited"
    history.form._on_save()
    assert "Updated: check-in of" in said(history)
    assert history.table.selected is None and history.table.page == 2
    row = next(r for r in history.table.rows if r["cells"][0] == day(14))
    assert row["cells"][-1] == "edited"


def test_a_selection_still_listed_after_a_save_stays_selected_and_shown(store):
    history = history_of(store)
    history.table.page = 2
    kept = id_of(history, day(14))
    history.table.selected = kept
    history.form.fields["date"].value = LAST + dt.timedelta(days=1)
    history.form._on_save()
    assert "Saved: check-in of" in said(history)
    assert (history.table.selected, history.table.page, history.table.total) == (kept, 2, 26)
    assert day(14) in shown(history)


def test_a_new_entry_shows_the_first_page(store):
    history = history_of(store)
    history.table.page = 3
    form = history.form
    form.fields["date"].value = LAST + dt.timedelta(days=1)
    form._on_save()
    assert "Saved: check-in of" in said(history)
    assert history.table.page == 1 and history.table.total == 26
    assert shown(history)[0] == f"{LAST + dt.timedelta(days=1):%Y-%m-%d}"
    assert history.table.selected is None


def test_a_filter_change_keeps_a_selection_still_listed_and_clears_one_that_is_not(store):
    history = history_of(store)
    filters = history.form.data.filters
    history.table.page = 2
    kept = id_of(history, day(12))
    history.table.selected = kept
    filters.date_range = (DAYS[-1], DAYS[5])  # the 20 older days: day 12 is now on page 1
    assert (history.table.selected, history.table.page, history.table.total) == (kept, 1, 20)
    assert shown(history)[0] == day(5)

    filters.date_range = (DAYS[-1], DAYS[15])
    assert history.table.selected is None and history.table.page == 1
    assert shown(history)[0] == day(15) and history.table.total == 10


def test_sessions_are_filtered_by_pressure_like_the_plots(store):
    history = history_of(store, SessionForm)
    assert shown(history) == [f"{day(n)} 10:00" for n in (1, 3, 5)]
    history.table.selected = history.table.rows[0]["id"]
    history.form.data.filters.pressures = ["deep"]
    assert shown(history) == [f"{day(n)} 10:00" for n in (3, 5)]
    assert history.table.selected is None
    assert history.table.rows[0]["name"] == f"Select {day(3)} 10:00"
    history.form.data.filters.areas = ["lower_back"]
    assert shown(history) == [f"{day(5)} 10:00"]


# --- delete and undo ------------------------------------------------------------------


def test_a_delete_clears_the_selection_and_keeps_the_page(store):
    history = history_of(store)
    history.table.page = 3
    history.table.selected = id_of(history, day(21))
    history._delete()
    assert "Deleted the check-in of" in said(history)
    assert history.table.selected is None
    assert history.table.page == 3 and history.table.total == 24
    assert day(21) not in shown(history)
    history._undo()
    assert "Restored the check-in of" in said(history)
    assert history.table.page == 3 and history.table.total == 25 and day(21) in shown(history)


def test_deleting_the_only_entry_of_the_last_page_shows_the_page_before(store):
    history = history_of(store)
    filters = history.form.data.filters
    filters.date_range = (DAYS[20], LAST)  # 21 days: one on page 3
    history.table.page = 3
    history.table.selected = history.table.rows[0]["id"]
    history._delete()
    assert (history.table.page, history.table.pages, history.table.total) == (2, 2, 20)


# --- text stays text ------------------------------------------------------------------


def test_what_people_typed_is_sent_as_it_was_typed(store):
    history = history_of(store, DoseForm)
    (row,) = history.table.rows
    fields = [c["field"] for c in history.table.columns]
    cells = dict(zip(fields, row["cells"]))
    assert cells["name"] == HOSTILE and cells["reason"] == HOSTILE
    assert (cells["dose"], cells["unit"], cells["drug_class"]) == ("500", "mg", "Other")
    assert row["name"] == f"Select {HOSTILE} at {day(2)} 08:00"


def test_the_table_script_sets_text_never_markup():
    """Cells, caption and names are set with textContent and attributes; nothing is parsed."""
    assert "innerHTML" not in RECORD_ESM and "insertAdjacentHTML" not in RECORD_ESM
    assert "outerHTML" not in RECORD_ESM and "document.write" not in RECORD_ESM
    assert "c.textContent = text" in RECORD_ESM


def test_a_record_table_needs_nothing_from_the_network():
    table = RecordTable(label="x")
    assert "http" not in RECORD_ESM and "import " not in RECORD_ESM
    assert table.selected is None and table.page == 1


def test_codes_are_shown_in_the_words_of_the_forms(store):
    """Pressure, areas and drug class read as the forms name them, not as stored codes."""
    history = history_of(store, SessionForm)
    fields = [c["field"] for c in history.table.columns]
    rows = [dict(zip(fields, row["cells"])) for row in history.table.rows]
    assert [(r["pressure"], r["areas"]) for r in rows] == [
        ("Light / soft stroking", "Neck"), ("Deep", "Neck"), ("Deep", "Lower back")]
    store.save_by_name({"Ann": [MassageSession(start=dt.datetime.combine(DAYS[0], dt.time(9)),
                                               duration_min=30, pressure="unknown",
                                               areas=("neck", "upper_back"))]})
    history.form.data.reload()
    first = dict(zip(fields, history.table.rows[0]["cells"]))
    assert (first["pressure"], first["areas"]) == ("Unknown", "Neck, Upper back")
