"""The therapist's **Since the last visit** view (hosted mode): the sessions since their
previous visit first, then what the whole diary says, and the form for today's session.

Layout only: every number comes from the visit service
(``dashboard.visit.visit_report``).
"""

from __future__ import annotations

import html

import pandas as pd
import panel as pn
import param

from .. import domain
from ..analysis import effects as fx
from ..analysis.visit import FALLBACK_DAYS, FLARE_RISE
from ..effects import effect_rows
from ..trials import open_trial
from ..visit import VisitReport, visit_report
from ..wording import plural
from .account_tables import LIST_CSS, html_table
from .datastore import DataStore
from .forms import SessionForm
from .report_button import ReportButton
from .tables import table_html
from .trial_news import trial_news_html


def _fmt(value, digits: int = 1) -> str:
    return "—" if value is None or pd.isna(value) else f"{value:.{digits}f}"


VISIT_CSS = """
.visit-rest .pending { color: #4F4B5C; font-style: italic; }
"""
SESSION_COLUMNS = {"when": "When", "pressure": "Pressure", "areas": "Body areas",
                   "therapist": "Therapist", "pain": "Pain before → after",
                   "after": "The 48 h after"}


def visit_sessions_html(report: VisitReport) -> str:
    """The sessions since the therapist's previous visit, escaped."""
    visit = report.visit
    since = f"{visit.since:%d %B %Y}"
    head = (f"<h3>Sessions since your last visit ({since})</h3>" if visit.from_own_visit else
            f"<h3>Sessions in the last {FALLBACK_DAYS} days (none given by you before today)</h3>")
    if visit.sessions.empty:
        return head + "<p>No massage sessions were logged in this time.</p>"
    sessions = visit.sessions
    frame = sessions.assign(
        when=sessions["start"].dt.strftime("%a %d %b %Y %H:%M"),
        pressure=sessions["pressure"].map(lambda p: domain.PRESSURE_LABELS.get(p, str(p))),
        areas=sessions["areas"].map(lambda a: ", ".join(
            domain.area_label(x) for x in str(a).split(domain.AREAS_SEPARATOR) if x) or "—"),
        pain=[f"{_fmt(b)} → {_fmt(a)}" for b, a in zip(sessions["pain_before"],
                                                      sessions["pain_after"])],
        after=[f"pain {_fmt(p)} (the week before {_fmt(w)}), sleep {_fmt(h)} h, "
               f"{plural(k, 'painkiller dose')}" + (" — flare" if f else "")
               for p, w, h, k, f in zip(*(sessions[c] for c in (
                   "pain_48h", "pain_before_week", "sleep_48h", "painkillers_48h", "flare")))])
    flares = report.flares
    note = (f"<p>{plural(flares, 'session')} {'was' if flares == 1 else 'were'} followed by a "
            f"flare (pain at least {FLARE_RISE:g} points above the week before, within 48 h).</p>")
    return head + html_table(frame, SESSION_COLUMNS, "visit-sessions",
                             "Sessions since the last visit") + note


def visit_rest_html(report: VisitReport) -> str:
    """Below the sessions: effects over the whole diary, medication overuse, latest scores,
    escaped."""
    shown = report.pooled
    if shown.empty:
        body = ("<p>Not enough data yet: an estimate needs at least "
                f"{fx.MIN_SESSIONS} sessions of a pressure.</p>")
    else:
        body = (table_html(effect_rows(shown), "Each pressure over all body areas",
                           css_class="visit-effects")
                + "<p class='note'>Estimate: the mean change per session compared with nearby "
                "days without a session (pain right after a session: compared with just before "
                "it); a negative number means lower. Each body area: the Effects page.</p>"
                f"<p class='note'>{html.escape(fx.READING_RULE)}</p>")
    said = "".join(f"<li>{html.escape(s)}</li>" for s in report.sentences)
    parts = ["<h3>What the diary says about pressures and areas</h3>",
             f"<ul>{said}</ul>" if said else "", body,
             "<p class='note'>Associations in one person's diary, not causes.</p>",
             "<h3>Medication overuse</h3>"]
    if report.overuse_month is None:
        parts.append("<p>No acute pain or headache medicines logged.</p>")
    else:
        parts.append(f"<p><b>Latest month with doses ({html.escape(report.overuse_month)})</b></p>"
                     + "".join(f"<p>{html.escape(n)}</p>" for n in report.overuse_notes))
    parts.append("<h3>Latest scores</h3>")
    for title, taken_on, text in report.scores:
        when = f" ({taken_on:%d %B %Y})" if taken_on is not None else ""
        parts.append(f"<p><b>{html.escape(title)}</b>{when}: {html.escape(text)}</p>")
    return "".join(parts)


class VisitView(pn.viewable.Viewer):
    """The therapist's first screen for a patient: what happened since their last visit.

    The sessions since then are on the first screen at once; what the whole diary says
    (effects, overuse, scores) and the form for today's session are built once the page
    is in the browser (below the fold).  The numbers come from the visit service
    (``dashboard.visit.visit_report``), computed once per diary revision for the whole
    process.
    """

    data = param.ClassSelector(class_=DataStore)
    therapist = param.String()

    def __init__(self, **params):
        super().__init__(**params)
        self.head = pn.pane.HTML("", sizing_mode="stretch_width", stylesheets=[LIST_CSS],
                                 css_classes=["visit-head"])
        self.rest = pn.pane.HTML("<p class='pending'>Reading the whole diary…</p>",
                                 sizing_mode="stretch_width", stylesheets=[LIST_CSS, VISIT_CSS],
                                 css_classes=["visit-rest"])
        self.logging_part = pn.Column(sizing_mode="stretch_width", css_classes=["visit-log"],
                                      visible=self.data.param.capabilities.rx.pipe(lambda can: can.log))
        self._below_built = False
        self.data.param.watch(lambda _e: self.refresh(), "diary")
        self.refresh()
        pn.state.onload(self._build_below)

    def _build_below(self) -> None:
        """The parts below the first screen: filled after the page has arrived."""
        with self.data.session.one_check():
            self._fill_below()

    def _fill_below(self) -> None:
        self._below_built = True
        form = SessionForm(data=self.data)
        form.fields["therapist"].value = self.therapist
        self.logging_part.objects = [pn.pane.Markdown("### Log the session you just gave"), form]
        self.refresh()

    def refresh(self) -> None:
        diary = self.data.diary
        if diary.daily.empty and diary.sessions.empty:
            self.head.object = "<p>This diary has no entries yet.</p>"
            self.rest.object = ""
            return
        report = visit_report(self.data.session, self.data.filters.patient, self.therapist)
        self.head.object = self._trial_html() + visit_sessions_html(report)
        if self._below_built:
            self.rest.object = visit_rest_html(report)

    def _trial_html(self) -> str:
        """The trial's news: a lost period, and the next session (the pressure to give)."""
        return trial_news_html(open_trial(self.data.session, self.data.filters.patient))

    def __panel__(self):
        report = ReportButton(data=self.data, audience="therapist")  # for the days shown
        return pn.Column(report, self.head, self.rest, self.logging_part,
                         sizing_mode="stretch_width", max_width=1100,
                         css_classes=["visit-page", "visit-view"])
