"""Views: small Viewers that take the DataStore and only build what they show."""

from __future__ import annotations

import pandas as pd
import panel as pn
import param

from .. import domain
from ..analysis import summary as an
from ..formatting import MISSING, day_span, with_minus
from ..wording import plural
from . import plots
from .datastore import DataStore
from .text import escape_html


class View(pn.viewable.Viewer):
    """A view of one DataStore."""

    data = param.ClassSelector(class_=DataStore)


class LinkedPlots(View):
    """Pain, sleep and medication on one shared date axis (plain Bokeh, ``plots.LinkedFigures``).

    The figures are built once per view and follow ``data.filtered``, one value per change;
    each replaces only the data it touches: a pressure or area click the session markers
    and after-session bands, a date-range change (or a new diary) the days shown. Zoom and
    pan are shared (one x range) and survive filter clicks. Box-selecting days in any plot
    sets ``data.span``, which outlines the span in all three and recomputes the summary.
    """

    narrow = param.Boolean(default=False, doc=(
        "A phone's width: the legends go under the plots. Set again when the browser says "
        "how wide its window is (``app.NarrowScreen``): the figures are then built anew"))

    def __init__(self, **params):
        super().__init__(**params)
        self._top_of, self._top = None, None  # the diary whose dose_top is _top
        self._build()
        self._pane = pn.pane.Bokeh(self.figures.grid, sizing_mode="stretch_width")  # (class: on the grid)
        self.data.param.watch(self._follow, "filtered")
        self.param.watch(self._rebuild, "narrow")

    def _build(self) -> None:
        self.figures = plots.LinkedFigures(on_select=self._on_select, narrow=self.narrow)
        self._drawn = None  # what the daily and dose plots show (``_show_diary``)
        self._show_diary()
        self.figures.update_span(self.data.filtered.span)

    def _follow(self, event) -> None:
        """Redraw what the change touched, all of it in one message to the browser."""
        changed = event.new.changed
        with pn.io.hold():
            if changed & {"diary", "days"}:
                self._show_diary()
            else:
                if "areas" in changed:
                    self._show_areas()
                elif "pressures" in changed:
                    self._show_sessions()
            if "span" in changed:
                self.figures.update_span(event.new.span)

    def _rebuild(self, _event=None) -> None:
        self._build()
        self._pane.object = self.figures.grid

    def _show_diary(self) -> None:
        shown, figures = self.data.filtered, self.figures
        diary = shown.diary
        # A logged session leaves the diary's check-ins and doses as they were (the same
        # frames: ``session._DiaryCache``): their plots are not worked out again, only the
        # sessions (a therapist's save recomputed every day's pain, sleep and doses).
        drawn = (diary.daily, diary.doses, shown.start, shown.end, tuple(shown.areas))
        same = self._drawn is not None and all(
            new is old if isinstance(new, pd.DataFrame) else new == old
            for new, old in zip(drawn, self._drawn))
        self._drawn = drawn
        with pn.io.hold():
            if shown.start is not None and shown.end is not None:
                figures.show_days(shown.start, shown.end)
            if not same:
                figures.update_daily(shown.daily, list(shown.areas))
            figures.update_sessions(shown.sessions, shown.daily)
            figures.show_pressures(shown.pressures or ())
            if not same:
                present = set(diary.doses.get("drug_class", []))
                figures.update_doses(shown.doses, present, self._dose_top(diary))

    def _dose_top(self, diary) -> float:
        """The medication plot's top (``plots.dose_top``): it depends on the whole diary,
        not on the days shown, so it is worked out once per diary, not at each move of
        the dates (a third of a date change's server time on ten years)."""
        if self._top_of is not diary:
            self._top_of, self._top = diary, plots.dose_top(diary.doses)
        return self._top

    def _show_sessions(self) -> None:
        shown = self.data.filtered
        with pn.io.hold():
            self.figures.update_sessions(shown.sessions, shown.daily)
            self.figures.show_pressures(shown.pressures or ())

    def _show_areas(self) -> None:
        shown = self.data.filtered
        with pn.io.hold():
            self.figures.update_pain(shown.daily, list(shown.areas))
            self.figures.update_sessions(shown.sessions, shown.daily)
            if "pressures" in shown.changed:
                self.figures.show_pressures(shown.pressures or ())

    def _on_select(self, first: pd.Timestamp, last: pd.Timestamp) -> None:
        self.data.span = (first, last)

    def __panel__(self):
        return self._pane


def _format(value, unit: str) -> str:
    """A figure with a true minus sign, so negative numbers read the same everywhere."""
    if value is None:
        return MISSING
    return with_minus(f"{value:.0f}\u00a0%" if unit.startswith("%") else f"{value:.1f}")


class SummaryRow(View):
    """After-session days vs other days, each figure with its number of days and interval."""

    def __panel__(self):
        clear = pn.widgets.Button(label="Clear selected days", color="light",
                                  visible=self.data.param.span.rx.pipe(bool))
        clear.on_click(lambda _e: setattr(self.data, "span", None))
        return pn.Column(
            pn.pane.HTML(self._html, sizing_mode="stretch_width",
                         css_classes=["fibro-summary"], stylesheets=[SUMMARY_CSS]),
            clear, sizing_mode="stretch_width",
        )

    @param.depends("data.filtered")
    def _html(self) -> str:
        shown = self.data.filtered
        return summary_html(shown.summary, self.data.filters, selected=shown.span is not None)


def _describe_filters(filters) -> str:
    pressures = filters.pressures
    if pressures is not None and set(pressures) == set(domain.PRESSURES):
        pressure_text = "any pressure"
    elif not pressures:
        pressure_text = "no pressure selected"
    else:
        pressure_text = ", ".join(domain.PRESSURE_LABELS[p].lower() for p in pressures)
    area_text = (", ".join(domain.area_label(a).lower() for a in filters.areas)
                 if filters.areas else "any area")
    return f"{pressure_text}; {area_text}"


def summary_html(summary: an.WindowSummary, filters, selected: bool = False) -> str:
    """The summary row as HTML (every text escaped)."""
    when = ""
    if summary.start is not None and summary.end is not None:
        when = day_span(summary.start, summary.end)
    cards = []
    for c in summary.comparisons:
        if c.enough:
            sign = "+" if c.difference >= 0 else "−"
            diff = (f"{sign}{abs(c.difference):.1f} {'points' if c.unit.startswith('%') else ''}"
                    if not c.unit.startswith("%") else f"{sign}{abs(c.difference):.0f} points")
            interval = (f"95 % interval {_format(c.ci_low, c.unit)} to {_format(c.ci_high, c.unit)}")
            detail = f"difference {diff.strip()} ({interval})"
        else:
            detail = c.not_enough_text()
        cards.append(
            f'<div class="card"><div class="measure">{escape_html(c.measure)}'
            f' <span class="unit">{escape_html(c.unit)}</span></div>'
            f'<div class="figures"><span class="after">{_format(c.after, c.unit)}</span>'
            f'<span class="vs">after sessions · {plural(c.n_after, "day")}</span></div>'
            f'<div class="figures"><span class="other">{_format(c.other, c.unit)}</span>'
            f'<span class="vs">other days · {plural(c.n_other, "day")}</span></div>'
            f'<div class="detail">{escape_html(detail)}</div></div>'
        )
    n_sessions = plural(summary.n_sessions, "matching session")
    head = (f'<div class="head"><b class="n-sessions">{n_sessions}</b>'
            f' ({escape_html(_describe_filters(filters))}) · {escape_html(when)}'
            f'{" (selected days)" if selected else ""}</div>')
    if not summary.n_sessions:
        head += ('<div class="hint">No massage session matches these days and filters: log a '
                 'session on the Log page (or widen the filters) to compare the days after '
                 'sessions with other days.</div>')
    foot = ('<div class="foot">Days 1-2 after a matching session compared with the other days. '
            'Differences are <i>associated with</i> sessions, not caused by them: sessions may be '
            'booked on bad days, days run in streaks, and intervals assume independent days.</div>')
    return f'{head}<div class="cards">{"".join(cards)}</div>{foot}'


SUMMARY_CSS = """
.head { font-size: 15px; margin-bottom: 6px; color: #2F2F3F; }
.hint { font-size: 13.5px; color: #3B3B4F; margin-bottom: 6px; }
.cards { display: flex; flex-wrap: wrap; gap: 12px; }
.card { flex: 1 1 220px; border: 1px solid #D9D6E5; border-radius: 8px; padding: 10px 14px;
        background: #FBFAFE; }
.measure { font-weight: 600; font-size: 15px; }
.unit { font-weight: 400; color: #5A5A6E; font-size: 13px; }
.figures { display: flex; align-items: baseline; gap: 8px; }
.after, .other { font-size: 22px; font-weight: 600; color: #2F2F3F; min-width: 3.2em; }
.vs { color: #5A5A6E; font-size: 13px; }
.detail { font-size: 13px; color: #3B3B4F; margin-top: 4px; }
.foot { font-size: 12.5px; color: #5A5A6E; margin-top: 8px; }
@media (max-width: 700px) {  /* a phone: text at least 16 px */
  .head, .hint, .measure, .unit, .vs, .detail, .foot { font-size: 16px; }
}
"""


class DemoBanner(View):
    """Says clearly that the data shown are invented, and how to start a real diary."""

    def __panel__(self):
        return pn.pane.Alert(
            "**You are looking at demo data** — an invented diary, so you can see how the "
            "dashboard works. To start your own diary, log a day, a massage or a dose on the "
            "**Log** page (or `fibro log ...` in a terminal), or bring in a diary you already "
            "keep with `fibro import csv DIR`. Your own entries replace the demo as soon as "
            "you save the first one.",
            alert_type="warning", sizing_mode="stretch_width", css_classes=["demo-banner"],
            visible=self.data.param.capabilities.rx.pipe(lambda can: can.demo),
        )


ABOUT = """
## About this dashboard

A private diary for people with fibromyalgia who use massage therapy. You log days,
massage sessions and medication; the dashboard shows pain, sleep and medication on one
time line and compares the days after sessions with other days, so you and your massage
therapist can see what seems to help **you**.

**What it is not.** It is not a medical device and gives no diagnosis or treatment advice.
Its figures describe your own diary: a difference after sessions is *associated with*
those sessions, it does not show that the sessions *caused* it. Sessions are often booked
on bad days, pain runs in streaks, and soreness 24-48 hours after a session is common.
Talk to your doctor before changing medication.

**Privacy.** Your diary stays in one file on this computer (or your clinic's own server).
Nothing is sent anywhere: no accounts with outside services, no analytics, no telemetry.

**How to read the plots.** Shaded days are the two days after each session that matches
the filters. In the sleep plot, naps are the lighter bars on top of the night's sleep. Drag across a plot to select days: the selection is outlined in all three
plots and the summary is computed for those days only. Scroll to zoom, drag to pan: all
three plots move together.

Pressure colours and marker shapes: light / soft stroking ● sky blue, moderate ■ green,
deep ▲ vermillion, unknown ◆ grey (a palette readable with common colour-vision
differences).
"""


class AboutPage(pn.viewable.Viewer):
    def __panel__(self):
        return pn.pane.Markdown(ABOUT, sizing_mode="stretch_width", max_width=820)
