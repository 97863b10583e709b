"""Hosted mode: the dashboard behind a login, for patients, their therapists and link holders.

``fibro serve --hosted`` serves it.  Every page request needs a valid sign-in (``signin``:
the cookie, ``/login``, ``/logout``, ``/link/<token>``).  What a signed-in person may see
and change is decided by the session layer (``dashboard.session``), never here; this
module only lays out pages:

* a **patient** gets their own dashboard and a **Sharing** page (``sharing``: grants,
  links, who opened what);
* a **therapist** picks one of the patients who granted them access and reads the
  **Since the last visit** view first (``visit``), then the same pages read-only
  (``log`` scope: they also log the session they just gave);
* a **link holder** gets that patient's dashboard read-only with a banner;
* an **admin** manages accounts with ``fibro user`` and sees no diary.

Every call of the session layer checks that the sign-in still stands; sign-out in this
server ends its open pages at once (``signin.end_pages_of``), and every ``CHECK_SECONDS``
an open page checks its sign-in and access again (sign-out elsewhere, password change,
revoked grant or link, expiry) and empties itself.
"""

from __future__ import annotations

import html
import logging
import os
from contextlib import nullcontext

import pandas as pd
import panel as pn
from panel.io.state import set_curdoc

from ..accounts import PASSWORD_HASH_VARIABLE, cheap_test_hashing
from ..session import VISIT_PAGE, Diary, DiarySession, Refused, SignedOut, shared_store
from .account_tables import LIST_CSS, account_time, html_table
from .app import TITLE, App, load_extensions, page_template, short_message
from .datastore import DataStore
from .reconnect import ReloadOnLostConnection
from .sharing import SharingPage
from .signin import (PAYLOAD_KEY, MaskTokens, SecurityHeaders, SigninBinding, StoreAuth,
                     bind_websockets_to_signin, cookie_secret, track_page)
from .text import escape_markdown_text
from .visit import VisitView

log = logging.getLogger(__name__)

CHECK_SECONDS = 10  # an open page re-checks its sign-in and access this often
ENDED = ("**This page has ended.** The sign-in or the access it used is no longer valid "
         "(signed out, revoked or expired). Nothing of the diary is shown any more.")


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
        session = DiarySession.signed_in(store, signin)
        with session.one_check():
            page = HostedPage(session)
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
        self.document = pn.state.curdoc
        track_page(session.signin_hash, self)  # signing out ends it at once
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
                                      [header], spinner=False)

    def _parts(self, who) -> tuple[list, list]:
        """The sidebar and the main parts, as the session says this person may use them
        (``DiarySession.capabilities``: an administrator's accounts, or the diary's pages)."""
        session = self.session
        can = session.capabilities()
        visiting = VISIT_PAGE in can.pages  # a therapist
        if can.manage_accounts:
            return [], [pn.pane.Markdown(
                "## Administration\nAccounts are managed on the server with "
                "`fibro user add|list|remove|password`. An administrator sees no diary."),
                pn.pane.HTML(html_table(session.users(), {
                    "name": "User", "role": "Role", "created_at": "Created"}, "users", "Accounts"),
                    stylesheets=[LIST_CSS])]
        if session.patients().empty:
            return [], [short_message(
                "No patient has shared their diary with you yet." if visiting
                else "There is no diary here for this account.", "info")]
        self.data = data = DataStore(session)
        session.opened(data.filters.patient)  # the access log: a therapist's or a link's look
        data.filters.param.watch(lambda e: e.new is not None and session.opened(e.new), "patient")
        if can.share:  # the patient's own diary
            app = App(data=data, extra_pages={"Sharing": lambda: SharingPage(session=session,
                                                                             base_url=base_url())})
            return [app.sidebar()], [app.pages()]
        if not visiting:  # a link holder
            names = dict(zip(session.patients()["id"], session.patients()["name"]))
            banner = short_message(
                f"**{escape_markdown_text(names[who.patient_id])}'s diary**, shared with you "
                f"read-only. This link ends {account_time(who.expires_at)}.", "info")
            banner.css_classes = ["link-banner"]
            app = App(data=data)
            return [app.sidebar()], [banner, app.pages()]
        # The Overview is built when its tab is first opened: the therapist starts on their
        # own view, and a visit that never opens the plots does not pay for them.
        app = App(data=data, eager_pages=[VISIT_PAGE],
                  extra_pages={VISIT_PAGE: lambda: VisitView(data=data, therapist=who.name)})
        self.patient_table = pn.pane.HTML("", sizing_mode="stretch_width", stylesheets=[LIST_CSS],
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

    def end_in_its_document(self) -> None:
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
        """Empty the page: the diary's models leave the document; a short message stays.

        All of it reaches the browser as one change, the message last: sent change by change
        (the periodic check holds no document), a loaded machine showed "this page has
        ended" while the diary's text was still in the page."""
        callback = getattr(self, "callback", None)
        if callback is not None:
            callback.stop()
        held = pn.io.hold(self.document) if self.document is not None else nullcontext()
        with held:
            self.side.objects = []
            for part in self.main:
                if isinstance(part, pn.layout.ListLike):
                    part.objects = []
                elif isinstance(part, pn.pane.PaneBase):
                    part.object = ""
                part.visible = False
            if self.data is not None:  # views built but hidden follow to an empty diary
                diary = self.data.diary
                try:
                    self.data.diary = Diary(diary.daily.iloc[0:0], diary.sessions.iloc[0:0],
                                            diary.doses.iloc[0:0])
                except Refused:  # a view asked the session again: it is over, as it should be
                    pass
            self.ended.visible = True

    def keep_checking(self) -> None:
        seconds = float(os.environ.get("FIBRO_ACCESS_CHECK_SECONDS", CHECK_SECONDS))  # tests: shorter
        self.callback = pn.state.add_periodic_callback(self.check, period=int(seconds * 1000))


def serve_hosted(location, port: int, address: str, show: bool, origins: list[str],
                 use_xheaders: bool = False) -> None:
    """Run the hosted server (blocks): login required for every page.  Requests are logged
    (tornado's access log, link tokens masked); passwords, tokens and diaries never are."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    mask_tokens_in_logs()
    if cheap_test_hashing():
        log.warning("%s=test: new passwords are hashed at the test suites' low Argon2 cost, easy "
                    "to guess from a copy of the store; unset it on a real server",
                    PASSWORD_HASH_VARIABLE)
    server = hosted_server(location, port, address, origins, use_xheaders=use_xheaders, show=show)
    server.start()
    server.io_loop.start()


def mask_tokens_in_logs() -> None:
    """Every log handler of this process masks link tokens (Bokeh's loggers have their own)."""
    loggers = [logging.getLogger(), *(logger for logger in logging.root.manager.loggerDict.values()
                                      if isinstance(logger, logging.Logger))]
    for handler in {h for logger in loggers for h in logger.handlers}:
        if not any(isinstance(f, MaskTokens) for f in handler.filters):
            handler.addFilter(MaskTokens())


def hosted_server(location, port: int, address: str, origins: list[str],
                  use_xheaders: bool = False, **options):
    """The hosted Bokeh server on ``location``, built but not started (``serve_hosted``
    starts it; the browser tests run it on a thread of their own, ``options`` giving its
    event loop)."""
    from panel.io.application import build_applications

    store = shared_store(location)
    secret = cookie_secret(store)
    apps = build_applications({"app": lambda: hosted_page(store.url, secret)}, title=TITLE)
    apps["/app"].add(SigninBinding(secret))
    bind_websockets_to_signin()
    server = pn.serve(apps, port=port, address=address, title=TITLE, websocket_origin=origins,
                      cookie_secret=secret, auth_provider=StoreAuth(store.url, secret),
                      use_xheaders=use_xheaders, sign_sessions=True, secret_key=secret,
                      start=False, include_cookies=[],
                      exclude_headers=["Cookie"],  # no sign-in in the page
                      **{"show": False, **options})
    server._tornado.transforms.append(SecurityHeaders)  # Bokeh's Tornado app (as Panel reads it)
    server._tornado.fibro_signin_secret = secret  # its websockets are bound to the sign-in
    return server
