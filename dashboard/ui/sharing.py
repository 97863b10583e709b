"""The patient's **Sharing** page (hosted mode): give a therapist access, create a read-only
link, see who opened what and when, revoke.  The session layer decides and records every
step (``DiarySession.share_with``, ``create_link``, ``revoke``, ``shares``)."""

from __future__ import annotations

import html

import pandas as pd
import panel as pn
import param

from ..accounts import AccountError
from ..session import DiarySession, Refused
from .account_tables import LIST_CSS, account_time, html_table, server_zone
from .text import escape_markdown_text


def last_opened(log: pd.DataFrame, column: str, item_id: int) -> str:
    opened = log[(log[column] == item_id) & log["action"].isin(["opened dashboard", "opened link"])]
    return account_time(opened["at"].max()) if len(opened) else "never"


class SharingPage(pn.viewable.Viewer):
    """A patient's grants and links: add, list with who opened them and when, revoke."""

    session = param.ClassSelector(class_=DiarySession)
    base_url = param.String(default="", doc="The address links start with")

    def __init__(self, **params):
        super().__init__(**params)
        self.therapist = pn.widgets.TextInput(label="Therapist's user name", width=260)
        self.scope = pn.widgets.RadioButtonGroup(
            label="Access", options={"See my dashboard": "read",
                                    "See it and log the sessions they give": "log"},
            value="read", color="primary", variant="outline")
        self.grant_days = pn.widgets.IntInput(label="Ends after (days, 0 = until I revoke it)",
                                              value=0, start=0, end=3650, width=260)
        self.grant_button = pn.widgets.Button(label="Give access", color="primary",
                                              height=44, css_classes=["grant-button"])
        self.link_amount = pn.widgets.IntInput(label="Link ends after", value=14, start=1,
                                               end=365, width=130)
        self.link_unit = pn.widgets.Select(label="Unit", options={"days": "d", "hours": "h"},
                                           value="d", width=120)
        self.link_button = pn.widgets.Button(label="Create read-only link", color="primary",
                                             height=44, css_classes=["link-button"])
        self.revoke_choice = pn.widgets.Select(label="Revoke", options={}, width=320)
        self.revoke_button = pn.widgets.Button(label="Revoke now", color="danger", height=44,
                                               css_classes=["revoke-button"])
        self.message = pn.pane.Alert("", visible=False, sizing_mode="stretch_width",
                                     css_classes=["sharing-message"])
        self.new_link = pn.pane.HTML("", sizing_mode="stretch_width", stylesheets=[LIST_CSS],
                                     css_classes=["new-link"])
        self.tables = pn.pane.HTML("", sizing_mode="stretch_width", stylesheets=[LIST_CSS],
                                   css_classes=["sharing-tables"])
        self.grant_button.on_click(self._grant)
        self.link_button.on_click(self._link)
        self.revoke_button.on_click(self._revoke)
        self.refresh()

    def say(self, text: str, kind: str = "success") -> None:
        self.message.param.update(object=escape_markdown_text(text), alert_type=kind, visible=True)

    def _grant(self, _event=None) -> None:
        days = self.grant_days.value or 0
        try:
            grant = self.session.share_with(self.therapist.value.strip(), self.scope.value,
                                            f"{days}d" if days else None)
        except (AccountError, Refused) as refusal:
            self.say(str(refusal), "danger")
            return
        self.say(f"Grant {grant}: {self.therapist.value.strip()} can now "
                 f"{'see your dashboard and log sessions' if self.scope.value == 'log' else 'see your dashboard'}.")
        self.therapist.value = ""
        self.refresh()

    def _link(self, _event=None) -> None:
        try:
            link_id, token = self.session.create_link(f"{self.link_amount.value}{self.link_unit.value}")
        except (AccountError, Refused) as refusal:
            self.say(str(refusal), "danger")
            return
        url = f"{self.base_url}/link/{token}"
        self.new_link.object = (
            f"<p><b>Link {link_id}</b>, read-only. Copy it now: it is shown only this once.</p>"
            f"<p class='link-url'>{html.escape(url)}</p>")
        self.say(f"Link {link_id} created.")
        self.refresh()

    def _revoke(self, _event=None) -> None:
        if not self.revoke_choice.value:
            return
        kind, item_id = self.revoke_choice.value.split(":")
        try:
            self.session.revoke(kind, int(item_id))
        except (AccountError, Refused) as refusal:
            self.say(str(refusal), "danger")
            return
        self.say(f"Revoked {kind} {item_id}. Pages open on it close within a minute.")
        self.new_link.object = ""
        self.refresh()

    def refresh(self) -> None:
        shares = self.session.shares()
        grants, links, log = shares["grants"], shares["links"], shares["log"]
        grants = grants.assign(opened=[last_opened(log, "user_id", t) for t in grants["therapist_id"]])
        links = links.assign(opened=[last_opened(log, "link_id", i) for i in links["id"]])
        self.revoke_choice.options = {
            **{f"Grant {r.id} ({r.therapist}, {r.scope})": f"grant:{r.id}"
               for r in grants.itertuples() if r.status == "active"},
            **{f"Link {r.id} (ends {account_time(r.expires_at)})": f"link:{r.id}"
               for r in links.itertuples() if r.status == "active"}}
        self.tables.object = (
            f"<p class='note times-zone'>Times are the server's local time ({server_zone()}).</p>"
            "<h3>Therapists with access</h3>" + html_table(grants, {
                "id": "Grant", "therapist": "Therapist", "scope": "Access", "status": "Status",
                "created_at": "Given", "expires_at": "Ends", "opened": "Last opened"}, "grants",
                "Therapists with access")
            + "<h3>Read-only links</h3>" + html_table(links, {
                "id": "Link", "status": "Status", "created_at": "Created",
                "expires_at": "Ends", "opened": "Last opened"}, "links", "Read-only links")
            + "<h3>Who opened what</h3>" + html_table(log.head(50), {
                "at": "When", "actor": "Who", "action": "What"}, "access-log", "Who opened what"))

    def __panel__(self):
        return pn.Column(
            pn.pane.Markdown("## Share your dashboard\nA therapist with an account on this "
                             "server sees your diary once you give them access. A link lets "
                             "someone without an account look, read-only, until it ends. "
                             "You can revoke either at any time."),
            pn.pane.Markdown("### Give a therapist access"),
            pn.Row(self.therapist, self.grant_days), self.scope, self.grant_button,
            pn.pane.Markdown("### Create a read-only link"),
            pn.Row(self.link_amount, self.link_unit), self.link_button, self.new_link,
            pn.pane.Markdown("### Revoke"), pn.Row(self.revoke_choice, self.revoke_button),
            self.message, self.tables, sizing_mode="stretch_width", max_width=980,
            css_classes=["sharing-page"])
