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

The sign-in never reaches the page: the Bokeh session token embedded in ``/app`` carries
no cookie (``include_cookies=[]``, the ``Cookie`` header excluded), only the *hash* of the
sign-in it was made for (``SigninBinding``), and a websocket is accepted only from a browser
signed in with that same sign-in (``bind_websockets_to_signin``).  Every call of the session
layer checks that the sign-in still stands; sign-out in this server ends its open pages at
once, and every ``CHECK_SECONDS`` an open page checks its sign-in and access again (sign-out
elsewhere, password change, revoked grant or link, expiry) and empties itself.
"""

from __future__ import annotations

import datetime as dt
import html
import logging
import os
import re
import secrets
import weakref
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pandas as pd
import panel as pn
import param
from bokeh.application.handlers.handler import Handler
from bokeh.server.auth_provider import AuthProvider
from bokeh.util.token import check_token_signature, get_token_payload
from panel.io.state import set_curdoc
from tornado.ioloop import IOLoop
from tornado.web import OutputTransform, RequestHandler, decode_signed_value

from .. import domain
from ..accounts import AccountError, Accounts, token_hash
from ..analysis import effects as fx
from ..analysis.visit import FALLBACK_DAYS, FLARE_RISE
from ..session import Diary, DiarySession, Refused, SignedOut, shared_store
from ..store import Store
from ..trials import open_trial
from ..wording import plural
from . import tables
from .app import (ACCENT, READ_ONLY_PAGES, TITLE, App, load_extensions, page_template,
                  short_message)
from .datastore import DataStore
from .effects_page import effect_rows
from .forms import SessionForm
from .reconnect import ReloadOnLostConnection
from .report_button import ReportButton
from .tables import table_html
from .text import escape_html, escape_markdown_text
from .trial_page import trial_news_html

log = logging.getLogger(__name__)

COOKIE = "fibro_signin"
PAYLOAD_KEY = "fibro_signin"  # in the page's session token: the sign-in's hash, never the token
CHECK_SECONDS = 10  # an open page re-checks its sign-in and access this often
ENDED = ("**This page has ended.** The sign-in or the access it used is no longer valid "
         "(signed out, revoked or expired). Nothing of the diary is shown any more.")
LINK_ENDED = "This link has ended. Ask the person who sent it for a new one if you need it."
# Argon2 takes ~0.1 s of a core per sign-in: it runs in these threads, never on the event
# loop (30 sign-ins at once had stalled every other request for up to 12.7 s), two at a time.
SIGNIN_THREADS = 2
_signin_pool = ThreadPoolExecutor(SIGNIN_THREADS, thread_name_prefix="fibro-signin")
SIGNINS_AT_ONCE_PER_ADDRESS = 2  # more from one client address at the same moment: 429
_signing_in: dict[str, int] = {}  # client address -> its sign-ins in progress
SECURITY_HEADERS = {"X-Frame-Options": "DENY", "Content-Security-Policy": "frame-ancestors 'none'",
                    "Referrer-Policy": "no-referrer", "X-Content-Type-Options": "nosniff"}


class SecurityHeaders(OutputTransform):
    """Every response of the hosted server, Bokeh's and Panel's pages included: never in a
    frame (clickjacking), no referrer (a link's address), no type sniffing."""

    def transform_first_chunk(self, status_code, headers, chunk, finishing):
        for name, value in SECURITY_HEADERS.items():
            if name not in headers:
                headers[name] = value
        return status_code, headers, chunk


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


def signin_hash_of(secret: str, request) -> str | None:
    """The hash of the sign-in a request's signed cookie holds (None without a valid one)."""
    morsel = request.cookies.get(COOKIE)
    token = signin_token(secret, morsel.value if morsel is not None else None)
    return token_hash(token) if token else None


class SigninBinding(Handler):
    """Adds to a page's Bokeh session token the hash of the sign-in the page is made for
    (Bokeh's ``process_request`` hook; the cookies themselves are kept out of the token).

    The page's session is made from it (``hosted_page``), and the websocket of that page is
    accepted only from a browser holding the same sign-in (``bind_websockets_to_signin``)."""

    def __init__(self, secret: str):
        super().__init__()
        self.secret = secret

    def modify_document(self, doc) -> None:  # the page itself is built by the app's handler
        pass

    def process_request(self, request) -> dict:
        return {PAYLOAD_KEY: signin_hash_of(self.secret, request)}


def bind_websockets_to_signin(secret: str) -> None:
    """Refuse a websocket whose page token was made for another sign-in than the browser's:
    a page token of user A used by a browser signed in as B (or signed out) gets a 403."""
    from bokeh.server.views.ws import WSHandler

    if getattr(WSHandler, "_fibro_bound_to_signin", False):
        return
    plain_get = WSHandler.get

    async def get(self, *args, **kwargs):
        offered = [p.strip() for p in self.request.headers.get("Sec-WebSocket-Protocol", "").split(",")]
        token = offered[1] if len(offered) == 2 and offered[0] == "bokeh" else None
        bound = None
        if token and check_token_signature(token, secret_key=self.application.secret_key,
                                           signed=self.application.sign_sessions):
            bound = get_token_payload(token).get(PAYLOAD_KEY)
        if not bound or bound != signin_hash_of(secret, self.request):
            log.warning("Refused a websocket: its page was made for another sign-in (%s)",
                        self.request.remote_ip)
            self.set_status(403)
            self.finish("This page belongs to another sign-in.")
            return
        return await plain_get(self, *args, **kwargs)

    WSHandler.get = get
    WSHandler._fibro_bound_to_signin = True


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

    def set_default_headers(self) -> None:  # and SECURITY_HEADERS, as on every response
        self.set_header("Cache-Control", "no-store")

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
        after = html.escape(self.after_sign_in(), quote=True)
        return plain_page("Sign in", (
            "<h1>Sign in</h1>" + said +
            "<form method='post' action='/login'>" + self.xsrf_form_html() +
            f"<input type='hidden' name='next' value='{after}'>" +
            "<label for='name'>User name</label>"
            f"<input id='name' name='name' type='text' autocomplete='username' required "
            f"autofocus value='{html.escape(name, quote=True)}'>"
            "<label for='password'>Password</label>"
            "<input id='password' name='password' type='password' "
            "autocomplete='current-password' required>"
            "<button type='submit'>Sign in</button></form>"))

    async def post(self) -> None:
        self.check_xsrf_cookie()
        name = self.get_body_argument("name", "")
        address = self.request.remote_ip or ""
        if _signing_in.get(address, 0) >= SIGNINS_AT_ONCE_PER_ADDRESS:
            self.set_status(429)
            self.write(self.form("<p class='problem' role='alert'>Too many sign-ins at once from "
                                 "your address; wait a moment and try again.</p>", name))
            return
        _signing_in[address] = _signing_in.get(address, 0) + 1
        try:
            token = await IOLoop.current().run_in_executor(
                _signin_pool, lambda: self.accounts.sign_in(
                    name, self.get_body_argument("password", ""), address=address))
        except AccountError as refusal:
            self.set_status(401)
            self.write(self.form(f"<p class='problem' role='alert'>{html.escape(str(refusal))}</p>",
                                 name))
            return
        finally:
            _signing_in[address] -= 1
            if not _signing_in[address]:
                del _signing_in[address]
        self.sign_in_with(token)
        self.redirect(self.after_sign_in())

    def after_sign_in(self) -> str:
        """Where the sign-in leads: the page first asked for (``next``, e.g. a reminder's
        ``/app?checkin=1``) when it is this app's page, else ``/app``."""
        wanted = self.get_argument("next", "/app")
        return wanted if re.fullmatch(r"/app(\?[\w=&%.-]*)?", wanted) else "/app"


class LogoutHandler(_Handler):
    """``GET /logout`` asks (a link or an image elsewhere cannot sign anyone out); the form
    posts back with the XSRF token, and only that signs out."""

    def get(self) -> None:
        self.write(plain_page("Sign out", (
            "<h1>Sign out</h1><p>Sign out of the diary on this browser?</p>"
            "<form method='post' action='/logout'>" + self.xsrf_form_html()
            + "<button type='submit' class='confirm-sign-out'>Sign out</button></form>"
            "<p><a href='/app'>Back to the diary</a></p>")))

    def post(self) -> None:
        self.check_xsrf_cookie()
        token = self.current_token()
        if token:
            self.accounts.sign_out(token)
            HostedPage.end_pages_of(token_hash(token))
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


LINK_IN_TEXT = re.compile(r"/link/[^\s\"'?#]+")


def mask_link_tokens(text: str) -> str:
    """``/link/<anything>`` as ``/link/...``: a token followed by ``/``, ``.`` or ``)`` did not
    match the link route, and its 404 was logged with the whole token."""
    return LINK_IN_TEXT.sub("/link/...", text)


class MaskTokens(logging.Filter):
    """On every handler of the hosted server's log: link tokens masked in every line
    (ours, Tornado's access log, Bokeh's), whatever route answered."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_link_tokens(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


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
    """A stored account time (naive UTC) in the server's own time zone, named:
    '06 Dec 2026 16:05 CET'.  The diary's own times are local already and shown as stored."""
    if value is None or pd.isna(value):
        return "—"
    local = pd.Timestamp(value).tz_localize("UTC").to_pydatetime().astimezone()
    return f"{local:%d %b %Y %H:%M} {_zone(local)}"


def _zone(moment: dt.datetime | None = None) -> str:
    """The server's time zone name at ``moment`` (now): 'CET', or 'UTC+05:30' where the
    system has no name for it."""
    moment = moment or dt.datetime.now().astimezone()
    name, offset = moment.strftime("%Z"), moment.strftime("%z")
    return name if name and name[0] not in "+-" else f"UTC{offset[:3]}:{offset[3:]}"


def html_table(frame: pd.DataFrame, columns: dict[str, str], css_class: str, label: str,
               first: int = 15) -> str:
    """An escaped table (``tables.table_html``: a card per row on a phone) of ``frame``'s
    ``columns`` (frame column -> heading), named ``label``, in a ``css_class`` box."""
    if frame.empty:
        return f"<p class='none {html.escape(css_class)}'>None yet.</p>"
    shown = pd.DataFrame({heading: [_cell(v) for v in frame[column]]
                          for column, heading in columns.items()})
    return table_html(shown, label, css_class=css_class, first=first)


def _cell(value) -> str:
    if isinstance(value, (pd.Timestamp, dt.datetime)):
        return _when(value)
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "—"
    return str(value)


TABLE_CSS = tables.TABLE_CSS + """
.none { color: #5A5A6E; }
.link-url { font-family: monospace; word-break: break-all; background: #F2F1F8; padding: 8px; }
.note { color: #4F4B5C; }
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
            f"<p class='note times-zone'>Times are the server's local time ({_zone()}).</p>"
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


def _fmt(value, digits: int = 1) -> str:
    return "—" if value is None or pd.isna(value) else f"{value:.{digits}f}"


VISIT_CSS = """
.visit-rest .pending { color: #4F4B5C; font-style: italic; }
"""
SESSION_COLUMNS = {"when": "When", "pressure": "Pressure", "areas": "Body areas",
                   "therapist": "Therapist", "pain": "Pain before → after",
                   "after": "The 48 h after"}


def visit_sessions_html(visit) -> str:
    """The sessions since the therapist's previous visit (``analysis.visit.Visit``), escaped."""
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
    flares = int(sessions["flare"].sum())
    note = (f"<p>{plural(flares, 'session')} {'was' if flares == 1 else 'were'} followed by a "
            f"flare (pain at least {FLARE_RISE:g} points above the week before, within 48 h).</p>")
    return head + html_table(frame, SESSION_COLUMNS, "visit-sessions",
                             "Sessions since the last visit") + note


def visit_rest_html(report) -> str:
    """Below the sessions: effects over the whole diary, medication overuse, latest scores
    (``analysis.visit.VisitReport``), escaped."""
    effects = report.effects
    overall = effects[effects["area"] == fx.ALL_AREAS] if len(effects) else effects
    shown = overall.dropna(subset=["estimate"]) if len(overall) else overall
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
    is in the browser (below the fold).  The numbers come from
    ``DiarySession.visit_report``, computed once per diary revision for the whole process.
    """

    data = param.ClassSelector(class_=DataStore)
    therapist = param.String()

    def __init__(self, **params):
        super().__init__(**params)
        self.head = pn.pane.HTML("", sizing_mode="stretch_width", stylesheets=[TABLE_CSS],
                                 css_classes=["visit-head"])
        self.rest = pn.pane.HTML("<p class='pending'>Reading the whole diary…</p>",
                                 sizing_mode="stretch_width", stylesheets=[TABLE_CSS, VISIT_CSS],
                                 css_classes=["visit-rest"])
        self.logging_part = pn.Column(sizing_mode="stretch_width", css_classes=["visit-log"],
                                      visible=self.data.param.may_log)
        self._below_built = False
        self.data.param.watch(lambda _e: self.refresh(), "diary")
        self.refresh()
        pn.state.onload(self._build_below)

    def _build_below(self) -> None:
        """The parts below the first screen: filled after the page has arrived."""
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
        report = self.data.session.visit_report(self.data.filters.patient, self.therapist)
        self.head.object = self._trial_html() + visit_sessions_html(report.visit)
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


def patient_list_html(listed: pd.DataFrame) -> str:
    """The therapist's list (``DiarySession.patient_list``) as a small escaped table."""
    from ..analysis.patient_list import TREND_DAYS

    return html_table(listed, {"name": "Patient", "visit_text": "Last visit",
                               "trend_text": f"Pain, last {TREND_DAYS} days vs the {TREND_DAYS} before"},
                      "patient-list-table", "Your patients")


def base_url() -> str:
    """The address new links start with (``reminder.page_base_url``)."""
    from .reminder import page_base_url

    return page_base_url()


def hosted_page(store_url: str, secret: str) -> pn.viewable.Viewable:
    """The served page for whoever is signed in (the server already required a sign-in)."""
    load_extensions()
    store = shared_store(store_url)  # one Store (one pool) per process
    context = pn.state.curdoc.session_context
    signin = context.token_payload.get(PAYLOAD_KEY)  # see SigninBinding
    try:
        page = HostedPage(DiarySession.signed_in(store, signin))
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

    _open: dict[str, weakref.WeakSet] = {}  # sign-in hash -> its open pages (this process)

    def __init__(self, session: DiarySession):
        self.session = session
        self.document = pn.state.curdoc
        HostedPage._open.setdefault(session.signin_hash, weakref.WeakSet()).add(self)
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
                    "name": "User", "role": "Role", "created_at": "Created"}, "users", "Accounts"),
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
        # The Overview is built when its tab is first opened: the therapist starts on their
        # own view, and a visit that never opens the plots does not pay for them.
        app = App(data=data, page_names=["Since last visit", *READ_ONLY_PAGES],
                  eager_pages=["Since last visit"],
                  extra_pages={"Since last visit": lambda: VisitView(data=data,
                                                                     therapist=who.name)})
        self.patient_table = pn.pane.HTML("", sizing_mode="stretch_width", stylesheets=[TABLE_CSS],
                                          css_classes=["patient-list"])
        self.patient_card = pn.Card(self.patient_table, collapsed=True, sizing_mode="stretch_width",
                                    css_classes=["patient-list-card"])
        # the list is read when the card is unfolded, and again after each change of a diary
        self.patient_card.param.watch(lambda _e: self._fill_patient_list(), "collapsed")
        data.param.watch(lambda _e: self._fill_patient_list(), "diary")
        self._list_patients(session.patients())
        return [app.sidebar()], [self.intro, self.patient_card, app.pages()]

    def _list_patients(self, patients: pd.DataFrame) -> None:
        names = escape_markdown_text(", ".join(patients["name"]))
        self.intro.object = (f"Your patients: {names}. Choose one in the sidebar."
                             if len(patients) > 1 else f"Your patient: {names}.")
        if getattr(self, "patient_card", None) is not None:
            self.patient_card.title = (f"All {len(patients)} patients: last visit and pain trend"
                                       if len(patients) > 1 else "Last visit and pain trend")
            self._fill_patient_list()

    def _fill_patient_list(self) -> None:
        """The patient list's table, while its card is open (two set-based reads)."""
        if not self.patient_card.collapsed:
            self.patient_table.object = patient_list_html(self.session.patient_list())

    @classmethod
    def end_pages_of(cls, signin_hash: str) -> None:
        """End, at once, this process's open pages of a sign-in (it was just signed out)."""
        for page in list(cls._open.pop(signin_hash, ())):
            if page.document is not None:
                page.document.add_next_tick_callback(page._end_in_its_document)
            else:
                page.end()

    def _end_in_its_document(self) -> None:
        """``end`` from another request's handler: Panel sends the changes of the page's
        own document only while it is the current one."""
        with set_curdoc(self.document), pn.io.hold(self.document):
            self.end()

    def check(self) -> None:
        """Follow the session layer's answer now: fewer patients, or none at all."""
        try:
            if not self.session.still_valid():
                self.end()
                return
            if self.data is None:  # an admin, or a therapist nobody has shared a diary with yet
                return
            visible = self.session.patients()
        except SignedOut:  # it ended between the two questions
            self.end()
            return
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
        callback = getattr(self, "callback", None)
        if callback is not None:
            callback.stop()
        self.side.objects = []
        for part in self.main:
            if isinstance(part, pn.layout.ListLike):
                part.objects = []
            elif isinstance(part, pn.pane.PaneBase):
                part.object = ""
            part.visible = False
        self.ended.visible = True
        if self.data is not None:  # last: views built but hidden follow to an empty diary
            diary = self.data.diary
            try:
                self.data.diary = Diary(diary.daily.iloc[0:0], diary.sessions.iloc[0:0],
                                        diary.doses.iloc[0:0])
            except Refused:  # a view asked the session again: it is over, as it should be
                pass

    def keep_checking(self) -> None:
        seconds = float(os.environ.get("FIBRO_ACCESS_CHECK_SECONDS", CHECK_SECONDS))  # tests: shorter
        self.callback = pn.state.add_periodic_callback(self.check, period=int(seconds * 1000))


def serve_hosted(location, port: int, address: str, show: bool, origins: list[str],
                 use_xheaders: bool = False) -> None:
    """Run the hosted server (blocks): login required for every page.  Requests are logged
    (tornado's access log, link tokens masked); passwords, tokens and diaries never are."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    loggers = [logging.getLogger(), *(logger for logger in logging.root.manager.loggerDict.values()
                                      if isinstance(logger, logging.Logger))]  # Bokeh's has its own
    for handler in {h for logger in loggers for h in logger.handlers}:
        handler.addFilter(MaskTokens())
    from panel.io.application import build_applications

    store = shared_store(location)
    secret = cookie_secret(store)
    apps = build_applications({"app": lambda: hosted_page(store.url, secret)}, title=TITLE)
    apps["/app"].add(SigninBinding(secret))
    bind_websockets_to_signin(secret)
    server = pn.serve(apps, port=port, address=address,
                      show=show, title=TITLE, websocket_origin=origins, cookie_secret=secret,
                      auth_provider=StoreAuth(store.url, secret), use_xheaders=use_xheaders,
                      sign_sessions=True, secret_key=secret, start=False,
                      include_cookies=[], exclude_headers=["Cookie"])  # no sign-in in the page
    server._tornado.transforms.append(SecurityHeaders)  # Bokeh's Tornado app (as Panel reads it)
    server.start()
    server.io_loop.start()
