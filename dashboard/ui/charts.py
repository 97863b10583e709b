"""The Effects and Scores pages' figures, drawn with plain Bokeh.

As for the Overview (``plots.LinkedFigures``), pure functions make the columns a
figure shows, and each figure is built once with its shapes, tools and ranges; a
change then replaces the data of its ``ColumnDataSource``s and, where the data ask
for it, the y range. (Drawn with HoloViews, opening the Effects page took six
seconds on a ten-year diary, most of it HoloViews laying out sixteen layers twice;
see issue 10.)
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from bokeh.models import (ColumnDataSource, FixedTicker, GridPlot, HoverTool, Label, Legend,
                          LegendItem, Line, MultiLine, Patches, Quad, Range1d, Scatter, Span)
from bokeh.plotting import figure

from .. import domain
from ..analysis import scores
from ..analysis.effects import EVENT_COLUMNS
from ..effects import EVENT_DAYS
from ..formatting import with_minus
from .serving import on_a_phone

INK = "#3B3B4F"
MUTED = "#5A5A6E"


def _still_figure(title: str, height: int, **options):
    """A figure with no pan or zoom to set off by mistake (hover only, added by the caller)."""
    fig = figure(title=title, height=height, sizing_mode="stretch_width", tools=[],
                 toolbar_location=None, min_border_left=56, min_border_right=16, **options)
    fig.title.text_font_size = "14px"
    fig.grid.grid_line_alpha = 0.3
    return fig


def _legend(fig) -> Legend:
    """An empty legend at the right of ``fig``; on a phone under it, in 16 px text (at
    the right it left a phone's plot a sliver wide)."""
    if on_a_phone():
        legend = Legend(items=[], location="center", label_text_font_size="16px", margin=4)
        fig.min_border_left, fig.min_border_right = 44, 8
        fig.height += 100  # room for its lines, so the plot keeps its height
        fig.add_layout(legend, "below")
    else:
        legend = Legend(items=[], location="top_left", label_text_font_size="12px")
        fig.add_layout(legend, "right")
    return legend


# --- Effects: means around the session day -------------------------------------------

EVENT_HEIGHT = 230
DODGE = 0.07  # days between the pressures' markers at the same offset, so none hides another
MIN_SPAN = 3.0  # a y axis chosen from the data spans at least this much, so noise looks small
DAY_TICKS = {d: ("session" if d == 0 else with_minus(f"{d:+d}"))
             for d in range(-EVENT_DAYS, EVENT_DAYS + 1)}


def two_line_rating_label(name: str, label: str) -> str:
    """'Pain' over '(0 = none, 10 = worst)': a rating's axis with its anchors
    (``domain.RATING_ANCHORS``), on two lines to fit a small figure."""
    return f"{label}\n({domain.anchors_text(domain.rating_anchors(name), ', ')})"


# measure -> (title, y axis label, fixed y range or None to follow the data)
EVENT_PANELS: dict[str, tuple[str, str, tuple | None]] = {
    "pain": ("Pain", two_line_rating_label("pain", "Pain"), (0, 10)),
    "sleep_hours": ("Hours asleep", "Hours", None),
    "sleep_quality": ("Sleep quality", two_line_rating_label("sleep_quality", "Sleep quality"),
                      (0, 10)),
    "doses": ("As-needed painkiller doses", "Doses per day", None),
}
EVENT_TOOLTIPS = [("Pressure", "@pressure"), ("Day", "@day"), ("Mean", "@{%s}{0.0}"),
                  ("95 % interval", "@ci_low{0.0} to @ci_high{0.0}"), ("Sessions (n)", "@n")]


def padded_range(values: pd.DataFrame) -> tuple[float, float]:
    """Whole numbers around ``values``, at least ``MIN_SPAN`` apart, never below 0."""
    numbers = values.to_numpy(dtype="float64", na_value=math.nan).ravel()
    numbers = numbers[~np.isnan(numbers)]
    if not numbers.size:
        return 0.0, MIN_SPAN
    low, high = math.floor(numbers.min()), math.ceil(numbers.max())
    grow = max(0.0, MIN_SPAN - (high - low)) / 2
    low, high = low - grow, high + grow
    if low < 0:
        low, high = 0.0, high - low
    return float(low), float(high)


def shown_pressures(events: pd.DataFrame) -> list[str]:
    """Pressures with at least one value in the event table, in vocabulary order."""
    seen = set(events.loc[events["n"] > 0, "pressure"]) if len(events) else set()
    return [p for p in domain.PRESSURES if p in seen] + sorted(seen - set(domain.PRESSURES))


def event_columns(events: pd.DataFrame, measure: str) -> dict[str, dict]:
    """The columns of one figure: ``markers`` (one row per pressure and day: ``offset``,
    moved sideways so no pressure hides another, the mean in a column named after the
    measure, ``ci_low``/``ci_high``, ``n``, the day and pressure in words, colour and
    marker), and per pressure a ``lines`` row and a ``bands`` polygon (the 95 % interval)."""
    shown = shown_pressures(events)
    part = events[(events["measure"] == measure) & (events["n"] > 0)]
    markers = {k: [] for k in ("offset", measure, "ci_low", "ci_high", "n", "day", "pressure",
                               "color", "marker")}
    lines = {"xs": [], "ys": [], "color": []}
    bands = {"xs": [], "ys": [], "color": []}
    for i, pressure in enumerate(shown):
        rows = part[part["pressure"] == pressure].sort_values("offset")
        dodge = (i - (len(shown) - 1) / 2) * DODGE
        days = rows["offset"].astype(int).tolist()
        x = (rows["offset"].to_numpy(dtype="float64") + dodge).tolist()
        mean = rows["mean"].to_numpy(dtype="float64").tolist()
        low = rows["ci_low"].to_numpy(dtype="float64").tolist()
        high = rows["ci_high"].to_numpy(dtype="float64").tolist()
        color = domain.PRESSURE_COLORS.get(pressure, MUTED)
        markers["offset"] += x
        markers[measure] += mean
        markers["ci_low"] += low
        markers["ci_high"] += high
        markers["n"] += rows["n"].astype(int).tolist()
        markers["day"] += [DAY_TICKS.get(d, str(d)) for d in days]
        markers["pressure"] += [domain.PRESSURE_LABELS.get(pressure, str(pressure))] * len(days)
        markers["color"] += [color] * len(days)
        markers["marker"] += [domain.PRESSURE_MARKERS.get(pressure, "diamond")] * len(days)
        lines["xs"].append(x)
        lines["ys"].append(mean)
        lines["color"].append(color)
        known = [j for j, (a, b) in enumerate(zip(low, high)) if not (math.isnan(a) or math.isnan(b))]
        bands["xs"].append([x[j] for j in known] + [x[j] for j in reversed(known)])
        bands["ys"].append([low[j] for j in known] + [high[j] for j in reversed(known)])
        bands["color"].append(color)
    return {"markers": markers, "lines": lines, "bands": bands}


def event_y_range(events: pd.DataFrame, measure: str) -> tuple[float, float]:
    """The fixed range of a 0-10 rating, or whole numbers around the means and intervals."""
    fixed = EVENT_PANELS[measure][2]
    if fixed is not None:
        return float(fixed[0]), float(fixed[1])
    return padded_range(events.loc[events["measure"] == measure, ["mean", "ci_low", "ci_high"]])


class EventFigures:
    """Pain, hours asleep, sleep quality and doses around the session day: four small
    figures in two columns, built once; ``update(events)`` feeds them new means.

    Each figure has three renderers whatever the pressures (bands, lines and markers,
    coloured per row): Bokeh models are slow to make, and twelve per figure took most
    of the page's first opening.
    """

    def __init__(self):
        self.x_range = Range1d(-EVENT_DAYS - 0.4, EVENT_DAYS + 0.4,
                               bounds=(-EVENT_DAYS - 0.4, EVENT_DAYS + 0.4))
        self.sources: dict[str, dict[str, ColumnDataSource]] = {}
        self.figures = {measure: self._figure(measure) for measure in EVENT_PANELS}
        columns = 1 if on_a_phone() else 2  # two side by side left a phone's figures cramped
        children = [(fig, i // columns, i % columns) for i, fig in enumerate(self.figures.values())]
        self.grid = GridPlot(children=children, toolbar_location=None, sizing_mode="stretch_width")

    def _figure(self, measure: str):
        title, y_label, fixed = EVENT_PANELS[measure]
        fig = _still_figure(title, EVENT_HEIGHT, x_range=self.x_range,
                            y_range=Range1d(*(fixed or (0, MIN_SPAN))))
        fig.xaxis.axis_label, fig.yaxis.axis_label = "Days from session", y_label
        fig.xaxis.ticker = FixedTicker(ticks=list(DAY_TICKS))
        fig.xaxis.major_label_overrides = dict(DAY_TICKS)
        fig.add_layout(Span(location=0, dimension="height", line_color=INK, line_dash="dotted",
                            line_width=1.2, line_alpha=0.7))
        sources = {name: ColumnDataSource(columns) for name, columns in
                   event_columns(pd.DataFrame(columns=EVENT_COLUMNS), measure).items()}
        self.sources[measure] = sources
        fig.add_glyph(sources["bands"], Patches(xs="xs", ys="ys", fill_color="color",
                                                fill_alpha=0.16, line_alpha=0))
        fig.add_glyph(sources["lines"], MultiLine(xs="xs", ys="ys", line_color="color",
                                                  line_width=2))
        markers = fig.add_glyph(sources["markers"], Scatter(
            x="offset", y=measure, marker="marker", fill_color="color", line_color="white",
            line_width=1, size=9))
        tooltips = [(name, value % measure if "%s" in value else value)
                    for name, value in EVENT_TOOLTIPS]
        fig.add_tools(HoverTool(renderers=[markers], tooltips=tooltips))
        return fig

    def update(self, events: pd.DataFrame) -> None:
        """Show these means (``analysis.effects.event_aligned``): the lines, markers and
        bands of each pressure shown, side by side at each day; the y ranges follow."""
        for measure, fig in self.figures.items():
            low, high = event_y_range(events, measure)
            if (fig.y_range.start, fig.y_range.end) != (low, high):
                fig.y_range.update(start=low, end=high)
            for name, columns in event_columns(events, measure).items():
                self.sources[measure][name].data = columns


# --- Scores: results over time, medication-overuse days ------------------------------

HISTORY_HEIGHT = 300
# Severity bands, a pale lilac that deepens a little with each band: calm behind the lines.
BAND_COLORS = ("#FAF9FD", "#F3F1F9", "#EAE7F4", "#E0DBEE", "#D5CFE8")
LINE_COLORS = {"fs": "#47338C", "wpi": "#0072B2", "sss": "#CC79A7", "total": "#47338C"}


def date_limits(days: pd.Series) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The dates of ``days`` with a margin (at least ten days each side)."""
    first, last = pd.Timestamp(days.min()), pd.Timestamp(days.max())
    pad = max((last - first) / 20, pd.Timedelta(days=10))
    return first - pad, last + pad


def band_rows(bands: tuple[tuple[int, str], ...], top: float,
              half_step: float = 0.0) -> pd.DataFrame:
    """Horizontal bands from a ``(lower bound, label)`` table: ``bottom``, ``top``, ``band``,
    ``color``, lowest first. ``half_step`` puts boundaries between whole-number scores
    (3 | 4 -> 3.5)."""
    lows = sorted(low for low, _ in bands)
    names = dict(bands)
    rows = []
    for i, low in enumerate(lows):
        bottom = 0.0 if i == 0 else low - half_step
        upper = top if i == len(lows) - 1 else lows[i + 1] - half_step
        rows.append((bottom, upper, names[low], BAND_COLORS[min(i, len(BAND_COLORS) - 1)]))
    return pd.DataFrame(rows, columns=["bottom", "top", "band", "color"])


def _history_figure(title: str, y_label: str, y_top: float, xlim, bands: pd.DataFrame):
    fig = _still_figure(title, HISTORY_HEIGHT, x_axis_type="datetime",
                        x_range=Range1d(*xlim), y_range=Range1d(0, y_top))
    fig.xaxis.axis_label, fig.yaxis.axis_label = "Date", y_label
    fig.grid.grid_line_alpha = 0.0  # the bands give the levels
    left, right = xlim
    fig.add_glyph(ColumnDataSource({**{k: bands[k].tolist() for k in bands.columns},
                                    "left": [left] * len(bands), "right": [right] * len(bands)}),
                  Quad(left="left", right="right", bottom="bottom", top="top", fill_color="color",
                       line_color="#FFFFFF", line_width=1), level="underlay")
    for row in bands.itertuples(index=False):
        fig.add_layout(Label(x=left, y=(row.bottom + row.top) / 2, text=f"  {row.band}",
                             text_align="left", text_baseline="middle", text_color=MUTED,
                             text_font_size="9pt"))
    legend = _legend(fig)
    return fig, legend


def _result_line(fig, legend, days: pd.Series, values: pd.Series, label: str, color: str,
                 dash: str = "solid") -> None:
    source = ColumnDataSource({"date": pd.to_datetime(days).to_numpy(),
                               "value": values.astype("float64").to_numpy(),
                               "label": [label] * len(days)})
    line = fig.add_glyph(source, Line(x="date", y="value", line_color=color, line_width=2,
                                      line_dash=dash))
    dots = fig.add_glyph(source, Scatter(x="date", y="value", fill_color=color, line_color=color,
                                         size=8))
    legend.items = [*legend.items, LegendItem(label=label, renderers=[line, dots])]
    fig.add_tools(HoverTool(renderers=[dots], tooltips=[("Date", "@date{%d %b %Y}"),
                                                        ("Result", "@label"),
                                                        ("Score", "@value{0}")],
                            formatters={"@date": "datetime"}))


def acr_history_figure(frame: pd.DataFrame):
    """FS score over time over its severity bands, with WPI and SSS."""
    xlim = date_limits(frame["taken_on"])
    fig, legend = _history_figure("ACR 2016 over time", "Score", scores.FS_MAX, xlim,
                                  band_rows(scores.FS_BANDS, scores.FS_MAX, half_step=0.5))
    _result_line(fig, legend, frame["taken_on"], frame["fs"], "FS score (WPI + SSS, 0-31)",
                 LINE_COLORS["fs"])
    _result_line(fig, legend, frame["taken_on"], frame["wpi"], "WPI (0-19)", LINE_COLORS["wpi"],
                 "dashed")
    _result_line(fig, legend, frame["taken_on"], frame["sss"], "SSS (0-12)", LINE_COLORS["sss"],
                 "dotted")
    return fig


def fiqr_history_figure(frame: pd.DataFrame):
    """FIQR total over time over the Salaffi 2020 bands."""
    xlim = date_limits(frame["taken_on"])
    fig, legend = _history_figure("FIQR over time", "Total", scores.FIQR_MAX, xlim,
                                  band_rows(scores.FIQR_BANDS, scores.FIQR_MAX))
    _result_line(fig, legend, frame["taken_on"], frame["total"], "FIQR total (0-100)",
                 LINE_COLORS["total"])
    return fig


def overuse_figure(table: pd.DataFrame, label_of) -> object:
    """Days of use per month of each class ICHD-3 counts, with the 10- and 15-day lines;
    ``label_of(drug_class)`` names a class in the legend."""
    counted = table[table["threshold"].notna()]
    months = pd.to_datetime(sorted(counted["month"].unique())
                            or [f"{pd.Timestamp.today():%Y-%m}"])
    xlim = (months.min() - pd.Timedelta(days=20), months.max() + pd.Timedelta(days=45))
    limits = sorted({*scores.OVERUSE_THRESHOLDS.values(), scores.COMBINED_THRESHOLD})
    top = max(float(counted["days"].max()) if len(counted) else 0, max(limits) + 1) + 2
    fig = _still_figure("Days of use per month (ICHD-3 counts)", HISTORY_HEIGHT,
                        x_axis_type="datetime", x_range=Range1d(*xlim), y_range=Range1d(0, top))
    fig.xaxis.axis_label, fig.yaxis.axis_label = "Month", "Days with at least one dose"
    for limit in limits:
        fig.add_layout(Span(location=limit, dimension="width", line_color=MUTED, line_width=1.3,
                            line_dash="dashed" if limit == scores.COMBINED_THRESHOLD else "dotted"))
        fig.add_layout(Label(x=xlim[1], y=limit, text=f"{limit} days ", text_align="right",
                             text_baseline="bottom", text_color=MUTED, text_font_size="9pt"))
    legend = _legend(fig)
    for drug_class in (*scores.ACUTE_CLASSES, scores.ALL_ACUTE):
        rows = counted[counted["drug_class"] == drug_class]
        if rows.empty:
            continue
        days = rows.set_index(pd.to_datetime(rows["month"]))["days"].reindex(months, fill_value=0)
        label = label_of(drug_class)
        is_all = drug_class == scores.ALL_ACUTE
        color = INK if is_all else domain.DRUG_CLASS_COLORS[drug_class]
        source = ColumnDataSource({"month": days.index.to_numpy(),
                                   "days": days.to_numpy(dtype="float64"),
                                   "label": [label] * len(days)})
        line = fig.add_glyph(source, Line(x="month", y="days", line_color=color,
                                          line_width=2.5 if is_all else 1.8,
                                          line_dash="dashed" if is_all else "solid"))
        dots = fig.add_glyph(source, Scatter(x="month", y="days", fill_color=color,
                                             line_color=color, size=7))
        legend.items = [*legend.items, LegendItem(label=label, renderers=[line, dots])]
        fig.add_tools(HoverTool(renderers=[dots], tooltips=[("Month", "@month{%b %Y}"),
                                                            ("Medicines", "@label"),
                                                            ("Days of use", "@days{0}")],
                                formatters={"@month": "datetime"}))
    return fig
