"""The Trial page: plan a randomized n-of-1 trial of two pressures, follow it, read its result.

Thin over ``dashboard.trials`` (session layer) and ``analysis.trial`` (statistics): this
module only asks, shows and plots.  Planning and stopping need ``log`` scope (the patient,
or a therapist allowed to log sessions); with ``read`` scope the page is read-only.  All
text reaches the page escaped (``ui.text``).
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import panel as pn
import param
from bokeh.models import ColumnDataSource, HoverTool, Span
from bokeh.plotting import figure

from .. import domain
from ..analysis import trial as tr
from ..formatting import day, signed
from ..session import Refused
from ..trials import OpenTrial, add_replacement_block, check_design, open_trial, save_plan
from .datastore import DataStore
from .tables import TABLE_CSS, table_html
from .text import escape_html
from .trial_news import lost_html, next_session_html, trial_news_html

PAGE_CSS = """
.figures { display: flex; flex-wrap: wrap; gap: 6px 22px; margin: 6px 0; }
.figures .n { font-size: 20px; font-weight: 600; }
.note { color: #4A4A5E; }
.deviation, .missed { color: #8A3B00; font-weight: 600; }
.warning { color: #8A3B00; font-weight: 600; }
.trial-lost { color: #8A3B00; }  /* the headline bold, the explanation plain */
.zones { display: flex; flex-wrap: wrap; gap: 6px 22px; margin: 6px 0; }
.zones .n { font-size: 20px; font-weight: 600; }
/* a phone's schedule card: no "Logged" and "Outcome" lines before there is something to say */
@media (max-width: 700px) { .trial-schedule td:empty { display: none; } }
"""
INTRO = ("**Find out for sure.** Your diary can only show associations: sessions are booked "
         "on bad days, flares come and go. A randomized trial gives both pressures in pairs of "
         "periods, in an order drawn at random, and compares them on one outcome. It tells you "
         "about you; it is not a medical device, and it does not replace your doctor's advice.")
PLOT_HEIGHT = 280
BLOCKS_TITLE = "Difference in each block (hover: sessions behind it)"
STATUS_WORDS = {"given": "given as planned", "deviation": "deviation", "missed": "missed",
                "stopped": "not given (stopped early)", "ahead": "to come"}


def zones_html(result: dict) -> str:
    """The three probabilities with the prior they assume."""
    zones = result["probabilities"]
    if zones is None:
        return ""
    a, b = result["compare"]
    margin = tr.amount(zones["margin"], result["outcome"])
    cells = ((f"{b} better by at least {margin}", zones["b_better"]),
             (f"within {margin} of each other", zones["within"]),
             (f"{a} better by at least {margin}", zones["a_better"]))
    return ("<div class='zones'>" + "".join(
        f"<div>{escape_html(label)}<br><span class='n'>{escape_html(tr.percent_text(p))}</span></div>"
        for label, p in cells)
        + f"<div>95 % credible interval<br><span class='n'>{signed(zones['low'])} to "
          f"{signed(zones['high'])}</span></div></div>"
        + f"<p class='note'>Probabilities from the {zones['n_blocks']} block differences, "
          f"assuming {escape_html(result['prior'])}.</p>")


def result_html(result: dict) -> str:
    """The trial's result: a plain sentence, the figures with n and interval, per-protocol."""
    a, b = result["compare"]
    unit = tr.OUTCOME_UNITS[result["outcome"]]
    said = f"<p class='trial-sentence'>{escape_html(result['sentence'])}</p>"
    if result["estimate"] is None:
        return said
    p = result["p_value"]
    figures = (
        f"<div class='figures'>"
        f"<div>{escape_html(b)} minus {escape_html(a)}<br><span class='n'>{signed(result['estimate'])}</span> {escape_html(unit)}</div>"
        f"<div>95 % interval<br><span class='n'>{signed(result['ci_low'])} to {signed(result['ci_high'])}</span></div>"
        f"<div>randomization p<br><span class='n'>{p:.3f}</span>"
        f"{' (exact)' if result['exact_test'] else ' (from random draws)'}</div>"
        f"<div>sessions<br><span class='n'>{escape_html(a)} {result['n_sessions'][a]}, "
        f"{escape_html(b)} {result['n_sessions'][b]}</span></div>"
        f"<div>blocks<br><span class='n'>{result['n_blocks']} of {result['blocks_planned']}</span></div>"
        f"</div>")
    counts = (f"<p class='note'>Intention to treat (every matched session counted with its "
              f"planned pressure). Deviations: {result['deviations']}; missed: "
              f"{result['missed']}; unplanned sessions: {result['unplanned']}.</p>")
    pp = result.get("per_protocol")
    if pp:
        figure = ("not enough data yet" if pp["estimate"] is None else
                  f"{signed(pp['estimate'])} (95 % interval {signed(pp['ci_low'])} to "
                  f"{signed(pp['ci_high'])}, p = {pp['p_value']:.3f}, {pp['n_blocks']} blocks; "
                  f"sessions {escape_html(a)} {pp['n_sessions'][a]}, {escape_html(b)} "
                  f"{pp['n_sessions'][b]})")
        counts += f"<p class='trial-per-protocol'>Per protocol (deviations left out): {figure}.</p>"
    caveats = "".join(f"<li>{escape_html(c)}</li>" for c in result["caveats"])
    return said + figures + zones_html(result) + counts + f"<ul class='note'>{caveats}</ul>"


SCHEDULE_HEADERS = ["Planned date", "Pressure", "Block", "Period", "What happened", "Logged",
                    "Outcome"]


def schedule_html(slots: pd.DataFrame) -> str:
    """The planned sessions with what happened to each (every row: it is the plan), through
    the house's table writer (escaped; a card per session on a phone); a deviation or a
    missed session stands out, in words as well as colour."""
    rows, statuses = [], []
    for r in slots.itertuples():
        status = STATUS_WORDS.get(r.status, r.status)
        if r.deviation or r.note:
            status += f" ({'; '.join(t for t in (r.deviation, r.note) if t)})"
        given = "" if r.given_on is None or pd.isna(r.given_on) else f"{pd.Timestamp(r.given_on):%d %b %H:%M}"
        rows.append([f"{pd.Timestamp(r.date):%a %d %b %Y}",
                     domain.PRESSURE_LABELS.get(r.pressure, r.pressure), int(r.block),
                     int(r.period), status, given, "" if pd.isna(r.outcome) else f"{r.outcome:.1f}"])
        statuses.append(r.status)
    table = pd.DataFrame(rows, columns=SCHEDULE_HEADERS)
    return table_html(table, "Planned sessions", right=("Block", "Period", "Outcome"),
                      css_class="trial-schedule", first=None,
                      marks={"What happened": statuses})


def blocks_plot(result: dict) -> figure:
    """Each block's difference (second pressure minus first) as a point, with the mean
    (dashed) and zero (dotted); hovering a point shows the sessions behind it."""
    a, b = result["compare"]
    frame = pd.DataFrame(result["blocks"], columns=tr.BLOCK_COLUMNS)
    plot = figure(height=PLOT_HEIGHT, sizing_mode="stretch_width", toolbar_location=None,
                  title=BLOCKS_TITLE,
                  x_axis_label="Block",
                  y_axis_label=f"{b} minus {a}, {tr.OUTCOME_UNITS[result['outcome']]}")
    plot.add_layout(Span(location=0, dimension="width", line_color="#777777",
                         line_dash="dotted"))
    if result["estimate"] is not None:
        plot.add_layout(Span(location=result["estimate"], dimension="width",
                             line_color="#4A5FA8", line_dash="dashed", line_width=2))
    # columns, not the frame: Bokeh 3.9 resets a frame's index in place (pandas 3.1 warns)
    columns = {name: column.to_numpy() for name, column in frame.items()}
    points = plot.scatter("block", "difference", source=ColumnDataSource(columns), size=11,
                          marker=domain.PRESSURE_MARKERS.get(b, "circle"),
                          color=domain.PRESSURE_COLORS.get(b, "#333333"))
    plot.add_tools(HoverTool(renderers=[points], tooltips=[
        ("block", "@block (@order)"), ("difference", "@difference{+0.00}"),
        (f"sessions {a}", "@n_a"), (f"sessions {b}", "@n_b")]))
    plot.xaxis.ticker = [int(x) for x in frame["block"]]
    return plot


class TrialPage(pn.viewable.Viewer):
    """The current trial of the shown patient, and the planner (with ``log`` scope)."""

    data = param.ClassSelector(class_=DataStore)

    def __init__(self, **params):
        super().__init__(**params)
        self.found: OpenTrial | None = None
        self._checked = None  # (design, plan, check) last checked
        self.next_line = pn.pane.HTML("", sizing_mode="stretch_width", css_classes=["trial-next-box"])
        self.result = pn.pane.HTML("", sizing_mode="stretch_width", stylesheets=[PAGE_CSS],
                                   css_classes=["trial-result"])
        self.plot = pn.Column(sizing_mode="stretch_width", css_classes=["trial-blocks"])
        self.schedule = pn.pane.HTML("", sizing_mode="stretch_width",
                                     stylesheets=[PAGE_CSS, TABLE_CSS],
                                     css_classes=["trial-schedule-box"])
        self.message = pn.pane.Alert("", visible=False, sizing_mode="stretch_width",
                                     css_classes=["trial-message"])
        self.read_only = pn.pane.Markdown("", visible=False, sizing_mode="stretch_width",
                                          css_classes=["trial-read-only"])
        self.stop_button = pn.widgets.Button(label="Stop the trial early", color="warning",
                                             css_classes=["trial-stop"])
        self.stop_button.on_click(self._stop)
        self.lost = pn.pane.HTML("", sizing_mode="stretch_width", stylesheets=[PAGE_CSS],
                                 css_classes=["trial-lost-box"])
        self.replace_button = pn.widgets.Button(
            label="Add a randomized replacement block", color="primary", visible=False,
            css_classes=["trial-add-block"])
        self.replace_button.on_click(self._add_block)
        self.planner = self._planner()
        self.data.param.watch(lambda _e: self.refresh(), ["diary"])
        self.refresh()

    # --- the planner ---------------------------------------------------------------------

    def _planner(self) -> pn.Column:
        pressures = {domain.PRESSURE_LABELS[p]: p for p in tr.TRIAL_PRESSURES}
        self.fields = {
            "pressure_a": pn.widgets.Select(label="First pressure (A)", options=pressures,
                                            value="light"),
            "pressure_b": pn.widgets.Select(label="Second pressure (B; the result is B minus A)",
                                            options=pressures, value="deep"),
            "outcome": pn.widgets.Select(label="Main outcome", value="pain_next_day",
                                         options={v: k for k, v in tr.OUTCOME_LABELS.items()}),
            "area": pn.widgets.Select(label="Body area", value=None, options={
                "Any area": None, **{domain.area_label(a): a for a in domain.BODY_AREAS}}),
            "blocks": pn.widgets.IntInput(label="Blocks (pairs of periods)", value=tr.DEFAULT_BLOCKS,
                                          start=tr.MIN_BLOCKS, end=tr.MAX_BLOCKS),
            "sessions_per_period": pn.widgets.IntInput(
                label="Sessions per period", value=tr.DEFAULT_SESSIONS_PER_PERIOD, start=1,
                end=tr.MAX_SESSIONS_PER_PERIOD),
            "every_days": pn.widgets.IntInput(label="Days from one session to the next",
                                              value=tr.DEFAULT_EVERY_DAYS, start=2,
                                              end=tr.MAX_EVERY_DAYS),
            "start": pn.widgets.DatePicker(label="First session",
                                           value=dt.date.today() + dt.timedelta(days=1)),
            "difference": pn.widgets.FloatInput(label="Difference worth finding (for the power)",
                                                value=tr.DEFAULT_DIFFERENCE, start=0.1, step=0.5),
        }
        self.check_button = pn.widgets.Button(label="Check this design", color="primary",
                                              css_classes=["trial-check-button"])
        self.save_button = pn.widgets.Button(label="Save this plan", color="success",
                                             disabled=True, css_classes=["trial-save"])
        self.anyway = pn.widgets.Checkbox(label="Save it anyway, knowing it cannot reach p < 0.05",
                                          visible=False, css_classes=["trial-anyway"])
        self.check_text = pn.pane.HTML("", sizing_mode="stretch_width", stylesheets=[PAGE_CSS],
                                       css_classes=["trial-check"])
        self.use_proposal = pn.widgets.Button(label="Use the proposed design", visible=False,
                                              css_classes=["trial-use-proposal"])
        self.use_proposal.on_click(self._use_proposal)
        self.check_button.on_click(self._check)
        self.save_button.on_click(self._save)
        self.anyway.param.watch(lambda _e: self._enable_save(), "value")
        for widget in self.fields.values():
            widget.param.watch(lambda _e: self._forget_check(), "value")
        f = self.fields
        return pn.Column(
            pn.pane.Markdown("### Plan a trial"),
            pn.FlexBox(f["pressure_a"], f["pressure_b"], f["outcome"], f["area"], f["blocks"],
                       f["sessions_per_period"], f["every_days"], f["start"], f["difference"],
                       sizing_mode="stretch_width"),  # wraps on a narrow screen
            pn.Row(self.check_button, self.save_button, self.anyway),
            self.check_text, self.use_proposal, sizing_mode="stretch_width",
            css_classes=["trial-planner"])

    def _design(self) -> tr.TrialDesign:
        values = {k: w.value for k, w in self.fields.items() if k != "difference"}
        return tr.TrialDesign(**values)

    def _forget_check(self) -> None:
        self._checked = None
        self.use_proposal.visible = False
        self.anyway.param.update(value=False, visible=False)
        self.save_button.disabled = True

    def _enable_save(self) -> None:
        ok = self._checked is not None and (self._checked[2].can_reach or self.anyway.value)
        self.save_button.disabled = not ok

    def _check(self, _event=None) -> None:
        design = self._design()
        problems = design.validate()
        if problems:
            self._checked = None
            self.check_text.object = "<p class='warning'>" + escape_html("; ".join(
                f"{self.fields[k].label}: {m}" for k, m in problems.items())) + "</p>"
            return
        plan, check = check_design(self.data.session, self.data.filters.patient, design,
                                   self.fields["difference"].value or tr.DEFAULT_DIFFERENCE)
        sentences = check.sentences(design)
        warning = check.warning()
        items = "".join(f"<li class='{'warning' if s == warning else ''}'>{escape_html(s)}</li>"
                        for s in sentences)
        preview = "".join(f"<li>{escape_html(r['date'])}: {escape_html(r['pressure'])} (block "
                          f"{r['block']}, period {r['period']})</li>"
                          for r in tr.schedule_records(plan))
        self.check_text.object = (f"<ul>{items}</ul><details><summary>The schedule this draws "
                                  f"(seed {design.seed})</summary><ul>{preview}</ul></details>")
        proposal = check.proposal
        other = (proposal.blocks, proposal.sessions_per_period) != (design.blocks,
                                                                   design.sessions_per_period)
        # set after the fields' own watchers (which forget the check) have run
        self._checked = (design, plan, check)
        self.use_proposal.param.update(
            visible=proposal.reached and other,
            label=f"Use {proposal.blocks} × {proposal.sessions_per_period} instead")
        self.anyway.param.update(value=False, visible=warning is not None)
        self._enable_save()

    def _use_proposal(self, _event=None) -> None:
        """Put the proposed blocks and sessions per period in the form and check it again."""
        if self._checked is None:
            return
        proposal = self._checked[2].proposal
        self.fields["blocks"].value = proposal.blocks
        self.fields["sessions_per_period"].value = proposal.sessions_per_period
        self._check()

    def _save(self, _event=None) -> None:
        if self._checked is None:
            return
        design, plan, check = self._checked
        try:
            trial_id = save_plan(self.data.session, self.data.filters.patient, design, plan, check)
        except Refused as error:
            self._say(str(error), "danger")
            return
        self._forget_check()
        self.check_text.object = ""
        self._say(f"Trial {trial_id} is planned: {len(plan)} sessions from "
                  f"{day(design.start)}. Give the pressure the schedule says.", "success")
        self.refresh()

    def _add_block(self, _event=None) -> None:
        if self.found is None:
            return
        try:
            block = add_replacement_block(self.data.session, self.data.filters.patient, self.found)
        except (ValueError, Refused) as error:
            self._say(str(error), "danger")
            return
        first = block.iloc[0]
        self._say(f"Replacement block {int(first['block'])} added from "
                  f"{day(pd.Timestamp(first['date']))}; its order was drawn at random "
                  f"({first['pressure']} first).", "success")
        self.refresh()

    def _stop(self, _event=None) -> None:
        if self.found is None:
            return
        try:
            self.data.session.stop_trial(self.data.filters.patient, self.found.trial_id)
        except Refused as error:
            self._say(str(error), "danger")
            return
        self._say("The trial is stopped; its result uses the blocks finished.", "info")
        self.refresh()

    def _say(self, text: str, kind: str) -> None:
        self.message.param.update(object=escape_html(text), alert_type=kind, visible=True)

    # --- what is shown -----------------------------------------------------------------

    def refresh(self) -> None:
        patient = self.data.filters.patient
        self.found = None if patient is None else open_trial(self.data.session, patient)
        can = self.data.capabilities
        may_plan = can.plan
        self.planner.visible = may_plan
        self.read_only.param.update(visible=not may_plan, object=(
            "This is the demo diary: log or import your own diary, then plan a trial here."
            if can.demo else "You can follow this diary's trials; planning and "
            "stopping one need the right to log sessions in it (the patient, or a therapist "
            "they allowed to log)."))
        if self.found is None:
            self.next_line.object = "<p class='trial-none'>No trial planned yet.</p>"
            self.result.object = self.schedule.object = ""
            self.plot.objects = []
            self.stop_button.visible = False
            self.lost.object = ""
            self.replace_button.visible = False
            return
        result = self.found.result()
        news = result["lost"]
        self.lost.object = lost_html(news)
        self.replace_button.visible = may_plan and news["may_add_replacement"]
        design = self.found.design
        where = f", {domain.area_label(design.area).lower()}" if design.area else ""
        self.next_line.object = (
            f"<h3>Trial {self.found.trial_id}: {escape_html(design.pressure_b)} against "
            f"{escape_html(design.pressure_a)} pressure{escape_html(where)}, "
            f"{escape_html(tr.OUTCOME_LABELS[design.outcome].lower())}</h3>"
            + next_session_html(self.found)
            + f"<p class='note'>{design.blocks} blocks of {design.sessions_per_period} sessions "
              f"per period, every {design.every_days} days from {day(design.start)}; seed "
              f"{design.seed} (the schedule {'is' if self.found.reproducible else 'is NOT'} "
              "drawn again from it).</p>")
        self.result.object = result_html(result)
        self.plot.objects = ([pn.pane.Bokeh(blocks_plot(result), sizing_mode="stretch_width")]
                             if result["blocks"] else [])
        self.schedule.object = "<h3>The schedule</h3>" + schedule_html(self.found.progress.slots)
        self.stop_button.visible = may_plan and not self.found.progress.complete \
            and self.found.progress.stopped_on is None

    def __panel__(self):
        return pn.Column(pn.pane.Markdown(INTRO, sizing_mode="stretch_width"), self.read_only,
                         self.message, self.next_line, self.lost, self.replace_button,
                         self.result, self.plot, self.stop_button,
                         self.schedule, self.planner, sizing_mode="stretch_width",
                         max_width=1100, css_classes=["trial-page"])


class TrialNextSession(pn.viewable.Viewer):
    """The trial on the Overview: a lost period at once, and the next planned session while
    the trial runs."""

    data = param.ClassSelector(class_=DataStore)

    def __init__(self, **params):
        super().__init__(**params)
        self.line = pn.pane.HTML("", visible=False, sizing_mode="stretch_width",
                                 stylesheets=[PAGE_CSS], css_classes=["trial-next-overview"])
        self.data.param.watch(lambda _e: self.refresh(), ["diary"])
        self.refresh()

    def refresh(self) -> None:
        patient = self.data.filters.patient
        found = None if patient is None else open_trial(self.data.session, patient)
        said = trial_news_html(found)
        self.line.param.update(object=said, visible=bool(said))

    def __panel__(self):
        return self.line
