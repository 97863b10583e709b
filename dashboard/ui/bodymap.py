"""Drawing the body: a human figure, front and back, whose parts are the ACR 2016 WPI regions
and body areas.

Colours, one plain Bokeh figure (``BodyFigure``), and two small viewers: ``WpiBodyMap`` to
tick painful WPI regions, ``AreaBodyMap`` to colour the dashboard's body areas and filter by
them.  The shapes are in ``body_geometry``; the values per area come from the
``body_areas`` service.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import pandas as pd
import panel as pn
import param
from bokeh.events import DoubleTap, Tap
from bokeh.models import ColumnDataSource, HoverTool, Patches, Range1d, Text
from bokeh.plotting import figure

from .. import domain
from ..body_areas import PAIN_MEASURE, SESSIONS_MEASURE, area_values
from ..formatting import day_span
from .body_geometry import BACK_X, body_parts, part_at
from .datastore import DataStore
from .plots import on_browser_event
from .text import escape_html

INK = "#3B3B4F"
OUTLINE = "#8F8AA6"  # outline of every part
CONTEXT_FILL = "#FBFAFD"  # parts that are not WPI regions (head, hands, feet, back context)
CONTEXT_LINE = "#B7B3C7"
REGION_FILL = "#ECE9F5"  # a WPI region not ticked
SELECTED_FILL = "#F2B85A"  # soft amber: far from the blue-purples for every colour vision
SELECTED_LINE = "#9A5B00"
NO_DATA_FILL = "#FFFFFF"
LINE_WIDTH, SELECTED_WIDTH = 1.2, 3.5

# Light to dark, one hue (blue-purple): a value reads as darkness, whatever the colour vision.
PALETTE: tuple[str, ...] = ("#EAE7F4", "#CDC8E5", "#ABA3D3", "#887DBF", "#6857A8", "#47338C")

MEASURE_LABELS = {PAIN_MEASURE: "Mean pain per area (0-10)",
                  SESSIONS_MEASURE: "Matching sessions per area"}


# --- colours ------------------------------------------------------------------

@dataclass(frozen=True)
class Bin:
    """Values from ``low`` to ``high`` (inclusive) are drawn in ``color``."""

    low: float
    high: float
    label: str
    color: str


def value_bins(measure: str, vmax: float = 0) -> list[Bin]:
    """The colour steps of a measure: pain in five fixed steps of 2, counts up to ``vmax``."""
    if measure == PAIN_MEASURE:
        edges = range(0, domain.RATING_MAX + 1, 2)
        steps = [(lo, hi, f"{lo}–{hi}") for lo, hi in zip(edges, list(edges)[1:])]
    else:
        top = max(math.ceil(vmax), 1)
        width = math.ceil(top / (len(PALETTE) - 1))
        steps = [(0, 0, "0")]
        for lo in range(1, top + 1, width):
            hi = min(lo + width - 1, top)
            steps.append((lo, hi, str(lo) if lo == hi else f"{lo}–{hi}"))
    n = len(steps)
    return [Bin(lo, hi, label, PALETTE[round(i * (len(PALETTE) - 1) / max(n - 1, 1))])
            for i, (lo, hi, label) in enumerate(steps)]


def value_color(value: float | None, bins: Sequence[Bin]) -> str:
    """The fill of a value: its bin's colour, white when there is no value."""
    if value is None or pd.isna(value):
        return NO_DATA_FILL
    return next((b.color for b in bins if value <= b.high), bins[-1].color)


# --- what each part shows: columns of the figure's data source ---------------------

# Columns that change with what is shown; the shapes (xs, ys) and names never do.
SHOWN_COLUMNS = ("value", "text", "fill", "line", "width", "on_top")


def _shown(value: float, text: str, fill: str, on: bool, line: str,
           on_width: float = SELECTED_WIDTH) -> dict:
    return {"value": float(value), "text": text, "fill": fill,
            "line": SELECTED_LINE if on else line,
            "width": on_width if on else LINE_WIDTH,
            "on_top": 1.0 if on else 0.0}


def wpi_columns(selected: Iterable[str] = ()) -> dict[str, list]:
    """What each part shows when the WPI regions in ``selected`` are ticked: ticked
    regions amber with a thick outline, others calm, context parts pale."""
    chosen = set(selected)
    rows = []
    for part in body_parts():
        on = part.region in chosen
        if part.region is None:
            rows.append(_shown(0.0, "not a WPI region", CONTEXT_FILL, False, CONTEXT_LINE))
        else:
            rows.append(_shown(float(on), "painful (ticked)" if on else "not ticked",
                               SELECTED_FILL if on else REGION_FILL, on, OUTLINE, 2.5))
    return _as_columns(rows)


def area_columns(values: Mapping[str, float], measure: str = PAIN_MEASURE,
                 selected: Iterable[str] = ()) -> dict[str, list]:
    """What each part shows coloured by a value per body area; ``selected`` areas get a
    thick amber outline."""
    bins = value_bins(measure, max((v for v in values.values() if not pd.isna(v)), default=0))
    chosen = set(selected)
    rows = []
    for part in body_parts():
        value = values.get(part.area, math.nan)
        if pd.isna(value):
            text = "not logged" if measure == PAIN_MEASURE else "0"
        else:
            text = f"{value:.1f}" if measure == PAIN_MEASURE else f"{value:.0f}"
        rows.append(_shown(value, text, value_color(value, bins), part.area in chosen, OUTLINE))
    return _as_columns(rows)


def _as_columns(rows: list[dict]) -> dict[str, list]:
    return {name: [row[name] for row in rows] for name in SHOWN_COLUMNS}


def part_columns(label_by_area: bool) -> dict[str, list]:
    """The fixed columns: shapes and names of every part, in ``body_parts()`` order."""
    parts = body_parts()
    return {"xs": [list(p.xs) for p in parts], "ys": [list(p.ys) for p in parts],
            "part": [p.name for p in parts], "region": [p.region or "" for p in parts],
            "area": [p.area for p in parts],
            "label": [domain.area_label(p.area) if label_by_area else p.label for p in parts]}


# 'Front'/'Back' above each view, and the person's 'Right'/'Left' under each side.
FIGURE_LABELS = ((0, 214, "Front"), (BACK_X, 214, "Back"), (-20, -9, "Right"), (20, -9, "Left"),
                 (BACK_X - 20, -9, "Left"), (BACK_X + 20, -9, "Right"))
XLIM, YLIM = (-46.0, BACK_X + 46.0), (-18.0, 222.0)
FRAME_HEIGHT = 430
FRAME_WIDTH = round(FRAME_HEIGHT * (XLIM[1] - XLIM[0]) / (YLIM[1] - YLIM[0]))


class BodyFigure:
    """The front and back figure as one plain Bokeh plot, drawn to scale, built once.

    The shapes never change: ``show`` replaces only the columns that say what each part
    shows (colour, outline, value), so a change sends a few short lists. Parts are drawn
    in a fixed order; a second layer draws the thick outlines of chosen parts over their
    neighbours. A click calls ``on_tap(x, y)`` in figure coordinates. (HoloViews took
    about half a second to draw this figure; plain Bokeh about a hundredth.)
    """

    def __init__(self, name: str, columns: dict[str, list], tooltips: list[tuple[str, str]],
                 on_tap=None, label_by_area: bool = False):
        self.source = ColumnDataSource({**part_columns(label_by_area), **columns})
        fig = figure(name=name, title=None, width=FRAME_WIDTH, height=FRAME_HEIGHT,
                     x_range=Range1d(*XLIM), y_range=Range1d(*YLIM), x_axis_location=None,
                     y_axis_location=None, tools=[], toolbar_location=None, min_border_left=0,
                     min_border_right=0, min_border_top=0, min_border_bottom=0,
                     outline_line_alpha=0)
        fig.grid.visible = False
        parts = fig.add_glyph(self.source, Patches(xs="xs", ys="ys", fill_color="fill",
                                                   line_color="line", line_width="width"))
        fig.add_glyph(self.source, Patches(xs="xs", ys="ys", fill_alpha=0, line_color="line",
                                           line_width="width", line_alpha="on_top"))
        x, y, text = zip(*FIGURE_LABELS)
        fig.add_glyph(ColumnDataSource({"x": x, "y": y, "text": text}),
                      Text(x="x", y="y", text="text", text_color=INK, text_font_size="12pt",
                           text_align="center", text_baseline="middle"))
        self.hover = HoverTool(renderers=[parts], tooltips=tooltips)
        fig.add_tools(self.hover)
        if on_tap is not None:
            # BokehJS reports a click within 300 ms of the one before as a double tap
            # only; each is one click of a person going from part to part.
            for event_type in (Tap, DoubleTap):
                on_browser_event(fig, event_type, lambda event: on_tap(event.x, event.y))
        self.figure = fig

    def show(self, columns: dict[str, list], tooltips: list[tuple[str, str]] | None = None) -> None:
        """Show new values: only the columns that changed are sent."""
        changed = {k: v for k, v in columns.items() if self.source.data.get(k) != v}
        if changed:
            self.source.data.update(changed)
        if tooltips is not None and tooltips != self.hover.tooltips:
            self.hover.tooltips = tooltips

    def pane(self) -> pn.pane.Bokeh:
        return pn.pane.Bokeh(self.figure)


def legend_html(values: Mapping[str, float], measure: str, selected: Iterable[str] = (),
                window: str = "") -> str:
    """What the colours of the area figure mean, with the numbers, as escaped HTML."""
    bins = value_bins(measure, max((v for v in values.values() if not pd.isna(v)), default=0))
    swatch = ('<span class="swatch" style="background:{fill};border-color:{line}"></span>'
              '<span class="step">{label}</span>')
    steps = [swatch.format(fill=b.color, line=OUTLINE, label=escape_html(b.label)) for b in bins]
    if measure == PAIN_MEASURE:
        steps.append(swatch.format(fill=NO_DATA_FILL, line=OUTLINE, label="not logged"))
    chosen = [domain.area_label(a) for a in domain.BODY_AREAS if a in set(selected)]
    chosen_text = ", ".join(chosen) if chosen else "none (all areas)"
    when = f" · {escape_html(window)}" if window else ""
    return (f'<div class="measure"><b>{escape_html(MEASURE_LABELS[measure])}</b>{when}</div>'
            f'<div class="steps">{"".join(steps)}</div>'
            f'<div class="chosen"><span class="swatch" style="border-color:{SELECTED_LINE}"></span>'
            f'<span>Filtering sessions by: <b class="areas">{escape_html(chosen_text)}</b>. '
            'Click an area to add or remove it.</span></div>')


LEGEND_CSS = """
.measure { font-size: 15px; color: #2F2F3F; margin-bottom: 4px; }
.steps, .chosen { display: flex; flex-wrap: wrap; align-items: center; gap: 4px 6px; font-size: 14px;
                  color: #3B3B4F; }
.swatch { display: inline-block; width: 22px; height: 14px; border: 1px solid; border-radius: 3px; }
.chosen .swatch { border-width: 3px; width: 16px; height: 10px; }
.step { margin-right: 8px; }
.chosen { margin-top: 6px; }
@media (max-width: 700px) { .measure, .steps, .chosen { font-size: 16px; } }  /* a phone */
"""


# --- viewers -------------------------------------------------------------------

class WpiBodyMap(pn.viewable.Viewer):
    """Tick the painful WPI regions by clicking the figure, or in the list beside it."""

    selected = param.ListSelector(default=[], objects=list(domain.WPI_REGIONS),
                                  doc="The WPI regions ticked as painful in the past week")

    def __init__(self, **params):
        super().__init__(**params)
        self.figure = BodyFigure("wpi-figure", wpi_columns(self.selected), WPI_TOOLTIPS,
                                 on_tap=self.tap)
        self.param.watch(lambda event: self.figure.show(wpi_columns(event.new)), "selected")
        self.checkboxes = pn.widgets.CheckBoxGroup.from_param(
            self.param.selected, label="Painful regions",
            options={domain.area_label(r): r for r in domain.WPI_REGIONS},
            css_classes=["wpi-checkboxes"])

    def toggle(self, region: str) -> None:
        """Tick a WPI region, or untick it when it was ticked."""
        if region not in domain.WPI_REGIONS:
            raise ValueError(f"unknown WPI region {region!r}")
        chosen = set(self.selected)
        chosen.symmetric_difference_update({region})
        self.selected = [r for r in domain.WPI_REGIONS if r in chosen]

    def tap(self, x: float | None = None, y: float | None = None) -> None:
        """A click at (x, y) in figure coordinates toggles the region under it, if any."""
        part = part_at(x, y) if x is not None and y is not None else None
        if part is not None and part.region is not None:
            self.toggle(part.region)

    def __panel__(self):
        heading = pn.pane.HTML("<b>Painful regions</b> (tick with the keyboard too)",
                               margin=(10, 10, 0, 10))
        return pn.Row(self.figure.pane(), pn.Column(heading, self.checkboxes),
                      css_classes=["wpi-bodymap"])


WPI_TOOLTIPS = [("Region", "@label"), ("", "@text")]


def area_tooltips(measure: str) -> list[tuple[str, str]]:
    return [("Area", "@label"), (MEASURE_LABELS[measure], "@text")]


class AreaBodyMap(pn.viewable.Viewer):
    """The body areas coloured by mean pain or by sessions; a click filters by an area."""

    data = param.ClassSelector(class_=DataStore)
    measure = param.Selector(default=PAIN_MEASURE, objects=[PAIN_MEASURE, SESSIONS_MEASURE],
                             doc="What the colours show")
    shown = param.Dict(default={}, doc="What the map shows: values, measure, chosen areas. "
                       "Set only when it changes, so a pressure click while pain is shown "
                       "redraws nothing")

    def __init__(self, **params):
        super().__init__(**params)
        self.param.watch(self._update, "measure")
        self.data.param.watch(self._update, "filtered")
        self._update()
        self.figure = BodyFigure("area-figure", self._columns(self.shown),
                                 area_tooltips(self.measure), on_tap=self.tap, label_by_area=True)
        self.param.watch(self._draw, "shown")

    def values(self) -> dict[str, float]:
        """The shown measure per body area for the sidebar's pressures and days
        (``body_areas.area_values``: the area filter only outlines areas)."""
        f = self.data.filtered
        return area_values(f.diary, self.measure, f.pressures, f.start, f.end)

    def _update(self, *_events) -> None:
        f = self.data.filtered
        window = day_span(f.start, f.end) if f.start and f.end else ""
        shown = {"values": self.values(), "measure": self.measure, "areas": list(f.areas),
                 "window": window}
        if repr(shown) != repr(self.shown):  # (NaN, an area without pain, is never == NaN)
            self.shown = shown

    @staticmethod
    def _columns(shown: dict) -> dict[str, list]:
        return area_columns(shown["values"], shown["measure"], shown["areas"])

    def _draw(self, event) -> None:
        self.figure.show(self._columns(event.new), area_tooltips(event.new["measure"]))

    def _legend(self, shown: dict) -> str:
        return legend_html(shown["values"], shown["measure"], shown["areas"], shown["window"])

    def toggle(self, area: str) -> None:
        """Add a body area to the area filter, or remove it when it was there."""
        if area not in domain.BODY_AREAS:
            raise ValueError(f"unknown body area {area!r}")
        chosen = set(self.data.filters.areas)
        chosen.symmetric_difference_update({area})
        self.data.filters.areas = [a for a in domain.BODY_AREAS if a in chosen]

    def tap(self, x: float | None = None, y: float | None = None) -> None:
        """A click at (x, y) in figure coordinates toggles the area under it, if any."""
        part = part_at(x, y) if x is not None and y is not None else None
        if part is not None:
            self.toggle(part.area)

    def __panel__(self):
        switch = pn.widgets.RadioButtonGroup.from_param(
            self.param.measure, options={v: k for k, v in MEASURE_LABELS.items()},
            color="primary", variant="outline", description=None,
            css_classes=["area-measure"])
        legend = pn.pane.HTML(pn.bind(self._legend, self.param.shown), stylesheets=[LEGEND_CSS],
                              css_classes=["area-legend"], sizing_mode="stretch_width")
        return pn.Column(pn.pane.Markdown("### Pain and sessions by body area"), switch,
                         self.figure.pane(), legend,
                         css_classes=["area-bodymap"], max_width=640)
