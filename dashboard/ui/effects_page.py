"""The "Does it help me?" page: per-session effects of each pressure, with their uncertainty.

The figures come from the effects service (``dashboard.effects``); module-level functions
turn its tables into display rows and escaped HTML, and the figures are
``charts.EventFigures`` (plain Bokeh, built once).  ``EffectsPage`` asks the service off the
event loop for the sidebar's filters, only while the page is on screen.
"""

from __future__ import annotations

import asyncio

import pandas as pd
import panel as pn
import param

from .. import domain
from .. import effects as effects_service
from ..analysis import effects as ef
from ..effects import EFFECT_HEADERS, EffectsResult, area_text, effect_rows
from ..formatting import day_span, interval, missing, p_text, signed
from ..wording import log_more, plural
from .charts import EVENT_HEIGHT, EventFigures
from .datastore import DataStore
from .serving import served_page, with_document_lock
from .tables import TABLE_CSS, table_html
from .text import escape_html

# The figures are computed by the effects service; this process keeps the last few.
compute_effects = pn.cache(effects_service.compute_effects, max_items=16)

SCOPES = {"All days in the diary": "all", "Only the days shown": "window"}

COMPARISON_HEADERS = ["Body area", "Outcome", "Unit", "Deep sessions", "Light sessions",
                      "Deep minus light", "95 % interval", "p-value", "Adjusted p", "Reading"]
PRIMARY_HEADERS = ["Question", "Outcome", "Sessions", "Estimate", "95 % interval", "p-value",
                   "Adjusted p", "Reading"]

PRESSURE_GLYPHS = {"circle": "●", "square": "■", "triangle": "▲", "diamond": "◆"}


# --- display rows -------------------------------------------------------------

def waiting_html(effects: pd.DataFrame, limit: int = 6) -> str:
    """What more to log before the missing estimates appear, e.g. "Deep · all areas:
    3 sessions so far; log 2 more sessions to see an estimate." (escaped; '' when
    every pressure and area has one)."""
    waiting = effects_service.waiting(effects)
    if waiting.empty:
        return ""
    items = []
    for r in waiting.head(limit).itertuples(index=False):
        name = (f"{domain.PRESSURE_LABELS.get(r.pressure, str(r.pressure))} · "
                f"{area_text(r.area).lower() if r.area == ef.ALL_AREAS else area_text(r.area)}")
        items.append(f"<li><b>{escape_html(name)}</b>: {plural(r.n, 'session')} so far; "
                     f"{escape_html(log_more(int(r.needed)))}.</li>")
    more = len(waiting) - limit
    if more > 0:
        items.append(f"<li>and {plural(more, 'other pressure and area', 'other pressures and areas')}"
                     " (in the table).</li>")
    return (f'<div class="waiting"><p class="note">Not enough data yet (an estimate needs '
            f'{ef.MIN_SESSIONS} sessions with check-ins on the days around them):</p>'
            f'<ul>{"".join(items)}</ul></div>')


def comparison_rows(comparisons: pd.DataFrame) -> pd.DataFrame:
    """A ``deep_vs_light`` table as readable text; missing differences say 'not enough data yet';
    the reading is the analysis's own (``effects.reading``)."""
    rows = []
    for r in comparisons.itertuples(index=False):
        verdict = r.reading
        if verdict in (ef.LOWER, ef.HIGHER):
            verdict = f"{verdict} with {r.a}"
        rows.append([
            area_text(r.area),
            ef.OUTCOME_LABELS.get(r.outcome, str(r.outcome)),
            ef.OUTCOME_UNITS.get(r.outcome, ""),
            int(r.n_a), int(r.n_b),
            signed(r.difference),
            interval(r.ci_low, r.ci_high),
            p_text(r.p_value),
            p_text(r.p_adjusted),
            verdict,
        ])
    return pd.DataFrame(rows, columns=COMPARISON_HEADERS).astype(
        {"Deep sessions": "int64", "Light sessions": "int64"})


def _primary_reading(reading: str, p_value, p_adjusted, family: int) -> str:
    """A primary row's reading, saying why an interval that excludes 0 still reads unclear."""
    if reading == ef.UNCLEAR and not missing(p_value) and p_value < ef.ALPHA:
        return f"{ef.UNCLEAR} once all {family} questions are counted"
    return reading


def primary_rows(primary: pd.DataFrame, comparisons: pd.DataFrame) -> pd.DataFrame:
    """The primary questions as readable text: each pressure over all areas, then deep
    compared with light, each on the change right after and on pain the next day."""
    family = int(pd.concat([primary["p_adjusted"], comparisons["p_adjusted"]]).notna().sum())
    rows = []
    for r in primary.itertuples(index=False):
        label = domain.PRESSURE_LABELS.get(r.pressure, str(r.pressure))
        rows.append([f"{label}, all areas", ef.OUTCOME_LABELS[r.outcome], int(r.n_sessions),
                     signed(r.estimate), interval(r.ci_low, r.ci_high), p_text(r.p_value),
                     p_text(r.p_adjusted),
                     _primary_reading(r.reading, r.p_value, r.p_adjusted, family)])
    for r in comparisons.itertuples(index=False):
        reading = _primary_reading(r.reading, r.p_value, r.p_adjusted, family)
        if reading in (ef.LOWER, ef.HIGHER):
            reading = f"{reading} with {r.a}"
        rows.append(["Deep minus light", ef.OUTCOME_LABELS[r.outcome],
                     f"{int(r.n_a)} + {int(r.n_b)}", signed(r.difference),
                     interval(r.ci_low, r.ci_high), p_text(r.p_value), p_text(r.p_adjusted),
                     reading])
    return pd.DataFrame(rows, columns=PRIMARY_HEADERS)


def primary_html(result: "EffectsResult") -> str:
    """The main questions' table with what they are and how they are read (escaped)."""
    if result.primary.empty:
        return ""
    rows = primary_rows(result.primary, result.primary_comparisons)
    family = int(pd.concat([result.primary["p_adjusted"],
                            result.primary_comparisons["p_adjusted"]]).notna().sum())
    return ("<h3>The main questions</h3><p class='note'>Decided in advance, whatever the "
            "sidebar shows: does each pressure (over all areas), and deep compared with light, "
            "go with a change in pain right after a session and the next day? The next day is "
            "compared with days that follow days like the session day, so sessions booked on "
            f"bad days are judged fairly. The adjusted p-value counts all {family} questions "
            "together (Holm), so that a diary where massage does nothing shows a finding "
            "at most about 1 time in 20. Negative means lower.</p>"
            + table_html(rows, "The main questions", NUMBER_COLUMNS, "primary-table"))


def legend_html(counts: dict[str, int]) -> str:
    """The pressures' colours and marker shapes, each with its number of matching sessions."""
    items = []
    for pressure, n in counts.items():
        if not n:
            continue
        glyph = PRESSURE_GLYPHS[domain.PRESSURE_MARKERS.get(pressure, "diamond")]
        color = domain.PRESSURE_COLORS.get(pressure, "#999999")
        label = escape_html(domain.PRESSURE_LABELS.get(pressure, str(pressure)))
        items.append(f'<span class="key"><span class="glyph" style="color:{color}">{glyph}</span>'
                     f' {label} · {plural(n, "session")}</span>')
    return f'<div class="legend">{"".join(items)}</div>'


# --- text ---------------------------------------------------------------------------

def findings_html(sentences: list[str], caveats: list[str] = ef.CAVEATS) -> str:
    """What stands out (the plain sentences) beside what to keep in mind (the caveats), escaped."""
    if sentences:
        found = "".join(f"<li>{escape_html(s)}</li>" for s in sentences)
        found = f"<ul>{found}</ul>"
    else:
        found = ("<p>Nothing stands out yet: none of the main questions has an adjusted p-value "
                 "below 0.05, or there are not enough sessions to say.</p>")
    kept = "".join(f"<li>{escape_html(c)}</li>" for c in caveats)
    return (f'<div class="findings"><div class="box found"><h3>What stands out</h3>{found}</div>'
            f'<div class="box caveats"><h3>Keep in mind</h3><ul>{kept}</ul></div></div>')


def scope_html(scope: str, first, last, n_sessions: int) -> str:
    """Which days the figures use, and how many matching sessions that gives."""
    if first is None or last is None:
        return '<p class="scope">There is nothing in this diary yet.</p>'
    days = day_span(pd.Timestamp(first), pd.Timestamp(last))
    which = ("all days in the diary" if scope == "all"
             else "only the days shown in the sidebar")
    hint = ("" if scope == "all"
            else " Using all days gives more sessions and steadier figures.")
    return (f'<p class="scope">Figures use <b>{which}</b> ({escape_html(days)}): '
            f'<b class="n-sessions">{plural(n_sessions, "matching session")}</b>.'
            f'{escape_html(hint)}</p>')


PAGE_CSS = """
h2 { font-size: 22px; font-weight: 600; color: #2F2F3F; margin: 4px 0 2px; }
h3 { font-size: 16px; font-weight: 600; color: #2F2F3F; margin: 0 0 6px; }
p, li { font-size: 15px; line-height: 1.45; color: #3B3B4F; }
.intro, .scope, .note { margin: 2px 0; }
.note { color: #5A5A6E; font-size: 14px; }
.findings { display: flex; flex-wrap: wrap; gap: 14px; }
.box { flex: 1 1 340px; border: 1px solid #D9D6E5; border-radius: 8px; padding: 10px 16px;
       background: #FBFAFE; }
.box ul { margin: 0; padding-left: 20px; }
.box li { margin-bottom: 4px; }
.caveats { background: #F7F6F2; border-color: #E2DFD3; }
.caveats li { color: #4A4A5A; font-size: 14px; }
h4 { font-size: 15px; font-weight: 600; color: #2F2F3F; margin: 10px 0 4px; }

.legend { display: flex; flex-wrap: wrap; gap: 18px; font-size: 14.5px; color: #3B3B4F; }
.glyph { font-size: 17px; }
@media (max-width: 700px) { p, li, .note, .caveats li, .legend { font-size: 16px; } }  /* a phone */
"""


TEXT_COLUMNS = ("Pressure", "Body area", "Outcome", "Unit", "Reading", "Question")
NUMBER_COLUMNS = sorted(set(EFFECT_HEADERS + COMPARISON_HEADERS + PRIMARY_HEADERS)
                        - set(TEXT_COLUMNS))

EVENTS_HEAD = ("<h3>Around a session</h3><p class='note'>Mean from three days before to three "
               "days after the matching sessions; the shaded band is a 95 % interval. Hover "
               "over a point for the number of sessions (n).</p>")


def above_figures_html(result: EffectsResult, headline: str) -> str:
    """The headline, what stands out and the figures' heading and legend (escaped)."""
    if not result.pressures:
        return headline + EVENTS_HEAD
    return (f'{headline}<div class="effects-findings">{findings_html(result.sentences)}</div>'
            f'<div class="effects-primary">{primary_html(result)}</div>'
            f'<div class="effects-waiting">{waiting_html(result.effects)}</div>'
            f'{EVENTS_HEAD}<div class="effects-legend">{legend_html(result.session_counts)}</div>')


def tables_html(result: EffectsResult) -> str:
    """The exploratory rows, shown on request below the figures: every pressure, area and
    outcome, and the deep-vs-light comparison or how to get one (escaped)."""
    effects = table_html(effect_rows(result.effects), "Each pressure, body area and outcome",
                         NUMBER_COLUMNS, "effects-table")
    if result.comparisons is None:
        comparison = ("<p class='note effects-no-comparison'>Choose both Deep and Light in the "
                      "sidebar to compare them.</p>")
    else:
        comparison = ("<p class='note'>Deep minus light, with Welch's t-test. Fewer than "
                      f"{ef.MIN_SESSIONS} sessions of either: not enough data yet.</p>"
                      + table_html(comparison_rows(result.comparisons), "Deep compared with light",
                                   NUMBER_COLUMNS, "comparison-table"))
    return ("<p class='note'>Estimate: the mean change per session compared with nearby days "
            "without a session (pain right after a session: compared with just before it; "
            "the next day and night: with days that follow similar days). Negative means "
            f"lower. Fewer than {ef.MIN_SESSIONS} sessions: not enough data yet. A body area "
            "that every session of a pressure included is not listed apart: its row would "
            "repeat “All areas”.</p>"
            f"<p class='note effects-reading-rule'>{escape_html(ef.READING_RULE)}</p>"
            + effects + "<h4>Deep compared with light</h4>" + comparison)


def _html(text, **params) -> pn.pane.HTML:
    """An HTML pane in the page's style."""
    return pn.pane.HTML(text, stylesheets=[PAGE_CSS, TABLE_CSS], sizing_mode="stretch_width",
                        margin=(4, 10), **params)


# --- the page -------------------------------------------------------------------

class EffectsPage(pn.viewable.Viewer):
    """Does a pressure help me: event-aligned means, effect tables, plain sentences, caveats.

    Follows the sidebar's pressures, areas and date range; ``scope`` says whether
    the figures use the whole diary or only the days shown.  Nothing is computed
    before the page is first drawn, and while ``showing`` is False (another tab is
    open) filter changes wait until it is shown again.  The figures are computed
    in a worker thread; the plots and tables then update in place.
    """

    data = param.ClassSelector(class_=DataStore)
    scope = param.Selector(default="all", objects=SCOPES, doc="Which days the figures use")
    showing = param.Boolean(default=True, doc="Whether the page is on screen")
    result = param.ClassSelector(class_=EffectsResult, doc="The figures shown")

    def __init__(self, **params):
        params.setdefault("result", EffectsResult.empty())
        super().__init__(**params)
        self._pending = 0
        self._shown = None  # (diary, settings) of the figures on screen
        # Few panes, each replaced whole: in the browser every changed pane re-lays out the
        # page, which cost a quarter second per pane on a busy machine.
        self.above = _html(EVENTS_HEAD, css_classes=["effects-above"])
        self.event_figures = EventFigures()
        self.event_figures.grid.css_classes = ["effects-events"]  # (the pane's would be lost)
        self.event_pane = pn.pane.Bokeh(self.event_figures.grid, sizing_mode="stretch_width",
                                        margin=(4, 10), min_height=2 * EVENT_HEIGHT)
        # The exploratory rows (dozens, and 17 phone screens tall when open) wait behind a
        # toggle whose state survives every recomputation (a <details> in the pane would
        # close at each filter click).
        self.tables = _html(tables_html(self.result), css_classes=["effects-tables"],
                            visible=False)
        self.explore = pn.widgets.Toggle(
            label="Show every pressure, body area and outcome (exploratory)", color="primary",
            variant="outline", css_classes=["effects-explore"], margin=(8, 10))
        self.explore.param.watch(lambda event: setattr(self.tables, "visible", event.new),
                                 "value")
        self.figures = pn.Column(self.above, self.event_pane, self.explore, self.tables,
                                 sizing_mode="stretch_width")
        # Served, the figures are computed as soon as the page is built, while it travels to
        # the browser (waiting until it was drawn cost a round trip), and the page arrives
        # with its loading indicator on (turning it on a moment later re-laid it out); in a
        # notebook or a test, when the page is first displayed.  (It shows nothing itself.)
        served = served_page()
        self._results = pn.Column(self.figures, sizing_mode="stretch_width", min_height=400,
                                  loading=served and self.showing)
        self._results.insert(0, pn.panel(self._compute, lazy=not served,
                                         loading_indicator=False, visible=False))
        self._layout = pn.Column(
            _html("<h2>Does a pressure help me?</h2><p class='intro'>Each figure compares days "
                  "around your sessions with nearby days without one, for the pressures and "
                  "body areas chosen in the sidebar.</p>"),
            pn.widgets.RadioButtonGroup.from_param(
                self.param.scope, label="", color="primary", variant="outline",
                css_classes=["effects-scope"], margin=(4, 10)),
            self._results, sizing_mode="stretch_width", css_classes=["effects-page"])

    def __panel__(self):
        return self._layout

    def follow_tab(self, tabs: pn.Tabs, index: int) -> None:
        """Compute only while tab ``index`` of ``tabs`` is the open one."""
        def update(event=None):
            self.showing = tabs.active == index
        tabs.param.watch(update, "active")
        update()

    def frames(self) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
        """Daily, sessions and doses of the scope: the whole diary or the date range."""
        shown = self.data.filtered
        if self.scope == "window" and not shown.diary.sessions.empty:  # filtered once, shared
            return shown.daily, shown.sessions_in_days, shown.doses
        return effects_service.scope_frames(shown.diary, self.scope, shown.start, shown.end)

    def _inputs(self) -> tuple:
        shown = self.data.filtered
        return (*self.frames(), tuple(shown.pressures or ()), tuple(shown.areas))

    def compute(self) -> EffectsResult:
        """The figures for the current filters and scope (cached), without showing them."""
        return compute_effects(*self._inputs())

    def refresh(self) -> None:
        """Compute and show the figures now, in this thread (for notebooks and tests)."""
        self.show(self.compute())

    def span(self) -> tuple:
        """First and last day the figures use."""
        if self.scope == "window":
            return self.data.filtered.start, self.data.filtered.end
        if "date" not in self.data.diary.daily:
            return None, None  # no patient yet: the diary's frames have no columns
        return self.data.diary.day_span()

    def headline(self) -> str:
        """Which days the figures use and how many sessions match (or what to choose)."""
        text = scope_html(self.scope, *self.span(), self.result.n_sessions)
        if not self.data.filtered.pressures:
            text += "<p class='note'>Choose at least one pressure in the sidebar.</p>"
        return f'<div class="effects-scope-text">{text}</div>'

    def show(self, result: EffectsResult) -> None:
        """Put ``result`` on the page: the figures' data, the text and the tables, all in
        one message to the browser."""
        with pn.io.hold():
            self.result = result
            self.event_figures.update(result.events)
            self.above.object = above_figures_html(result, self.headline())
            self.tables.object = tables_html(result)

    @param.depends("showing", "scope", "data.filtered")
    async def _compute(self) -> None:
        """Compute in a worker thread under a loading indicator; skip while the page is hidden.
        The new figures, text and tables reach the browser as one message, under the
        document's lock (``show``)."""
        inputs = self._inputs()
        diary, settings = self.data.filtered.diary, (self.scope, self.span(), *inputs[3:])
        shown = self._shown
        if not self.showing or (shown and shown[0] is diary and shown[1] == settings):
            raise param.parameterized.Skip
        self._pending += 1
        self._results.loading = True
        try:
            result = await asyncio.to_thread(compute_effects, *inputs)
        except BaseException:
            self._pending -= 1
            self._results.loading = self._pending > 0
            raise
        self._pending -= 1

        def show() -> None:
            with pn.io.hold():
                self._results.loading = self._pending > 0
                self._shown = (diary, settings)
                self.show(result)
        with_document_lock(show)
