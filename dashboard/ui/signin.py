"""Hosted mode's sign-in: the cookie, the login, logout and link pages, and what binds a
page to the sign-in it was made for.

Every page request needs a valid sign-in: a signed, HttpOnly, SameSite=Lax cookie holding a
random token whose hash the store keeps (``dashboard.accounts``).  ``/login`` checks the
store's users (Argon2id), ``/logout`` ends the sign-in on the server, ``/link/<token>``
turns a read-only link into a sign-in for that one patient.

The sign-in never reaches the page: the Bokeh session token embedded in ``/app`` carries
no cookie (``include_cookies=[]``, the ``Cookie`` header excluded), only the *hash* of the
sign-in it was made for (``SigninBinding``), and a websocket is accepted only from a browser
signed in with that same sign-in (``bind_websockets_to_signin``).  Sign-out in this server
ends that sign-in's open pages at once (``track_page``, ``end_pages_of``).
"""

from __future__ import annotations

import html
import logging
import os
import re
import secrets
import weakref
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bokeh.application.handlers.handler import Handler
from bokeh.server.auth_provider import AuthProvider
from bokeh.util.token import check_token_signature, get_token_payload
from tornado.ioloop import IOLoop
from tornado.web import OutputTransform, RequestHandler, decode_signed_value

from ..accounts import AccountError, Accounts, token_hash
from ..session import shared_store
from ..store import Store
from .app import ACCENT, TITLE

log = logging.getLogger(__name__)

COOKIE = "fibro_signin"
PAYLOAD_KEY = "fibro_signin"  # in the page's session token: the sign-in's hash, never the token
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


def bind_websockets_to_signin() -> None:
    """Refuse a websocket whose page token was made for another sign-in than the browser's:
    a page token of user A used by a browser signed in as B (or signed out) gets a 403.

    Bokeh's websocket handler is shared by every server of the process: the check applies
    to the hosted servers' (those whose Tornado app names a sign-in secret, see
    ``hosted.hosted_server``), each with its own secret."""
    from bokeh.server.views.ws import WSHandler

    if getattr(WSHandler, "_fibro_bound_to_signin", False):
        return
    plain_get = WSHandler.get

    async def get(self, *args, **kwargs):
        secret = getattr(self.application, "fibro_signin_secret", None)
        if secret is None:  # a personal server's websocket
            return await plain_get(self, *args, **kwargs)
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
            end_pages_of(token_hash(token))
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


# --- the open pages of each sign-in (this process) -----------------------------------------

_open_pages: dict[str, weakref.WeakSet] = {}  # sign-in hash -> its open pages


def track_page(signin_hash: str, page) -> None:
    """Remember an open page of a sign-in, so that signing out ends it at once.  A page has
    ``document`` (its Bokeh document, or None), ``end()`` and ``end_in_its_document()``."""
    _open_pages.setdefault(signin_hash, weakref.WeakSet()).add(page)


def end_pages_of(signin_hash: str) -> None:
    """End, at once, this process's open pages of a sign-in (it was just signed out)."""
    for page in list(_open_pages.pop(signin_hash, ())):
        if page.document is not None:
            page.document.add_next_tick_callback(page.end_in_its_document)
        else:
            page.end()
