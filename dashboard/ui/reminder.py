"""Reminders in the app: a gentle note when today has no check-in yet, and a button that
downloads the daily reminder (the same iCalendar file as ``fibro reminders``)."""

from __future__ import annotations

import datetime as dt
import io
import os

import panel as pn
import param

from ..reminders import DEFAULT_BASE_URL, parse_time, reminder_ics
from .datastore import DataStore

TIMES = [f"{hour:02d}:{minute:02d}" for hour in range(6, 24) for minute in (0, 30)]


def logged_on(data: DataStore, day: dt.date) -> bool:
    daily = data.diary.daily
    return not daily.empty and bool((daily["date"].dt.date == day).any())


def page_base_url() -> str:
    """Where links made by a page point (the reminder, a read-only link): ``$FIBRO_BASE_URL``
    when set (``fibro serve --phone`` sets it to the address it printed), else the scheme
    and host this page was reached at."""
    configured = os.environ.get("FIBRO_BASE_URL")
    if configured:
        return configured.rstrip("/")
    context = getattr(pn.state.curdoc, "session_context", None)
    request = getattr(context, "request", None)
    if request is None:
        return DEFAULT_BASE_URL
    headers = request.headers
    scheme = headers.get("X-Forwarded-Proto", getattr(request, "protocol", "http")).split(",")[0]
    host = headers.get("Host")
    return f"{scheme.strip()}://{host}" if host else DEFAULT_BASE_URL


class NotLoggedToday(pn.viewable.Viewer):
    """"Nothing logged today yet": shown in the person's own diary while today has no
    check-in; it goes away as soon as one is saved."""

    data = param.ClassSelector(class_=DataStore)

    def __init__(self, **params):
        super().__init__(**params)
        self._note = pn.pane.Alert(
            "**Nothing logged today yet.** When you feel up to it, the check-in takes a few "
            "taps; a rough guess is fine.", alert_type="light", sizing_mode="stretch_width",
            css_classes=["not-logged-today"], visible=self._wanted())
        self.data.param.watch(self._follow, ["diary", "capabilities"])

    def _wanted(self, today: dt.date | None = None) -> bool:
        return self.data.capabilities.owns_diary and not logged_on(self.data, today or dt.date.today())

    def _follow(self, _event=None) -> None:
        self._note.visible = self._wanted()

    def __panel__(self):
        return self._note


class ReminderButton(pn.viewable.Viewer):
    """A time and a "Daily reminder" button that downloads a calendar file: a daily event at
    that time linking to the quick check-in on this dashboard."""

    time = param.Selector(default="20:00", objects=TIMES, doc="When to be reminded each day")

    def __init__(self, **params):
        super().__init__(**params)
        self._time = pn.widgets.Select.from_param(self.param.time, label="Reminder time",
                                                  width=140, css_classes=["reminder-time"])
        self._download = pn.widgets.FileDownload(
            callback=self._calendar, filename="reminder.ics", label="Daily reminder",
            color="primary", variant="outline", width=170,  # no icon: from a CDN
            css_classes=["reminder-download"], margin=(27, 10, 10, 10))

    def _calendar(self) -> io.BytesIO:
        text = reminder_ics(parse_time(self.time), page_base_url())
        return io.BytesIO(text.encode("utf-8"))

    def __panel__(self):
        return pn.Column(
            pn.pane.Markdown(
                "### A daily reminder\nDownload a calendar file and open it on your phone or "
                "computer: your calendar then reminds you every day at this time, with a link "
                "to the check-in.", sizing_mode="stretch_width", max_width=820),
            pn.Row(self._time, self._download), sizing_mode="stretch_width",
            css_classes=["reminder"])
