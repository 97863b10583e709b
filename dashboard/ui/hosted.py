"""Hosted mode: the dashboard behind a login, for patients, their therapists and link holders.

``fibro serve --hosted`` serves it.  Every page request needs a valid sign-in: a signed,
HttpOnly, SameSite=Lax cookie holding a random token whose hash the store keeps
(``dashboard.accounts``).  ``/login`` checks the store's users (Argon2id), ``/logout``
ends the sign-in on the server, ``/link/<token>`` turns a read-only link into a sign-in
for that one patient.  What a signed-in person may see and change is decided by the
session layer (``dashboard.session``), never here; this module only lays out pages:

* a **patient** gets their own dashboard and a **Sharing** page (grants, links, who
  opened what);
* a **therapist** picks one of the patients who granted them access and reads the
  **Since the last visit** view first, then the same pages read-only (``log`` scope:
  they also log the session they just gave);
* a **link holder** gets that patient's dashboard read-only with a banner;
* an **admin** manages accounts with ``fibro user`` and sees no diary.

Every 30 s an open page checks its sign-in and access again; when they have ended
(sign-out elsewhere, password change, revoked grant or link, expiry) it empties itself.
"""

from __future__ import annotations

import datetime as dt
import html
import logging
import os
import secrets
from pathlib import Path

import pandas as pd
import panel as pn
import param
from bokeh.server.auth_provider import AuthProvider
from tornado.web import RequestHandler, decode_signed_value

from .. import domain
from ..accounts import AccountError, Accounts
from ..analysis import effects as fx
from ..analysis import scores as sc
from ..analysis.visit import FLARE_RISE, since_last_visit
from ..session import DiarySession, Refused, shared_store
from ..store import Store
from ..trials import open_trial
from .app import (ACCENT, READ_ONLY_PAGES, TITLE, App, load_extensions, page_template,
                  short_message)
from .datastore import DataStore
from .forms import SessionForm
from .reconnect import ReloadOnLostConnection
from .report_button import ReportButton
from .text import escape_html, escape_markdown_text
from .trial_page import next_session_html

log = logging.getLogger(__name__)

COOKIE = "fibro_signin"
CHECK_SECONDS = 30  # an open page re-checks its sign-in and access this often
ENDED = ("**This page has ended.** The sign-in or the access it used is no longer valid "
         "(signed out, revoked or expired). Nothing of the diary is shown any more.")
LINK_ENDED = "This link has ended. Ask the person who sent it for a new one if you need it."


# --- the cookie secret -------------------------------------------------------------------

def cookie_secret(store: Store) -> str:
    """``$FIBRO_COOKIE_SECRET``, else a secret made once and kept owner-only beside a SQLite
    store (every process serving that store signs and checks cookies with it)."""
    given = os.environ.get("FIBRO_COOKIE_SECRET")
    if given:
        if len(given) < 32:
            raise AccountError("FIBRO_COOKIE_SECRET needs at least 32 characters")
        return given
    if store.path is None:
        raise AccountError("a hosted server on a database URL needs FIBRO_COOKIE_SECRET "
                           "(the same value for every process)")
    path = Path(store.path).with_name(Path(store.path).name + ".cookie-secret")
    if not path.exists():
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as file:
            file.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


def signin_token(secret: str, raw: str | None) -> str | None:
    """The sign-in token inside a signed cookie value, or None when missing or tampered."""
    if not raw:
        return None
    value = decode_signed_value(secret, COOKIE, raw, max_age_days=30)
    return value.decode() if value else None


# --- plain pages (login, ended) ------------------------------------------------------------

PLAIN_CSS = f"""
body {{ font-family: "Atkinson Hyperlegible", "Segoe UI", Roboto, Arial, sans-serif;
       font-size: 17px; color: #2F2F3F; background: #F6F5FA; margin: 0; }}
header {{ background: {ACCENT}; color: white; padding: 14px 20px; font-size: 20px; }}
main {{ max-width: 420px; margin: 40px auto; background: white; padding: 24px;
       border-radius: 10px; border: 1px solid #D9D6E5; }}
label {{ display: block; margin: 14px 0 4px; }}
input[type=text], input[type=password] {{ width: 100%; box-sizing: border-box; font-size: 17px;
       padding: 10px; border: 1px solid #9A98AE; border-radius: 6px; min-height: 48px; }}
button {{ margin-top: 20px; font-size: 17px; padding: 10px 22px; background: {ACCENT};
         color: white; border: 0; border-radius: 6px; min-height: 44px; }}
.problem {{ color: #8A1C1C; background: #FBEAEA; padding: 8px 12px; border-radius: 6px; }}
.note {{ color: #3B3B4F; }}
"""


def plain_page(title: str, body: str) -> str:
    """A small self-contained page (no outside fonts, scripts or styles)."""
    return (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
            f"<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<title>{html.escape(title)}</title><style>{PLAIN_CSS}</style></head>"
            f"<body><header>{html.escape(TITLE)}</header><main>{body}</main></body></html>")


class _Handler(RequestHandler):
    """Shared by the login, logout and link pages: the store and the cookie."""

    def initialize(self, store_url: str) -> None:
        self.accounts = Accounts(shared_store(store_url))

    def set_default_headers(self) -> None:
        self.set_header("Cache-Control", "no-store")
        self.set_header("X-Frame-Options", "DENY")
        self.set_header("Referrer-Policy", "no-referrer")

    def sign_in_with(self, token: str) -> None:
        self.set_signed_cookie(COOKIE, token, expires_days=None, httponly=True, samesite="Lax",
                               secure=self.request.protocol == "https", path="/")

    def current_token(self) -> str | None:
        value = self.get_signed_cookie(COOKIE, max_age_days=30)
        return value.decode() if value else None


class LoginHandler(_Handler):
    def get(self) -> None:
        said = ("<p class='note'>You are signed out.</p>"
                if self.get_argument("signed-out", None) else "")
        self.write(self.form(said))

    def form(self, said: str = "", name: str = "") -> str:
        return plain_page("Sign in", (
            "<h1>Sign in</h1>" + said +
            "<form method='post' action='/login'>" + self.xsrf_form_html() +
            "<label for='name'>User name</label>"
            f"<input id='name' name='name' type='text' autocomplete='username' required "
            f"autofocus value='{html.escape(name, quote=True)}'>"
            "<label for='password'>Password</label>"
            "<input id='password' name='password' type='password' "
            "autocomplete='current-password' required>"
            "<button type='submit'>Sign in</button></form>"))

    def post(self) -> None:
        self.check_xsrf_cookie()
        name = self.get_body_argument("name", "")
        try:
            token = self.accounts.sign_in(name, self.get_body_argument("password", ""))
        except AccountError as refusal:
            self.set_status(401)
            self.write(self.form(f"<p class='problem' role='alert'>{html.escape(str(refusal))}</p>",
                                 name))
            return
        self.sign_in_with(token)
        self.redirect("/app")


class LogoutHandler(_Handler):
    def get(self) -> None:
        token = self.current_token()
        if token:
            self.accounts.sign_out(token)
        self.clear_cookie(COOKIE, path="/")
        self.redirect("/login?signed-out=1")


class LinkHandler(_Handler):
    """``/link/<token>``: a live link signs its holder in read-only; anything else ends."""

    def get(self, token: str) -> None:
        try:
            signin = self.accounts.open_link(token)
        except AccountError:
            self.write(plain_page("Link ended", f"<h1>Link ended</h1><p>{html.escape(LINK_ENDED)}</p>"))
            return
        self.sign_in_with(signin)
        self.redirect("/app")

    def _request_summary(self) -> str:  # the access log never shows the token
        return f"{self.request.method} /link/... ({self.request.remote_ip})"


class StoreAuth(AuthProvider):
    """Bokeh's authentication hooks on the store's sign-ins."""

    def __init__(self, store_url: str, secret: str):
        self.store_url, self.secret = store_url, secret
        super().__init__()

    def _token(self, handler) -> str | None:
        return signin_token(self.secret, handler.get_cookie(COOKIE))

    @property
    def get_user(self):
        def user_of(handler):
            principal = Accounts(shared_store(self.store_url)).principal(self._token(handler))
            return None if principal is None else principal.name
        return user_of

    @property
    def get_login_url(self):
        def login_url(handler):
            ended_link = Accounts(shared_store(self.store_url)).was_link(self._token(handler))
            return "/link/ended" if ended_link else "/login"
        return login_url

    @property
    def logout_url(self):
        return "/logout"

    @property
    def logout_handler(self):
        return LogoutHandler

    @property
    def endpoints(self):
        options = {"store_url": self.store_url}
        return [("/login", LoginHandler, options), ("/logout", LogoutHandler, options),
                (r"/link/([A-Za-z0-9_\-]+)", LinkHandler, options)]


# --- the pages -----------------------------------------------------------------------------

def _when(value) -> str:
    if value is None or pd.isna(value):
        return "—"
    return pd.Timestamp(value).strftime("%d %b %Y %H:%M UTC")


def html_table(frame: pd.DataFrame, columns: dict[str, str], css_class: str) -> str:
    """A small escaped HTML table: ``columns`` maps a frame column to its heading."""
    if frame.empty:
        return "<p class='none'>None yet.</p>"
    head = "".join(f"<th>{html.escape(h)}</th>" for h in columns.values())
    rows = "".join("<tr>" + "".join(f"<td>{escape_html(_cell(r[c]))}</td>" for c in columns)
                   + "</tr>" for _, r in frame.iterrows())
    label = html.escape(css_class.replace("-", " "))
    return (f"<div class='table-scroll' tabindex='0' role='region' aria-label='{label}'>"
            f"<table class='{css_class}'><thead><tr>{head}</tr></thead>"
            f"<tbody>{rows}</tbody></table></div>")


def _cell(value) -> str:
    if isinstance(value, (pd.Timestamp, dt.datetime)):
        return _when(value)
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "—"
    return str(value)


TABLE_CSS = """
.table-scroll { max-width: 100%; overflow-x: auto; }  /* a wide table scrolls inside itself on a phone */
table { border-collapse: collapse; width: 100%; font-size: 15px; }
@media (max-width: 700px) { table { font-size: 16px; } }  /* a phone: at least 16 px */
th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid #E3E1EC; vertical-align: top; }
th { color: #3B3B4F; font-weight: 600; }
.none { color: #5A5A6E; }
.link-url { font-family: monospace; word-break: break-all; background: #F2F1F8; padding: 8px; }
"""


def last_opened(log: pd.DataFrame, column: str, item_id: int) -> str:
    opened = log[(log[column] == item_id) & log["action"].isin(["opened dashboard", "opened link"])]
    return _when(opened["at"].max()) if len(opened) else "never"


class SharingPage(pn.viewable.Viewer):
    """A patient's grants and links: add, list with who opened them and when, revoke."""

    session = param.ClassSelector(class_=DiarySession)
    base_url = param.String(default="", doc="The address links start with")

    def __init__(self, **params):
        super().__init__(**params)
        self.therapist = pn.widgets.TextInput(name="Therapist's user name", width=260)
        self.scope = pn.widgets.RadioButtonGroup(
            name="Access", options={"See my dashboard": "read",
                                    "See it and log the sessions they give": "log"},
            value="read", button_type="primary", button_style="outline")
        self.grant_days = pn.widgets.IntInput(name="Ends after (days, 0 = until I revoke it)",
                                              value=0, start=0, end=3650, width=260)
        self.grant_button = pn.widgets.Button(name="Give access", button_type="primary",
                                              height=44, css_classes=["grant-button"])
        self.link_amount = pn.widgets.IntInput(name="Link ends after", value=14, start=1,
                                               end=365, width=130)
        self.link_unit = pn.widgets.Select(name="Unit", options={"days": "d", "hours": "h"},
                                           value="d", width=120)
        self.link_button = pn.widgets.Button(name="Create read-only link", button_type="primary",
                                             height=44, css_classes=["link-button"])
        self.revoke_choice = pn.widgets.Select(name="Revoke", options={}, width=320)
        self.revoke_button = pn.widgets.Button(name="Revoke now", button_type="danger", height=44,
                                               css_classes=["revoke-button"])
        self.message = pn.pane.Alert("", visible=False, sizing_mode="stretch_width",
                                     css_classes=["sharing-message"])
        self.new_link = pn.pane.HTML("", sizing_mode="stretch_width", stylesheets=[TABLE_CSS],
                                     css_classes=["new-link"])
        self.tables = pn.pane.HTML("", sizing_mode="stretch_width", stylesheets=[TABLE_CSS],
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
            **{f"Link {r.id} (ends {_when(r.expires_at)})": f"link:{r.id}"
               for r in links.itertuples() if r.status == "active"}}
        self.tables.object = (
            "<h3>Therapists with access</h3>" + html_table(grants, {
                "id": "Grant", "therapist": "Therapist", "scope": "Access", "status": "Status",
                "created_at": "Given", "expires_at": "Ends", "opened": "Last opened"}, "grants")
            + "<h3>Read-only links</h3>" + html_table(links, {
                "id": "Link", "status": "Status", "created_at": "Created",
                "expires_at": "Ends", "opened": "Last opened"}, "links")
            + "<h3>Who opened what</h3>" + html_table(log.head(50), {
                "at": "When", "actor": "Who", "action": "What"}, "access-log"))

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


def _fmt(value, digits: int = 1) -> str:
    return "—" if value is None or pd.isna(value) else f"{value:.{digits}f}"


class VisitView(pn.viewable.Viewer):
    """The therapist's first screen for a patient: what happened since their last visit."""

    data = param.ClassSelector(class_=DataStore)
    therapist = param.String()

    def __init__(self, **params):
        super().__init__(**params)
        self.body = pn.pane.HTML("", sizing_mode="stretch_width", stylesheets=[TABLE_CSS],
                                 css_classes=["visit-view"])
        self.form = SessionForm(data=self.data)  # shown only with log scope for the patient
        self.form.fields["therapist"].value = self.therapist
        self.data.param.watch(lambda _e: self.refresh(), "diary")
        self.refresh()

    def refresh(self) -> None:
        diary = self.data.diary
        if diary.daily.empty and diary.sessions.empty:
            self.body.object = "<p>This diary has no entries yet.</p>"
            return
        visit = since_last_visit(diary.daily, diary.sessions, diary.doses, self.therapist)
        self.body.object = (self._trial_html() + self._sessions_html(visit) + self._effects_html()
                            + self._medication_html() + self._scores_html())

    def _trial_html(self) -> str:
        """The running trial's next session: the pressure this visit should give."""
        found = open_trial(self.data.session, self.data.filters.patient)
        return next_session_html(found) if found is not None and found.next_session() else ""

    def _sessions_html(self, visit) -> str:
        since = visit.since.strftime("%d %b %Y")
        head = (f"<h3>Sessions since your last visit ({since})</h3>" if visit.from_own_visit else
                "<h3>Sessions in the last 30 days (none given by you yet)</h3>")
        if visit.sessions.empty:
            return head + "<p>No massage sessions were logged in this time.</p>"
        frame = visit.sessions.assign(
            when=visit.sessions["start"].dt.strftime("%d %b %Y %H:%M"),
            pressure=visit.sessions["pressure"].map(domain.PRESSURE_LABELS),
            areas=visit.sessions["areas"].map(lambda a: ", ".join(
                domain.area_label(x) for x in str(a).split(domain.AREAS_SEPARATOR) if x)),
            pain=[f"{_fmt(b)} → {_fmt(a)}" for b, a in zip(visit.sessions["pain_before"],
                                                          visit.sessions["pain_after"])],
            after=[f"pain {_fmt(p)} (week before {_fmt(w)}), sleep {_fmt(s)} h, "
                   f"{k} painkiller dose{'s' if k != 1 else ''}" + (" — flare" if f else "")
                   for p, w, s, k, f in zip(*(visit.sessions[c] for c in (
                       "pain_48h", "pain_before_week", "sleep_48h", "painkillers_48h", "flare")))])
        flares = int(visit.sessions["flare"].sum())
        note = (f"<p>{flares} session{'s were' if flares != 1 else ' was'} followed by a flare "
                f"(pain at least {FLARE_RISE:g} points above the week before, within 48 h).</p>")
        return head + html_table(frame, {
            "when": "When", "pressure": "Pressure", "areas": "Areas", "therapist": "Therapist",
            "pain": "Pain before → after", "after": "The 48 h after"}, "visit-sessions") + note

    def _effects_html(self) -> str:
        d = self.data.diary
        table = fx.effects_table(d.daily, d.sessions, d.doses)
        sentences = fx.plain_sentences(table)
        shown = table.dropna(subset=["estimate"]) if len(table) else table
        if shown.empty:
            body = "<p>Not enough data yet: an estimate needs at least 5 sessions of a kind.</p>"
        else:
            shown = shown.assign(
                what=shown["pressure"].map(domain.PRESSURE_LABELS) + ", "
                + shown["area"].map(lambda a: "all areas" if a == "all" else domain.area_label(a)),
                est=[f"{e:+.2f} [{lo:+.2f}, {hi:+.2f}]" for e, lo, hi in
                     zip(shown["estimate"], shown["ci_low"], shown["ci_high"])])
            shown = shown.assign(p=shown["p_value"].map(fx.p_text))
            body = html_table(shown, {"what": "Pressure, area", "outcome": "Outcome",
                                      "est": "Estimate [95 % interval]", "p": "p",
                                      "n_sessions": "n sessions", "verdict": "Reading"},
                              "visit-effects")
            body += f"<p class='none'>{html.escape(fx.READING_RULE)}</p>"
        said = "".join(f"<li>{html.escape(s)}</li>" for s in sentences)
        return ("<h3>What the diary says about pressures and areas</h3>"
                + (f"<ul>{said}</ul>" if said else "") + body
                + "<p class='none'>Associations in one person's diary, not causes.</p>")

    def _medication_html(self) -> str:
        overuse = sc.medication_overuse(self.data.diary.doses)
        if overuse.empty:
            return "<h3>Medication overuse</h3><p>No doses logged.</p>"
        latest = overuse[overuse["month"] == overuse["month"].max()]
        crossed = latest[latest["crossed"]]
        notes = [sc.overuse_note(r) for _, r in crossed.iterrows()] or [
            f"Within the ICHD-3 thresholds in {latest['month'].iloc[0]}."]
        return "<h3>Medication overuse</h3>" + "".join(f"<p>{html.escape(n)}</p>" for n in notes)

    def _scores_html(self) -> str:
        parts = []
        for instrument, title in (("acr2016", "ACR 2016"), ("fiqr", "FIQR")):
            kept = self.data.assessments(instrument)
            if kept.empty:
                parts.append(f"<p>{title}: none kept yet.</p>")
                continue
            last = kept.iloc[-1]
            figures = ", ".join(f"{k} {_cell(last[k])}" for k in kept.columns
                                if k not in ("taken_on", "answers") and not isinstance(last[k], (list, dict)))
            parts.append(f"<p><b>{title}</b> ({last['taken_on']:%d %b %Y}): {html.escape(figures)}</p>")
        return "<h3>Latest scores</h3>" + "".join(parts)

    def __panel__(self):
        logging_part = pn.Column(pn.pane.Markdown("### Log the session you just gave"), self.form,
                                 visible=self.data.param.may_log, sizing_mode="stretch_width")
        report = ReportButton(data=self.data, audience="therapist")  # for the days shown
        return pn.Column(report, self.body, logging_part, sizing_mode="stretch_width",
                         max_width=1100, css_classes=["visit-page"])


def patient_list_html(listed: pd.DataFrame) -> str:
    """The therapist's list (``DiarySession.patient_list``) as a small escaped table."""
    from ..analysis.patient_list import TREND_DAYS

    return html_table(listed, {"name": "Patient", "visit_text": "Last visit",
                               "trend_text": f"Pain, last {TREND_DAYS} days vs the {TREND_DAYS} before"},
                      "patient-list-table")


def base_url() -> str:
    """The address this page was reached at (scheme and host), for new links."""
    request = pn.state.curdoc.session_context.request
    headers = request.headers
    scheme = headers.get("X-Forwarded-Proto", "http").split(",")[0].strip()
    return f"{scheme}://{headers.get('Host', '127.0.0.1')}"


def hosted_page(store_url: str, secret: str) -> pn.viewable.Viewable:
    """The served page for whoever is signed in (the server already required a sign-in)."""
    load_extensions()
    store = shared_store(store_url)  # one Store (one pool) per process
    request = pn.state.curdoc.session_context.request
    token = signin_token(secret, request.cookies.get(COOKIE))
    try:
        page = HostedPage(DiarySession.hosted(store, token))
    except Refused:
        return short_message(ENDED, "warning")
    except Exception:
        log.exception("The hosted dashboard could not start")
        return short_message("**The dashboard could not start.** The details are in the "
                             "server's log.")
    page.keep_checking()
    return page.template


class HostedPage:
    """The page of one signed-in person, and what happens when their access changes.

    Its parts sit directly in the template (a wrapping column left the responsive plots
    0 px wide).  Every ``CHECK_SECONDS`` it asks the session layer again: a patient whose
    grant ended leaves the patient list (and the view moves to another one); when the
    sign-in, the link or every grant has ended, the page empties itself in place.
    """

    def __init__(self, session: DiarySession):
        self.session = session
        who = session.principal
        self.data: DataStore | None = None
        self.intro = pn.pane.Markdown("", css_classes=["patients"], sizing_mode="stretch_width")
        self.ended = short_message(ENDED, "warning")
        self.ended.param.update(visible=False, css_classes=["page-ended"])
        sidebar, self.main = self._parts(who)
        self.side = pn.Column(*sidebar, sizing_mode="stretch_width")
        header = pn.pane.HTML(
            # wraps onto two lines on a narrow screen; the link is a 44 px target
            "<div style='display:flex; flex-wrap:wrap; align-items:center; "
            "justify-content:flex-end; column-gap:6px; color:white'>"
            f"<span>Signed in as {html.escape(who.name)} ·</span>"
            "<a href='/logout' class='sign-out' style='color:white; display:inline-block; "
            "min-height:44px; min-width:44px; line-height:44px; padding:0 6px'>Sign out</a></div>"
            if who.kind == "user" else "", sizing_mode="stretch_width")
        self.template = page_template([self.side], [self.ended, ReloadOnLostConnection(), *self.main],
                                      [header])

    def _parts(self, who) -> tuple[list, list]:
        session = self.session
        if who.role == "admin":
            return [], [pn.pane.Markdown(
                "## Administration\nAccounts are managed on the server with "
                "`fibro user add|list|remove|password`. An administrator sees no diary."),
                pn.pane.HTML(html_table(session.accounts.users(), {
                    "name": "User", "role": "Role", "created_at": "Created"}, "users"),
                    stylesheets=[TABLE_CSS])]
        if session.patients().empty:
            return [], [short_message(
                "No patient has shared their diary with you yet." if who.role == "therapist"
                else "There is no diary here for this account.", "info")]
        self.data = data = DataStore(session)
        if who.role == "patient":
            app = App(data=data, page_names=["Overview", "Effects", "Log", "Scores", "Trial",
                                             "Import", "Sharing", "About"],
                      extra_pages={"Sharing": lambda: SharingPage(session=session,
                                                                  base_url=base_url())})
            return [app.sidebar()], [app.pages()]
        session.opened(data.filters.patient)
        data.filters.param.watch(lambda e: e.new is not None and session.opened(e.new), "patient")
        if who.role == "link":
            names = dict(zip(session.patients()["id"], session.patients()["name"]))
            banner = short_message(
                f"**{escape_markdown_text(names[who.patient_id])}'s diary**, shared with you "
                f"read-only. This link ends {_when(who.expires_at)}.", "info")
            banner.css_classes = ["link-banner"]
            app = App(data=data, page_names=list(READ_ONLY_PAGES))
            return [app.sidebar()], [banner, app.pages()]
        app = App(data=data, page_names=["Since last visit", *READ_ONLY_PAGES],
                  extra_pages={"Since last visit": lambda: VisitView(data=data,
                                                                     therapist=who.name)})
        self.patient_table = pn.pane.HTML("", sizing_mode="stretch_width", stylesheets=[TABLE_CSS],
                                          css_classes=["patient-list"])
        self.patient_card = pn.Card(self.patient_table, collapsed=True, sizing_mode="stretch_width",
                                    css_classes=["patient-list-card"])
        self._list_patients(session.patients())
        return [app.sidebar()], [self.intro, self.patient_card, app.pages()]

    def _list_patients(self, patients: pd.DataFrame) -> None:
        names = ", ".join(patients["name"])
        self.intro.object = f"Your patients: {escape_markdown_text(names)}. Choose one in the sidebar."
        if getattr(self, "patient_card", None) is not None:
            self.patient_card.title = (f"All {len(patients)} patients: last visit and pain trend"
                                       if len(patients) > 1 else "Last visit and pain trend")
            self.patient_table.object = patient_list_html(self.session.patient_list())

    def check(self) -> None:
        """Follow the session layer's answer now: fewer patients, or none at all."""
        if not self.session.still_valid():
            self.end()
            return
        if self.data is None:  # an admin, or a therapist nobody has shared a diary with yet
            return
        visible = self.session.patients()
        if visible.empty:
            self.end()
            return
        filters = self.data.filters
        options = {str(n): int(i) for n, i in zip(visible["name"], visible["id"])}
        if set(options.values()) == set(filters.param.patient.objects.values()):
            return
        shown = filters.patient if filters.patient in options.values() else next(iter(options.values()))
        with pn.io.hold():
            filters.param.patient.objects = options
            filters.param.update(patient=shown)
            self.data.reload(reset_range=True)
            self._list_patients(visible)

    def end(self) -> None:
        """Empty the page: the diary's models leave the document; a short message stays."""
        self.callback.stop()
        self.side.objects = []
        for part in self.main:
            if isinstance(part, pn.layout.ListLike):
                part.objects = []
            part.visible = False
        self.ended.visible = True

    def keep_checking(self) -> None:
        seconds = float(os.environ.get("FIBRO_ACCESS_CHECK_SECONDS", CHECK_SECONDS))  # tests: shorter
        self.callback = pn.state.add_periodic_callback(self.check, period=int(seconds * 1000))


def serve_hosted(location, port: int, address: str, show: bool, origins: list[str],
                 use_xheaders: bool = False) -> None:
    """Run the hosted server (blocks): login required for every page.  Requests are logged
    (tornado's access log, link tokens masked); passwords, tokens and diaries never are."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    store = shared_store(location)
    secret = cookie_secret(store)
    pn.serve({"app": lambda: hosted_page(store.url, secret)}, port=port, address=address,
             show=show, title=TITLE, websocket_origin=origins, cookie_secret=secret,
             auth_provider=StoreAuth(store.url, secret), use_xheaders=use_xheaders,
             sign_sessions=True, secret_key=secret)
