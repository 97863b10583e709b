"""Entries left out of every view because their date is outside the limits, named so they
can be fixed (``Store.bad_entries``: written before the limits existed, or by hand).

The diary opens and shows the rest; this banner says which entries are missing, and on the
Log page of a diary the person may change it offers to delete them.
"""

from __future__ import annotations

import panel as pn
import param

from ..session import ENTRY_NAMES, Refused, bad_entry_notes
from ..store import NotFound, StoreUnavailable
from .datastore import DataStore
from .text import escape_markdown_text


class LeftOutEntries(pn.viewable.Viewer):
    """A warning naming each left-out entry (kind, id, value); with ``deletable``, a choice
    of them and a Delete button for whoever may change the diary."""

    data = param.ClassSelector(class_=DataStore)
    deletable = param.Boolean(default=False)

    def __init__(self, **params):
        super().__init__(**params)
        self.alert = pn.pane.Alert("", alert_type="warning", visible=False,
                                   sizing_mode="stretch_width", css_classes=["left-out"])
        self.choice = pn.widgets.Select(label="Entry left out", options={}, width=320)
        self.delete_button = pn.widgets.Button(label="Delete this entry", color="danger",
                                               height=44, css_classes=["left-out-delete"])
        self.said = pn.pane.Markdown("", visible=False, css_classes=["left-out-said"])
        self.delete_button.on_click(self._delete)
        self.controls = pn.Row(self.choice, self.delete_button, visible=False)
        self.data.param.watch(lambda _e: self.refresh(), ["diary", "capabilities"])
        self.refresh()

    def refresh(self) -> None:
        bad = self.data.diary.bad
        notes = bad_entry_notes(bad, escape=escape_markdown_text)
        self.alert.param.update(
            object=("**Some entries cannot be shown.** " if notes else "") + " ".join(notes),
            visible=bool(notes))
        options = {f"{ENTRY_NAMES[r.kind].capitalize()} {r.id} ({r.value})": f"{r.kind}:{r.id}"
                   for r in bad.itertuples()}
        self.choice.param.update(options=options, value=next(iter(options.values()), None))
        self.controls.visible = bool(notes) and self.deletable and not self.data.capabilities.read_only

    def _delete(self, _event=None) -> None:
        if not self.choice.value:
            return
        kind, record_id = self.choice.value.split(":")
        try:
            self.data.delete(kind, int(record_id))
        except (NotFound, Refused, StoreUnavailable) as error:
            self.said.param.update(object=escape_markdown_text(str(error)), visible=True)
            return
        self.said.param.update(object=f"Deleted the {ENTRY_NAMES[kind]} {int(record_id)}.",
                               visible=True)

    def __panel__(self):
        parts = [self.alert, self.controls, self.said] if self.deletable else [self.alert]
        return pn.Column(*parts, sizing_mode="stretch_width")
