"""The Scores page: ACR 2016 criteria, the FIQR, and medication-overuse days, with past results.

Scoring is ``analysis.scores``; this module only asks, shows, keeps and plots.  Results
are kept per patient with ``Store.save_assessment``; while the demo diary is shown they
go to the person's own store (patient "Me"), never into the demo.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import panel as pn
import param

from .. import domain
from ..analysis import scores
from ..formatting import day
from ..overuse import OveruseSummary, overuse_summary
from .bodymap import WpiBodyMap
from .charts import acr_history_figure, fiqr_history_figure, overuse_figure
from ..records import InvalidRecord
from ..session import DEFAULT_PATIENT
from ..store import StoreUnavailable
from .datastore import DataStore
from .forms import FORM_CSS, rating_input, rating_value
from .rating import ChoiceGroup
from .tabs import LazyTabs
from .text import escape_html, escape_markdown_text

BLANK = "–"
SSS_LEVELS = {BLANK: None, "None (0)": 0, "Slight or mild (1)": 1, "Moderate (2)": 2,
              "Severe (3)": 3}
YES_NO = {BLANK: None, "No": False, "Yes": True}
SSS_ITEMS = {
    "fatigue": "Fatigue, past week",
    "unrefreshed": "Waking unrefreshed, past week",
    "cognitive": "Cognitive symptoms (trouble thinking or remembering), past week",
}
YES_NO_ITEMS = {
    "headaches": "Headaches, past 6 months",
    "abdominal": "Pain or cramps in the lower abdomen, past 6 months",
    "depression": "Depression, past 6 months",
}
GENERALIZED_LABELS = {"left_upper": "left upper", "right_upper": "right upper",
                      "left_lower": "left lower", "right_lower": "right lower", "axial": "axial"}
# Each item shows its own anchors (domain.FIQR_ANCHORS): the symptom items do not all
# run one way in words (sleep: 0 = awoke well rested), so no heading speaks for them.
FIQR_DOMAINS = {"function": "Function (past 7 days)",
                "overall": "Overall impact (past 7 days)",
                "symptoms": "Symptoms (past 7 days)"}

NOT_A_DEVICE = ("Not a medical device: these scores describe the answers you give, to take to "
                "your doctor; they are not a diagnosis.")
FIQR_COPYRIGHT = (f'The FIQR is copyrighted, so only short item labels are shown here. Please read '
                  f'each question on the official form at <a href="{scores.FIQR_FORM_URL}" '
                  f'target="_blank" rel="noopener noreferrer">{scores.FIQR_FORM_URL}</a>.')
DEMO_NOTE = ("The demo diary is shown, so results you keep go to your own diary (as "
             f"“{DEFAULT_PATIENT}”), not into the demo.")

PAGE_CSS = """
.result { border: 1px solid #D9D6E5; border-radius: 8px; padding: 10px 14px; background: #FBFAFE;
          font-size: 15px; color: #2F2F3F; }
.result .figures { display: flex; flex-wrap: wrap; gap: 8px 22px; margin-bottom: 6px; }
.result .n { font-size: 22px; font-weight: 600; }
.result .of { color: #5A5A6E; font-size: 13px; }
.result .verdict { font-weight: 600; margin: 4px 0; }
.result .rule, .result .problems, .note { font-size: 13px; color: #4A4A5E; }
.plain { font-size: 14px; color: #3B3B4F; }
@media (max-width: 700px) {  /* a phone: text at least 16 px */
  .result, .result .of, .result .rule, .result .problems, .note, .plain { font-size: 16px; }
}
"""


# --- where results are kept ----------------------------------------------------

def past_results(data: DataStore, instrument: str) -> pd.DataFrame:
    """The kept results of an instrument, oldest first (empty when there are none)."""
    return data.assessments(instrument)


# --- medication overuse ----------------------------------------------------------

def _class_label(drug_class: str) -> str:
    if drug_class == scores.ALL_ACUTE:
        return "All acute medicines together"
    return domain.DRUG_CLASS_LABELS[drug_class]


# --- the questionnaires ----------------------------------------------------------

def _error_line() -> pn.pane.HTML:
    return pn.pane.HTML("", css_classes=["field-error"], stylesheets=[FORM_CSS],
                        sizing_mode="stretch_width")


class Questionnaire(pn.viewable.Viewer):
    """Shared behaviour: a date, Score, Keep, a message line, and past results plotted."""

    data = param.ClassSelector(class_=DataStore)
    result = param.Parameter(default=None, doc="The last score, until an answer changes")
    kept = param.Integer(default=0, doc="Counts results kept, so past results redraw")
    instrument = ""
    title = ""

    def __init__(self, **params):
        super().__init__(**params)
        today = dt.date.today()
        self.date = pn.widgets.DatePicker(label="Date answered", value=today, end=today, width=200)
        self.score_button = pn.widgets.Button(label="Score", color="primary", height=44,
                                              width=140, css_classes=["score-button"])
        self.keep_button = pn.widgets.Button(label="Keep this result", color="success",
                                             height=44, width=180, disabled=True,
                                             css_classes=["keep-button"],
                                             visible=not self.data.capabilities.read_only)  # a shared view
        self.message = pn.pane.Alert("", alert_type="success", visible=False,
                                     css_classes=["score-message"], sizing_mode="stretch_width")
        self.result_pane = pn.pane.HTML("", stylesheets=[PAGE_CSS], css_classes=["score-result"],
                                        sizing_mode="stretch_width", visible=False)
        self.score_button.on_click(self.score)
        self.keep_button.on_click(self.keep)

    def inputs(self) -> list:
        """The widgets whose change makes a shown score stale."""
        raise NotImplementedError

    def compute(self):
        """The result of the current answers; a ValueError says what is missing."""
        raise NotImplementedError

    def answers(self) -> dict:
        raise NotImplementedError

    def result_html(self, result) -> str:
        raise NotImplementedError

    def result_dict(self, result) -> dict:
        return result.to_dict()

    def can_keep(self, result) -> str:
        """Why a result cannot be kept, or '' when it can."""
        return ""

    def plottable(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The kept results that can be plotted."""
        return frame

    def history_plot(self, frame: pd.DataFrame):
        raise NotImplementedError

    def watch_inputs(self) -> None:
        for widget in self.inputs():
            widget.param.watch(self._stale, "value")

    def _stale(self, _event=None) -> None:
        if self.result is not None:
            self.result = None
            self.keep_button.disabled = True
            self.result_pane.visible = False
            self.say("Answers changed: press Score again.", "light")

    def say(self, text: str, kind: str = "success") -> None:
        """Show ``text`` as plain text under the questionnaire."""
        self.message.param.update(object=escape_markdown_text(text), alert_type=kind,
                                  visible=bool(text))

    def score(self, _event=None) -> None:
        """Score the answers and show the result, or say what is missing."""
        try:
            result = self.compute()
        except ValueError as error:
            self.result = None
            self.keep_button.disabled = True
            self.result_pane.visible = False
            self.say(str(error), "danger")
            return
        self.result = result
        self.result_pane.param.update(object=self.result_html(result), visible=True)
        why_not = self.can_keep(result)
        self.keep_button.disabled = bool(why_not)
        self.say(why_not, "warning" if why_not else "success")

    def keep(self, _event=None) -> None:
        """Keep the shown result for the chosen date (a second one that day replaces it)."""
        if self.result is None or self.can_keep(self.result):
            return
        taken_on = self.date.value or dt.date.today()
        try:
            self.data.save_assessment(self.instrument, taken_on, self.answers(),
                                      self.result_dict(self.result))
        except StoreUnavailable as error:  # rolled back: nothing kept; pressing Keep again may work
            self.say(str(error), "danger")
            return
        except InvalidRecord as error:  # a date outside the limits (records.date_problem)
            self.say(f"Date answered: {error.problems['taken_on']}. Nothing was kept.", "danger")
            return
        self.kept += 1
        where = " in your own diary (not the demo)" if self.data.capabilities.demo else ""
        self.say(f"Kept the {self.title} result of {day(taken_on)}{where}.")

    def _history(self, *_deps):
        frame = self.plottable(past_results(self.data, self.instrument))
        if frame.empty:
            return pn.pane.Markdown(f"*No {self.title} results kept yet.*",
                                    css_classes=["no-history"])
        figure = self.history_plot(frame)
        figure.css_classes = [f"{self.instrument}-history"]
        return pn.pane.Bokeh(figure, sizing_mode="stretch_width")

    def history(self) -> pn.viewable.Viewable:
        return pn.panel(pn.bind(self._history, self.param.kept, self.data.filters.param.patient,
                                self.data.param.capabilities), sizing_mode="stretch_width")

    def actions(self) -> list:
        demo = pn.pane.Markdown(DEMO_NOTE, css_classes=["note"], visible=self.data.param.capabilities.rx.pipe(lambda can: can.demo))
        return [self.date, pn.Row(self.score_button, self.keep_button), demo, self.message,
                self.result_pane]


class Acr2016Form(Questionnaire):
    """The ACR 2016 criteria: painful regions on the body map, then the symptom items."""

    instrument = "acr2016"
    title = "ACR 2016"

    def __init__(self, **params):
        super().__init__(**params)
        self.bodymap = WpiBodyMap()
        def choice(name: str, label: str, options: dict, narrow_columns: int) -> ChoiceGroup:
            return ChoiceGroup(label=label, narrow_columns=narrow_columns, css_classes=[f"sss-{name}"],
                               options=[{"text": text, "value": value,
                                         **({"name": "not answered"} if value is None else {})}
                                        for text, value in options.items()])

        self.items = {name: choice(name, label, SSS_LEVELS, 1) for name, label in SSS_ITEMS.items()}
        self.items.update({name: choice(name, label, YES_NO, 3) for name, label in YES_NO_ITEMS.items()})
        self.errors = {name: _error_line() for name in self.items}
        self.watch_inputs()
        self.bodymap.param.watch(self._stale, "selected")

    def inputs(self) -> list:
        return list(self.items.values())

    def compute(self) -> scores.Acr2016Result:
        missing = {name: "Please choose one." for name, w in self.items.items() if w.value is None}
        for name, pane in self.errors.items():
            pane.object = escape_html(missing.get(name, ""))
        if missing:
            raise ValueError("Please answer every symptom item (marked in red); nothing was scored.")
        v = {name: w.value for name, w in self.items.items()}
        return scores.acr2016(self.bodymap.selected, **v)

    def answers(self) -> dict:
        return {"pain_regions": list(self.bodymap.selected),
                **{name: w.value for name, w in self.items.items()}}

    def result_html(self, result: scores.Acr2016Result) -> str:
        painful = set(self.bodymap.selected)
        regions = [GENERALIZED_LABELS[name] for name, members in domain.GENERALIZED_PAIN_REGIONS.items()
                   if painful.intersection(members)]
        where = f": {', '.join(regions)}" if regions else ""
        general = (f"{'yes' if result.generalized_pain else 'no'}, pain in {len(regions)} of 5 "
                   f"regions{where}")
        verdict = ("These answers meet the ACR 2016 criteria." if result.criteria_met
                   else "These answers do not meet the ACR 2016 criteria.")
        figure = '<div><span class="n {cls}">{n}</span> <span class="of">{what}</span></div>'
        return (
            '<div class="result acr-result"><div class="figures">'
            + figure.format(cls="wpi", n=result.wpi, what="WPI (of 19)")
            + figure.format(cls="sss", n=result.sss, what="SSS (of 12)")
            + figure.format(cls="fs", n=result.fs,
                            what=f"FS score (of 31): {escape_html(result.severity)}")
            + '</div>'
            f'<div class="generalized">Generalized pain: {escape_html(general)}</div>'
            f'<div class="verdict">{escape_html(verdict)}</div>'
            f'<div class="rule">{escape_html(result.rule)}</div></div>'
        )

    def history_plot(self, frame: pd.DataFrame):
        return acr_history_figure(frame)

    def __panel__(self):
        items = [pn.Column(w, self.errors[name], margin=0)
                 for name, w in self.items.items()]
        return pn.Column(
            pn.pane.Markdown("Tick every region where you had pain **in the past week**: click "
                             "it on the figure or tick it in the list.", css_classes=["plain"]),
            self.bodymap, *items, *self.actions(), self.history(),
            sizing_mode="stretch_width", max_width=1000, css_classes=["acr-form"])


class FiqrForm(Questionnaire):
    """The Revised Fibromyalgia Impact Questionnaire: 21 items 0-10, blanks allowed."""

    instrument = "fiqr"
    title = "FIQR"

    def __init__(self, **params):
        super().__init__(**params)
        self.items = {}
        for number, (key, label, _domain) in enumerate(scores.FIQR_ITEMS, start=1):
            self.items[key] = rating_input(f"{number}. {label}", domain.FIQR_ANCHORS[key],
                                           css_classes=[f"fiqr-{key}"])
        self.watch_inputs()

    def inputs(self) -> list:
        return list(self.items.values())

    def compute(self) -> scores.FiqrResult:
        return scores.fiqr([rating_value(w) for w in self.items.values()])

    def answers(self) -> dict:
        return {key: rating_value(w) for key, w in self.items.items()}

    def result_dict(self, result: scores.FiqrResult) -> dict:
        return {**result.to_dict(), "problems": list(result.problems)}

    def can_keep(self, result: scores.FiqrResult) -> str:
        return "" if result.valid else "Only a complete enough questionnaire can be kept."

    def result_html(self, result: scores.FiqrResult) -> str:
        def shown(value):
            return "–" if value is None else f"{value:.1f}"

        figure = '<div><span class="n {cls}">{n}</span> <span class="of">{what}</span></div>'
        figures = [figure.format(cls="function", n=shown(result.function), what="function (of 30)"),
                   figure.format(cls="overall", n=shown(result.overall), what="overall (of 20)"),
                   figure.format(cls="symptoms", n=shown(result.symptoms), what="symptoms (of 50)"),
                   figure.format(cls="total", n=shown(result.total), what="total (of 100)")]
        band = (f"Severity band (Salaffi 2020): {result.severity}" if result.severity
                else "No total, so no severity band.")
        validity = "Valid questionnaire." if result.valid else "Not valid: too many answers missing."
        problems = "".join(f"<li>{escape_html(p)}</li>" for p in result.problems)
        return (f'<div class="result fiqr-result"><div class="figures">{"".join(figures)}</div>'
                f'<div class="verdict band">{escape_html(band)}</div>'
                f'<div class="validity">{escape_html(validity)}</div>'
                + (f'<ul class="problems">{problems}</ul>' if problems else "") + "</div>")

    def plottable(self, frame: pd.DataFrame) -> pd.DataFrame:
        return frame[frame["total"].notna()] if "total" in frame.columns else frame.iloc[0:0]

    def history_plot(self, frame: pd.DataFrame):
        return fiqr_history_figure(frame)

    def __panel__(self):
        sections = []
        for name, heading in FIQR_DOMAINS.items():
            keys = [key for key, _label, d in scores.FIQR_ITEMS if d == name]
            sections.append(pn.pane.Markdown(f"### {heading}"))  # under the page's h2
            sections.extend(self.items[k] for k in keys)
        return pn.Column(
            pn.pane.HTML(FIQR_COPYRIGHT, css_classes=["fiqr-copyright", "plain"],
                         stylesheets=[PAGE_CSS], sizing_mode="stretch_width"),
            pn.pane.Markdown("Leave an item at “–” to skip it; one function item may be skipped.",
                             css_classes=["plain"]),
            *sections, *self.actions(), self.history(),
            sizing_mode="stretch_width", max_width=1000, css_classes=["fiqr-form"])


class OveruseView(pn.viewable.Viewer):
    """Days of use per month against the ICHD-3 thresholds, with gentle notes; never a diagnosis."""

    data = param.ClassSelector(class_=DataStore)

    def summary(self) -> OveruseSummary:
        """The whole months of the days shown (the overuse service)."""
        f = self.data.filtered
        return overuse_summary(f.diary.doses, f.start, f.end)

    def table(self) -> pd.DataFrame:
        return self.summary().table

    def _content(self, *_deps):
        summary = self.summary()
        intro = pn.pane.Markdown(
            "Days a month on which each kind of acute pain or headache medicine was taken at "
            "least once, for the whole months in the days shown. Lines: **10 days** (ergot, "
            "triptans, opioids, combination analgesics, and several classes together) and "
            "**15 days** (simple analgesics such as paracetamol, and NSAIDs). Preventive "
            "medicines are not counted.", css_classes=["plain"], sizing_mode="stretch_width")
        caveat = pn.pane.Markdown(scores.OVERUSE_CAVEAT, css_classes=["note", "overuse-caveat"],
                                  sizing_mode="stretch_width")
        if summary.latest_month is None:
            return pn.Column(intro, pn.pane.Markdown("*No acute pain or headache medicines in "
                                                     "these months.*"), caveat,
                             sizing_mode="stretch_width")
        sections = [(f"Latest month shown ({summary.latest_month_name})", summary.latest)]
        if summary.earlier:
            sections.insert(0, ("Earlier months that reached a threshold", summary.earlier))
        notes = "".join(
            f'<div class="note-head"><b>{escape_html(head)}</b></div><ul>'
            + "".join(f"<li>{escape_html(n)}</li>" for n in items) + "</ul>"
            for head, items in sections)
        return pn.Column(
            intro, self._overuse_pane(summary.table),
            pn.pane.HTML(f'<div class="plain">{notes}</div>', css_classes=["overuse-notes"],
                         stylesheets=[PAGE_CSS], sizing_mode="stretch_width"),
            caveat, sizing_mode="stretch_width")

    @staticmethod
    def _overuse_pane(table: pd.DataFrame) -> pn.pane.Bokeh:
        figure = overuse_figure(table, _class_label)
        figure.css_classes = ["overuse-plot"]
        return pn.pane.Bokeh(figure, sizing_mode="stretch_width")

    def __panel__(self):
        shown = pn.Column(self._content(), sizing_mode="stretch_width", css_classes=["overuse-view"])

        def follow(event) -> None:  # a new diary or other days; not pressures, areas or a span
            if event.new.changed & {"diary", "days"}:
                shown.objects = [self._content()]
        self.data.param.watch(follow, "filtered")
        return shown


class ScoresPage(pn.viewable.Viewer):
    """ACR 2016, FIQR and medication-overuse days, as three tabs."""

    data = param.ClassSelector(class_=DataStore)

    def __init__(self, **params):
        super().__init__(**params)
        # The FIQR (21 ratings) and the overuse figure are built when their tab first
        # opens: the page's first opening builds only the ACR 2016 form.
        self.questionnaires = LazyTabs(
            {"ACR 2016": lambda: Acr2016Form(data=self.data),
             "FIQR": lambda: FiqrForm(data=self.data),
             "Medication overuse": lambda: OveruseView(data=self.data)},
            eager={"ACR 2016"}, sizing_mode="stretch_width", css_classes=["scores-tabs"])
        self.tabs = self.questionnaires.tabs
        self.acr = self.questionnaires.built["ACR 2016"]

    def __panel__(self):
        return pn.Column(
            pn.pane.Markdown(NOT_A_DEVICE, css_classes=["not-a-device", "plain"]),
            self.tabs, sizing_mode="stretch_width", css_classes=["scores-page"])
