"""The body's geometry: the front and back views of a drawn human figure, as polygons whose
parts are the ACR 2016 WPI regions and the dashboard's body areas.

Pure shapes and coordinates (no Bokeh, no Panel): ``body_parts()`` in drawing order and
``part_at(x, y)`` for a click; ``ui/bodymap.py`` draws them.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

FRONT, BACK = "front", "back"
BACK_X = 100.0  # the back view is drawn this far to the right of the front view
SAMPLES = 6  # points drawn between two control points of a smooth contour


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
