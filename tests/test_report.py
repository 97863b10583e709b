"""The PDF report (``fibro report``), read back with pypdf as a person would read it.

A hand-made diary with known answers (mean pain 4.0, six light sessions each 6 -> 4,
paracetamol on 16 days of March, one ACR 2016 and one FIQR result), and the seeded
demo diary for page counts and section order.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess

import pandas as pd
import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from dashboard import demo
from dashboard.analysis.scores import acr2016, fiqr
from dashboard.cli import main
from dashboard.records import DailyCheckin, MassageSession, MedicationDose
from dashboard.report import ReportError, build_report, paper_for_locale, render_pdf
from dashboard.report.content import SECTION_TITLES, resolve_period
from dashboard.store import Store

NAME = "Zoë Łukasiewicz 李"
THERAPIST = "Ana <b>& Co</b> &amp;"
MARCH = (dt.date(2026, 3, 1), dt.date(2026, 3, 30))
ACR_REGIONS = ["neck", "upper_back", "lower_back", "left_hip", "right_hip",
               "left_shoulder_girdle", "right_shoulder_girdle"]


def fibro(*args, env=None):
    """Run ``fibro`` in this process (as tests/test_cli_errors.py does)."""
    return CliRunner().invoke(main, [str(a) for a in args], env={"FIBRO_DB": None, **(env or {})})


def text_of(path) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(path).pages)


def flat(text: str) -> str:
    """Text with line breaks and runs of spaces made single spaces (table cells wrap)."""
    return " ".join(text.split())


@pytest.fixture(scope="module")
def hand_made(tmp_path_factory):
    """March 2026: pain 3 and 5 on alternate days (mean 4.0), sleep 7 h, quality 6; six light
    sessions (pain 6 -> 4); paracetamol on 1-16 March; ACR 2016 (FS 12) and FIQR (60.0)."""
    path = tmp_path_factory.mktemp("hand") / "diary.sqlite"
    store = Store(path)
    days = [MARCH[0] + dt.timedelta(days=i) for i in range(30)]
    records = [DailyCheckin(date=d, pain=3.0 if i % 2 else 5.0, sleep_hours=7.0, sleep_quality=6.0)
               for i, d in enumerate(days)]
    records += [MassageSession(start=dt.datetime(2026, 3, 2 + 5 * k, 17, 0), duration_min=45,
                               pressure="light", areas=("neck", "shoulders"), therapist=THERAPIST,
                               pain_before=6.0, pain_after=4.0) for k in range(6)]
    records += [MedicationDose(time=dt.datetime(2026, 3, day, 9, 0), name="Paracetamol",
                               drug_class="simple_analgesic", dose=500, unit="mg")
                for day in range(1, 17)]
    pid = store.ensure_patient(NAME)
    store.save(pid, records)
    store.save_assessment(pid, "acr2016", dt.date(2026, 3, 20), {},
                          acr2016(ACR_REGIONS, 2, 2, 1).to_dict())
    store.save_assessment(pid, "fiqr", dt.date(2026, 3, 21), {}, fiqr([6] * 21).to_dict())
    store.close()
    return path


@pytest.fixture(scope="module")
def march_pdf(hand_made, tmp_path_factory):
    out = tmp_path_factory.mktemp("out") / "march.pdf"
    result = fibro("report", "--db", hand_made, "--from", "2026-03-01", "--to", "2026-03-30",
                   "--out", out, "--paper", "a4")
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory):
    path = tmp_path_factory.mktemp("demo") / "demo.sqlite"
    store = Store(path)
    demo.write_demo(store, days=200, seed=3, end=dt.date(2026, 6, 30))
    store.close()
    return path


# --- what the PDF says ---------------------------------------------------------------

def test_header_name_and_caveat_are_selectable_text(march_pdf):
    text = flat(text_of(march_pdf))
    assert NAME in text
    assert "associations, not causes" in text
    assert "A self-kept diary, not a medical record" in text
    assert "01 Mar 2026 to 30 Mar 2026 (30 days)" in text
    assert f"generated {dt.date.today():%d %b %Y}" in text


def test_user_text_is_shown_literally_never_as_markup(march_pdf):
    assert THERAPIST in flat(text_of(march_pdf))


def test_sessions_table_and_count(march_pdf):
    text = flat(text_of(march_pdf))
    assert "6 sessions: 6 light / soft stroking." in text
    assert text.count("6 → 4") == 6
    assert "Mon 02 Mar 2026" in text and "Neck, Shoulders" in text


def test_summary_numbers(march_pdf):
    text = flat(text_of(march_pdf))
    assert "Days logged (of 30) 30 – –" in text  # nothing logged in February: no comparison
    assert "Mean pain (0 = none, 10 = worst) 4.0" in text
    assert "Mean sleep 7.0 h" in text
    assert "Painkiller days (as-needed classes) 16" in text


def test_effect_rows_with_interval_and_n(march_pdf):
    text = flat(text_of(march_pdf))
    # 6 sessions alike: the spread floored at the rating grain (0.3) gives a t interval of
    # -2 +- 2.571 * 0.3 / sqrt(6); a main question, so its adjusted p is shown and read.
    assert ("Pain, after minus before the session −2.00 points −2.31 to −1.69 6 < 0.01 "
            "(< 0.01) lower") in text
    assert "Sleep hours the night after 0.00 hours −0.31 to +0.31 6 1.00 exploratory" in text
    assert "(Holm)" in text
    assert "Not enough data yet" not in text  # only light sessions, and enough of them


def test_scores_with_bands_and_dates(march_pdf):
    text = flat(text_of(march_pdf))
    assert "20 Mar 2026 WPI 7, SSS 5, FS 12; criteria met; generalized pain severe" in text
    assert "21 Mar 2026 total 60.0 (function 18.0, overall 12.0, symptoms 30.0) moderate" in text


def test_medication_overuse_month(march_pdf):
    text = flat(text_of(march_pdf))
    assert "Mar 2026 16 days: reached" in text
    assert "are not a diagnosis" in text


def test_fonts_are_embedded_truetype(march_pdf):
    reader = PdfReader(march_pdf)
    fonts = {}
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            fonts[font["/BaseFont"]] = font
    assert fonts
    for name, font in fonts.items():
        assert "/FontFile2" in font["/FontDescriptor"].get_object(), f"{name} is not embedded"


# --- order, pages, paper ---------------------------------------------------------------

@pytest.mark.parametrize("audience, first, last", [("therapist", "sessions", "medication"),
                                                   ("doctor", "summary", "sessions")])
def test_each_audience_reads_its_sections_first(demo_db, tmp_path, audience, first, last):
    out = tmp_path / f"{audience}.pdf"
    assert fibro("report", "--db", demo_db, "--for", audience, "--out", out).exit_code == 0
    text = flat(text_of(out))
    positions = {key: text.index(title) for key, title in SECTION_TITLES.items()}
    assert min(positions, key=positions.get) == first
    assert max(positions, key=positions.get) == last


@pytest.mark.parametrize("paper, width", [("a4", 595.3), ("letter", 612.0)])
def test_ninety_demo_days_fit_one_to_three_pages_on_either_paper(demo_db, tmp_path, paper, width):
    out = tmp_path / "r.pdf"
    result = fibro("report", "--db", demo_db, "--paper", paper, "--out", out)
    assert result.exit_code == 0, result.output
    reader = PdfReader(out)
    assert 1 <= len(reader.pages) <= 3
    assert float(reader.pages[0].mediabox.width) == pytest.approx(width, abs=0.1)
    assert "2026-04-02 to 2026-06-30" in result.output  # 90 days ending at the last logged day


def test_paper_follows_the_locale():
    assert paper_for_locale({"LANG": "en_US.UTF-8"}) == "letter"
    assert paper_for_locale({"LANG": "en_US.UTF-8", "LC_PAPER": "de_DE.UTF-8"}) == "a4"
    assert paper_for_locale({"LC_ALL": "fr_CA.UTF-8"}) == "letter"
    assert paper_for_locale({"LANG": "C.UTF-8"}) == "a4"
    assert paper_for_locale({}) == "a4"


def test_page_one_renders_to_png(march_pdf, tmp_path):
    """The page as an image (pdftoppm), kept in test-artifacts to look at."""
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm (poppler-utils) is not installed")
    subprocess.run(["pdftoppm", "-r", "60", "-png", "-f", "1", "-l", "1", str(march_pdf),
                    str(tmp_path / "page")], check=True, timeout=60)
    png = next(tmp_path.glob("page*.png"))
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 20_000
    artifacts = os.path.join(os.path.dirname(__file__), os.pardir, "test-artifacts")
    os.makedirs(artifacts, exist_ok=True)
    shutil.copy(png, os.path.join(artifacts, "report-page-1.png"))


# --- bad input ------------------------------------------------------------------------------

def refused(result, *words):
    assert result.exit_code != 0 and isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.output
    line = result.output.strip().splitlines()[-1]
    assert line.startswith("Error: ")
    assert all(word in line for word in words), line


def test_a_period_ending_before_it_starts_is_refused(hand_made, tmp_path):
    refused(fibro("report", "--db", hand_made, "--from", "2026-03-10", "--to", "2026-03-01",
                  "--out", tmp_path / "r.pdf"), "--from", "after its end")
    assert not (tmp_path / "r.pdf").exists()


def test_unknown_patient_and_empty_store_are_one_line(hand_made, tmp_path):
    refused(fibro("report", "--db", hand_made, "--patient", "Nobody", "--out", tmp_path / "r.pdf"),
            "--patient", "Nobody")
    refused(fibro("report", "--db", tmp_path / "new.sqlite", "--out", tmp_path / "r.pdf"),
            "no diary yet")


def test_an_out_path_that_is_a_folder_is_refused(hand_made, tmp_path):
    refused(fibro("report", "--db", hand_made, "--out", tmp_path), "--out")


def report_text(db, out, *args) -> str:
    """The flattened text of ``fibro report --db db --out out *args`` (which must succeed)."""
    result = fibro("report", "--db", db, *args, "--out", out)
    assert result.exit_code == 0, result.output
    return flat(text_of(out))


def test_an_empty_period_gives_a_report_that_says_so(hand_made, tmp_path):
    text = report_text(hand_made, tmp_path / "empty.pdf", "--from", "2020-01-01", "--to", "2020-03-31")
    assert "No entries in this period: the diary runs from 01 Mar 2026 to 30 Mar 2026." in text
    assert "No massage sessions in this period" in text
    assert "No ACR 2016 or FIQR results kept up to 31 Mar 2020" in text


def test_a_period_longer_than_the_diary(hand_made, tmp_path):
    text = report_text(hand_made, tmp_path / "long.pdf", "--from", "2025-01-01", "--to", "2026-12-01")
    assert "The diary starts on 01 Mar 2026; earlier days have no entries." in text
    assert "The last entry is of 30 Mar 2026." in text
    assert "6 sessions" in text


def test_a_diary_without_sessions(tmp_path):
    store = Store(tmp_path / "d.sqlite")
    pid = store.ensure_patient("Only days")
    store.save(pid, [DailyCheckin(date=dt.date(2026, 5, d), pain=5.0) for d in range(1, 11)])
    report = build_report("Only days", store.daily(pid), store.sessions(pid), store.doses(pid))
    # A diary younger than the default 90 days: its own ten days, not 80 empty ones before.
    assert report.start == dt.date(2026, 5, 1) and report.end == dt.date(2026, 5, 10)
    assert report.sessions.empty and report.effects.empty
    render_pdf(report, tmp_path / "r.pdf")
    text = flat(text_of(tmp_path / "r.pdf"))
    assert "No massage sessions in this period, so no effects to estimate." in text
    store.close()


def test_filters_choose_the_sessions(hand_made):
    store = Store(hand_made)
    pid = int(store.patients()["id"].iloc[0])
    frames = store.daily(pid), store.sessions(pid), store.doses(pid)
    report = build_report(NAME, *frames, start=MARCH[0], end=MARCH[1], pressures=["deep"])
    assert report.sessions.empty and report.effects.empty
    assert report.filters == "pressures: Deep"
    assert report.figures[1].now == 0  # sessions in the summary follow the filters too
    store.close()


def test_period_defaults():
    last, today = dt.date(2026, 6, 30), dt.date(2026, 12, 2)
    assert resolve_period(None, None, last, today) == (dt.date(2026, 4, 2), last)
    assert resolve_period(None, None, None, today) == (dt.date(2026, 9, 4), today)
    assert resolve_period(dt.date(2026, 1, 1), None, last, today) == (
        dt.date(2026, 1, 1), dt.date(2026, 3, 31))
    assert resolve_period(None, "2026-02-01", last, today) == (dt.date(2025, 11, 4),
                                                              dt.date(2026, 2, 1))
    with pytest.raises(ReportError):
        resolve_period("2026-02-02", "2026-02-01", last, today)


def test_previous_period_has_the_same_length(hand_made):
    store = Store(hand_made)
    pid = int(store.patients()["id"].iloc[0])
    report = build_report(NAME, store.daily(pid), store.sessions(pid), store.doses(pid),
                          start="2026-03-16", end="2026-03-30")
    assert report.previous == (dt.date(2026, 3, 1), dt.date(2026, 3, 15))
    days, sessions = report.figures[0], report.figures[1]
    assert (days.now, days.before) == (15, 15)
    assert (sessions.now, sessions.before) == (3, 3)
    assert pd.isna(report.figures[2].change) or report.figures[2].change == pytest.approx(
        report.figures[2].now - report.figures[2].before)
    store.close()


def test_a_session_logged_today_is_on_the_chart_and_unknown_sessions_are_not_asked_for(tmp_path):
    """A new diary whose last entry is a session today at 17:30 (and a dose at 21:00): both lie
    inside the chart's date axis; sessions of unknown pressure are named as too few but the
    report never asks the person to log more of them."""
    from dashboard.report.chart import x_limits

    today = dt.date(2026, 12, 6)
    records = [DailyCheckin(date=today - dt.timedelta(days=n), pain=5.0) for n in range(4)]
    records += [MassageSession(start=dt.datetime.combine(today - dt.timedelta(days=n), dt.time(17, 30)),
                               duration_min=45, pressure=p, areas=("neck",))
                for n, p in ((0, "deep"), (1, "unknown"), (3, "unknown"))]
    records.append(MedicationDose(time=dt.datetime.combine(today, dt.time(21)), name="Ibuprofen",
                                  drug_class="nsaid", dose=400, unit="mg"))
    store = Store(tmp_path / "diary.sqlite")
    store.save_by_name({NAME: records})
    pid = int(store.patients()["id"].iloc[0])
    report = build_report(NAME, store.daily(pid), store.sessions(pid), store.doses(pid), today=today)
    store.close()
    assert report.end == today
    first, last = x_limits(report)
    for when in [*report.sessions["start"], *report.doses["time"]]:
        assert first <= when <= last, f"{when} is off the chart ({first} to {last})"
    assert last >= pd.Timestamp(today) + pd.Timedelta(hours=12) + pd.Timedelta(days=0.425)  # the dose bar
    assert "unknown" in report.too_few and "unknown" not in report.needed
    out = tmp_path / "report.pdf"
    render_pdf(report, out)
    text = flat(text_of(out))
    assert "more unknown" not in text.lower(), text
    assert "more deep session" in text.lower(), text
