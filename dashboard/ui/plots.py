"""HoloViews elements for the linked plots: functions of DataFrames, no Panel state.

Every plot uses the same key dimension ``DATE`` so HoloViews links their x axes.
Each function returns the same element types whatever the data, so a
DynamicMap can swap the data and keep the zoom.
"""

from __future__ import annotations

import holoviews as hv
import numpy as np
import pandas as pd

from .. import domain
from ..analysis import summary as an

DATE = hv.Dimension("date", label="Date")
PAIN = hv.Dimension("pain", label="Pain (0-10)", range=(0, 10))
SLEEP_HOURS = hv.Dimension("sleep_hours", label="Hours asleep", range=(0, 12))
SLEEP_QUALITY = hv.Dimension("sleep_quality", label="Sleep quality (0-10)", range=(0, 10))
DOSES = hv.Dimension("doses", label="Doses per day")

SHADE_COLOR = "#E8E3F3"  # calm lilac, far from every pressure colour
SPAN_COLOR = "#F0E442"
INK = "#3B3B4F"
HEIGHT = 230

SESSION_TOOLTIPS = [
    ("Session", "@date{%Y-%m-%d %H:%M}"),
    ("Pressure", "@{pressure_label}"),  # braces: a bare @pressure_label showed "deep_label"
    ("Areas", "@{areas_label}"),
    ("Duration", "@{duration_min}{0} min"),
    ("Technique", "@{technique}"),
    ("Pain before → after", "@{pain_change}"),
]


# After a filter click, HoloViews updates the data and the legend items; BokehJS (3.9.2)
# then rebuilds the legend's entries with blank swatch canvases and fills them only on
# a later full repaint of the figure (a zoom, say), so the colour and shape swatches
# vanished. The figure's legend views are taught to paint their swatches right after
# rebuilding their entries (done on the first data change, and painted then too).
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


def keep_legend_swatches(plot, element) -> None:
    """HoloViews hook: the legend keeps its colour and shape swatches when data change."""
    from bokeh.models import CustomJS

    figure = plot.state
    if "fibro-swatches" in figure.tags:
        return
    figure.tags = [*figure.tags, "fibro-swatches"]
    paint_swatches = CustomJS(args={"figure": figure}, code=_SWATCHES_JS)
    for renderer in figure.renderers:
        source = getattr(renderer, "data_source", None)
        if source is not None:
            source.js_on_change("data", paint_swatches)


def frame_opts(title: str, **extra) -> dict:
    """Plot-level options, applied by the view to the overlay it finally shows."""
    return dict(title=title, responsive=True, height=HEIGHT, legend_position="right",
                show_legend=True, show_grid=True, gridstyle={"grid_line_alpha": 0.35},
                toolbar="right", hooks=[keep_legend_swatches], **extra)


# Tools set on an Overlay are ignored by HoloViews (holoviz/holoviews#6240), so the
# date-only pan, zoom and box-select go on the elements the overlays are made of.
_TOOLS = dict(default_tools=["xpan", "xwheel_zoom", "xbox_select", "reset", "save"],
              active_tools=["xpan", "xwheel_zoom"])


def element_tools() -> list:
    """The tool options per element type (built on use: they need a plotting backend loaded)."""
    return [hv.opts.Curve(**_TOOLS), hv.opts.Scatter(**_TOOLS), hv.opts.Rectangles(**_TOOLS)]


PAIN_FRAME = frame_opts("Pain and massage sessions", ylim=(0, 10.5))
SLEEP_FRAME = frame_opts("Sleep", multi_y=True)
MEDICATION_FRAME = frame_opts("Medication")


GAP_DAYS = 3  # a line does not bridge more days than this without a record


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


def _corners(y: hv.Dimension) -> list:
    """Rectangle key dimensions for a plot whose y axis is ``y``.

    The far corner's names are the plot's own, so shared axes never link the y
    ranges of different plots through a common "y1".
    """
    return [DATE, y, "date_end", f"{y.name}_top"]


def _bands(x0, x1, y: hv.Dimension, top: float) -> hv.Rectangles:
    """Full-height bands from ``x0`` to ``x1`` on a plot whose y axis is ``y``."""
    data = pd.DataFrame({"date": pd.to_datetime(pd.Series(x0, dtype="datetime64[ns]")),
                         y.name: 0.0,
                         "date_end": pd.to_datetime(pd.Series(x1, dtype="datetime64[ns]")),
                         f"{y.name}_top": top})
    return hv.Rectangles(data, kdims=_corners(y))


def after_day_shading(matching_sessions: pd.DataFrame, y: hv.Dimension, top: float) -> hv.Rectangles:
    """Light bands over the days after each matching session."""
    spans = an.after_session_spans(matching_sessions)
    return _bands(spans["x0"].to_numpy(), spans["x1"].to_numpy(), y, top).relabel(
        "Days after a session").opts(color=SHADE_COLOR, line_alpha=0, alpha=0.8)


def selected_span(span, y: hv.Dimension, top: float) -> hv.Rectangles:
    """An outline over the days box-selected in any plot (empty when none)."""
    x0, x1 = ([pd.Timestamp(span[0])], [pd.Timestamp(span[1])]) if span else ([], [])
    return _bands(x0, x1, y, top).opts(color=SPAN_COLOR, alpha=0.25, line_color="#B8A800",
                                       line_width=2)


def _session_points(matching_sessions: pd.DataFrame, daily: pd.DataFrame) -> pd.DataFrame:
    """One row per session for the markers: y is pain after (else before, else the day's pain)."""
    s = matching_sessions
    day_pain = daily.set_index("date")["pain"] if not daily.empty else pd.Series(dtype=float)
    fallback = s["start"].dt.normalize().map(day_pain) if len(s) else pd.Series(dtype=float)
    y = s["pain_after"].fillna(s["pain_before"]).fillna(fallback).fillna(0.0)

    def fmt(value):
        return "–" if pd.isna(value) else f"{value:g}"

    return pd.DataFrame({
        "date": s["start"],
        "pain": y.astype("float64"),
        "pressure": s["pressure"].astype(str),
        "pressure_label": s["pressure"].map(domain.PRESSURE_LABELS).astype(str),
        "areas_label": s["areas"].map(lambda t: ", ".join(
            domain.area_label(a) for a in str(t).split(domain.AREAS_SEPARATOR) if a)).astype(str),
        "duration_min": s["duration_min"].astype("float64"),
        "technique": s["technique"].astype(str),
        "pain_change": [f"{fmt(b)} → {fmt(a)}" for b, a in zip(s["pain_before"], s["pain_after"])],
    })


def pain_plot(daily: pd.DataFrame, matching_sessions: pd.DataFrame, areas=None) -> hv.Overlay:
    """Daily pain as a line, matching sessions as markers by pressure, after-days shaded."""
    pain, label = an.daily_pain(daily, areas)
    line = hv.Curve(break_at_gaps(daily["date"], pain), DATE, PAIN, label=label).opts(
        color=INK, line_width=1.6, tools=["hover"])
    dots = hv.Scatter((daily["date"], pain.astype("float64")), DATE, PAIN, label=label).opts(
        color=INK, size=3)  # so a lone day (a new diary) still shows
    points = _session_points(matching_sessions, daily)
    vdims = [PAIN, "pressure", "pressure_label", "areas_label", "duration_min", "technique",
             "pain_change"]
    markers = [
        hv.Scatter(points[points["pressure"] == p], DATE, vdims,
                   label=domain.PRESSURE_LABELS[p]).opts(
            color=domain.PRESSURE_COLORS[p], marker=domain.PRESSURE_MARKERS[p], size=10,
            line_color="white", line_width=1, tools=["hover"], hover_tooltips=SESSION_TOOLTIPS,
            hover_formatters={"@date": "datetime"})
        for p in domain.PRESSURES
    ]
    return hv.Overlay([after_day_shading(matching_sessions, PAIN, 10), line, dots, *markers])


def sleep_plot(daily: pd.DataFrame, matching_sessions: pd.DataFrame) -> hv.Overlay:
    """Hours asleep and sleep quality (its own axis), the night belonging to the wake day."""
    hours = hv.Curve(break_at_gaps(daily["date"], daily["sleep_hours"]), DATE, SLEEP_HOURS,
                     label="Hours asleep").opts(color="#0072B2", line_width=1.6, tools=["hover"])
    hour_dots = hv.Scatter((daily["date"], daily["sleep_hours"].astype("float64")), DATE,
                           SLEEP_HOURS, label="Hours asleep").opts(color="#0072B2", size=3)
    quality = hv.Curve(break_at_gaps(daily["date"], daily["sleep_quality"]), DATE,
                       SLEEP_QUALITY, label="Sleep quality").opts(
        color="#CC79A7", line_width=1.4, line_dash="dashed", tools=["hover"])
    return hv.Overlay([after_day_shading(matching_sessions, SLEEP_HOURS, 12), hours, hour_dots,
                       quality])


def medication_plot(doses: pd.DataFrame, matching_sessions: pd.DataFrame,
                    classes: list[str]) -> hv.Overlay:
    """Doses per day stacked by drug class (one bar a day), after-days shaded.

    ``classes`` fixes which classes get a layer, so the overlay keeps its shape
    while filters change.
    """
    per_day = an.doses_per_day(doses).reindex(columns=classes, fill_value=0)
    bottom = np.zeros(len(per_day))
    layers = []
    for drug_class in classes:
        counts = per_day[drug_class].to_numpy(dtype="float64")
        keep = counts > 0
        days = per_day.index[keep]
        data = pd.DataFrame({"date": days + pd.Timedelta(hours=2), "doses": bottom[keep],
                             "date_end": days + pd.Timedelta(hours=22),
                             "doses_top": bottom[keep] + counts[keep],
                             "count": counts[keep]})
        layers.append(hv.Rectangles(data, kdims=_corners(DOSES), vdims=["count"],
                                    label=domain.DRUG_CLASS_LABELS[drug_class]).opts(
            color=domain.DRUG_CLASS_COLORS[drug_class], line_alpha=0, tools=["hover"],
            hover_tooltips=[("Day", "@date{%Y-%m-%d}"), ("Class", domain.DRUG_CLASS_LABELS[drug_class]),
                            ("Doses", "@count{0}")], hover_formatters={"@date": "datetime"}))
        bottom = bottom + counts
    top = float(max(bottom.max(initial=0), 1)) + 1
    return hv.Overlay([after_day_shading(matching_sessions, DOSES, top), *layers])
