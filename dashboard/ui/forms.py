"""The Log page: quick forms for a day, a massage and a dose, and a history of each.

Forms build a record, show each problem under its field, and save through the
DataStore (one transaction), which refreshes every view of the session.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import panel as pn
import param
from panel.custom import JSComponent

from .. import domain
from ..records import DailyCheckin, MassageSession, MedicationDose
from ..store import DuplicateEntry, StoreUnavailable, ValueRefused
from .datastore import DataStore
from .rating import BLANK, Choice, ChoiceGroup, ChoiceGroups, rating_choice, rating_input, rating_value, show_rating
from .tables import RecordTable, record_page
from .tabs import LazyTabs
from .text import escape_html, escape_markdown_text

FORM_CSS = """
:host(.field-error) { color: #B3261E; font-size: 14px; min-height: 0; margin: 0 10px; }
.bk-btn-group .bk-btn { min-height: 40px; font-size: 15px; }
.group-label { font-size: 14px; }
.scale-anchors { font-size: 13px; color: #5F5B6B; margin-left: 8px; }
@media (max-width: 700px) {  /* a phone: text at least 16 px */
  :host(.field-error), .bk-btn-group .bk-btn, .group-label, .scale-anchors { font-size: 16px; }
}
"""


class NumberInput(pn.widgets.FloatInput):
    """A FloatInput whose empty value leaves the box empty: Panel sends an empty value as
    NaN, which Bokeh's spinner writes out as the text "NaN"; Bokeh itself takes None."""

    def _process_param_change(self, params: dict) -> dict:
        empty = [key for key in ("value", "value_throttled") if key in params and params[key] is None]
        params = super()._process_param_change(params)
        params.update(dict.fromkeys(empty))
        return params


class FocusFixes(JSComponent):
    """Two of Bokeh's inputs keep what the person has left (Bokeh 3.9, pinned): an
    autocomplete whose suggestion list is open takes the focus back when the person
    clicks or tabs to another field (its change handler refocuses it), and a calendar
    that opened on focus stays open over the next fields after Tab.  This invisible part
    closes both as the person leaves them; one per page is enough."""

    _esm = """
    export function render({ el }) {
      if (window.fibroFocusFixes) return;
      window.fibroFocusFixes = true;
      const leaving = (event, tabbing) => {
        const path = event.composedPath();
        for (const view of Bokeh.index.all_views()) {
          const inside = path.includes(view.el);
          if (view._open === true && typeof view._hide_menu === 'function' && tabbing === inside) {
            view._hide_menu();  // an autocomplete's open suggestion list
          } else if (tabbing && view._picker && view._picker.isOpen
                     && [view._picker.input, view._picker.altInput].includes(path[0])) {
            view._picker.close();  // a calendar, as Tab leaves its field (not its hour and minute)
          }
        }
      };
      document.addEventListener('pointerdown', event => leaving(event, false), true);
      document.addEventListener('keydown', event => { if (event.key === 'Tab') leaving(event, true); }, true);
    }
    """

    def __init__(self, **params):
        super().__init__(**{"height": 0, "width": 0, "margin": 0, **params})


def end_of_today() -> dt.datetime:
    """The latest time a date-time picker offers: its calendar greys out the days after today."""
    return dt.datetime.combine(dt.date.today(), dt.time(23, 59))


# A phone's browser shows a date-time picker as its own date-time field, in the phone's
# language: "12/06/2026, 01:10 PM" in US English. In a 220 px box at 16 px its end was cut
# off ("01:10 P", or no AM/PM at all): a 13:10 session read as 01:10. The field is at least
# as wide as what it shows. (A computer gets Bokeh's calendar, with 24-hour times.)
WHEN_CSS = """
:host { width: max-content !important; min-width: 220px; max-width: 100% !important; }
input.flatpickr-mobile { min-width: max-content; }
"""


SESSION_MINUTES = 60  # the length a new session is offered with


def just_now() -> dt.datetime:
    return dt.datetime.now().replace(second=0, microsecond=0)


def session_start(duration_min: float, now: dt.datetime | None = None) -> dt.datetime:
    """When a session that just ended began: ``duration_min`` before now, but not before
    today's midnight. (Starting it at "now" made the form refuse every session offered
    after 23:00: an hour from 23:27 ends on another day.)"""
    now = now or just_now()
    return max(now - dt.timedelta(minutes=float(duration_min or 0)),
               dt.datetime.combine(now.date(), dt.time(0)))


def when_picker(name: str, value: dt.datetime | None = None) -> pn.widgets.DatetimePicker:
    """A date and time up to the end of today, now at first, shown in 24 hours (or on a phone
    in full, in its own language)."""
    return pn.widgets.DatetimePicker(
        label=name, value=value or just_now(), end=end_of_today(),
        enable_seconds=False, military_time=True, width=220, stylesheets=[WHEN_CSS])


def group_label(text: str, anchors: tuple[str, str] | None = None) -> pn.pane.HTML:
    """The label above a button group, with what 0 and 10 mean beside it when it is a rating."""
    beside = (f' <span class="scale-anchors">{escape_html(domain.anchors_text(anchors))}</span>'
              if anchors else "")
    return pn.pane.HTML(f'<label class="group-label">{escape_html(text)}</label>{beside}',
                        margin=(8, 10, 0, 10), stylesheets=[FORM_CSS])


def rule() -> pn.pane.HTML:
    """A thin line between a form and its history. (Panel's Divider, built after the page
    has loaded, as a lazily opened tab is, asks for its stylesheet from Panel's CDN.)"""
    return pn.pane.HTML("<hr style='border: 0; border-top: 1px solid #E2DFEC; margin: 8px 0'>",
                        sizing_mode="stretch_width")

class RecordForm(pn.viewable.Viewer):
    """A form for one record kind: fields, an error line under each, save, edit mode."""

    data = param.ClassSelector(class_=DataStore)
    editing = param.Integer(default=None, allow_None=True, doc="Id of the record being edited")
    kind = ""  # the store's kind: daily, sessions, doses
    title = ""

    def __init__(self, **params):
        super().__init__(**params)
        self.fields: dict[str, pn.viewable.Viewable] = self._fields()
        self.errors: dict[str, pn.pane.HTML] = {}  # a field's error line, made with the field
        self.save_button = pn.widgets.Button(label="Save", color="primary", height=44,
                                             width=160, css_classes=["save-button"])
        self.cancel_button = pn.widgets.Button(label="Cancel edit", color="light", height=44,
                                               visible=self.param.editing.rx.is_not(None))
        self.message = pn.pane.Alert("", alert_type="success", visible=False,
                                     css_classes=["form-message"], sizing_mode="stretch_width")
        self.save_button.on_click(self._on_save)
        self.cancel_button.on_click(lambda _e: self.reset())

    # --- for subclasses -----------------------------------------------------

    def _fields(self) -> dict:
        raise NotImplementedError

    def build(self):
        """The record in the form (may raise ValueError naming a field)."""
        raise NotImplementedError

    def load(self, record) -> None:
        """Put a stored record into the fields, for editing."""
        raise NotImplementedError

    def clear(self) -> None:
        """Empty the fields for the next entry."""
        raise NotImplementedError

    def describe(self, record) -> str:
        raise NotImplementedError

    def layout(self) -> list:
        return self.parts(self.fields)

    # --- shared behaviour ----------------------------------------------------

    def parts(self, names) -> list:
        """The fields ``names`` in order; each run of ``Choice`` fields (the ratings) is drawn
        by one ``ChoiceGroups`` (one view and script for the run, not one per question)."""
        parts, run = [], []
        for name in [*names, None]:
            if name is not None and isinstance(self.fields[name], Choice):
                run.append(name)
                continue
            if run:
                parts.append(ChoiceGroups([self.fields[n] for n in run],
                                          css_classes=["choice-groups"]))
                run = []
            if name is not None:
                parts.append(self.field(name))
        return parts

    def field(self, name: str) -> pn.Column:
        """A field with its label (button groups have none of their own) and its error line."""
        widget = self.fields[name]
        if name not in self.errors:
            self.errors[name] = pn.pane.HTML("", css_classes=["field-error"], stylesheets=[FORM_CSS],
                                             sizing_mode="stretch_width")
        parts = [widget, self.errors[name]]
        if isinstance(widget, (pn.widgets.RadioButtonGroup, pn.widgets.CheckButtonGroup)):
            parts.insert(0, group_label(widget.label, domain.RATING_ANCHORS.get(name)))
        return pn.Column(*parts, sizing_mode="stretch_width", margin=0)

    def __panel__(self):
        heading = pn.pane.Markdown(self.param.editing.rx.pipe(
            lambda editing: f"### {'Edit' if editing is not None else 'New'} {self.title.lower()}"))
        return pn.Column(heading, *self.layout(), pn.Row(self.save_button, self.cancel_button),
                         self.message, sizing_mode="stretch_width", max_width=900,
                         css_classes=[f"form-{self.kind}"])

    def show_problems(self, problems: dict[str, str]) -> None:
        for name, pane in self.errors.items():
            text = problems.get(name, "")
            pane.object = escape_html(text)
        choices = [name for name, field in self.fields.items() if isinstance(field, Choice)]
        for name in choices:  # drawn by a ChoiceGroups (``parts``), with their error lines
            self.fields[name].error = problems.get(name, "")  # shown as text
        unplaced = {k: v for k, v in problems.items() if k not in self.errors and k not in choices}
        if unplaced:
            self.say(" ".join(f"{k}: {v}" for k, v in unplaced.items()), "danger")
        elif problems:
            self.say("Please check the fields marked in red: nothing was saved.", "danger")

    def say(self, text: str, kind: str = "success") -> None:
        """Show ``text`` as plain text (it may name what a person typed) under the form."""
        self.message.param.update(object=escape_markdown_text(text), alert_type=kind,
                                  visible=bool(text))

    def say_done(self, text: str, kind: str = "success") -> None:
        """Say what a stored write did; when the views could not follow it (the database
        did not answer the re-read), add so, as a warning."""
        self.say(self.data.written(text), "warning" if self.data.stale else kind)

    def reset(self) -> None:
        self.editing = None
        self.clear()
        self.show_problems({})

    def edit(self, record_id: int) -> None:
        """Load a stored record for editing."""
        self.load(self.data.record(self.kind, record_id))
        self.editing = record_id
        self.show_problems({})
        self.say("")

    def _on_save(self, _event=None) -> None:
        try:
            record = self.build()
        except ValueError as error:
            name, _, text = str(error).partition(": ")
            self.show_problems({name: text})
            return
        problems = record.validate()
        self.show_problems(problems)
        if problems:
            return
        if not self.confirm_overwrite(record):
            return
        try:
            if self.editing is not None:
                self.data.replace(self.kind, self.editing, record)
            else:
                self.data.save(record)
        except DuplicateEntry as error:
            self.show_problems({error.field: str(error)})
            return
        except (StoreUnavailable, ValueRefused) as error:  # rolled back: the form keeps what was typed
            self.say(str(error), "danger")
            return
        verb = "Updated" if self.editing is not None else "Saved"
        self.reset()
        self.say_done(f"{verb}: {self.describe(record)}.")

    def confirm_overwrite(self, record) -> bool:
        return True


class DailyForm(RecordForm):
    """Today's (or any past day's) check-in: ratings by tapping, sleep, optional per-area pain."""

    kind = "daily"
    title = "Daily check-in"
    pending_replace = param.Parameter(default=None, doc="A record waiting for 'replace?'")

    def _fields(self) -> dict:
        today = dt.date.today()
        fields = {"date": pn.widgets.DatePicker(label="Day", value=today, end=today, width=200)}
        for name, label in domain.DAILY_RATINGS.items():
            if name == "sleep_quality":
                fields["sleep_hours"] = NumberInput(
                    label="Hours asleep last night", value=None, start=0, end=24, step=0.5,
                    placeholder="e.g. 6.5", width=200)
                fields["nap_minutes"] = pn.widgets.IntInput(
                    label="Naps (minutes)", value=None, start=0, end=domain.NAP_MINUTES_MAX, step=5,
                    placeholder="e.g. 40", width=200)
            fields[name] = rating_choice(f"{label} (0-10)", domain.RATING_ANCHORS.get(name))
        for area in domain.BODY_AREAS:
            fields[domain.AREA_PAIN_PREFIX + area] = pn.widgets.IntInput(
                label=domain.area_label(area), value=None, start=0, end=10, placeholder=BLANK,
                width=110)
        fields["notes"] = pn.widgets.TextAreaInput(label="Notes", placeholder="Anything else",
                                                  height=80, sizing_mode="stretch_width")
        return fields

    def __init__(self, **params):
        super().__init__(**params)
        self.replace_question = pn.pane.Alert("", alert_type="warning", visible=False,
                                              css_classes=["replace-question"])
        self.replace_button = pn.widgets.Button(label="Replace that day", color="warning",
                                                visible=False, css_classes=["replace-yes"])
        self.keep_button = pn.widgets.Button(label="Keep the saved one", visible=False)
        self.replace_button.on_click(self._replace_confirmed)
        self.keep_button.on_click(lambda _e: self._ask(None))

    def layout(self) -> list:
        per_area = pn.Card(title=(
            f"Pain per body area (optional; {domain.anchors_text(domain.RATING_ANCHORS['pain'])})"),
                           collapsed=True, sizing_mode="stretch_width")

        def unfold(_event=None) -> None:  # its 13 fields (and their box) are drawn when first unfolded
            if not per_area.collapsed and not per_area.objects:
                per_area.objects = [pn.FlexBox(*[self.field(domain.AREA_PAIN_PREFIX + a)
                                                 for a in domain.BODY_AREAS])]

        per_area.param.watch(unfold, "collapsed")
        main = self.parts([n for n in self.fields
                           if not n.startswith(domain.AREA_PAIN_PREFIX) and n != "notes"])
        return [*main, per_area, self.field("notes"), self.replace_question,
                pn.Row(self.replace_button, self.keep_button)]

    def build(self) -> DailyCheckin:
        f = self.fields
        areas = {a: float(f[domain.AREA_PAIN_PREFIX + a].value) for a in domain.BODY_AREAS
                 if f[domain.AREA_PAIN_PREFIX + a].value is not None}
        return DailyCheckin(
            date=f["date"].value, sleep_hours=f["sleep_hours"].value,
            nap_minutes=f["nap_minutes"].value, notes=f["notes"].value or "",
            area_pain=areas, **{n: rating_value(f[n]) for n in domain.DAILY_RATINGS})

    def load(self, record: DailyCheckin) -> None:
        f = self.fields
        f["date"].value = record.date
        f["sleep_hours"].value = record.sleep_hours
        f["nap_minutes"].value = None if pd.isna(record.nap_minutes) else int(record.nap_minutes)
        f["notes"].value = record.notes
        for name in domain.DAILY_RATINGS:
            show_rating(f[name], getattr(record, name))
        for area in domain.BODY_AREAS:
            value = record.area_pain.get(area)
            f[domain.AREA_PAIN_PREFIX + area].value = None if value is None else int(round(value))

    def clear(self) -> None:
        self.load(DailyCheckin(date=dt.date.today()))
        self._ask(None)

    def describe(self, record) -> str:
        return f"check-in of {record.date:%a %d %b %Y}"

    def confirm_overwrite(self, record) -> bool:
        """A new check-in for a day that has one asks first, instead of making a duplicate."""
        if self.editing is not None or self.pending_replace == record:
            return True
        existing = self.data.existing_checkin(record.date)
        if existing is None:
            return True
        self._ask(record)
        return False

    def replace_text(self, record) -> str:
        return f"There is already a check-in for {record.date:%a %d %b %Y}. Replace it with this one?"

    def _ask(self, record) -> None:
        self.pending_replace = record
        asking = record is not None
        if asking:
            self.say("")
            self.replace_question.object = escape_markdown_text(self.replace_text(record))
        for widget in (self.replace_question, self.replace_button, self.keep_button):
            widget.visible = asking

    def _replace_confirmed(self, _event=None) -> None:
        if self.pending_replace is not None:
            self._on_save()


class SessionForm(RecordForm):
    """A massage: when, how long, how hard, where, who, and pain before and after."""

    kind = "sessions"
    title = "Massage session"

    def _fields(self) -> dict:
        return {
            "start": when_picker("Started", session_start(SESSION_MINUTES)),
            "duration_min": pn.widgets.IntInput(label="Minutes", value=SESSION_MINUTES, start=1, end=1440,
                                                step=5, width=120),
            "pressure": Choice(
                label="Pressure", value="moderate", narrow_columns=2,
                options=[{"text": domain.PRESSURE_LABELS[p], "value": p} for p in domain.PRESSURES]),
            "areas": pn.widgets.MultiChoice(
                label="Body areas", options={domain.area_label(a): a for a in domain.BODY_AREAS},
                placeholder="Choose one or more", sizing_mode="stretch_width"),
            "technique": pn.widgets.TextInput(label="Technique", placeholder="e.g. myofascial release",
                                              sizing_mode="stretch_width"),
            "therapist": pn.widgets.AutocompleteInput(
                label="Therapist", options=[], restrict=False, case_sensitive=False,
                min_characters=1, sizing_mode="stretch_width"),
            "pain_before": rating_choice("Pain just before (0-10)", domain.RATING_ANCHORS["pain_before"]),
            "pain_after": rating_choice("Pain just after (0-10)", domain.RATING_ANCHORS["pain_after"]),
            "notes": pn.widgets.TextAreaInput(label="Notes", height=70, sizing_mode="stretch_width"),
        }

    def __panel__(self):
        self._offer_therapists()
        self.data.param.watch(lambda _e: self._offer_therapists(), "diary")
        return super().__panel__()

    def _offer_therapists(self) -> None:
        names = self.data.diary.sessions.get("therapist", pd.Series(dtype=str))
        self.fields["therapist"].options = sorted({str(n) for n in names.dropna() if str(n).strip()})

    def layout(self) -> list:
        # one above the other: a phone's date-time field grows to show the whole time
        return [self.field("start"), self.field("duration_min"),
                *self.parts([n for n in self.fields if n not in ("start", "duration_min")])]

    def build(self) -> MassageSession:
        f = self.fields
        if f["start"].value is None:
            raise ValueError("start: when did it start?")
        return MassageSession(
            start=f["start"].value.replace(second=0, microsecond=0),
            duration_min=f["duration_min"].value, pressure=f["pressure"].value,
            areas=tuple(a for a in domain.BODY_AREAS if a in set(f["areas"].value)),
            technique=f["technique"].value or "", therapist=f["therapist"].value or "",
            pain_before=rating_value(f["pain_before"]), pain_after=rating_value(f["pain_after"]),
            notes=f["notes"].value or "")

    def load(self, record: MassageSession) -> None:
        f = self.fields
        f["start"].value = record.start
        f["duration_min"].value = int(record.duration_min)
        f["pressure"].value = record.pressure
        f["areas"].value = list(record.areas)
        f["technique"].value = record.technique
        f["therapist"].value = record.therapist
        show_rating(f["pain_before"], record.pain_before)
        show_rating(f["pain_after"], record.pain_after)
        f["notes"].value = record.notes

    def clear(self) -> None:
        f = self.fields
        f["start"].param.update(value=session_start(f["duration_min"].value), end=end_of_today())
        f["areas"].value = []
        f["technique"].value = f["notes"].value = ""
        show_rating(f["pain_before"], None)
        show_rating(f["pain_after"], None)

    def describe(self, record) -> str:
        return (f"{domain.PRESSURE_LABELS[record.pressure].lower()} session of "
                f"{record.start:%a %d %b %Y %H:%M}")


RECENT_MEDICINES = 6  # choices offered by a tap; any other name is typed
RECENT_DAYS = 30


def recent_medicines(doses: pd.DataFrame, limit: int = RECENT_MEDICINES) -> list[dict]:
    """The person's own medicines to offer as taps: those taken most often in the last
    ``RECENT_DAYS`` days of their diary first (then the most recently taken), each with
    its latest dose, class and unit."""
    if doses is None or doses.empty:
        return []
    doses = doses.dropna(subset=["name"]).sort_values("time")
    doses = doses[doses["name"].astype(str).str.strip() != ""]
    if doses.empty:
        return []
    recent = doses[doses["time"] > doses["time"].max() - pd.Timedelta(days=RECENT_DAYS)]
    key = doses["name"].astype(str).str.strip().str.lower()
    counts = recent["name"].astype(str).str.strip().str.lower().value_counts()
    latest = doses.assign(key=key).drop_duplicates("key", keep="last")
    latest = latest.assign(count=latest["key"].map(counts).fillna(0))
    latest = latest.sort_values(["count", "time"], ascending=False).head(limit)
    return [{"name": str(row["name"]).strip(), "drug_class": row["drug_class"],
             "dose": None if pd.isna(row["dose"]) else float(row["dose"]),
             "unit": "" if pd.isna(row["unit"]) else str(row["unit"])}
            for _, row in latest.iterrows()]


class DoseForm(RecordForm):
    """A dose: when, what (the person's recent medicines by a tap, which fills in the rest;
    known names fill in the class), how much, why."""

    kind = "doses"
    title = "Medication dose"

    def _fields(self) -> dict:
        fields = {
            "time": when_picker("Taken at"),
            "recent": ChoiceGroup(label="Your recent medicines", narrow_columns=2,
                                  hint="a tap fills in the name, class and last dose",
                                  css_classes=["recent-medicines"]),
            "name": pn.widgets.AutocompleteInput(
                label="Medicine", options=[], restrict=False, case_sensitive=False,
                min_characters=1, placeholder="e.g. Paracetamol", sizing_mode="stretch_width"),
            "drug_class": pn.widgets.Select(
                label="Drug class", options={domain.DRUG_CLASS_LABELS[c]: c for c in domain.DRUG_CLASSES},
                value="other", sizing_mode="stretch_width", max_width=420),
            "dose": NumberInput(label="Dose", value=None, start=0, placeholder="e.g. 500",
                                          width=140),
            "unit": pn.widgets.TextInput(label="Unit", value="mg", width=100),
            "reason": pn.widgets.TextInput(label="Reason", placeholder="e.g. neck pain",
                                           sizing_mode="stretch_width"),
        }
        fields["name"].param.watch(self._fill_class, "value")
        fields["recent"].param.watch(self._fill_recent, "value")
        return fields

    def __panel__(self):
        self._offer_names()
        self.data.param.watch(lambda _e: self._offer_names(), "diary")
        return super().__panel__()

    def _fill_recent(self, event) -> None:
        """A recent medicine tapped: its name, class, and the dose and unit last taken."""
        chosen = next((m for m in self._recent if m["name"] == event.new), None)
        if chosen is None:
            return
        f = self.fields
        f["name"].value = chosen["name"]
        f["drug_class"].value = chosen["drug_class"]
        f["dose"].value, f["unit"].value = chosen["dose"], chosen["unit"]

    def _known_classes(self) -> dict[str, str]:
        """Lower-case name -> class: the person's own earlier entries win over the built-in list."""
        doses = self.data.diary.doses
        earlier = {}
        if len(doses):
            latest = doses.sort_values("time").drop_duplicates("name", keep="last")
            earlier = {str(n).lower(): c for n, c in zip(latest["name"], latest["drug_class"])}
        return {**domain.KNOWN_DRUGS, **earlier}

    def _offer_names(self) -> None:
        doses = self.data.diary.doses
        own = sorted({str(n) for n in doses.get("name", [])})
        builtin = sorted(n.capitalize() for n in domain.KNOWN_DRUGS)
        self.fields["name"].options = own + [n for n in builtin if n.lower() not in
                                             {o.lower() for o in own}]
        self._recent = recent_medicines(doses)
        recent = self.fields["recent"]
        recent.param.update(options=[{"text": m["name"], "value": m["name"]} for m in self._recent],
                            visible=bool(self._recent))
        self._follow_name()

    def _follow_name(self) -> None:
        """The recent medicine named in the Medicine field is the one shown chosen."""
        typed = (self.fields["name"].value or "").strip().lower()
        names = {m["name"].lower(): m["name"] for m in getattr(self, "_recent", [])}
        self.fields["recent"].value = names.get(typed)

    def _fill_class(self, event) -> None:
        self._follow_name()
        if self.editing is None and event.new:
            known = self._known_classes().get(str(event.new).strip().lower())
            if known:
                self.fields["drug_class"].value = known

    def layout(self) -> list:
        return [self.field("time"), self.field("recent"), self.field("name"),
                # the class on its own line: beside dose and unit a phone left it 128 px,
                # and "Simple analgesic (e.g. paracetamol)" read "Simple anal..."
                self.field("drug_class"),
                pn.Row(pn.Column(self.field("dose"), width=160, margin=0),
                       pn.Column(self.field("unit"), width=120, margin=0)),
                self.field("reason")]

    def build(self) -> MedicationDose:
        f = self.fields
        if f["time"].value is None:
            raise ValueError("time: when was it taken?")
        return MedicationDose(time=f["time"].value.replace(second=0, microsecond=0),
                              name=(f["name"].value or "").strip(), drug_class=f["drug_class"].value,
                              dose=f["dose"].value, unit=f["unit"].value or "",
                              reason=f["reason"].value or "")

    def load(self, record: MedicationDose) -> None:
        f = self.fields
        f["time"].value = record.time
        f["name"].value = record.name
        f["drug_class"].value = record.drug_class
        f["dose"].value = record.dose
        f["unit"].value = record.unit
        f["reason"].value = record.reason

    def clear(self) -> None:
        self.fields["time"].param.update(value=just_now(), end=end_of_today())
        self.fields["reason"].value = ""

    def describe(self, record) -> str:
        return f"{record.name} at {record.time:%a %d %b %Y %H:%M}"


NOT_DELETED = ("Could not delete: the database did not answer. Nothing was deleted; "
               "please try again in a moment.")


class History(pn.viewable.Viewer):
    """Entries of one kind, newest first, filtered like the plots, ten to a page; pick one
    to edit or delete it; undo a delete.  The table is built with the history; the page
    the browser shows is the only part of the frame sent to it."""

    form = param.ClassSelector(class_=RecordForm)
    last_deleted = param.Parameter(default=None, doc="(record) that Undo puts back")

    PAGE_SIZE = 10
    COLUMNS = {
        "daily": ["date", "pain", "sleep_hours", "sleep_quality", "fatigue", "notes"],
        "sessions": ["start", "duration_min", "pressure", "areas", "therapist", "pain_before",
                     "pain_after", "notes"],
        "doses": ["time", "name", "drug_class", "dose", "unit", "reason"],
    }

    TITLES = {"date": "Day", "pain": "Pain", "sleep_hours": "Sleep (h)", "sleep_quality": "Sleep quality",
              "fatigue": "Fatigue", "notes": "Notes", "start": "Started", "duration_min": "Minutes",
              "pressure": "Pressure", "areas": "Areas", "therapist": "Therapist",
              "pain_before": "Pain before", "pain_after": "Pain after", "time": "Taken at",
              "name": "Medicine", "drug_class": "Class", "dose": "Dose", "unit": "Unit",
              "reason": "Reason"}
    LABELS = {  # code -> what the forms show
        "pressure": lambda code: domain.PRESSURE_LABELS.get(code, code),
        "areas": lambda codes: ", ".join(domain.area_label(a) for a in str(codes or "").split(";") if a),
        "drug_class": lambda code: domain.DRUG_CLASS_LABELS.get(code, code),
    }
    NUMBERS = {"pain", "sleep_hours", "sleep_quality", "fatigue", "duration_min", "pain_before",
               "pain_after", "dose"}
    WIDE = {"notes", "reason"}

    def __init__(self, **params):
        super().__init__(**params)
        kind = self.form.kind
        self.title = f"Your {self.form.title.lower()}s"
        self.table = RecordTable(
            columns=[{"field": c, "title": self.TITLES[c], "number": c in self.NUMBERS,
                      "wide": c in self.WIDE, **({"sort": "descending"} if i == 0 else {})}
                     for i, c in enumerate(self.COLUMNS[kind])],
            label=self.title, order="newest first", page_size=self.PAGE_SIZE,
            css_classes=[f"history-{kind}"])
        self._showing = False  # set while a page is being sent
        self._keep_page = False  # set while this history's own delete or undo reloads the diary
        self.frame = self._rows()
        self._show(1)
        data = self.form.data
        data.param.watch(self._refresh, "filtered")
        self.table.param.watch(self._page_turned, "page")

    def __panel__(self):
        edit = pn.widgets.Button(label="Edit selected", css_classes=["edit-selected"])
        delete = pn.widgets.Button(label="Delete selected", color="danger",
                                   variant="outline", css_classes=["delete-selected"])
        undo = pn.widgets.Button(label="Undo delete", color="warning", css_classes=["undo-delete"],
                                 visible=self.param.last_deleted.rx.is_not(None))
        edit.on_click(self._edit)
        delete.on_click(self._delete)
        undo.on_click(self._undo)
        return pn.Column(pn.pane.Markdown(f"#### {self.title}"), self.table,
                         pn.Row(edit, delete, undo), sizing_mode="stretch_width")

    def _rows(self) -> pd.DataFrame:
        """Every entry that passes the filters, newest first, its time as text."""
        data = self.form.data
        kind = self.form.kind
        shown = data.filtered
        frame = {"sessions": shown.sessions, "daily": shown.daily, "doses": shown.doses}[kind]
        columns = ["id", *self.COLUMNS[kind]]
        if frame.empty:
            return pd.DataFrame(columns=columns)
        when = self.COLUMNS[kind][0]
        rows = frame.sort_values(when, ascending=False)[columns].reset_index(drop=True)
        rows[when] = rows[when].dt.strftime("%Y-%m-%d" if kind == "daily" else "%Y-%m-%d %H:%M")
        for column, label in self.LABELS.items():  # the words the forms use, not the codes
            if column in rows:
                rows[column] = rows[column].map(label)
        return rows

    def _radio_name(self, row) -> str:
        """What a row's radio is called: what tells the entry apart."""
        if self.form.kind == "doses":
            return f"Select {row['name']} at {row['time']}"
        return f"Select {row[self.COLUMNS[self.form.kind][0]]}"

    def _show(self, page: int, selected=None) -> None:
        """Send one page of the frame, and which entry is selected, in one update."""
        shown = record_page(self.frame, page, self.PAGE_SIZE, self._radio_name)
        self._showing = True
        try:
            self.table.param.update(selected=selected, **shown)
        finally:
            self._showing = False

    def _refresh(self, event=None) -> None:
        """New entries or filters: a selected entry still listed stays selected and shown;
        otherwise the selection clears and the first page (newest) is shown, or the same
        page after a delete or undo here or a saved edit (the store gives an edited entry
        a new id)."""
        changed = event.new.changed if event is not None else frozenset({"diary"})
        if not changed - {"span"}:  # days selected in a plot: the list stays as it is
            return
        self.frame = self._rows()
        selected = self.table.selected
        ids = self.frame["id"].tolist()
        saving_edit = "diary" in changed and self.form.editing is not None
        if selected in ids:
            self._show(ids.index(selected) // self.PAGE_SIZE + 1, selected)
        else:
            self._show(self.table.page if self._keep_page or saving_edit else 1)

    def _page_turned(self, event) -> None:
        """Previous or Next: that page's rows; the selection, no longer shown, clears."""
        if not self._showing:
            self._show(event.new)

    def _selected_id(self) -> int | None:
        if self.table.selected is None:
            self.form.say("Select an entry in the table first.", "warning")
            return None
        return int(self.table.selected)

    def _edit(self, _event=None) -> None:
        record_id = self._selected_id()
        if record_id is not None:
            self.form.edit(record_id)

    def _delete(self, _event=None) -> None:
        record_id = self._selected_id()
        if record_id is None:
            return
        self._keep_page = True
        try:
            deleted = self.form.data.delete(self.form.kind, record_id)
        except StoreUnavailable:  # rolled back: the entry is still there (and still selected)
            self.form.say(NOT_DELETED, "danger")
            return
        finally:
            self._keep_page = False
        self.last_deleted = deleted
        self.table.selected = None
        self.form.say_done(f"Deleted the {self.form.describe(self.last_deleted)}. "
                           "You can undo this right away.", "warning")

    def _undo(self, _event=None) -> None:
        if self.last_deleted is None:
            return
        record = self.last_deleted
        self._keep_page = True
        try:
            self.form.data.save(record)
        except StoreUnavailable:  # rolled back: the entry is still held here for another Undo
            self.form.say(f"Could not restore the {self.form.describe(record)}: the database did "
                          "not answer. Please press Undo delete again in a moment (keep this page "
                          "open until then).", "danger")
            return
        finally:
            self._keep_page = False
        self.last_deleted = None
        self.form.say_done(f"Restored the {self.form.describe(record)}.")


class LogPage(pn.viewable.Viewer):
    """The three forms, each above its history; a form's tab is built when first opened
    (the page opens with the day's form only: building all three took seconds)."""

    data = param.ClassSelector(class_=DataStore)
    FORMS = (DailyForm, SessionForm, DoseForm)

    def __init__(self, **params):
        super().__init__(**params)
        self.forms: dict[str, RecordForm] = {}
        self.tabs = LazyTabs({form.title: (lambda form=form: self._form_and_history(form))
                              for form in self.FORMS},
                             sizing_mode="stretch_width", css_classes=["log-tabs"]).tabs

    def _form_and_history(self, form_type) -> list:
        form = self.forms[form_type.kind] = form_type(data=self.data)
        return [form, rule(), History(form=form)]

    def __panel__(self):
        from .left_out import LeftOutEntries

        return pn.Column(FocusFixes(), LeftOutEntries(data=self.data, deletable=True), self.tabs,
                         sizing_mode="stretch_width")
