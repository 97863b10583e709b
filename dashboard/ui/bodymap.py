"""A drawn human figure, front and back, whose parts are the ACR 2016 WPI regions and body areas.

Pure geometry and colours, one plain Bokeh figure (``BodyFigure``), and two small viewers: ``WpiBodyMap`` to tick
painful WPI regions, ``AreaBodyMap`` to colour the dashboard's body areas and filter by them.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import panel as pn
import param
from bokeh.events import DoubleTap, Tap
from bokeh.models import ColumnDataSource, HoverTool, Patches, Range1d, Text
from bokeh.plotting import figure

from .. import domain
from ..analysis import summary as an
from .datastore import DataStore
from .plots import on_browser_event
from .text import escape_html

FRONT, BACK = "front", "back"
BACK_X = 100.0  # the back view is drawn this far to the right of the front view
SAMPLES = 6  # points drawn between two control points of a smooth contour

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

PAIN_MEASURE, SESSIONS_MEASURE = "pain", "sessions"
MEASURE_LABELS = {PAIN_MEASURE: "Mean pain per area (0-10)",
                  SESSIONS_MEASURE: "Matching sessions per area"}


# --- geometry -----------------------------------------------------------------

def smooth(points: Sequence[tuple[float, float]], samples: int = SAMPLES) -> list[tuple[float, float]]:
    """A Catmull-Rom curve through ``points``; control point k lands at index k * samples."""
    pts = np.asarray(points, dtype=float)
    padded = np.vstack([2 * pts[0] - pts[1], pts, 2 * pts[-1] - pts[-2]])
    out = []
    for i in range(len(pts) - 1):
        p0, p1, p2, p3 = padded[i:i + 4]
        for t in np.arange(samples) / samples:
            point = 0.5 * (2 * p1 + (p2 - p0) * t + (2 * p0 - 5 * p1 + 4 * p2 - p3) * t ** 2
                           + (3 * p1 - p0 - 3 * p2 + p3) * t ** 3)
            out.append((float(point[0]), float(point[1])))
    out.append(tuple(map(float, pts[-1])))
    return out


class Contour:
    """A smooth line through control points, cut into pieces at control points."""

    def __init__(self, *points: tuple[float, float]):
        self.points = smooth(points)

    def piece(self, first: int, last: int) -> list[tuple[float, float]]:
        """From control point ``first`` to ``last`` (reversed when last < first)."""
        lo, hi = sorted((first, last))
        part = self.points[lo * SAMPLES: hi * SAMPLES + 1]
        return part if first <= last else part[::-1]


def ellipse(cx: float, cy: float, rx: float, ry: float, start: float, stop: float,
            n: int = 24) -> list[tuple[float, float]]:
    """Points of an elliptic arc from angle ``start`` to ``stop`` (radians, counter-clockwise)."""
    return [(cx + rx * math.cos(t), cy + ry * math.sin(t)) for t in np.linspace(start, stop, n)]


@dataclass(frozen=True)
class Part:
    """One drawn polygon: a WPI region, or an outline that only gives context."""

    name: str
    label: str
    view: str
    area: str
    region: str | None
    xs: tuple[float, ...]
    ys: tuple[float, ...]

    def contains(self, x: float, y: float) -> bool:
        """Whether (x, y) lies inside the polygon (even-odd rule)."""
        inside = False
        xs, ys = self.xs, self.ys
        j = len(xs) - 1
        for i in range(len(xs)):
            if (ys[i] > y) != (ys[j] > y):
                crossing = xs[i] + (y - ys[i]) * (xs[j] - xs[i]) / (ys[j] - ys[i])
                if x < crossing:
                    inside = not inside
            j = i
        return inside

    def centroid(self) -> tuple[float, float]:
        """The polygon's centre of area."""
        x, y = np.asarray(self.xs), np.asarray(self.ys)
        cross = x * np.roll(y, -1) - np.roll(x, -1) * y
        area = cross.sum() / 2
        return (float(((x + np.roll(x, -1)) * cross).sum() / (6 * area)),
                float(((y + np.roll(y, -1)) * cross).sum() / (6 * area)))

    def aim_point(self) -> tuple[float, float]:
        """A point well inside the polygon, to click: the middle of its widest stretch at centroid height."""
        cx, cy = self.centroid()
        xs, ys = self.xs, self.ys
        crossings = sorted(
            xs[i] + (cy - ys[i]) * (xs[i - 1] - xs[i]) / (ys[i - 1] - ys[i])
            for i in range(len(xs)) if (ys[i] > cy) != (ys[i - 1] > cy))
        inside = [(b - a, (a + b) / 2) for a, b in zip(crossings[::2], crossings[1::2])]
        return (max(inside)[1], cy) if inside else (cx, cy)


# Control points, in "lateral" coordinates: x is the distance from the midline, y the
# height (soles at 0, top of the head near 203).  One side is drawn; the other is its mirror.
NECK = Contour((5.0, 178.6), (5.2, 171.0), (6.5, 165.0))
NECK_BASE = Contour((6.5, 165.0), (3.0, 161.0), (0.0, 159.5))
SHOULDER_TOP = Contour((6.5, 165.0), (13.0, 162.8), (20.0, 160.8), (25.4, 157.8), (28.2, 152.4),
                       (29.2, 146.5))
CLAVICLE = Contour((0.0, 159.5), (8.0, 157.6), (16.0, 154.2), (23.0, 148.5))
ARMPIT = (23.0, 148.5)
OUTER_ARM = Contour((29.2, 146.5), (31.4, 134.0), (32.8, 121.0), (35.2, 107.0), (37.2, 93.0))
INNER_ARM = Contour(ARMPIT, (24.4, 135.0), (26.0, 120.0), (29.0, 106.0), (31.8, 92.0))
HAND = Contour((37.2, 93.0), (39.0, 86.5), (39.2, 80.0), (37.4, 74.6), (34.2, 74.0), (32.2, 78.4),
               (31.4, 86.0), (31.8, 92.0))
SIDE = Contour(ARMPIT, (21.6, 139.0), (19.6, 128.0), (17.6, 119.0), (18.0, 110.0), (19.6, 101.0),
               (21.0, 92.0), (21.6, 84.0))
CHEST_BASE = Contour((19.6, 128.0), (10.0, 127.2), (0.0, 127.0))
GROIN = Contour((18.0, 110.0), (14.0, 100.0), (7.0, 92.2), (0.6, 88.0))
BUTTOCK_TOP = Contour((19.6, 101.0), (10.0, 99.6), (0.0, 99.0))
LEG_TOP = Contour((0.6, 88.0), (7.0, 84.6), (14.5, 83.4), (21.6, 84.0))
OUTER_LEG = Contour((21.6, 84.0), (21.0, 70.0), (17.6, 52.0), (18.2, 40.0), (15.6, 24.0),
                    (13.0, 10.0))
INNER_LEG = Contour((0.6, 88.0), (3.4, 66.0), (6.0, 51.0), (7.0, 40.0), (7.6, 24.0), (8.6, 10.0))
FOOT = Contour((13.0, 10.0), (14.6, 5.0), (14.8, 1.4), (11.5, 0.0), (7.4, 0.6), (6.9, 4.5),
               (8.6, 10.0))
HEAD_CENTRE, HEAD_RADII, JAW_CUT = (0.0, 190.0), (10.5, 13.0), 5.0


def _mirror(half: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """A shape symmetric about the midline from its half drawn from the midline at x >= 0."""
    return half + [(-x, y) for x, y in reversed(half)]


def _shapes_one_side() -> dict[str, list[tuple[float, float]]]:
    """The paired parts of one side, in lateral coordinates."""
    return {
        "shoulder": SHOULDER_TOP.piece(0, 5) + [ARMPIT] + CLAVICLE.piece(3, 0) + NECK_BASE.piece(2, 0),
        "upper_arm": [ARMPIT] + OUTER_ARM.piece(0, 2) + INNER_ARM.piece(2, 0),
        "lower_arm": OUTER_ARM.piece(2, 4) + INNER_ARM.piece(4, 2),
        "hand": HAND.points,
        "hip": SIDE.piece(4, 7) + LEG_TOP.piece(3, 0) + GROIN.piece(3, 0),
        "buttock": BUTTOCK_TOP.piece(2, 0) + SIDE.piece(5, 7) + LEG_TOP.piece(3, 0),
        "upper_leg": LEG_TOP.piece(0, 3) + OUTER_LEG.piece(0, 2) + INNER_LEG.piece(2, 0),
        "lower_leg": OUTER_LEG.piece(2, 5) + INNER_LEG.piece(5, 2),
        "foot": FOOT.points,
    }


def _shapes_middle() -> dict[str, list[tuple[float, float]]]:
    """The unpaired parts, in lateral coordinates (already mirrored)."""
    cx, cy = HEAD_CENTRE
    rx, ry = HEAD_RADII
    cut = math.asin(JAW_CUT / ry)
    return {
        # The neck's top follows the chin, so nothing overlaps whatever the drawing order.
        "neck": _mirror(ellipse(cx, cy, rx, ry, -math.pi / 2, -math.acos(NECK.points[0][0] / rx), 8)
                        + NECK.points + NECK_BASE.piece(0, 2)[1:]),
        "chest": _mirror(CLAVICLE.points + SIDE.piece(0, 2)[1:] + CHEST_BASE.points[1:]),
        "abdomen": _mirror(CHEST_BASE.piece(2, 0) + SIDE.piece(2, 4)[1:] + GROIN.points[1:]),
        "lower_back": _mirror(CHEST_BASE.piece(2, 0) + SIDE.piece(2, 5)[1:] + BUTTOCK_TOP.points[1:]),
        "head": ellipse(cx, cy, rx, ry, -cut, math.pi + cut, 40),
        "head_back": ellipse(cx, cy, rx, ry, 0, 2 * math.pi, 60)[:-1],
        # The jaw halves, as seen from the front: the person's right is on the viewer's left.
        "jaw_right": ellipse(cx, cy, rx, ry, math.pi + cut, 1.5 * math.pi, 14) + [(cx, cy - JAW_CUT)],
        "jaw_left": ellipse(cx, cy, rx, ry, 1.5 * math.pi, 2 * math.pi - cut, 14) + [(cx, cy - JAW_CUT)],
    }


def _place(points: Iterable[tuple[float, float]], sign: float, dx: float) -> tuple[tuple, tuple]:
    xs, ys = zip(*((dx + sign * x, y) for x, y in points))
    return tuple(round(v, 3) for v in xs), tuple(round(v, 3) for v in ys)


def _side_sign(view: str, side: str) -> float:
    """The person's right is on the viewer's left in the front view, on the right in the back view."""
    return -1.0 if (side == "right") == (view == FRONT) else 1.0


# Paired shapes: (shape, body area, WPI region name pattern on the front or None, label noun)
PAIRED: tuple[tuple[str, str, str | None, str], ...] = (
    ("shoulder", "shoulders", "{side}_shoulder_girdle", "shoulder girdle"),
    ("upper_arm", "arms", "{side}_upper_arm", "upper arm"),
    ("lower_arm", "arms", "{side}_lower_arm", "lower arm"),
    ("hand", "hands", None, "hand"),
    ("hip", "hips", "{side}_hip", "hip"),
    ("upper_leg", "legs", "{side}_upper_leg", "upper leg"),
    ("lower_leg", "legs", "{side}_lower_leg", "lower leg"),
    ("foot", "feet", None, "foot"),
)


@functools.cache
def body_parts() -> tuple[Part, ...]:
    """Every polygon of the front and back views, in drawing order."""
    side_shapes, middle = _shapes_one_side(), _shapes_middle()
    parts: list[Part] = []

    def add(name, label, view, area, region, points, sign=1.0):
        dx = 0.0 if view == FRONT else BACK_X
        parts.append(Part(name, label, view, area, region, *_place(points, sign, dx)))

    for view in (FRONT, BACK):
        prefix, suffix = ("", "") if view == FRONT else ("back_", " (back)")
        add(prefix + "neck", "Neck" + suffix, view, "neck", "neck" if view == FRONT else None,
            middle["neck"])
        if view == FRONT:
            add("head", "Head", view, "head", None, middle["head"])
            for side in ("right", "left"):
                add(f"{side}_jaw", f"{side.capitalize()} jaw", view, "jaw", f"{side}_jaw",
                    middle[f"jaw_{side}"])
            add("chest", "Chest", view, "chest", "chest", middle["chest"])
            add("abdomen", "Abdomen", view, "abdomen", "abdomen", middle["abdomen"])
        else:
            add("back_head", "Head (back)", view, "head", None, middle["head_back"])
            add("upper_back", "Upper back", view, "upper_back", "upper_back", middle["chest"])
            add("lower_back", "Lower back", view, "lower_back", "lower_back", middle["lower_back"])
        for side in ("right", "left"):
            sign = _side_sign(view, side)
            for shape, area, pattern, noun in PAIRED:
                if view == BACK and shape == "hip":
                    shape, noun = "buttock", "buttock"
                region = pattern.format(side=side) if pattern and view == FRONT else None
                name = region or f"{prefix}{side}_{shape}"
                add(name, f"{side.capitalize()} {noun}{suffix}", view, area, region,
                    side_shapes[shape], sign)
    return tuple(parts)


def part_at(x: float, y: float) -> Part | None:
    """The part at (x, y), or None outside the figure (parts only share edges)."""
    return next((part for part in body_parts() if part.contains(x, y)), None)


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


# --- values per body area ------------------------------------------------------

def area_pain_means(daily: pd.DataFrame) -> dict[str, float]:
    """Mean logged pain per body area (NaN where the area was never rated)."""
    means = {}
    for area in domain.BODY_AREAS:
        column = domain.AREA_PAIN_PREFIX + area
        values = daily[column].dropna() if column in daily.columns else pd.Series(dtype=float)
        means[area] = float(values.mean()) if len(values) else math.nan
    return means


def area_session_counts(sessions: pd.DataFrame) -> dict[str, int]:
    """How many of ``sessions`` touched each body area."""
    touched = an.session_areas(sessions) if len(sessions) else pd.Series(dtype=object)
    return {area: int(sum(area in areas for areas in touched)) for area in domain.BODY_AREAS}


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
            self.param.selected, name="Painful regions",
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
        f = self.data.filters
        self.param.watch(self._update, "measure")
        self.data.param.watch(self._update, "diary")
        f.param.watch(self._update, ["date_range", "pressures", "areas"])
        self._update()
        self.figure = BodyFigure("area-figure", self._columns(self.shown),
                                 area_tooltips(self.measure), on_tap=self.tap, label_by_area=True)
        self.param.watch(self._draw, "shown")

    def values(self) -> dict[str, float]:
        """The shown measure per body area in the filtered window.

        Sessions are those of the chosen pressures and days; the area filter only
        outlines areas, so every area keeps its count.
        """
        diary, f = self.data.diary, self.data.filters
        if self.measure == PAIN_MEASURE:
            return area_pain_means(self.data.daily() if "date" in diary.daily.columns else diary.daily)
        if "start" not in diary.sessions.columns:  # no patient yet
            return {area: 0.0 for area in domain.BODY_AREAS}
        sessions = an.filter_sessions(diary.sessions, f.pressures, None, f.start, f.end)
        return {a: float(n) for a, n in area_session_counts(sessions).items()}

    def _update(self, *_events) -> None:
        f = self.data.filters
        window = f"{f.start:%d %b %Y} – {f.end:%d %b %Y}" if f.start and f.end else ""
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
            button_type="primary", button_style="outline", description=None,
            css_classes=["area-measure"])
        legend = pn.pane.HTML(pn.bind(self._legend, self.param.shown), stylesheets=[LEGEND_CSS],
                              css_classes=["area-legend"], sizing_mode="stretch_width")
        return pn.Column(pn.pane.Markdown("### Pain and sessions by body area"), switch,
                         self.figure.pane(), legend,
                         css_classes=["area-bodymap"], max_width=640)
