"""The Log page in headless Chromium, used as a person would: click, type, press Save.

Every test serves the app on its own SQLite store (own diary pre-filled, or empty so the
demo is shown), checks what the page says and what the store file holds, and fails on
browser console errors, requests to any host but 127.0.0.1, and errors in the server log.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import time
from pathlib import Path

import pandas as pd
import pytest
from playwright.sync_api import expect

from dashboard import domain
from dashboard.session import demo_db_path
from tests.ui.pages import (ARTIFACTS, LogUI, RELOAD_RACE, TIMEOUT_MS, days_ago, flatpickr_label,
                           read_store, row_of_day)

pytestmark = pytest.mark.ui

HOSTILE_NOTE = '<b>bold</b> & "quotes"'


@pytest.fixture
def tabs(serve_app, context):
    """Open browser tabs on a served store: ``tabs(db)`` serves it, ``tabs(db, n)`` opens n tabs."""
    opened: list[LogUI] = []
    server = None

    def open_tabs(db: Path, count: int = 1, tolerate: re.Pattern | None = None) -> list[LogUI]:
        nonlocal server
        server = server or serve_app(db, tolerate=tolerate)
        for _ in range(count):
            opened.append(LogUI(context.new_page(), server.url).open())
        return opened[-count:]

    yield open_tabs
    for ui in opened:
        ui.close()
    for ui in opened:
        assert ui.unexpected() == {"console errors": [], "failed requests": [],
                                   "requests to other hosts": []}


DAILY_VALUES = {"pain": 7, "sleep_quality": 3, "fatigue": 8, "stiffness": 6, "anxiety": 2,
                "low_mood": 5, "fog": 7, "headache": 1}


def rating_label(name: str) -> str:
    """The label above a daily rating's buttons: "Low mood (0-10)"."""
    return f"{domain.DAILY_RATINGS[name]} (0-10)"


# --- tests ----------------------------------------------------------------------------


def test_daily_checkin_by_clicking_is_saved_exactly_as_typed(tabs, own_db):
    (ui,) = tabs(own_db)
    today = dt.date.today()
    for name, value in DAILY_VALUES.items():
        ui.rating("daily", rating_label(name), value)
    ui.type_into("daily", "Hours asleep last night", "5.5")
    ui.type_into("daily", "Notes", HOSTILE_NOTE)
    ui.screenshot("daily", "log-daily-filled.png")
    ui.save("daily")

    expect(ui.message("daily")).to_have_text(f"Saved: check-in of {today:%a %d %b %Y}.")
    expect(ui.chosen_rating("daily", "Pain (0-10)")).to_have_text("–")  # the form is empty again

    ui.reload()
    expect(ui.history_rows("daily").filter(has_text=f"{today:%Y-%m-%d}")).to_have_count(1)
    shown = next(r for r in ui.history("daily") if r["date"] == f"{today:%Y-%m-%d}")
    assert shown["notes"] == HOSTILE_NOTE
    assert float(shown["pain"]) == 7 and float(shown["sleep_hours"]) == 5.5
    assert ui.page.locator(".history-daily b").count() == 0, "the note was rendered as HTML"

    daily = read_store(own_db)["daily"]
    assert len(daily) == 4
    row = row_of_day(daily, today)
    assert row["notes"] == HOSTILE_NOTE
    assert row["sleep_hours"] == 5.5
    assert {name: row[name] for name in DAILY_VALUES} == DAILY_VALUES


def test_first_checkin_leaves_the_demo_for_the_own_diary(tabs, empty_db):
    demo_path = demo_db_path(empty_db)
    demo_before = read_store(demo_path)
    (ui,) = tabs(empty_db, tolerate=RELOAD_RACE)
    banner = ui.page.locator(".demo-banner")
    ui.page.locator(".bk-tab", has_text=re.compile(r"^Overview$")).click()
    expect(banner).to_be_visible()
    ui.go_to_log()

    today = dt.date.today()
    ui.rating("daily", "Pain (0-10)", 4)
    ui.type_into("daily", "Notes", "my first day")
    ui.save("daily")
    ui.page.wait_for_selector(".first-entry", state="visible", timeout=TIMEOUT_MS)
    assert "first-entry=saved" in ui.page.url
    expect(ui.page.locator(".first-entry")).to_contain_text("Your first entry is saved")
    expect(banner).to_be_hidden()

    ui.go_to_log()
    expect(ui.history_rows("daily")).to_have_count(1)
    assert ui.history("daily")[0]["date"] == f"{today:%Y-%m-%d}"

    own = read_store(empty_db)
    assert len(own["daily"]) == 1 and own["sessions"].empty and own["doses"].empty
    row = row_of_day(own["daily"], today)
    assert (row["pain"], row["notes"]) == (4, "my first day")
    demo_after = read_store(demo_path)
    for kind in ("daily", "sessions", "doses"):
        pd.testing.assert_frame_equal(demo_after[kind], demo_before[kind])
    assert (demo_after["daily"]["date"] == pd.Timestamp(today)).sum() == 0


def test_massage_session_by_clicking_and_typing(tabs, own_db):
    (ui,) = tabs(own_db)
    ui.show("sessions")
    day = days_ago(1)
    ui.pick_datetime("sessions", "Started", day, 10, 15)
    ui.type_into("sessions", "Minutes", "45", replace=True)
    ui.rating("sessions", "Pressure", "Deep")
    areas = ui.field("sessions", "Body areas")
    areas.locator("input.choices__input--cloned").click()
    ui.page.keyboard.type("Neck")
    ui.page.keyboard.press("Enter")
    areas.locator(".choices__list--dropdown .choices__item--choice", has_text="Upper back").click()
    expect(areas.locator(".choices__list--multiple .choices__item")).to_have_count(2)
    ui.heading("sessions").click()  # the list stays open over the next fields until then
    ui.type_into("sessions", "Technique", "Myofascial release")
    ui.type_into("sessions", "Therapist", "Mira Lee")
    ui.rating("sessions", "Pain just before (0-10)", 7)
    ui.rating("sessions", "Pain just after (0-10)", 4)
    ui.type_into("sessions", "Notes", HOSTILE_NOTE)
    ui.screenshot("sessions", "log-sessions-filled.png")
    ui.save("sessions")

    expect(ui.message("sessions")).to_have_text(f"Saved: deep session of {day:%a %d %b %Y} 10:15.")
    start = f"{day:%Y-%m-%d} 10:15"
    expect(ui.history_rows("sessions").filter(has_text=start)).to_have_count(1)
    shown = next(r for r in ui.history("sessions") if r["start"] == start)
    assert (shown["pressure"], shown["areas"], shown["therapist"]) == ("Deep", "Neck, Upper back", "Mira Lee")
    assert shown["notes"] == HOSTILE_NOTE

    sessions = read_store(own_db)["sessions"]
    assert len(sessions) == 2
    row = sessions[sessions["start"] == pd.Timestamp(f"{start}")].iloc[0]
    assert row[["duration_min", "pressure", "areas", "technique", "therapist", "pain_before",
                "pain_after", "notes"]].tolist() == [45, "deep", "neck;upper_back", "Myofascial release",
                                                     "Mira Lee", 7, 4, HOSTILE_NOTE]


def test_dose_of_a_known_medicine_fills_in_its_class(tabs, own_db):
    (ui,) = tabs(own_db)
    form = ui.show("doses")
    drug_class = form.locator("select.bk-input")
    expect(drug_class).to_have_value("Other")
    ui.type_into("doses", "Medicine", "Ibuprofen")
    ui.field("doses", "Medicine").locator(".bk-menu").get_by_text("Ibuprofen", exact=True).click()
    expect(drug_class).to_have_value("NSAID")
    ui.type_into("doses", "Dose", "400")
    ui.type_into("doses", "Reason", "neck pain")
    when = ui.field("doses", "Taken at").locator("input.flatpickr-input:visible").input_value()
    ui.screenshot("doses", "log-doses-filled.png")
    ui.save("doses")

    taken = dt.datetime.strptime(when, "%Y-%m-%d %H:%M:%S")
    expect(ui.message("doses")).to_have_text(f"Saved: Ibuprofen at {taken:%a %d %b %Y %H:%M}.")
    expect(ui.history_rows("doses").filter(has_text="Ibuprofen")).to_have_count(1)
    shown = next(r for r in ui.history("doses") if r["name"] == "Ibuprofen")
    assert (shown["time"], shown["drug_class"], float(shown["dose"]), shown["unit"], shown["reason"]) == (
        f"{taken:%Y-%m-%d %H:%M}", "NSAID", 400, "mg", "neck pain")

    doses = read_store(own_db)["doses"]
    assert len(doses) == 2
    row = doses[doses["name"] == "Ibuprofen"].iloc[0]
    assert row[["time", "drug_class", "dose", "unit", "reason"]].tolist() == [
        pd.Timestamp(taken), "nsaid", 400, "mg", "neck pain"]


def test_clicking_the_dose_field_after_typing_a_medicine_moves_there(tabs, own_db):
    """Bokeh's AutocompleteInput took the focus back when its suggestion list was open and the
    person clicked another field: the dose typed next landed in the Medicine field."""
    (ui,) = tabs(own_db)
    ui.show("doses")
    ui.type_into("doses", "Medicine", "Ibuprofen")
    expect(ui.field("doses", "Medicine").locator(".bk-menu")).to_contain_text("Ibuprofen")
    ui.type_into("doses", "Dose", "400")
    expect(ui.field("doses", "Medicine").locator("input")).to_have_value("Ibuprofen", timeout=5_000)
    expect(ui.field("doses", "Dose").locator("input")).to_have_value("400", timeout=5_000)
    expect(ui.field("doses", "Medicine").locator(".bk-menu")).to_be_hidden()

    ui.type_into("doses", "Reason", "neck")  # by the keyboard: Tab leaves the field too
    ui.type_into("doses", "Medicine", "Para", replace=True)
    expect(ui.field("doses", "Medicine").locator(".bk-menu")).to_contain_text("Paracetamol")
    ui.page.keyboard.press("Tab")
    ui.page.keyboard.type("mg")
    expect(ui.field("doses", "Medicine").locator("input")).to_have_value("Para", timeout=5_000)
    assert ui.focused()["label"] == "Drug class"


def test_invalid_entries_show_an_error_under_the_field_and_save_nothing(tabs, own_db):
    (ui,) = tabs(own_db)
    before = read_store(own_db)

    ui.show("sessions")
    ui.pick_datetime("sessions", "Started", days_ago(1), 9, 0)
    ui.rating("sessions", "Pain just before (0-10)", 5)
    ui.save("sessions")
    expect(ui.error_under("sessions", "Body areas")).to_have_text("name at least one body area")
    expect(ui.message("sessions")).to_contain_text("nothing was saved")
    areas_box = ui.field("sessions", "Body areas").locator(".bk-MultiChoice").bounding_box()
    error_box = ui.error_under("sessions", "Body areas").bounding_box()
    assert 0 <= error_box["y"] - (areas_box["y"] + areas_box["height"]) < 40, "error is not under the field"
    assert ui.error_under("sessions", "Body areas").evaluate("e => getComputedStyle(e).color") == \
        "rgb(179, 38, 30)", "the message says the fields are marked in red"
    ui.screenshot("sessions", "log-sessions-error.png")

    ui.show("doses")
    ui.type_into("doses", "Dose", "500")
    ui.save("doses")
    expect(ui.error_under("doses", "Medicine")).to_have_text("is required")
    expect(ui.message("doses")).to_contain_text("nothing was saved")

    after = read_store(own_db)
    for kind in ("daily", "sessions", "doses"):
        pd.testing.assert_frame_equal(after[kind], before[kind])


def test_hours_asleep_is_empty_again_after_a_save(tabs, own_db):
    """Panel's FloatInput sends an empty value as NaN, which Bokeh's spinner wrote out as 'NaN'."""
    (ui,) = tabs(own_db)
    ui.rating("daily", "Pain (0-10)", 3)
    ui.type_into("daily", "Hours asleep last night", "7")
    ui.save("daily")
    expect(ui.message("daily")).to_contain_text("Saved:")
    expect(ui.field("daily", "Hours asleep last night").locator("input")).to_have_value("", timeout=5_000)


def test_a_second_checkin_for_a_day_asks_before_replacing(tabs, own_db):
    (ui,) = tabs(own_db)
    day = days_ago(1)
    before = read_store(own_db)["daily"]
    question = ui.form("daily").locator(".replace-question")

    ui.pick_day("daily", "Day", day)
    ui.rating("daily", "Pain (0-10)", 9)
    ui.rating("daily", "Fatigue (0-10)", 2)
    ui.save("daily")
    expect(question).to_be_visible()
    expect(question).to_contain_text(f"There is already a check-in for {day:%a %d %b %Y}")
    ui.form("daily").get_by_role("button", name="Keep the saved one").click()
    expect(question).to_be_hidden()
    pd.testing.assert_frame_equal(read_store(own_db)["daily"], before)

    ui.save("daily")
    expect(question).to_be_visible()
    ui.form("daily").locator(".replace-yes button").click()
    expect(ui.message("daily")).to_have_text(f"Saved: check-in of {day:%a %d %b %Y}.")
    expect(question).to_be_hidden()

    daily = read_store(own_db)["daily"]
    assert len(daily) == len(before)
    row = row_of_day(daily, day)
    assert (row["pain"], row["fatigue"], row["notes"]) == (9, 2, "")
    assert pd.isna(row["sleep_hours"]) and pd.isna(row["sleep_quality"])


def test_history_edit_delete_and_undo(tabs, own_db):
    (ui,) = tabs(own_db)
    day = days_ago(1)
    stored = row_of_day(read_store(own_db)["daily"], day)

    ui.select_row("daily", f"{day:%Y-%m-%d}")
    ui.history_button("daily", "edit-selected").click()
    expect(ui.heading("daily")).to_have_text("Edit daily check-in")
    expect(ui.chosen_rating("daily", "Pain (0-10)")).to_have_text(f"{stored['pain']:g}")
    expect(ui.field("daily", "Notes").locator("textarea")).to_have_value(stored["notes"])
    ui.rating("daily", "Pain (0-10)", 2)
    ui.save("daily")
    expect(ui.message("daily")).to_have_text(f"Updated: check-in of {day:%a %d %b %Y}.")
    expect(ui.heading("daily")).to_have_text("New daily check-in")

    daily = read_store(own_db)["daily"]
    assert len(daily) == 3
    edited = row_of_day(daily, day)
    assert (edited["pain"], edited["sleep_hours"]) == (2, stored["sleep_hours"])
    assert edited["notes"] == stored["notes"]

    ui.select_row("daily", f"{day:%Y-%m-%d}")
    ui.history_button("daily", "delete-selected").click()
    expect(ui.message("daily")).to_contain_text(f"Deleted the check-in of {day:%a %d %b %Y}")
    expect(ui.history_rows("daily").filter(has_text=f"{day:%Y-%m-%d}")).to_have_count(0)
    assert len(read_store(own_db)["daily"]) == 2

    undo = ui.history_button("daily", "undo-delete")
    expect(undo).to_be_visible()
    undo.click()
    expect(ui.message("daily")).to_have_text(f"Restored the check-in of {day:%a %d %b %Y}.")
    expect(ui.history_rows("daily").filter(has_text=f"{day:%Y-%m-%d}")).to_have_count(1)
    expect(undo).to_be_hidden()
    daily = read_store(own_db)["daily"]
    assert len(daily) == 3
    assert row_of_day(daily, day)["pain"] == 2


def test_second_tab_sees_a_new_entry_after_reload(tabs, own_db):
    first, second = tabs(own_db, 2)
    second.show("doses")
    expect(second.history_rows("doses")).to_have_count(1)

    first.show("doses")
    first.type_into("doses", "Medicine", "Pregabalin")
    first.type_into("doses", "Dose", "75")
    first.save("doses")
    expect(first.message("doses")).to_contain_text("Saved: Pregabalin")

    second.reload()
    second.show("doses")
    expect(second.history_rows("doses")).to_have_count(2)
    expect(second.history_rows("doses").filter(has_text="Pregabalin")).to_contain_text("Anticonvulsant")


def test_saving_requests_nothing_from_other_hosts(tabs, own_db):
    """A save re-renders the hidden Overview; with dynamic tabs Panel gave it CDN stylesheet URLs."""
    (ui,) = tabs(own_db)
    ui.rating("daily", "Pain (0-10)", 3)
    ui.save("daily")
    expect(ui.message("daily")).to_contain_text("Saved:")
    ui.settle()
    assert ui.offsite_requests() == []


# --- keyboard and assistive technology ------------------------------------------------


def test_rating_groups_tell_assistive_technology_what_is_chosen(tabs, own_db):
    (ui,) = tabs(own_db)
    ui.rating("daily", "Pain (0-10)", 6)
    field = ui.field("daily", "Pain (0-10)")
    group = field.get_by_role("radiogroup", name="Pain (0-10)")
    expect(group.get_by_role("radio")).to_have_count(12)
    expect(group.get_by_role("radio", checked=True)).to_have_count(1)
    chosen = group.get_by_role("radio", name="6", exact=True, checked=True)
    expect(chosen).to_have_count(1, timeout=5_000)
    expect(group).to_have_attribute("aria-describedby", re.compile(r"^choice-hint(-\d+)?$"))
    expect(field.get_by_text("0 = none · 10 = worst · – = not recorded")).to_be_visible()
    other = group.get_by_role("radio", name="5", exact=True)
    looks = "e => [getComputedStyle(e).fontWeight, getComputedStyle(e).borderTopWidth]"
    assert chosen.evaluate(looks) != other.evaluate(looks), "the choice is shown by colour alone"


def test_a_rating_group_is_one_tab_stop_and_arrow_keys_choose(tabs, own_db):
    """Tab enters on the chosen option, arrows, Home, End and typed figures move the choice,
    the next Tab leaves the group; what was chosen is saved."""
    (ui,) = tabs(own_db)
    ui.type_into("daily", "Hours asleep last night", "7")
    keys = ui.page.keyboard
    keys.press("Shift+Tab")
    assert ui.focused() == {"text": "–", "label": "Pain (0-10)", "form": "form-daily"}
    for key, shown in (("ArrowRight", "0"), ("ArrowRight", "1"), ("End", "10"), ("ArrowRight", "–"),
                       ("ArrowLeft", "10"), ("Home", "–"), ("ArrowDown", "0"), ("ArrowUp", "–"),
                       ("4", "4")):
        keys.press(key)
        assert ui.focused()["text"] == shown, f"after {key}"
        expect(ui.chosen_rating("daily", "Pain (0-10)")).to_have_text(shown)
    keys.press("Tab")
    assert ui.focused()["label"] == "Hours asleep last night"
    for _ in range(6):  # past Naps (and the spinners' arrow buttons)
        keys.press("Tab")
        if ui.focused()["label"] != "Hours asleep last night" and ui.focused()["label"] != "Naps (minutes)":
            break
    assert ui.focused() == {"text": "–", "label": "Sleep quality (0-10)", "form": "form-daily"}
    keys.type("10")
    expect(ui.chosen_rating("daily", "Sleep quality (0-10)")).to_have_text("10")
    ui.save("daily")
    expect(ui.message("daily")).to_contain_text("Saved:")
    row = row_of_day(read_store(own_db)["daily"], dt.date.today())
    assert (row["pain"], row["sleep_hours"], row["sleep_quality"]) == (4, 7, 10)


# The focused element inside a history table (through the shadow roots), as a person hears it.
HISTORY_FOCUS_JS = """() => {
  let leaf = document.activeElement;
  while (leaf && leaf.shadowRoot && leaf.shadowRoot.activeElement) leaf = leaf.shadowRoot.activeElement;
  if (!leaf || leaf === document.body) return null;
  const row = leaf.closest('tr');
  return {tag: leaf.localName, role: leaf.getAttribute('role') || leaf.type || '',
          name: leaf.getAttribute('aria-label') || leaf.textContent.trim(),
          checked: leaf.checked === true, chosen_row: !!row && row.classList.contains('chosen')};
}"""


def test_a_history_row_is_picked_and_edited_with_the_keyboard_alone(tabs, own_db):
    """From Save, Tab reaches the history's table (a named region), then its radio group
    (one stop); the arrow keys pick a row, Tab goes on past the disabled page buttons to
    Edit selected, Enter loads the entry; Shift+Tab back to Notes, type, Save with Enter."""
    (ui,) = tabs(own_db)
    keys = ui.page.keyboard
    table = ui.page.locator(".history-daily")
    expect(table.get_by_role("region", name="Your daily check-ins")).to_be_visible()
    expect(table.get_by_role("button", name="Previous")).to_be_disabled()  # one page of three
    expect(table.get_by_role("button", name="Next")).to_be_disabled()
    expect(table.locator("caption")).to_have_text("Your daily check-ins: 1–3 of 3")
    ui.form("daily").locator(".save-button button").focus()
    for _ in range(8):
        keys.press("Tab")
        focus = ui.page.evaluate(HISTORY_FOCUS_JS)
        if focus and focus["role"] == "radio":
            break
    assert focus["name"] == f"Select {days_ago(1):%Y-%m-%d}" and not focus["checked"], focus
    keys.press("ArrowDown")
    focus = ui.page.evaluate(HISTORY_FOCUS_JS)
    assert focus == {"tag": "input", "role": "radio", "name": f"Select {days_ago(2):%Y-%m-%d}",
                     "checked": True, "chosen_row": True}
    keys.press("ArrowDown")
    keys.press("ArrowUp")  # back to the same row
    chosen = ui.history_rows("daily").filter(has_text=f"{days_ago(2):%Y-%m-%d}")
    expect(chosen).to_have_class(re.compile(r"\bchosen\b"))
    expect(table.locator("tr.chosen")).to_have_count(1)
    looks = "e => getComputedStyle(e.querySelector('td[data-field=pain]')).fontWeight"
    assert chosen.evaluate(looks) != ui.history_rows("daily").first.evaluate(looks), (
        "the chosen row is shown by colour alone")
    keys.press("Tab")
    assert ui.page.evaluate(HISTORY_FOCUS_JS)["name"] == "Edit selected"
    keys.press("Enter")
    expect(ui.heading("daily")).to_have_text("Edit daily check-in")
    expect(ui.chosen_rating("daily", "Pain (0-10)")).to_have_text("6")  # pain 4 + 2
    for _ in range(12):
        keys.press("Shift+Tab")
        if (ui.focused() or {}).get("label") == "Notes":
            break
    assert ui.focused()["label"] == "Notes"
    keys.press("Control+End")
    keys.type(", edited")
    for _ in range(4):
        keys.press("Tab")
        if (ui.focused() or {}).get("text") == "Save":
            break
    keys.press("Enter")
    expect(ui.message("daily")).to_have_text(f"Updated: check-in of {days_ago(2):%a %d %b %Y}.")
    row = row_of_day(read_store(own_db)["daily"], days_ago(2))
    assert (row["notes"], row["pain"]) == ("day 2, edited", 6)
    edited = next(r for r in ui.history("daily") if r["date"] == f"{days_ago(2):%Y-%m-%d}")
    assert edited["notes"] == "day 2, edited"


def test_days_after_today_cannot_be_picked(tabs, own_db):
    """The calendars grey out the days after today, instead of refusing them only at Save."""
    (ui,) = tabs(own_db)
    tomorrow = dt.date.today() + dt.timedelta(days=1)
    fields = {"daily": ("Day", "input.form-control:visible"),
              "sessions": ("Started", "input.flatpickr-input:visible"),
              "doses": ("Taken at", "input.flatpickr-input:visible")}
    for kind, (label, box) in fields.items():
        ui.show(kind)
        field = ui.field(kind, label)
        field.locator(box).click()
        calendar = field.locator(".flatpickr-calendar")
        expect(calendar).to_have_class(re.compile(r"\bopen\b"))
        if tomorrow.month != dt.date.today().month:
            calendar.locator(".flatpickr-next-month").click()
        day = calendar.locator(f'.flatpickr-day[aria-label="{flatpickr_label(tomorrow)}"]')
        expect(day).to_have_class(re.compile(r"\bflatpickr-disabled\b"))
        today = calendar.locator(f'.flatpickr-day[aria-label="{flatpickr_label(dt.date.today())}"]')
        if tomorrow.month == dt.date.today().month:
            expect(today).not_to_have_class(re.compile(r"\bflatpickr-disabled\b"))
        ui.page.keyboard.press("Escape")
        ui.heading(kind).click()


def test_day_calendar_closes_when_tab_moves_on(tabs, own_db):
    """The Day calendar opens when the field gets the focus; it stayed open after Tab, over the
    Pain options, Hours asleep and Sleep quality the focus goes through."""
    (ui,) = tabs(own_db)
    day = ui.field("daily", "Day")
    calendar = day.locator(".flatpickr-calendar")
    day.locator("input.form-control").focus()
    expect(calendar).to_have_class(re.compile(r"\bopen\b"))
    ui.page.keyboard.press("Tab")
    assert ui.focused()["label"] == "Pain (0-10)"
    expect(calendar).not_to_have_class(re.compile(r"\bopen\b"), timeout=5_000)


# --- keyboard timings -----------------------------------------------------------------


class Keys:
    """Presses keys and types text in one form, counting every keystroke."""

    def __init__(self, ui: LogUI, kind: str):
        self.ui, self.keyboard, self.form = ui, ui.page.keyboard, f"form-{kind}"
        self.counts = {"Tab": 0, "other keys": 0, "typed characters": 0}
        self.free_text = 0  # of the typed characters, those of notes, reasons and techniques

    def press(self, key: str) -> None:
        self.keyboard.press(key)
        self.counts["Tab" if key == "Tab" else "other keys"] += 1

    def type(self, text: str) -> None:
        self.keyboard.type(text)
        self.counts["typed characters"] += len(text)

    def tab_to(self, label: str | None, text: str | None = None, limit: int = 30) -> None:
        """Tab until the focus is in this form, on the field ``label`` (and on ``text``)."""
        for _ in range(limit):
            self.press("Tab")
            focus = self.ui.focused() or {}
            if (focus.get("form") == self.form and label in (None, focus.get("label"))
                    and text in (None, focus.get("text"))):
                return
        raise AssertionError(f"{limit} Tabs did not reach {label!r} {text or ''}; focus is on {focus}")

    def choose(self, label: str, value) -> None:
        """Tab to a radio group (one stop) and type the option: "7", "1" "0", "d" for Deep."""
        self.tab_to(label)
        self.type(str(value) if isinstance(value, int) else str(value)[0].lower())
        focus = self.ui.focused()
        assert (focus["label"], focus["text"]) == (label, str(value)), focus

    def save(self) -> None:
        self.tab_to(None, "Save")
        self.press("Enter")

    def write(self, text: str) -> None:
        """Free text the person composes (its length is theirs, not the form's)."""
        self.type(text)
        self.free_text += len(text)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def keyboard_daily(keys: Keys) -> None:
    """Today's check-in: eight ratings, hours asleep and a note (the calendar that opens on
    the Day field closes as Tab leaves it)."""
    for name, value in DAILY_VALUES.items():
        keys.choose(rating_label(name), value)
        if name == "pain":
            keys.tab_to("Hours asleep last night")
            keys.type("6.5")
    keys.tab_to("Notes")
    keys.write("Stiff neck, slept badly")
    keys.save()


def keyboard_session(keys: Keys) -> None:
    """Yesterday 10:00, an hour, deep, neck and shoulders, with a known therapist."""
    keys.press("ArrowUp")  # into the calendar, on today
    keys.press("ArrowLeft")  # yesterday
    keys.press("Enter")  # picks it; the focus moves to the hour
    keys.type("10")
    keys.press("Tab")
    keys.type("00")
    keys.press("Tab")  # back on the date-time field
    keys.press("Escape")
    keys.choose("Pressure", "Deep")
    keys.tab_to("Body areas")
    for start in ("neck", "shoulders"):
        keys.type(start)
        keys.press("Enter")
    keys.press("Escape")
    keys.tab_to("Technique")
    keys.write("Myofascial release")
    keys.tab_to("Therapist")
    keys.type("Ana")
    keys.press("Enter")
    keys.choose("Pain just before (0-10)", 7)
    keys.choose("Pain just after (0-10)", 4)
    keys.save()


def keyboard_dose(keys: Keys) -> None:
    """Ibuprofen 400 mg now, for neck pain."""
    keys.press("Escape")
    keys.tab_to("Medicine")
    keys.type("Ibuprofen")
    keys.press("Enter")  # takes the suggestion
    keys.tab_to("Dose")
    keys.type("400")
    keys.tab_to("Reason")
    keys.write("neck pain")
    keys.save()


KEYBOARD_ENTRIES = {"daily": keyboard_daily, "sessions": keyboard_session, "doses": keyboard_dose}


def test_each_form_can_be_filled_with_the_keyboard_alone(tabs, own_db):
    """Counts the keys (and times) each form from focusing its first field to the confirmation,
    writes them for benchmarks/keyboard.py; a full day takes fewer than 40 keys besides its note."""
    (ui,) = tabs(own_db)
    timings = {}
    for kind, fill in KEYBOARD_ENTRIES.items():
        form = ui.show(kind)
        first = form.locator("input.form-control:visible, input.flatpickr-input:visible").first
        keys = Keys(ui, kind)
        started = time.perf_counter()
        first.focus()
        fill(keys)
        expect(ui.message(kind)).to_contain_text("Saved:")
        seconds = time.perf_counter() - started
        timings[kind] = {"seconds": round(seconds, 2), "keystrokes": keys.total, **keys.counts,
                         "free-text characters": keys.free_text,
                         "keystrokes besides free text": keys.total - keys.free_text}
        ui.screenshot(kind, f"log-{kind}-keyboard-saved.png")
    (ARTIFACTS / "keyboard_timings.json").write_text(json.dumps(timings, indent=2) + "\n")
    print(json.dumps(timings, indent=2))
    assert timings["daily"]["keystrokes besides free text"] < 40, timings["daily"]

    stored = read_store(own_db)
    today_row = row_of_day(stored["daily"], dt.date.today())
    assert {name: today_row[name] for name in DAILY_VALUES} == DAILY_VALUES
    assert (today_row["sleep_hours"], today_row["notes"]) == (6.5, "Stiff neck, slept badly")
    sessions = stored["sessions"]
    session = sessions[sessions["start"] == pd.Timestamp(dt.datetime.combine(days_ago(1), dt.time(10)))]
    assert session[["pressure", "areas", "technique", "therapist", "pain_before", "pain_after"]
                   ].values.tolist() == [["deep", "neck;shoulders", "Myofascial release", "Ana", 7, 4]]
    dose = stored["doses"][stored["doses"]["name"] == "Ibuprofen"]
    assert dose[["drug_class", "dose", "unit", "reason"]].values.tolist() == [
        ["nsaid", 400, "mg", "neck pain"]]
