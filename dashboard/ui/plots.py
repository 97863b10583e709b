"""The linked plots: pain, sleep and medication on one date axis, drawn with plain Bokeh.

Two halves. Pure functions turn DataFrames into the columns a plot shows (testable
without a browser). ``LinkedFigures`` builds the three figures once, with fixed
shapes, tools and legends, and afterwards only replaces the data of their
``ColumnDataSource``s: a filter click sends a few columns, the zoom stays where it
was, and nothing is laid out again. (Built with HoloViews, each click re-ran its
plotting pipeline for a dozen layers; see issue 10.)
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import panel as pn
from bokeh.events import SelectionGeometry
from bokeh.models import (BoxSelectTool, ColumnDataSource, CustomJS, DatetimeAxis,
                          DatetimeTicker, DatetimeTickFormatter, Grid, GridPlot, HoverTool, Legend,
                          LegendItem, Line, LinearAxis, PanTool, Quad, Range1d, ResetTool,
                          SaveTool, Scatter, Toolbar, ToolProxy, VStrip, WheelZoomTool)
from bokeh.plotting import figure

from panel.io.state import set_curdoc

from .. import domain
from ..analysis import summary as an

SHADE_COLOR = "#E8E3F3"  # calm lilac, far from every pressure colour
SPAN_COLOR = "#F0E442"
INK = "#3B3B4F"
HEIGHT = 230
NARROW_HEIGHT = 330  # a phone's plot carries its legend below it
SHADING_LABEL = "Days after a session"
BANDS_NAME = "after-session-days"  # the renderer of the bands (its legend sample is another)

PAIN_TITLE, SLEEP_TITLE, MEDICATION_TITLE = "Pain and massage sessions", "Sleep", "Medication"
PAIN_RANGE, HOURS_RANGE, QUALITY_RANGE = (0, 10.5), (0, 12), (0, 10.5)
HOURS_COLOR, QUALITY_COLOR = "#0072B2", "#CC79A7"
NAP_COLOR = "#9CCAEB"  # a lighter shade of the hours' blue: naps sit on top of night sleep
NAP_LABEL = "Naps (on top of night sleep)"
DOT_SIZE, LONE_SIZE = 3, 8  # a day's dot; a point no line reaches (a new diary's first day)
MIN_SHOWN_DAYS = 7  # a shorter diary or window is shown as a week, so a day is not a slab
DAY_LABEL = "%d %b"
WIDE_TICKS, NARROW_TICKS = 8, 3  # date ticks wanted on a screen and on a phone

SESSION_TOOLTIPS = [
    ("Session", "@date{%Y-%m-%d %H:%M}"),
    ("Pressure", "@{pressure_label}"),  # braces: a bare @pressure_label showed "deep_label"
    ("Areas", "@{areas_label}"),
    ("Duration", "@{duration_min}{0} min"),
    ("Technique", "@{technique}"),
    ("Pain before → after", "@{pain_change}"),
]
DAY_FORMAT = {"@date": "datetime"}

GAP_DAYS = 3  # a line does not bridge more days than this without a record


# --- columns: pure functions of DataFrames ---------------------------------------

def break_at_gaps(dates: pd.Series, values: pd.Series, gap_days: int = GAP_DAYS):
    """Dates and values with a missing value inserted after each gap of more than
    ``gap_days`` days, so a line stops there instead of crossing months or years."""
    frame = pd.DataFrame({"date": pd.to_datetime(dates).to_numpy(),
                          "value": pd.Series(values).astype("float64").to_numpy()})
    frame = frame.sort_values("date", kind="stable")
    gaps = frame["date"].diff().shift(-1) > pd.Timedelta(days=gap_days)
    breaks = pd.DataFrame({"date": frame.loc[gaps, "date"] + pd.Timedelta(days=1),
                           "value": float("nan")})
    joined = pd.concat([frame, breaks]).sort_values("date", kind="stable")
    return joined["date"].to_numpy(), joined["value"].to_numpy()


def line_columns(dates, values) -> dict:
    """A line's columns (``date``, ``value``), broken at gaps."""
    x, y = break_at_gaps(dates, values)
    return {"date": x, "value": y}


def day_columns(dates, values, joined_size: float = DOT_SIZE) -> dict:
    """One dot per day, ``size`` ``joined_size`` on a line and ``LONE_SIZE`` where no line
    reaches (so a lone day of a new diary, or a day between gaps, still shows)."""
    return {"date": pd.to_datetime(pd.Series(dates)).to_numpy(),
            "value": pd.Series(values).astype("float64").to_numpy(),
            "size": np.where(an.lone_points(dates, values, GAP_DAYS), LONE_SIZE, joined_size).astype("float64")}


def nap_columns(daily: pd.DataFrame) -> dict:
    """A bar for each day with naps, standing on that night's sleep (on 0 when not logged):
    ``bottom`` the night's hours, ``top`` plus the naps, with what the hover says."""
    naps = pd.to_numeric(daily.get("nap_minutes", pd.Series(np.nan, index=daily.index)),
                         errors="coerce").astype("float64")
    keep = (naps > 0).to_numpy()
    days = pd.to_datetime(daily["date"]).to_numpy()[keep]
    night = daily["sleep_hours"].astype("float64").to_numpy()[keep]
    bottom = np.nan_to_num(night, nan=0.0)
    minutes = naps.to_numpy()[keep]
    return {"left": days - np.timedelta64(5, "h"), "right": days + np.timedelta64(5, "h"),
            "bottom": bottom, "top": bottom + minutes / 60, "date": days,
            "nap_minutes": minutes, "night": [f"{h:.1f} h" if h == h else "–" for h in night]}


def shown_range(start, end, min_days: int = MIN_SHOWN_DAYS) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The x range for the days ``start`` to ``end``: from half a day before the first (its
    points sit at midnight, so not on the frame's edge) to the end of the last, at least
    ``min_days`` long (a short window reaches further back)."""
    first, last = pd.Timestamp(start).normalize(), pd.Timestamp(end).normalize() + pd.Timedelta(days=1)
    return min(first, last - pd.Timedelta(days=min_days)) - pd.Timedelta(hours=12), last


def merged_spans(x0, x1) -> tuple[np.ndarray, np.ndarray]:
    """Overlapping or touching [x0, x1) spans joined into one, sorted by start.

    Sessions two days apart shade overlapping days; one band per run of shaded days
    draws the same picture with fewer shapes and an even tint.
    """
    x0, x1 = np.asarray(x0, dtype="datetime64[ns]"), np.asarray(x1, dtype="datetime64[ns]")
    if len(x0) == 0:
        return x0, x1
    order = np.argsort(x0, kind="stable")
    x0, x1 = x0[order], np.maximum.accumulate(x1[order])
    starts = np.r_[True, x0[1:] > x1[:-1]]
    ends = np.r_[starts[1:], True]
    return x0[starts], x1[ends]


def shading_columns(matching_sessions: pd.DataFrame, within=None) -> dict:
    """Full-height bands over the days after each matching session, cut to ``within``
    (first, end) when given, so a session on the last day shown does not shade past it."""
    if matching_sessions.empty:
        return {"x0": np.array([], dtype="datetime64[ns]"), "x1": np.array([], dtype="datetime64[ns]")}
    spans = an.after_session_spans(matching_sessions)
    x0, x1 = merged_spans(spans["x0"].to_numpy(), spans["x1"].to_numpy())
    if within is not None:
        low, high = (np.datetime64(pd.Timestamp(t).to_datetime64(), "ns") for t in within)
        x0, x1 = np.maximum(x0, low), np.minimum(x1, high)
        keep = x0 < x1
        x0, x1 = x0[keep], x1[keep]
    return {"x0": x0, "x1": x1}


def span_columns(span) -> dict:
    """The outline over box-selected days: one band, or none."""
    if not span:
        return {"x0": np.array([], dtype="datetime64[ns]"), "x1": np.array([], dtype="datetime64[ns]")}
    return {"x0": np.array([pd.Timestamp(span[0])], dtype="datetime64[ns]"),
            "x1": np.array([pd.Timestamp(span[1])], dtype="datetime64[ns]")}


def session_columns(matching_sessions: pd.DataFrame, daily: pd.DataFrame) -> dict:
    """One row per session for the markers: y is pain after (else before, else the day's
    pain); colour and shape by pressure; what the hover tooltip says."""
    s = matching_sessions
    if s.empty:
        return {name: [] for name in ("date", "pain", "pressure", "color", "marker",
                                       "pressure_label", "areas_label", "duration_min",
                                       "technique", "pain_change")}
    day_pain = daily.set_index("date")["pain"] if not daily.empty else pd.Series(dtype=float)
    fallback = s["start"].dt.normalize().map(day_pain)
    y = s["pain_after"].fillna(s["pain_before"]).fillna(fallback).fillna(0.0)
    pressure = s["pressure"].astype(str)

    def fmt(value):
        return "–" if pd.isna(value) else f"{value:g}"

    return {
        "date": s["start"].to_numpy(),
        "pain": y.astype("float64").to_numpy(),
        "pressure": pressure.tolist(),
        "color": pressure.map(domain.PRESSURE_COLORS).tolist(),
        "marker": pressure.map(domain.PRESSURE_MARKERS).tolist(),
        "pressure_label": pressure.map(domain.PRESSURE_LABELS).tolist(),
        "areas_label": [", ".join(domain.area_label(a) for a in str(t).split(domain.AREAS_SEPARATOR) if a)
                        for t in s["areas"]],
        "duration_min": s["duration_min"].astype("float64").to_numpy(),
        "technique": s["technique"].astype(str).tolist(),
        "pain_change": [f"{fmt(b)} → {fmt(a)}" for b, a in zip(s["pain_before"], s["pain_after"])],
    }


def dose_columns(per_day: pd.DataFrame, classes) -> dict:
    """Stacked bars from ``an.doses_per_day``: one bar a day and class, 02:00 to 22:00.

    The first rows, one per class of ``domain.DRUG_CLASSES``, are not drawn (no
    dates); they give the legend each class's colour whether or not it has bars.
    """
    legend_rows = pd.DataFrame({
        "left": pd.NaT, "right": pd.NaT, "bottom": np.nan, "top": np.nan, "count": np.nan,
        "drug_class": [domain.DRUG_CLASS_LABELS[c] for c in domain.DRUG_CLASSES],
        "color": [domain.DRUG_CLASS_COLORS[c] for c in domain.DRUG_CLASSES]})
    parts = [legend_rows]
    under = np.zeros(len(per_day))
    for drug_class in [c for c in domain.DRUG_CLASSES if c in classes and c in per_day.columns]:
        counts = per_day[drug_class].to_numpy(dtype="float64")
        keep = counts > 0
        days = per_day.index[keep]
        parts.append(pd.DataFrame({
            "left": days + pd.Timedelta(hours=2), "right": days + pd.Timedelta(hours=22),
            "bottom": under[keep], "top": under[keep] + counts[keep], "count": counts[keep],
            "drug_class": domain.DRUG_CLASS_LABELS[drug_class],
            "color": domain.DRUG_CLASS_COLORS[drug_class]}))
        under = under + counts
    bars = pd.concat(parts, ignore_index=True)
    return {name: bars[name].to_numpy() if name in ("left", "right", "bottom", "top", "count")
            else bars[name].tolist() for name in bars.columns}


def dose_top(doses: pd.DataFrame) -> float:
    """The medication plot's fixed y top: the most doses on one day in the diary, plus one."""
    per_day = an.doses_per_day(doses)
    return float(per_day.sum(axis=1).max()) + 1 if len(per_day) else 2.0


# --- the figures ---------------------------------------------------------------------

# After a data change BokehJS (3.9.2) may rebuild a legend's entries with blank swatch
# canvases and fill them only on a later full repaint of the figure (a zoom, say), so the
# colour and shape swatches vanished. The legends are taught to paint their swatches right
# after rebuilding their entries (done on the first data change, and painted then too).
_SWATCHES_JS = """
for (const view of Bokeh.index.all_views()) {
  if (view.model.type !== "Legend" || view.plot_view == null || view.plot_view.model !== figure)
    continue;
  if (!view._fibro_paints_swatches) {
    view._fibro_paints_swatches = true;
    const render_items = view._render_items.bind(view);
    view._render_items = () => {
      render_items();
      requestAnimationFrame(() => view._paint_glyphs());
    };
  }
  requestAnimationFrame(() => view._paint_glyphs());
}
"""


def keep_legend_swatches(fig) -> None:
    """The legend of ``fig`` keeps its colour and shape swatches when its data change."""
    paint_swatches = CustomJS(args={"figure": fig}, code=_SWATCHES_JS)
    for renderer in fig.renderers:
        source = getattr(renderer, "data_source", None)
        if source is not None:
            source.js_on_change("data", paint_swatches)


def on_browser_event(model, event_type, handler: Callable) -> None:
    """Call ``handler(event)`` for a Bokeh UI event (a tap, a box selection) on ``model``,
    the way Panel runs its own callbacks: with the model's document as Panel's current
    document, inside one held update, so every view follows in one message."""
    def run(event) -> None:
        doc = model.document
        if doc is None:
            handler(event)
            return
        with set_curdoc(doc), pn.io.hold(doc):
            handler(event)

    model.on_event(event_type, run)


def day_ticker(ticks: int = WIDE_TICKS) -> DatetimeTicker:
    """Bokeh's date ticker asking for about ``ticks`` ticks: over the ``MIN_SHOWN_DAYS`` or
    more shown (``shown_range``) that is a day or more apart, so ticks fall on days, months
    or years (a one-day diary, shown as two days, had ticks at 06:00, 12:00 and 18:00).

    Its sub-day steps stay for a person who zooms in to hours: without them BokehJS 3.9
    picks no ticker at all for a span under a day a tick and stops drawing the figure.
    """
    return DatetimeTicker(desired_num_ticks=ticks)


def day_formatter() -> DatetimeTickFormatter:
    """Tick labels that name days ('02 Dec'), months ('Dec 2026') or years; hours only when
    zoomed in that far."""
    return DatetimeTickFormatter(days=DAY_LABEL, months="%b %Y", years="%Y",
                                 hours=f"{DAY_LABEL} %H:%M", hourmin=f"{DAY_LABEL} %H:%M")


def _empty(*day_columns: str, **columns) -> ColumnDataSource:
    """A source with empty date-time columns ``day_columns`` and empty ``columns``."""
    return ColumnDataSource({**{name: np.array([], dtype="datetime64[ns]") for name in day_columns},
                             **{name: [] for name in columns}})


# Tools are made per figure and grouped into one toolbar (``ToolProxy``), so one click on
# box select arms it in all three; their order here is their order in the toolbar.
_SHARED_TOOLS = (lambda: PanTool(dimensions="width"), lambda: WheelZoomTool(dimensions="width"),
                 lambda: BoxSelectTool(dimensions="width"), ResetTool)


class LinkedFigures:
    """Pain, sleep and medication figures sharing one date range, built once.

    ``update_*`` methods replace the data of the sources; nothing else changes, so the
    zoom survives. Box-selecting days calls ``on_select(first, last)``. Glyphs are added
    with ``add_glyph`` (no per-glyph selection and mute copies: nothing here is selected
    or muted), which keeps the document small.
    """

    def __init__(self, on_select: Callable[[pd.Timestamp, pd.Timestamp], None] | None = None,
                 narrow: bool = False):
        self.on_select = on_select
        self.narrow = narrow  # a phone: legends under the plots, which keep the whole width
        self.x_range = Range1d(start=0, end=1)
        self.shown = None  # (start, end) of the x range shown; the shading is cut to it
        # One source of after-session bands and one of the selected span, shared by the
        # three figures: a click sends them once.
        self.shading = _empty("x0", "x1")
        self.span = _empty("x0", "x1")
        # One undrawn point: legend swatches paint from it (BokehJS paints none for a
        # renderer without rows), and box select selects in it (so nothing drawn fades).
        self.nothing = ColumnDataSource({"x": [np.nan], "y": [np.nan]})
        self.pain_line, self.pain_days = _empty("date", value=()), _empty("date", value=(), size=())
        self.sessions = ColumnDataSource(session_columns(pd.DataFrame(), pd.DataFrame()))
        self.hours_line = _empty("date", value=())
        self.hours_days = _empty("date", value=(), size=(), naps=())
        self.quality_line, self.quality_days = _empty("date", value=()), _empty("date", value=(), size=())
        self.naps = _empty("left", "right", "date", bottom=(), top=(), nap_minutes=(), night=())
        self.doses = ColumnDataSource(dose_columns(pd.DataFrame(), ()))
        self.tools = {make: [] for make in _SHARED_TOOLS}
        # One date ticker (a dozen models: its sub-tickers for days, months, years...) and
        # one label format, shared by the three date axes: a third of the models to build
        # and send at each visit.
        self.day_ticker = day_ticker(NARROW_TICKS if narrow else WIDE_TICKS)
        self.day_formatter = day_formatter()
        self.pain = self._pain_figure()
        self.sleep = self._sleep_figure()
        self.medication = self._medication_figure()
        self.figures = (self.pain, self.sleep, self.medication)
        for fig in self.figures:
            keep_legend_swatches(fig)
            on_browser_event(fig, SelectionGeometry, self._selected)
        self.grid = self._grid()

    # --- building -----------------------------------------------------------------

    def _grid(self) -> GridPlot:
        proxies = [ToolProxy(tools=tools) for tools in self.tools.values()]
        hovers = [tool for fig in self.figures for tool in fig.tools if isinstance(tool, HoverTool)]
        # no Bokeh logo: a 20 px link off this computer (a11y.js hid it only between its passes,
        # and a toolbar drawn again after a pass showed it to an audit)
        toolbar = Toolbar(tools=[*proxies, *hovers, SaveTool()], active_drag=proxies[0],
                          active_scroll=proxies[1], logo=None)
        # The class is set here: a pn.pane.Bokeh hands its Bokeh model on as it is, so the
        # pane's css_classes never reach the page.
        return GridPlot(children=[(fig, row, 0) for row, fig in enumerate(self.figures)],
                        toolbar=toolbar, toolbar_location="right", sizing_mode="stretch_width",
                        css_classes=["linked-plots"])

    def _figure(self, title: str, y_range: tuple[float, float], y_label: str):
        # The date axis and its grid are added here, with the shared ticker and format
        # (``x_axis_type="datetime"`` would build a ticker and format of its own each).
        fig = figure(title=title, x_axis_type=None, x_range=self.x_range,
                     y_range=Range1d(*y_range, bounds=y_range),
                     height=NARROW_HEIGHT if self.narrow else HEIGHT,
                     sizing_mode="stretch_width", tools=[], toolbar_location=None,
                     min_border_left=60, min_border_right=20)
        dates = DatetimeAxis(ticker=self.day_ticker, formatter=self.day_formatter, axis_label="Date")
        fig.add_layout(dates, "below")
        fig.add_layout(Grid(dimension=0, axis=dates))
        fig.yaxis.axis_label_text_font_size = "12px"
        fig.yaxis.axis_label = y_label
        fig.grid.grid_line_alpha = 0.35
        fig.title.text_font_size = "14px"
        fig.add_glyph(self.shading, VStrip(x0="x0", x1="x1", fill_color=SHADE_COLOR,
                                           fill_alpha=0.8, line_alpha=0),
                      level="underlay", name=BANDS_NAME)
        fig.add_glyph(self.span, VStrip(x0="x0", x1="x1", fill_color=SPAN_COLOR, fill_alpha=0.25,
                                        line_color="#B8A800", line_width=2), level="underlay")
        target = fig.add_glyph(self.nothing, Scatter(x="x", y="y"))
        for make, tools in self.tools.items():
            tool = make()
            if isinstance(tool, BoxSelectTool):
                tool.renderers = [target]
            fig.add_tools(tool)
            tools.append(tool)
        # Each figure's own toolbar says what is active: the merged toolbar's proxies
        # do not pass their initial state on to the tools.
        fig.toolbar.active_drag, fig.toolbar.active_scroll = fig.tools[0], fig.tools[1]
        # the sample paints from an undrawn strip: with no session in view the bands have
        # no rows, and BokehJS paints no sample for a renderer without rows
        band_swatch = fig.add_glyph(self.nothing, VStrip(x0="x", x1="x", fill_color=SHADE_COLOR,
                                                         fill_alpha=0.8, line_alpha=0))
        legend = Legend(items=[LegendItem(label=SHADING_LABEL, renderers=[band_swatch])],
                        location="top_left", label_text_font_size="12px", spacing=2,
                        padding=6, glyph_width=16)
        if self.narrow:  # at the right the legend left a phone's plot a few pixels wide
            legend.update(ncols=2, location="center", margin=4, label_text_font_size="16px")
            fig.min_border_left, fig.min_border_right = 44, 8
        fig.add_layout(legend, "below" if self.narrow else "right")
        return fig, legend

    def _pain_figure(self):
        fig, legend = self._figure(PAIN_TITLE, PAIN_RANGE, domain.rating_axis_label("pain", "\n"))
        line = fig.add_glyph(self.pain_line, Line(x="date", y="value", line_color=INK, line_width=1.6))
        dots = fig.add_glyph(self.pain_days, Scatter(x="date", y="value", fill_color=INK,
                                                     line_color=INK, size="size"))
        markers = fig.add_glyph(self.sessions, Scatter(
            x="date", y="pain", marker="marker", fill_color="color", line_color="white",
            line_width=1, size=10))
        self.pain_item = LegendItem(label="Pain (overall)", renderers=[line, dots])
        self.pressure_items = {}  # the legend names the pressures the filter shows
        for p in domain.PRESSURES:  # one marker layer; the legend names each pressure
            swatch = fig.add_glyph(self.nothing, Scatter(
                x="x", y="y", marker=domain.PRESSURE_MARKERS[p], fill_color=domain.PRESSURE_COLORS[p],
                line_color="white", line_width=1, size=10))
            self.pressure_items[p] = LegendItem(label=domain.PRESSURE_LABELS[p], renderers=[swatch])
        legend.items = [*legend.items, self.pain_item, *self.pressure_items.values()]
        fig.add_tools(HoverTool(renderers=[markers], tooltips=SESSION_TOOLTIPS, formatters=DAY_FORMAT),
                      HoverTool(renderers=[dots], tooltips=[("Day", "@date{%Y-%m-%d}"),
                                                             ("Pain", "@{value}{0.0}")],
                                formatters=DAY_FORMAT))
        return fig

    def _sleep_figure(self):
        fig, legend = self._figure(SLEEP_TITLE, HOURS_RANGE, "Hours asleep")
        fig.extra_y_ranges = {"quality": Range1d(*QUALITY_RANGE, bounds=QUALITY_RANGE)}
        fig.add_layout(LinearAxis(y_range_name="quality", axis_label_text_font_size="12px",
                                  axis_label=domain.rating_axis_label("sleep_quality", "\n")),
                       "right")
        naps = fig.add_glyph(self.naps, Quad(left="left", right="right", bottom="bottom", top="top",
                                             fill_color=NAP_COLOR, fill_alpha=0.9,
                                             line_color=HOURS_COLOR, line_width=0.5))
        hours = fig.add_glyph(self.hours_line, Line(x="date", y="value", line_color=HOURS_COLOR,
                                                    line_width=1.6))
        dots = fig.add_glyph(self.hours_days, Scatter(x="date", y="value", fill_color=HOURS_COLOR,
                                                      line_color=HOURS_COLOR, size="size"))
        quality = fig.add_glyph(self.quality_line, Line(
            x="date", y="value", line_color=QUALITY_COLOR, line_width=1.4, line_dash="dashed"),
            y_range_name="quality")
        # The dashed line has no dots of its own; a value no line reaches gets one.
        quality_dots = fig.add_glyph(self.quality_days, Scatter(
            x="date", y="value", marker="diamond", fill_color=QUALITY_COLOR,
            line_color=QUALITY_COLOR, size="size"), y_range_name="quality")
        # The naps' swatch paints from the undrawn point: the bars' own painted none while
        # no nap fell in the days shown.
        nap_swatch = fig.add_glyph(self.nothing, Scatter(
            x="x", y="y", marker="square", size=12, fill_color=NAP_COLOR, fill_alpha=0.9,
            line_color=HOURS_COLOR, line_width=0.5))
        legend.items = [*legend.items, LegendItem(label="Hours asleep", renderers=[hours, dots]),
                        LegendItem(label=NAP_LABEL, renderers=[nap_swatch]),
                        LegendItem(label="Sleep quality", renderers=[quality, quality_dots])]
        if self.narrow:  # the naps' label is too long for two columns of 16 px text on a phone
            legend.ncols = 1
            fig.height += 44
        fig.add_tools(HoverTool(renderers=[dots], tooltips=[("Night before", "@date{%Y-%m-%d}"),
                                                             ("Hours asleep", "@{value}{0.0}"),
                                                             ("Naps", "@{naps}")],
                                formatters=DAY_FORMAT),
                      HoverTool(renderers=[naps], tooltips=[("Day", "@date{%Y-%m-%d}"),
                                                            ("Naps", "@{nap_minutes}{0} min"),
                                                            ("Night sleep", "@{night}")],
                                formatters=DAY_FORMAT),
                      HoverTool(renderers=[quality_dots], tooltips=[
                          ("Night before", "@date{%Y-%m-%d}"), ("Sleep quality", "@{value}{0.0}")],
                          formatters=DAY_FORMAT))
        return fig

    def _medication_figure(self):
        fig, legend = self._figure(MEDICATION_TITLE, (0, 2), "Doses per day")
        bars = fig.add_glyph(self.doses, Quad(left="left", right="right", bottom="bottom", top="top",
                                              fill_color="color", line_alpha=0))
        # All bars are one glyph; the first rows of its source are one undrawn row per
        # drug class, which the legend entries point at for their swatch colour.
        self.dose_items = {c: LegendItem(label=domain.DRUG_CLASS_LABELS[c], renderers=[bars],
                                         index=i, visible=False)
                           for i, c in enumerate(domain.DRUG_CLASSES)}
        legend.items = [*legend.items, *self.dose_items.values()]
        fig.add_tools(HoverTool(renderers=[bars], tooltips=[("Day", "@left{%Y-%m-%d}"),
                                                            ("Class", "@{drug_class}"),
                                                            ("Doses", "@count{0}")],
                                formatters={"@left": "datetime"}))
        return fig

    # --- updating -------------------------------------------------------------------

    def show_days(self, start, end) -> None:
        """Show the days from ``start`` to ``end``, at least a week (``shown_range``); the
        reset tool comes back here too."""
        first, last = shown_range(start, end)
        self.shown = (first, last)
        self.x_range.update(start=first, end=last, reset_start=first, reset_end=last)

    def update_daily(self, daily: pd.DataFrame, areas=None) -> None:
        """Pain (overall, or of the chosen areas) and sleep, day by day."""
        if daily.empty:
            nothing = np.array([], dtype="datetime64[ns]")
            for source in (self.pain_line, self.pain_days, self.hours_line, self.hours_days,
                           self.quality_line, self.quality_days):
                source.data = {name: nothing if name == "date" else [] for name in source.data}
            self.naps.data = {name: nothing if name in ("left", "right", "date") else []
                              for name in self.naps.data}
            return
        self.update_pain(daily, areas)
        self.hours_line.data = line_columns(daily["date"], daily["sleep_hours"])
        naps = pd.to_numeric(daily.get("nap_minutes", pd.Series(np.nan, index=daily.index)),
                             errors="coerce")
        self.hours_days.data = {**day_columns(daily["date"], daily["sleep_hours"]),
                                "naps": [f"{m:.0f} min" if m == m else "–" for m in naps]}
        self.naps.data = nap_columns(daily)
        self.quality_line.data = line_columns(daily["date"], daily["sleep_quality"])
        self.quality_days.data = day_columns(daily["date"], daily["sleep_quality"], joined_size=0)

    def update_pain(self, daily: pd.DataFrame, areas=None) -> None:
        """The pain line: overall, or the mean of the chosen areas' logged pain."""
        if daily.empty:
            return
        pain, label = an.daily_pain(daily, areas)
        self.pain_line.data = line_columns(daily["date"], pain)
        self.pain_days.data = day_columns(daily["date"], pain)
        if self.pain_item.label.value != label:
            self.pain_item.label = label

    def update_sessions(self, matching_sessions: pd.DataFrame, daily: pd.DataFrame) -> None:
        """Session markers and the after-session bands of all three plots."""
        self.sessions.data = session_columns(matching_sessions, daily)
        self.shading.data = shading_columns(matching_sessions, self.shown)

    def show_pressures(self, pressures) -> None:
        """The pain plot's legend names only the pressures the filter shows."""
        for pressure, item in self.pressure_items.items():
            if item.visible != (pressure in pressures):
                item.visible = pressure in pressures

    def update_doses(self, doses: pd.DataFrame, present: set[str], top: float) -> None:
        """Stacked bars per drug class; the legend names the classes in the diary."""
        self.doses.data = dose_columns(an.doses_per_day(doses), domain.DRUG_CLASSES)
        for drug_class, item in self.dose_items.items():
            if item.visible != (drug_class in present):
                item.visible = drug_class in present
        y = self.medication.y_range
        if y.end != top:
            y.update(end=top, bounds=(0, top))

    def update_span(self, span) -> None:
        self.span.data = span_columns(span)

    def _selected(self, event) -> None:
        geometry = event.geometry or {}
        if not event.final or self.on_select is None or geometry.get("x0") is None:
            return
        first, last = sorted(pd.Timestamp(geometry[k], unit="ms") for k in ("x0", "x1"))
        self.on_select(first.normalize(), last.normalize())
