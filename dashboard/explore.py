"""Exploring a diary in a notebook: HoloViews objects on the app's own ``DataStore``.

Every function takes the ``DataStore`` the app uses (``DataStore(DiarySession.personal())``)
and returns a ``hv.DynamicMap`` that follows its ``Filters``: setting
``data.filters.pressures`` in a cell redraws every view made from it. The results are
ordinary HoloViews objects: they compose with ``+`` and ``*``, take ``.opts(...)``, and
``save`` writes one to a standalone HTML file.

``Exploration`` links the date views: brushing days in one marks them in the others (a
``BoundsX`` stream per view, made per call, and the ``DataStore``'s ``span``), and the days
chosen come back as data (``days()``) with their after-session summary (``summary()``,
from ``analysis.summary``, as the app's summary row). No statistics are computed here: the
numbers come from the analysis layer, this module only shapes them into elements.

The served app does not import this module (nor HoloViews): its figures are plain Bokeh
(``ui/plots.py``), which measured 2.8x cheaper per visit than the HoloViews ones.
"""

from __future__ import annotations

import functools
import logging
from html.parser import HTMLParser
from pathlib import Path

import holoviews as hv
import numpy as np
import pandas as pd
import param

from . import domain
from .analysis import effects as fx
from .analysis import summary as an
from .effects import EVENT_DAYS  # the days before and after a session, as the app
from .ui import plots
from .ui.datastore import DataStore

DATE = hv.Dimension("date", label="Date")
PAIN = hv.Dimension("pain", label=domain.rating_axis_label("pain"), range=(0, 10))
SLEEP_HOURS = hv.Dimension("sleep_hours", label="Hours asleep", range=(0, 12))
PAINKILLERS = hv.Dimension("painkiller_doses", label="Painkiller doses (as-needed classes)")
OFFSET = hv.Dimension("offset", label="Days from the session (0 = session day)")
EVENT_MEASURES = {"pain": PAIN, "sleep_hours": SLEEP_HOURS,
                  "doses": hv.Dimension("doses", label="Painkiller doses (as-needed classes)")}
WIDTH, HEIGHT = 800, 220
SESSION_VDIMS = [PAIN, hv.Dimension("pressure_label", label="Pressure"),
                 hv.Dimension("areas_label", label="Areas"),
                 hv.Dimension("pain_change", label="Pain before → after")]


@functools.cache
def use_bokeh() -> None:
    """Load HoloViews' Bokeh plotting (once): the options below are Bokeh's. And have a
    view shown in a notebook read Panel's stylesheets from the kernel, as Panel's own do."""
    import holoviews.plotting.bokeh  # noqa: F401
    from panel.viewable import Viewable

    if hv.Store.current_backend != "bokeh":
        hv.Store.set_current_backend("bokeh")
    Viewable._preprocessing_hooks.append(_inline_stylesheets)


def _inline_stylesheets(viewable, root, changed=None, old_models=None) -> None:
    """With ``pn.extension(inline=True)`` Panel's notebook display inlines the stylesheets of
    the models it draws (``Viewable._repr_mimebundle_``); HoloViews' display
    (``Renderer._render_panel``) does not, and each view shown asked cdn.holoviz.org for
    four (seen in tests/ui/test_jupyterlab_ui.py). On a first drawing (no ``old_models``),
    this does the same; Panel itself does it for models added later."""
    import panel as pn
    from bokeh.models import UIElement
    from panel.io.notebook import patch_inline_stylesheets

    if old_models is None and pn.config.inline:
        for model in root.select({"type": UIElement}):
            patch_inline_stylesheets(model)


def _following(data: DataStore, build, *extra) -> hv.DynamicMap:
    """A DynamicMap that calls ``build(data)`` again for each new ``data.filtered`` (the
    diary or a filter changed; ``extra``: more parameters it depends on)."""
    use_bokeh()

    def frame(filtered, *_more):
        return build(data)

    return hv.DynamicMap(param.bind(frame, data.param.filtered, *extra))


# --- the frames each view draws: shaped from the store's, no statistics ---------------

def shown_daily(data: DataStore) -> pd.DataFrame:
    """The check-ins of the filtered days (none while no diary is shown: an empty store)."""
    if data.filters.patient is None:
        return pd.DataFrame({"date": pd.DatetimeIndex([]), "pain": [], "sleep_hours": []})
    return data.daily()


def shown_doses(data: DataStore) -> pd.DataFrame:
    return pd.DataFrame() if data.filters.patient is None else data.doses()


def shown_sessions(data: DataStore) -> pd.DataFrame:
    return pd.DataFrame() if data.filters.patient is None else data.matching_sessions()


def pain_frame(daily: pd.DataFrame, areas=None) -> tuple[pd.DataFrame, str]:
    """The daily pain the app plots (the selected areas' when logged), broken at gaps, and
    what it is ('Pain (overall)')."""
    pain, label = an.daily_pain(daily, areas)
    dates, values = plots.break_at_gaps(daily["date"], pain) if len(daily) else ([], [])
    return pd.DataFrame({"date": pd.to_datetime(dates), "pain": np.asarray(values, "float64")}), label


def sleep_frame(daily: pd.DataFrame) -> pd.DataFrame:
    """Hours asleep each night, broken at gaps."""
    dates, values = (plots.break_at_gaps(daily["date"], daily["sleep_hours"]) if len(daily)
                     else ([], []))
    return pd.DataFrame({"date": pd.to_datetime(dates), "sleep_hours": np.asarray(values, "float64")})


def painkiller_frame(daily: pd.DataFrame, doses: pd.DataFrame) -> pd.DataFrame:
    """Doses of as-needed classes per logged day (a check-in or a dose; 0 on a logged day
    without one, as the summary counts painkiller days)."""
    per_day = an.doses_per_day(doses)
    acute = per_day[[c for c in domain.ACUTE_CLASSES if c in per_day.columns]].sum(axis=1)
    days = pd.DatetimeIndex(daily["date"] if len(daily) else [], name="date").union(per_day.index)
    counts = acute.reindex(days, fill_value=0).astype("float64")
    return pd.DataFrame({"date": days, "painkiller_doses": counts.to_numpy()})


def session_frame(sessions: pd.DataFrame, daily: pd.DataFrame) -> pd.DataFrame:
    """One row per session as the app's markers place it (``plots.session_columns``)."""
    columns = plots.session_columns(sessions, daily)
    frame = pd.DataFrame(columns)
    frame["date"] = pd.to_datetime(frame["date"])
    return frame


# --- the views ------------------------------------------------------------------------

DAY_HOVER = ("Day", "@{date}{%a %d %b %Y}")
SESSION_HOVER = [("Session", "@{date}{%a %d %b %Y %H:%M}"), ("Pressure", "@{pressure_label}"),
                 ("Areas", "@{areas_label}"), ("Pain before → after", "@{pain_change}")]
DATE_FORMAT = {"@{date}": "datetime"}  # else the hover shows Bokeh's milliseconds


def _dated(curve: hv.Element, title: str) -> hv.Element:
    value = curve.vdims[0]
    return curve.opts(title=title, width=WIDTH, height=HEIGHT, show_grid=True, tools=["hover"],
                      hover_tooltips=[DAY_HOVER, (value.label, f"@{{{value.name}}}")],
                      hover_formatters=DATE_FORMAT, framewise=True)


def pain(data: DataStore) -> hv.DynamicMap:
    """Daily pain (0-10) over the filtered days."""
    def build(data):
        frame, label = pain_frame(shown_daily(data), data.filters.areas)
        anchors = domain.anchors_text(domain.rating_anchors("pain"), ", ")
        # what the pain is (overall, or the selected areas') goes in the axis and title, not
        # the label: a DynamicMap's overlay matches its layers by label
        shown = PAIN.clone(label=f"{label} ({anchors})")
        return _dated(hv.Curve(frame, DATE, shown, label="Daily pain"), label)
    return _following(data, build)


def sleep(data: DataStore) -> hv.DynamicMap:
    """Hours asleep each night over the filtered days."""
    def build(data):
        curve = hv.Curve(sleep_frame(shown_daily(data)), DATE, SLEEP_HOURS, label="Hours asleep")
        return _dated(curve.opts(color=plots.HOURS_COLOR), "Hours asleep")
    return _following(data, build)


def painkillers(data: DataStore) -> hv.DynamicMap:
    """Doses of as-needed painkillers per logged day over the filtered days."""
    def build(data):
        curve = hv.Curve(painkiller_frame(shown_daily(data), shown_doses(data)), DATE, PAINKILLERS,
                         label="Painkiller doses")
        return _dated(curve.opts(color=domain.DRUG_CLASS_COLORS["opioid"],
                                 interpolation="steps-mid"), "Painkiller doses")
    return _following(data, build)


def _session_points(frame: pd.DataFrame, pressure: str) -> hv.Scatter:
    return hv.Scatter(frame[frame["pressure"] == pressure], DATE, SESSION_VDIMS,
                      label=domain.PRESSURE_LABELS[pressure]).opts(
        color=domain.PRESSURE_COLORS[pressure], marker=domain.PRESSURE_MARKERS[pressure],
        size=9, line_color="white", tools=["hover"], hover_tooltips=SESSION_HOVER,
        hover_formatters=DATE_FORMAT)


def sessions(data: DataStore) -> hv.DynamicMap:
    """The matching sessions as points at the pain they were logged with, coloured and
    shaped by pressure (the app's palette), one legend entry per pressure."""
    def build(data):
        frame = session_frame(shown_sessions(data), shown_daily(data))
        # every pressure, always: a DynamicMap keeps the layers of its first frame
        return hv.Overlay([_session_points(frame, p) for p in domain.PRESSURES])
    return _following(data, build)


def event_frame(data: DataStore, measure: str = "pain") -> pd.DataFrame:
    """The analysis layer's event-aligned means (``effects.event_aligned``) of ``measure``,
    days -3..+3 around the matching sessions (those in the selected span when there is
    one), by pressure, with their 95 % band and n."""
    shown = data.filtered
    diary = shown.diary
    if diary.sessions.empty:
        return pd.DataFrame(columns=fx.EVENT_COLUMNS)
    table = fx.event_aligned(diary.daily, shown.in_span().sessions, diary.doses,
                             pressures=shown.pressures, areas=shown.areas, days=EVENT_DAYS)
    return table[table["measure"] == measure].reset_index(drop=True)


def event_means(data: DataStore, measure: str = "pain") -> hv.DynamicMap:
    """Mean ``measure`` (pain, sleep_hours or doses) from 3 days before to 3 after the
    matching sessions, one line and 95 % band per pressure; follows the filters and the
    brushed span (``data.span``)."""
    value = EVENT_MEASURES[measure]

    def build(data):
        table = event_frame(data, measure)
        layers = []
        for p in domain.PRESSURES:  # every pressure, always: a DynamicMap keeps its layers
            rows = table[table["pressure"] == p].rename(columns={"mean": value.name})
            rows = rows[["offset", value.name, "ci_low", "ci_high", "n"]].astype("float64")
            color = domain.PRESSURE_COLORS[p]
            band = [hv.Dimension("ci_low", label=value.label), hv.Dimension("ci_high", label="95 % band")]
            layers.append(hv.Area(rows, OFFSET, band,
                                  label=domain.PRESSURE_LABELS[p]).opts(
                color=color, alpha=0.2, line_alpha=0))
            layers.append(hv.Curve(rows, OFFSET, [value, "n"], label=domain.PRESSURE_LABELS[p]).opts(
                color=color, line_width=2, tools=["hover"]))
        title = f"{value.label.split(' (')[0]} around sessions: mean and 95 % band"
        return hv.Overlay(layers).opts(title=title, width=WIDTH, height=HEIGHT + 60,
                                       show_grid=True, legend_position="right",
                                       framewise=True)
    return _following(data, build)  # the span is part of ``data.filtered``


# --- linked views and the selection ---------------------------------------------------

def selected_days(data: DataStore) -> hv.DynamicMap:
    """The selected days (``data.span``) as a band over a date view; nothing when none."""
    use_bokeh()

    def band(span):
        first, last = span if span else (None, None)
        if span:
            first, last = pd.Timestamp(first), pd.Timestamp(last) + pd.Timedelta(days=1)
        return hv.VSpan(first, last).opts(color=plots.SPAN_COLOR, alpha=0.35, line_alpha=0)
    return hv.DynamicMap(param.bind(band, data.param.span))


def brushed_span(x0, x1) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The days a brush from ``x0`` to ``x1`` touches, as the app's plots take them: the
    day of each end (Bokeh gives datetimes as milliseconds)."""
    ends = sorted(pd.Timestamp(x, unit="ms") if isinstance(x, int | float) else pd.Timestamp(x)
                  for x in (x0, x1))
    return ends[0].normalize(), ends[1].normalize()


class Exploration(param.Parameterized):
    """The date views of one ``DataStore`` linked by brushing, and the event-aligned means.

    Brushing days (the box-select tool, across the dates) in any date view sets
    ``data.span``, the app's own "selected days": every date view shows them as a band,
    the event-aligned means are redrawn for the sessions in them, ``days()`` and
    ``summary()`` read them back, and an app on the same ``DataStore`` shows the same
    span. ``select(first, last)`` does what a brush does, from a cell.

    The link is a ``BoundsX`` stream per view, made per ``date_views()`` call, and the
    ``data.span`` param: ``hv.link_selections`` did the same and dimmed the unselected
    points, but one brush redrew 60 plots from 949 callbacks (39 s on this machine's two
    shared cores, against well under a second for a band).
    """

    data = param.ClassSelector(class_=DataStore)

    def __init__(self, data: DataStore, **params):
        use_bokeh()
        super().__init__(data=data, **params)
        self.brushes: list[hv.streams.BoundsX] = []

    def _brushable(self, view: hv.DynamicMap) -> hv.DynamicMap:
        view = view.opts(tools=["hover", "xbox_select"], active_tools=["xbox_select"])
        brush = hv.streams.BoundsX(source=view, boundsx=None)
        brush.add_subscriber(self._brushed)
        self.brushes.append(brush)
        return view

    def _brushed(self, boundsx=None) -> None:
        if boundsx is not None and None not in boundsx:
            self.select(*brushed_span(*boundsx))

    def date_views(self) -> hv.Layout:
        """Pain with the sessions, sleep and painkillers on one date axis, brushable."""
        span = selected_days(self.data)
        return (self._brushable(pain(self.data)) * sessions(self.data) * span
                + self._brushable(sleep(self.data)) * span
                + self._brushable(painkillers(self.data)) * span).cols(1)

    def layout(self, measure: str = "pain") -> hv.Layout:
        """The date views and, below them, the means around sessions of ``measure``."""
        return (self.date_views() + event_means(self.data, measure)).cols(1)

    def select(self, first, last) -> None:
        """Select the days ``first`` to ``last`` (inclusive), as a brush over them would."""
        first, last = sorted((pd.Timestamp(first).normalize(), pd.Timestamp(last).normalize()))
        self.data.span = (first, last)

    def clear(self) -> None:
        """No days selected: the summary covers the filtered date range again."""
        self.data.span = None

    def days(self) -> pd.DataFrame:
        """The check-ins of the selected days (all shown days when none are selected)."""
        daily = shown_daily(self.data)
        if not self.data.span:
            return daily
        return an.in_window(daily, "date", *self.data.span)

    def summary(self) -> an.WindowSummary:
        """After-session days vs other days in the selection (``analysis.summary``)."""
        return self.data.summary()

    def summary_frame(self) -> pd.DataFrame:
        """``summary()`` as a table: one row per measure, with n and the 95 % interval."""
        result = self.summary()
        rows = [{"measure": c.measure, "unit": c.unit, "after_sessions": c.after,
                 "other_days": c.other, "n_after": c.n_after, "n_other": c.n_other,
                 "difference": c.difference, "ci_low": c.ci_low, "ci_high": c.ci_high}
                for c in result.comparisons]
        return pd.DataFrame(rows).assign(first_day=result.start, last_day=result.end,
                                         n_sessions=result.n_sessions)


# --- saving -----------------------------------------------------------------------------

class _NetworkReferences(HTMLParser):
    """The http(s) addresses a page's tags would load (script/img/iframe src, link href)."""

    def __init__(self):
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if (name == "src" or (tag == "link" and name == "href")) and value \
                    and value.strip().lower().startswith(("http://", "https://", "//")):
                self.found.append(value)


def network_references(html: str) -> list[str]:
    """What a saved page would fetch from the network when opened (none for ``save``'s)."""
    parser = _NetworkReferences()
    parser.feed(html)
    return parser.found


def forget_frames(obj) -> None:
    """Drop the frames the DynamicMaps in ``obj`` (and those they are made from) keep.

    A drawn DynamicMap remembers its first frame and a new drawing starts from it: after a
    filter or selection change, ``hv.render`` or ``save`` of the same object would show
    the old state (the live plot itself follows). Measured with HoloViews 1.23.2.
    """
    for dmap in obj.traverse(lambda d: d, [hv.DynamicMap]):
        dmap.data.clear()  # in place: a clone (``.opts``) shares the dict
        for inner in getattr(dmap.callback, "inputs", []):
            forget_frames(inner)


def save(obj, filename, title: str = "Diary views") -> Path:
    """Write ``obj`` to a standalone HTML file that loads nothing from the network: its
    current state drawn by Bokeh, with BokehJS inline.

    ``hv.save(obj, filename, resources="inline")`` inlines the scripts too, but Panel 1.9
    wraps the figure in its page, which links its icons and has BokehJS fetch Panel's
    stylesheets from cdn.holoviz.org (measured: 2 links, 4 stylesheet requests; the
    figures still draw offline). The file holds diary data: it is made readable by its
    owner only.
    """
    from bokeh.embed import file_html
    from bokeh.resources import INLINE

    use_bokeh()
    forget_frames(obj)
    path = Path(filename).with_suffix(".html")
    figure = hv.render(obj, backend="bokeh")
    # Bokeh warns that the figure's Python callbacks (brushing) cannot run in a file: known
    quiet = logging.getLogger("bokeh.embed.util")
    level, quiet.level = quiet.level, logging.ERROR
    try:
        page = file_html(figure, INLINE, title)
    finally:
        quiet.level = level
    path.write_text(page, encoding="utf-8")
    path.chmod(0o600)
    return path
