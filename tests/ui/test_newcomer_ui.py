"""What a new user trips over, in headless Chromium at a phone's 390x844 and a computer's
1400x1000: times read in full, medicines chosen by taps, the narrow layout by width, ...
Each test serves its own store and reads the store file back where it saves."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.ui.pages import ARTIFACTS, DESKTOP, PHONE, LogUI, read_store, write_own_store

pytestmark = pytest.mark.ui

# A computer's browser in a window as narrow as a phone: no "Mobile" in its User-Agent.
NARROW_DESKTOP = {"viewport": {"width": 390, "height": 844}}

# How wide a field's input is, and how wide it would be to show all it holds (a copy of it
# sized to its content), and where its right edge is.
FITS_JS = """el => {
  const copy = el.cloneNode();
  copy.style.width = 'max-content';
  copy.style.minWidth = '0';
  copy.style.position = 'absolute';
  el.parentNode.append(copy);
  const natural = copy.getBoundingClientRect().width;
  copy.remove();
  const box = el.getBoundingClientRect();
  return {natural, shown: box.width, right: box.right};
}"""


@pytest.fixture
def own_db(tmp_path) -> Path:
    return write_own_store(tmp_path / "own" / "fibro.sqlite")


def today_at(hour: int, minute: int) -> dt.datetime:
    return dt.datetime.combine(dt.date.today(), dt.time(hour, minute))


def set_time(ui: LogUI, kind: str, label: str, when: dt.datetime, phone: bool):
    """Set a date-time field as a person would on that device; returns the field's input."""
    field = ui.field(kind, label)
    if phone:  # the phone's own date-time field (a native input)
        box = field.locator("input.flatpickr-mobile")
        box.fill(f"{when:%Y-%m-%dT%H:%M}")
        box.blur()
        return box
    ui.pick_datetime(kind, label, when.date(), when.hour, when.minute)  # its calendar, typed hour
    box = field.locator("input.flatpickr-input:visible")
    return box


@pytest.mark.parametrize("device", [PHONE, NARROW_DESKTOP, DESKTOP], ids=["phone", "narrow", "desktop"])
def test_a_session_and_a_dose_at_13_10_read_13_10(open_page, own_db, device):
    """13:10 reads 13:10 (24 hours), or on a phone "01:10 PM" in full: the field is as wide as
    what it shows and inside the screen; both are saved at 13:10."""
    ui = open_page(own_db, device)
    ui.go_to_log()
    phone = device is PHONE
    width = device["viewport"]["width"]
    when = today_at(13, 10)
    for kind, label in (("sessions", "Started"), ("doses", "Taken at")):
        ui.show(kind)
        box = set_time(ui, kind, label, when, phone)
        if phone:
            expect(box).to_have_value(f"{when:%Y-%m-%dT%H:%M}")
        else:
            expect(box).to_have_value(re.compile(rf"^{when:%Y-%m-%d} 13:10(:00)?$"))
        fits = box.evaluate(FITS_JS)
        assert fits["natural"] <= fits["shown"] + 0.5, f"{label}: the end of the time is cut off: {fits}"
        assert fits["right"] <= width, f"{label} runs off the screen: {fits}"
        name = {id(PHONE): "phone", id(NARROW_DESKTOP): "narrow", id(DESKTOP): "desktop"}[id(device)]
        box.scroll_into_view_if_needed()
        ui.page.screenshot(path=str(ARTIFACTS / f"when-{kind}-{name}.png"))
        if kind == "sessions":
            ui.field(kind, "Body areas").locator("input.choices__input--cloned").click()
            ui.page.keyboard.type("Neck")
            ui.page.keyboard.press("Enter")
        else:
            ui.type_into("doses", "Medicine", "Ibuprofen")
        ui.heading(kind).click()
        ui.save(kind)
        expect(ui.message(kind)).to_contain_text("Saved")
    stored = read_store(own_db)
    assert when in set(stored["sessions"]["start"]), stored["sessions"]["start"].tolist()
    assert when in set(stored["doses"]["time"]), stored["doses"]["time"].tolist()


def test_a_narrow_window_gets_the_narrow_layout_whatever_its_user_agent(open_page, own_db):
    """A 390 px window of a computer's browser (no "Mobile" in its User-Agent) starts with the
    filters folded away, its tabs clickable, the check-in open, the plots' legends under
    them and nothing wider than the window; the menu button still opens the filters."""
    ui = open_page(own_db, NARROW_DESKTOP)
    page = ui.page
    assert "Mobile" not in page.evaluate("navigator.userAgent")
    expect(page.locator("#sidebar")).to_be_hidden()
    expect(page.locator("#sidebar-toggle")).to_have_attribute("aria-expanded", "false")
    expect(page.locator(".form-quick")).to_be_visible()  # the check-in, open as on a phone
    plots = page.locator(".linked-plots")
    expect(plots).to_be_visible()
    box = plots.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390, box
    # the legends under the plots (at their right they left the plots a sliver)
    legends = """() => [...Bokeh.index.all_views()].filter(v => v.model.below && v.frame).map(v => {
        const has = side => v.model[side].some(m => m.constructor.__name__ === 'Legend');
        return {below: has('below'), right: has('right'), width: v.frame.bbox.width}; })"""
    for _ in range(100):
        figures = page.evaluate(legends)
        if sum(f["below"] for f in figures) == 3:
            break
        page.wait_for_timeout(200)
    assert [f["width"] > 200 for f in figures if f["below"]] == [True] * 3, figures
    assert not any(f["right"] for f in figures), figures
    page.screenshot(path=str(ARTIFACTS / "narrow-desktop-overview.png"))
    ui.go_to_log()  # a tab is clickable (no sidebar lying over it)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.locator("#sidebar-toggle").click()
    expect(page.locator("#sidebar")).to_be_visible()


# a select's chosen text width in its own font, and the room its box gives that text
SHOWN_AND_ROOM = """s => { const css = getComputedStyle(s); const c = document.createElement('canvas')
    .getContext('2d'); c.font = css.font;
    return [c.measureText(s.options[s.selectedIndex].text).width,
            s.clientWidth - parseFloat(css.paddingLeft) - parseFloat(css.paddingRight) - 16]; }"""


@pytest.mark.parametrize("device", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_a_usual_medicine_is_logged_by_taps_alone(open_page, own_db, device):
    """The person's own medicines are choices: one tap fills in name, class and the last
    dose; Save stores it (Log, Medication dose, the medicine, Save: four taps, no typing)."""
    ui = open_page(own_db, device)
    ui.go_to_log()
    form = ui.show("doses")
    recent = form.get_by_role("radiogroup", name="Your recent medicines")
    choice = recent.get_by_role("radio", name="Paracetamol", exact=True)
    box = choice.bounding_box()
    assert box["width"] >= 44 and box["height"] >= 44, box
    choice.tap() if device is PHONE else choice.click()
    expect(choice).to_have_attribute("aria-checked", "true")
    expect(ui.field("doses", "Medicine").locator("input:visible").first).to_have_value("Paracetamol")
    expect(ui.field("doses", "Dose").locator("input:visible").first).to_have_value("500")
    # the class box shows its whole label (beside dose and unit a phone cut it to "Simple anal")
    shown, room = ui.field("doses", "Drug class").locator("select").evaluate(SHOWN_AND_ROOM)
    assert shown <= room, (shown, room)
    name = "phone" if device is PHONE else "desktop"
    ui.screenshot("doses", f"dose-by-taps-{name}.png")
    save = form.locator(".save-button button")
    save.tap() if device is PHONE else save.click()
    expect(ui.message("doses")).to_contain_text("Saved: Paracetamol at")
    doses = read_store(own_db)["doses"]
    assert len(doses) == 2
    latest = doses.sort_values("time").iloc[-1]
    assert (latest["name"], latest["drug_class"], latest["dose"], latest["unit"]) == (
        "Paracetamol", "simple_analgesic", 500, "mg")


MAIN_HEIGHT = "() => document.getElementById('main').scrollHeight"
PLOT_WIDTHS = """() => [...Bokeh.index.all_views()].filter(v => v.model.below && v.frame && v.el.isConnected)
    .map(v => v.frame.bbox.width)"""


@pytest.mark.parametrize("device", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_a_short_page_is_short_after_a_long_one(browser, dashboard_server, device):
    """After Effects (long), About scrolls only through About: a hidden tab takes no height;
    back on the Overview its plots are drawn at their width again."""
    context = browser.new_context(**device)
    page = context.new_page()
    page.set_default_timeout(90_000)
    try:
        page.goto(dashboard_server.url)
        expect(page.locator(".fibro-summary .head")).to_be_visible()
        viewport = device["viewport"]["height"]
        page.locator(".bk-tab", has_text=re.compile(r"^Effects$")).click()
        for _ in range(300):  # its tables arrive when computed
            effects = page.evaluate(MAIN_HEIGHT)
            if effects > 1.5 * viewport:
                break
            page.wait_for_timeout(300)
        assert effects > 1.5 * viewport, effects
        page.locator(".bk-tab", has_text=re.compile(r"^About$")).click()
        about = page.get_by_role("heading", name="About this dashboard")
        expect(about).to_be_visible()
        page.wait_for_timeout(500)
        shown = page.evaluate(MAIN_HEIGHT)
        about_page = page.locator(".bk-panel-models-layout-Column", has=about).first.bounding_box()
        assert shown <= max(viewport, about_page["y"] + about_page["height"] + 200), (
            f"About scrolls {shown} px for {about_page['height']:.0f} px of page (Effects: {effects})")
        name = "phone" if device is PHONE else "desktop"
        page.screenshot(path=str(ARTIFACTS / f"about-after-effects-{name}.png"), full_page=True)
        page.locator(".bk-tab", has_text=re.compile(r"^Overview$")).click()
        expect(page.locator(".linked-plots")).to_be_visible()
        page.wait_for_timeout(500)
        widths = page.evaluate(PLOT_WIDTHS)
        assert len(widths) >= 3 and min(widths) > 200, widths
    finally:
        context.close()


@pytest.mark.parametrize("device", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_the_diary_downloads_as_the_cli_s_files(open_page, own_db, device, tmp_path):
    """About: "Download your diary" gives a zip of the very files `fibro export` writes."""
    import io
    import zipfile

    from click.testing import CliRunner

    from dashboard.cli import main
    from dashboard.importers.template import FILES

    ui = open_page(own_db, device)
    ui.page.locator(".bk-tab", has_text=re.compile(r"^About$")).click()
    button = ui.page.locator(".diary-download").get_by_role("button", name=re.compile("Download your diary"))
    expect(button).to_be_visible()
    box = button.bounding_box()
    assert box["x"] + box["width"] <= device["viewport"]["width"], box
    assert box["height"] >= (44 if device is PHONE else 30), box  # a touch target on a phone
    name = "phone" if device is PHONE else "desktop"
    button.scroll_into_view_if_needed()
    ui.page.screenshot(path=str(ARTIFACTS / f"about-download-{name}.png"))
    with ui.page.expect_download() as download:
        button.click()
    assert re.fullmatch(r"fibro-diary-\d{4}-\d\d-\d\d\.zip", download.value.suggested_filename)
    with zipfile.ZipFile(io.BytesIO(Path(download.value.path()).read_bytes())) as archive:
        got = {n: archive.read(n) for n in archive.namelist()}
    result = CliRunner().invoke(main, ["export", "--db", str(own_db), "--out", str(tmp_path / "cli")],
                                env={"FIBRO_DB": None})
    assert result.exit_code == 0, result.output
    assert got == {n: (tmp_path / "cli" / n).read_bytes() for n in FILES.values()}
    assert b"Paracetamol" in got["medications.csv"]


def test_legends_name_the_pressures_shown_and_naps_have_a_sample(open_page, own_db):
    """With no nap in the days shown, "Naps" still has its colour sample; a pressure
    filtered out leaves the legend, and comes back with its button; with no session in
    view "Days after a session" still has its sample."""
    from tests.ui.pages import PAIN, SWATCHES_JS

    ui = open_page(own_db, DESKTOP)
    page = ui.page

    def legends():
        page.wait_for_timeout(400)  # samples are painted on the next animation frame
        return {title: {e["label"]: e["painted"] for e in entries}
                for title, entries in page.evaluate(SWATCHES_JS, [PAIN, "Sleep"]).items()}

    from dashboard.ui.plots import NAP_LABEL

    shown = legends()
    assert shown["Sleep"].get(NAP_LABEL) is True, shown
    assert {"Light / soft stroking", "Moderate", "Deep", "Unknown"} <= set(shown[PAIN]), shown
    deep = page.locator(".pressure-filter").get_by_role("button", name="Deep", exact=True)
    deep.click()
    for _ in range(50):
        shown = legends()
        if "Deep" not in shown[PAIN]:
            break
    assert "Deep" not in shown[PAIN] and "Moderate" in shown[PAIN], shown
    assert all(shown[PAIN].values()), shown
    page.screenshot(path=str(ARTIFACTS / "legend-without-deep.png"))
    deep.click()
    for _ in range(50):
        shown = legends()
        if "Deep" in shown[PAIN]:
            break
    assert shown[PAIN].get("Deep") is True, shown
    # no session in view (every pressure unpressed): "Days after a session" keeps its sample
    from dashboard.ui.plots import SHADING_LABEL

    buttons = page.locator(".pressure-filter").get_by_role("button")
    for i in range(buttons.count()):
        buttons.nth(i).click()
    for _ in range(50):
        shown = legends()
        if not set(shown[PAIN]) & {"Deep", "Moderate"}:
            break
    assert shown[PAIN].get(SHADING_LABEL) is True and shown["Sleep"].get(SHADING_LABEL) is True, shown


def test_a_one_day_diary_shows_that_day_from_its_first_day(open_page, tmp_path):
    """"Days shown" of a diary with one check-in starts on that day, not the day before."""
    from dashboard.records import DailyCheckin
    from dashboard.store import Store

    today = dt.date.today()
    db = tmp_path / "one" / "fibro.sqlite"
    db.parent.mkdir()
    store = Store(db)
    store.save_by_name({"Me": [DailyCheckin(date=today, pain=4, sleep_hours=7)]})
    store.close()
    ui = open_page(db, DESKTOP)
    title = ui.page.locator("#sidebar .bk-slider-title").first
    expect(title).to_contain_text(f"{today:%d %b %Y}")
    yesterday = today - dt.timedelta(days=1)
    assert f"{yesterday:%d %b %Y}" not in title.text_content(), title.text_content()
    ui.page.screenshot(path=str(ARTIFACTS / "one-day-diary.png"))


def test_the_folded_check_in_shows_and_says_that_it_opens(open_page, own_db):
    """On a computer the folded check-in's header has a visible chevron and the word "Show",
    and says it is folded (aria-expanded false); opened, it says so and reads "Hide"."""
    ui = open_page(own_db, DESKTOP)
    header = ui.page.locator("button.quick-checkin-header")
    expect(header).to_have_attribute("aria-expanded", "false")
    expect(header).to_have_accessible_name(re.compile("Today's check-in"))
    chevron = header.locator("svg").first
    expect(chevron).to_be_visible()
    box = chevron.bounding_box()
    assert box["width"] >= 12 and box["height"] >= 12, box
    from PIL import Image
    import io
    drawn = Image.open(io.BytesIO(chevron.screenshot())).convert("L")
    dark = sum(1 for value in drawn.tobytes() if value < 128)  # one byte a pixel ("L")
    assert dark >= 10, f"the chevron is not drawn ({dark} dark pixels)"
    # ... and says it in words at its end: "Show", then "Hide" once open
    word = "el => getComputedStyle(el, '::after').content"
    assert header.evaluate(word) == '"Show"'
    header.screenshot(path=str(ARTIFACTS / "checkin-folded-desktop.png"))
    header.click()
    expect(ui.page.locator(".form-quick")).to_be_visible()
    expect(header).to_have_attribute("aria-expanded", "true")
    assert header.evaluate(word) == '"Hide"'
