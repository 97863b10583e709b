"""The quick check-in in headless Chromium: on a phone (390x844, a phone's user agent, touch)
it is the first thing on the page; on a desktop it is one tap away, or opened by
``?checkin=1`` (the reminders link there).  Taps and keys are counted as a person makes
them, and the store file is read back."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from dashboard.records import DailyCheckin
from dashboard.store import Store
from dashboard.ui.rating import NOT_RECORDED
from tests.ui.pages import (ARTIFACTS, DESKTOP, PHONE, TIMEOUT_MS, LogUI, read_store,
                            row_of_day)


pytestmark = pytest.mark.ui

LABELS = {"pain": "Pain today (0-10)", "sleep_hours": "Hours asleep last night",
          "sleep_quality": "Sleep quality (0-10)", "fatigue": "Fatigue (0-10)"}


def quick(ui: LogUI):
    return ui.page.locator(".form-quick")


def option(ui: LogUI, name: str, value):
    group = quick(ui).get_by_role("radiogroup", name=LABELS[name])
    return group.get_by_role("radio", name=NOT_RECORDED if value is None else str(value), exact=True)


def test_on_a_phone_it_opens_first_and_saves_in_five_taps(open_page, own_db):
    ui = open_page(own_db, PHONE)
    page = ui.page
    expect(quick(ui)).to_be_visible()
    first_radio = option(ui, "pain", None).bounding_box()
    assert first_radio["y"] + first_radio["height"] < PHONE["viewport"]["height"], "not on the first screen"
    for name, value in {"pain": 8, "sleep_hours": 5, "sleep_quality": 2, "fatigue": 9}.items():
        radio = option(ui, name, value)
        box = radio.bounding_box()
        assert box["width"] >= 44 and box["height"] >= 44, f"{name} {value}: {box}"
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["viewport"]["width"], "off the screen"
        radio.tap()
        expect(radio).to_have_attribute("aria-checked", "true")
    page.screenshot(path=str(ARTIFACTS / "checkin-phone.png"))
    quick(ui).locator(".save-button button").tap()  # the fifth tap
    expect(quick(ui).locator(".form-message")).to_contain_text("Saved: today's check-in")
    row = row_of_day(read_store(own_db)["daily"], dt.date.today())
    assert (row["pain"], row["sleep_hours"], row["sleep_quality"], row["fatigue"]) == (8, 5, 2, 9)
    assert row["notes"] == "" and row.isna()["stiffness"]


def test_on_a_desktop_it_is_one_tap_away_and_the_full_form_takes_the_answers(open_page, own_db):
    ui = open_page(own_db, DESKTOP)
    expect(quick(ui)).to_be_hidden()
    ui.page.locator(".quick-checkin-header").click()
    expect(quick(ui)).to_be_visible()
    option(ui, "pain", 3).click()
    option(ui, "sleep_hours", 7).click()
    ui.page.screenshot(path=str(ARTIFACTS / "checkin-desktop.png"))
    quick(ui).get_by_role("button", name=re.compile("^Full form")).click()
    expect(ui.form("daily")).to_be_visible()
    expect(ui.chosen_rating("daily", "Pain (0-10)")).to_have_text("3")
    expect(ui.field("daily", "Hours asleep last night").locator("input")).to_have_value("7")
    ui.rating("daily", "Stiffness (0-10)", 6)
    ui.save("daily")
    expect(ui.message("daily")).to_contain_text("Saved: check-in of")
    row = row_of_day(read_store(own_db)["daily"], dt.date.today())
    assert (row["pain"], row["sleep_hours"], row["stiffness"]) == (3, 7, 6)


def test_the_reminder_link_opens_it_for_the_keyboard_with_today_s_answers_to_change(
        open_page, own_db):
    """A day that has a check-in opens with its answers chosen (not blanks); changing them
    and saving updates that check-in without asking, keeping what it says about the rest."""
    store = Store(own_db)
    store.save_by_name({"Me": [DailyCheckin(date=dt.date.today(), pain=2, sleep_hours=6,
                                            stiffness=5, notes="morning walk")]})
    store.close()
    ui = open_page(own_db, DESKTOP, "?checkin=1")
    expect(quick(ui)).to_be_visible()
    expect(option(ui, "pain", 2)).to_have_attribute("aria-checked", "true")
    expect(option(ui, "sleep_hours", 6)).to_have_attribute("aria-checked", "true")
    expect(option(ui, "fatigue", None)).to_have_attribute("aria-checked", "true")
    expect(quick(ui).locator(".form-message")).to_contain_text("today's saved answers")
    for _ in range(100):  # the focus arrives when the page has drawn
        if ui.focused() == {"text": "2", "label": LABELS["pain"], "form": "form-quick"}:
            break
        ui.page.wait_for_timeout(100)
    assert ui.focused() == {"text": "2", "label": LABELS["pain"], "form": "form-quick"}
    for key in ["6", "Tab", "7", "Tab", "4", "Tab", "8", "Tab", "Enter"]:  # nine keys
        ui.page.keyboard.press(key)
    expect(quick(ui).locator(".form-message")).to_contain_text("Saved: today's check-in")
    expect(quick(ui).locator(".replace-question")).to_be_hidden()
    row = row_of_day(read_store(own_db)["daily"], dt.date.today())
    assert (row["pain"], row["sleep_hours"], row["sleep_quality"], row["fatigue"]) == (6, 7, 4, 8)
    assert (row["stiffness"], row["notes"]) == (5, "morning walk"), "the rest of the day was lost"
    expect(option(ui, "pain", 6)).to_have_attribute("aria-checked", "true")  # still shown


def test_a_check_in_saved_meanwhile_elsewhere_is_asked_about(open_page, own_db):
    """The form opened blank (no check-in today); one saved since (another tab, the CLI) is
    not overwritten without a question."""
    ui = open_page(own_db, DESKTOP, "?checkin=1")
    expect(option(ui, "pain", None)).to_have_attribute("aria-checked", "true")
    store = Store(own_db)
    store.save_by_name({"Me": [DailyCheckin(date=dt.date.today(), pain=2, stiffness=5)]})
    store.close()
    option(ui, "pain", 6).click()
    quick(ui).locator(".save-button button").click()
    question = quick(ui).locator(".replace-question")
    expect(question).to_contain_text("There is already a check-in for today")
    assert row_of_day(read_store(own_db)["daily"], dt.date.today())["pain"] == 2
    quick(ui).locator(".replace-yes button").click()
    expect(quick(ui).locator(".form-message")).to_contain_text("Saved: today's check-in")
    row = row_of_day(read_store(own_db)["daily"], dt.date.today())
    assert (row["pain"], row["stiffness"]) == (6, 5)


def test_on_a_phone_the_first_check_in_says_saved_where_the_person_is(open_page, empty_db):
    """The first check-in (the demo shown) reloads the page on the own diary: "saved" is on
    the first screen, above the check-in, which shows the answers just given; a later visit
    shows them too."""
    ui = open_page(empty_db, PHONE)
    answers = {"pain": 8, "sleep_hours": 5, "sleep_quality": 2, "fatigue": 9}
    for name, value in answers.items():
        option(ui, name, value).tap()
    quick(ui).locator(".save-button button").tap()
    welcome = ui.page.locator(".first-entry")
    expect(welcome).to_be_visible()
    assert "first-entry=saved" in ui.page.url
    expect(quick(ui)).to_be_visible()
    for name, value in answers.items():
        expect(option(ui, name, value)).to_have_attribute("aria-checked", "true")
    box, form = welcome.bounding_box(), quick(ui).bounding_box()
    assert box["y"] >= 0 and box["y"] + box["height"] <= PHONE["viewport"]["height"], box
    assert box["y"] < form["y"], "the confirmation is below the check-in"
    ui.page.screenshot(path=str(ARTIFACTS / "checkin-phone-first-saved.png"))
    row = row_of_day(read_store(empty_db)["daily"], dt.date.today())
    assert (row["pain"], row["sleep_hours"], row["sleep_quality"], row["fatigue"]) == (8, 5, 2, 9)

    ui.page.goto(ui.url)  # a later visit
    expect(quick(ui)).to_be_visible()
    expect(welcome).to_be_hidden()
    for name, value in answers.items():
        expect(option(ui, name, value)).to_have_attribute("aria-checked", "true")
    option(ui, "pain", 6).tap()
    quick(ui).locator(".save-button button").tap()
    expect(quick(ui).locator(".form-message")).to_contain_text("Saved: today's check-in")
    assert row_of_day(read_store(empty_db)["daily"], dt.date.today())["pain"] == 6


@pytest.mark.parametrize("device", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_log_page_screenshots(open_page, own_db, device):
    """The Log page's day form at both sizes, for a person to look at; its ratings fit the width."""
    ui = open_page(own_db, device)
    ui.go_to_log()
    ui.rating("daily", "Pain (0-10)", 5)
    width = device["viewport"]["width"]
    for value in (None, 10):
        box = ui.field("daily", "Pain (0-10)").get_by_role(
            "radio", name=NOT_RECORDED if value is None else str(value), exact=True).bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= width and box["height"] >= 44
    assert ui.page.evaluate("document.documentElement.scrollWidth") <= width
    name = "phone" if device is PHONE else "desktop"
    ui.page.screenshot(path=str(ARTIFACTS / f"log-{name}.png"))


def test_history_on_a_phone_names_every_value(open_page, own_db):
    """On a phone each history row is a card of 'column: value' lines: every value cell is
    headed by its column's name, the radio sits beside the day, and no card runs off the
    screen's right edge."""
    ui = open_page(own_db, PHONE)
    ui.go_to_log()
    rows = ui.history_rows("daily")
    expect(rows.first).to_be_visible(timeout=TIMEOUT_MS)
    cards = rows.evaluate_all("""rows => rows.map(row => {
        const day = row.querySelector('th'), radio = row.querySelector('input[type=radio]');
        return {
          labels: [...row.querySelectorAll('td[data-field]')].map(td => [
            td.closest('.table-scroll').querySelector(`thead th[data-field="${td.dataset.field}"]`).textContent,
            getComputedStyle(td, '::before').content]),
          beside: Math.abs(day.getBoundingClientRect().top - radio.closest('td').getBoundingClientRect().top) < 12,
          right: row.getBoundingClientRect().right };
    })""")
    assert len(cards) == rows.count() > 0
    for card in cards:
        assert card["labels"] and all(shown == f'"{title}"' for title, shown in card["labels"]), card
        assert card["beside"], "the radio is not beside the day"
        assert card["right"] <= PHONE["viewport"]["width"]
