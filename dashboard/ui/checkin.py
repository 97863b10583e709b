"""The quick check-in: today's pain, sleep and fatigue in five taps, from the first screen.

It saves through the DataStore like the daily form, with the same rule for a day that
already has a check-in (it asks first); what it does not ask about (stiffness, notes,
per-area pain ...) is kept from the check-in it updates.  The page address
``?checkin=1`` opens it unfolded with the keyboard focus on its first rating.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import panel as pn
import param

from .. import domain
from ..records import DailyCheckin
from .forms import DailyForm
from .rating import BLANK, NOT_RECORDED, Choice, rating_choice, rating_value, show_rating
from .serving import served_page

CHECKIN_ARG = "checkin"  # ?checkin=1 opens the quick check-in
RATINGS = ("pain", "sleep_quality", "fatigue")
SLEEP_HOURS = range(2, 13)  # the full form takes any other figure (and half hours, naps)

def checkin_requested() -> bool:
    """Whether the page address asks for the quick check-in (``?checkin=1``)."""
    if not served_page():
        return False
    values = pn.state.session_args.get(CHECKIN_ARG, [])
    return any(value.decode(errors="replace").lower() not in ("0", "no", "false") for value in values)


def sleep_hours_input() -> Choice:
    options = [{"text": BLANK, "value": None, "name": NOT_RECORDED},
               *({"text": str(h), "value": h} for h in SLEEP_HOURS)]
    return Choice(label="Hours asleep last night", options=options,
                       hint=f"{SLEEP_HOURS[0]} to {SLEEP_HOURS[-1]}; other figures in the full form")


class QuickCheckin(DailyForm):
    """Today's check-in in four choices and Save; "Full form" opens the daily form."""

    title = "Today's check-in"
    open_full_form = param.Callable(default=None, doc="Opens the full daily form with these answers")
    autofocus = param.Boolean(default=False, doc="Focus the first rating when drawn")

    def _fields(self) -> dict:
        return {
            "pain": rating_choice("Pain today (0-10)", domain.RATING_ANCHORS["pain"],
                                  autofocus=self.autofocus),
            "sleep_hours": sleep_hours_input(),
            "sleep_quality": rating_choice("Sleep quality (0-10)", domain.RATING_ANCHORS["sleep_quality"]),
            "fatigue": rating_choice("Fatigue (0-10)", domain.RATING_ANCHORS["fatigue"]),
        }

    def __init__(self, **params):
        super().__init__(**params)
        self.shown_id = None  # the id of today's saved check-in whose answers the form shows
        self.clear()
        self.full_button = pn.widgets.Button(label="Full form: more ratings, notes, naps",
                                             color="light", height=44,
                                             css_classes=["full-form-button"])
        self.full_button.on_click(self._full_form)

    def answers(self) -> dict:
        """What was chosen here, without the blanks."""
        values = {name: rating_value(self.fields[name]) for name in RATINGS}
        values["sleep_hours"] = (None if self.fields["sleep_hours"].value is None
                                 else float(self.fields["sleep_hours"].value))
        return {name: value for name, value in values.items() if value is not None}

    def build(self) -> DailyCheckin:
        """Today's check-in with these answers; one saved today keeps its other entries."""
        today = dt.date.today()
        existing = self.data.existing_checkin(today)
        base = self.data.record("daily", existing) if existing is not None else DailyCheckin(date=today)
        return dataclasses.replace(base, **self.answers())

    def load(self, record: DailyCheckin) -> None:
        for name in RATINGS:
            show_rating(self.fields[name], getattr(record, name))
        hours = record.sleep_hours
        self.fields["sleep_hours"].value = hours if hours in SLEEP_HOURS else None

    def clear(self) -> None:
        """Today's saved answers (to change them), or blanks while today has none."""
        today = dt.date.today()
        self.shown_id = self.data.existing_checkin(today)
        saved = self.shown_id is not None
        self.load(self.data.record("daily", self.shown_id) if saved else DailyCheckin(date=today))
        self._ask(None)
        if saved:
            self.say("These are today's saved answers: change any of them and Save to update.",
                     "info")

    def confirm_overwrite(self, record) -> bool:
        """Saving the answers shown (today's saved ones, changed) updates them without asking;
        a check-in saved meanwhile elsewhere (another tab) is asked about first."""
        if self.shown_id is not None and self.data.existing_checkin(record.date) == self.shown_id:
            return True
        return super().confirm_overwrite(record)

    def describe(self, record) -> str:
        return f"today's check-in ({record.date:%a %d %b %Y})"

    def replace_text(self, record) -> str:
        return (f"There is already a check-in for today ({record.date:%a %d %b %Y}). Update it "
                "with these answers? What it says about anything else stays.")

    def _full_form(self, _event=None) -> None:
        if self.open_full_form is not None:
            self.open_full_form(self.answers())

    def __panel__(self):
        return pn.Column(
            *self.parts(self.fields),
            pn.Row(self.save_button, self.full_button), self.replace_question,
            pn.Row(self.replace_button, self.keep_button), self.message,
            sizing_mode="stretch_width", max_width=760, css_classes=["form-quick", "quick-checkin"])
