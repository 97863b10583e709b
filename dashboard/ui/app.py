"""The App: sidebar filters, the pages, a template when served, a plain layout in a notebook."""

from __future__ import annotations

import functools
import gc
import logging
import os

import pandas as pd
import panel as pn
import param
from panel.custom import JSComponent

from .. import domain
from ..session import PERSONAL_PAGES, DiarySession
from .datastore import DataStore
from .bodymap import AreaBodyMap
from .checkin import QuickCheckin, checkin_requested
from .effects_page import EffectsPage
from .export import DiaryDownload
from .forms import LogPage
from .rating import show_rating
from .scores_page import ScoresPage
from .tabs import LazyTabs, page_heading
from .trial_page import TrialNextSession, TrialPage
from .import_page import ImportPage
from .report_button import ReportButton
from .serving import REFUSAL, enforce_personal_mode, on_a_phone, served_page
from .views import AboutPage, DemoBanner, LinkedPlots, SummaryRow
from .webapp import NARROW_PX  # a window at most this wide gets the phone's layout

log = logging.getLogger(__name__)

TITLE = "Massage & fibromyalgia diary"
ACCENT = "#4A5FA8"  # calm indigo; readable on white, not a pressure colour

FONT_CSS = """
:root, body { font-family: "Atkinson Hyperlegible", "Segoe UI", Roboto, "Helvetica Neue",
              Arial, sans-serif; font-size: 16px; }
"""


PANEL_EXTENSIONS = ("filedropper",)  # the notebook loads the same (no Tabulator: tables are ui/tables)
LAST = 100  # a param watcher's precedence that runs it after the views' own (0)


def load_extensions() -> None:
    """Panel's FileDropper and the serving process's settings, whichever entry point runs
    the app: ``panel serve dashboard/app.py``, ``fibro serve`` and the notebook all end up
    here. The figures are plain Bokeh (``plots.py``, ``charts.py``), so HoloViews is not
    imported: it is for exploring in a notebook (``dashboard/explore.py``)."""
    if served_page():
        pn.extension(*PANEL_EXTENSIONS, exception_handler=log_callback_error)
        without_mathjax()
        lighter_visits()


@functools.cache
def lighter_visits() -> None:
    """Two settings of the serving process that cut the server's work per visit.

    * Bokeh validates each new document (``BOKEH_VALIDATE_DOC``, on by default), which
      only logs warnings; here the tests do it instead (``tests/test_document_valid.py``
      checks every page's models). Setting ``BOKEH_VALIDATE_DOC=true`` turns it back on.
    * Panel runs a full garbage collection a few seconds after each session closes,
      walking every object in the process: the libraries' few hundred thousand too. Those
      are moved out of the collector's way (``gc.freeze``) once they are loaded; what a
      session makes is still collected as before.
    """
    from bokeh.settings import settings

    if "BOKEH_VALIDATE_DOC" not in os.environ:
        settings.perform_document_validation.set_value(False)
    gc.collect()
    gc.freeze()


@functools.cache
def without_mathjax() -> None:
    """Serve pages without Bokeh's MathJax bundle (1.7 MB of script for the browser to
    parse before the first plot).  Panel 1.9 adds it to any page with an HTML pane, in
    case the text holds TeX; no text of this app is TeX, and Bokeh still adds it for a
    model that asks for it.  (Panel offers no setting for this: its private
    ``_panel_use_mathjax`` check is replaced.)"""
    from panel.io import resources

    if hasattr(resources, "_panel_use_mathjax"):
        resources._panel_use_mathjax = lambda roots: False


# Panel's Jupyter server extension (installed with Panel) serves Panel's own files here,
# on the notebook's server; under JupyterHub below the user's prefix.
NOTEBOOK_PANEL_FILES = "panel-preview/static/extensions/panel/"


def stylesheets_from_the_notebook_server(view: pn.viewable.Viewable) -> None:
    """Panel's stylesheets, when a pane of ``view`` (shown in a notebook) updates, come
    from the notebook's own server, not from cdn.holoviz.org.

    ``pn.extension(inline=True)`` puts the stylesheets of the first drawing into the
    page, but a pane that updates later (the summary after a pressure click) sends its
    stylesheets again (``loading.css`` and the theme's ``default.css`` and ``native.css``),
    resolved to the document's ``dist_url`` or else to cdn.holoviz.org; a notebook's
    document has no ``dist_url`` (a served page has its server's)."""
    prefix = os.environ.get("JUPYTERHUB_SERVICE_PREFIX", "/")
    dist_url = prefix.rstrip("/") + "/" + NOTEBOOK_PANEL_FILES
    for model, _parent in view._models.values():
        if model.document is not None:
            model.document.template_variables.setdefault("dist_url", dist_url)


def log_callback_error(error: Exception) -> None:
    """An error in a callback goes to the server's log, never to the page; a refusal of the
    session layer (e.g. a click after the sign-in ended, whose page then empties) is no error."""
    from ..session import Refused

    if isinstance(error, Refused):
        log.info("A dashboard callback was refused: %s", error)
        return
    log.error("A dashboard callback failed", exc_info=error)


def short_message(text: str, kind: str = "danger") -> pn.pane.Alert:
    return pn.pane.Alert(text, alert_type=kind, sizing_mode="stretch_width")


def personal_page(location=None) -> pn.viewable.Viewable:
    """The served page in personal mode.

    Only this computer gets the diary; if the dashboard cannot start, the person sees
    a short message and the details (the traceback) go to the server's log.
    """
    load_extensions()
    if enforce_personal_mode():
        return short_message(REFUSAL, "warning")
    try:
        return App.for_store(location).template()
    except Exception:
        log.exception("The dashboard could not start")
        return short_message("**The dashboard could not start.** The details are in the "
                             "server's log; your diary was not changed.")


def personal_server(location, port: int, address: str = "127.0.0.1", **options):
    """The personal dashboard's Bokeh server on ``location``, built but not started:
    ``fibro serve`` starts it; the browser tests run it on a thread of their own
    (``options`` giving its event loop).  ``panel serve dashboard/app.py`` serves the same
    ``personal_page``."""
    host = f"[{address}]" if ":" in address else address
    return pn.serve({"app": lambda: personal_page(location)}, port=port, address=address,
                    title="Fibro diary", start=False,
                    websocket_origin=[f"{host}:{port}", f"localhost:{port}", f"127.0.0.1:{port}"],
                    **{"show": False, **options})


def requested_span() -> tuple:
    """The (first, last) days asked for by the page address (``?show=2016-04-12..2016-05-12``)."""
    args = pn.state.session_args if pn.state.curdoc is not None else {}
    try:
        first, last = args["show"][0].decode().split("..")
        return pd.Timestamp(first).date(), pd.Timestamp(last).date()
    except (KeyError, IndexError, ValueError, UnicodeDecodeError):
        return None, None


def held_widget(widget_type, owner: param.Parameterized, parameter: str, **options):
    """A widget bound both ways to ``owner.<parameter>``; a change made in the browser updates
    every view inside one held document update (one message). Not frozen: the views only
    replace data, adding no models, and unfreezing re-indexes the whole document (0.3 s)."""
    widget = widget_type(value=getattr(owner, parameter), **options)

    def from_widget(event) -> None:
        with pn.io.hold():  # no document (a notebook cell, a test): just sets
            setattr(owner, parameter, event.new)

    widget.param.watch(from_widget, "value")
    owner.param.watch(lambda event: setattr(widget, "value", event.new), parameter)
    return widget


class App(pn.viewable.Viewer):
    """The whole dashboard for one DataStore."""

    data = param.ClassSelector(class_=DataStore)
    page_names = param.List(default=None, allow_None=True, item_type=str,
                            doc="The pages shown, in order (default: the person's, "
                                "``DiarySession.capabilities``)")
    extra_pages = param.Dict(default={}, doc="Title -> builder of pages beyond the diary's own")
    eager_pages = param.List(default=None, allow_None=True, item_type=str,
                             doc="Pages built with the page (default: the first and the "
                                 "Overview); the others when their tab is first opened")

    @classmethod
    def for_store(cls, location=None) -> "App":
        """The app on a store (``$FIBRO_DB`` or the default), or on demo data while it is empty."""
        data = DataStore(DiarySession.personal(location))
        data.filters.show(*requested_span())
        return cls(data=data)

    def __init__(self, **params):
        load_extensions()
        super().__init__(**params)
        if self.page_names is None:
            self.page_names = list(self.data.capabilities.pages)
        if pn.state.curdoc is not None and pn.state.location is not None:
            self.data.reload_page = self._reload_on_own_diary

    @staticmethod
    def _reload_on_own_diary(show=None) -> None:
        """Reload the page on the person's own diary (after the first own entry, or an
        import that adds patients); ``show`` is a (first, last) span of days to show."""
        search = "?first-entry=saved"
        if show is not None and None not in show:
            search = f"?show={show[0]}..{show[1]}"
        pn.state.location.param.update(search=search, reload=True)

    def welcome(self) -> pn.pane.Alert:
        first = pn.state.session_args.get("first-entry") if pn.state.curdoc else None
        return pn.pane.Alert(
            "**Your first entry is saved.** From now on the dashboard shows your own diary; "
            "the demo data are gone from view.", alert_type="success",
            visible=bool(first), sizing_mode="stretch_width", css_classes=["first-entry"])

    def sidebar(self) -> pn.Column:
        f = self.data.filters
        patient = pn.widgets.Select.from_param(
            f.param.patient, label="Patient",
            visible=len(f.param.patient.objects) > 1)
        dates = pn.widgets.DateRangeSlider.from_param(
            f.param.date_range, label="Days shown", format="%d %b %Y", step=1, throttled=True,
            sizing_mode="stretch_width", margin=(5, 18, 5, 10))
        pressures = held_widget(
            pn.widgets.CheckButtonGroup, f, "pressures", label="Pressure",
            options={domain.PRESSURE_LABELS[p]: p for p in domain.PRESSURES},
            orientation="vertical", color="primary", variant="outline",
            sizing_mode="stretch_width", css_classes=["pressure-filter"])
        areas = held_widget(
            pn.widgets.MultiChoice, f, "areas", label="Body area (none chosen = all)",
            options={domain.area_label(a): a for a in domain.BODY_AREAS},
            placeholder="All areas", sizing_mode="stretch_width", css_classes=["area-filter"])
        return pn.Column(patient, dates, pn.pane.Markdown("**Pressure**", margin=(10, 10, 0, 10)),
                         pressures, areas, sizing_mode="stretch_width")

    def quick_checkin(self) -> pn.Card:
        """Today's check-in at the top of the Overview: unfolded on a phone or when the
        address asks for it (``?checkin=1``, with the focus on its first rating), else one
        tap away."""
        asked = checkin_requested()
        card = pn.Card(title=QuickCheckin.title, collapsed=not (asked or on_a_phone()),
                       sizing_mode="stretch_width", css_classes=["quick-checkin-card"],
                       header_css_classes=["card-header", "quick-checkin-header"])  # Panel's own
        # class kept: without it the header lost its chevron, the sign that it opens

        def unfold(event=None) -> None:
            # Built when first unfolded: folded (on a computer) it would add its ratings'
            # models and scripts to every visit for a click that may not come.
            if not card.collapsed and not card.objects:
                card.objects = [QuickCheckin(data=self.data, autofocus=asked,
                                             open_full_form=self.open_daily_form)]

        card.param.watch(unfold, "collapsed")
        unfold()
        return card

    def open_daily_form(self, answers: dict) -> None:
        """Show the Log page's daily form, with ``answers`` (the quick check-in's) filled in."""
        titles = list(self.page_builders())
        self.tabs.active = titles.index("Log")  # builds the page when not built yet
        log = self.built_pages["Log"]
        log.tabs.active = 0
        form = log.forms["daily"]
        for name, value in answers.items():
            if name == "sleep_hours":
                form.fields[name].value = value
            else:
                show_rating(form.fields[name], value)

    def overview(self) -> pn.Column:
        from .left_out import LeftOutEntries
        from .reminder import NotLoggedToday

        checkin = [self.quick_checkin()] if "Log" in self.page_names else []
        plots = LinkedPlots(data=self.data, narrow=on_a_phone())
        screen = NarrowScreen()

        def follow_width(event) -> None:
            """The layout follows the window's width, not the User-Agent: a narrow window
            that does not say "Mobile" gets the phone's plots and an open check-in."""
            plots.narrow = bool(event.new)
            if event.old is None and event.new and checkin and checkin[0].collapsed:
                checkin[0].collapsed = False  # the first report only: then it is the person's

        screen.param.watch(follow_width, "narrow")
        # After the first own entry the page reloads: "saved" is said first, where the person
        # is, above the check-in (which then shows today's saved answers).
        parts = [self.welcome(), NotLoggedToday(data=self.data), *checkin,
                 DemoBanner(data=self.data), LeftOutEntries(data=self.data), SummaryRow(data=self.data),
                 ReportButton(data=self.data), plots, AreaBodyMap(data=self.data)]
        return pn.Column(page_heading("Overview"), screen, TrialNextSession(data=self.data), *parts,
                         sizing_mode="stretch_width",
                         name="Overview")

    def about(self) -> pn.Column:
        """About the dashboard; in the person's own diary also the daily reminder."""
        from .reminder import ReminderButton

        parts = [AboutPage()]
        if self.data.capabilities.write:  # the reminder invites a check-in
            parts += [ReminderButton(), DiaryDownload(data=self.data)]
        return pn.Column(*parts, sizing_mode="stretch_width")

    def page_builders(self) -> dict:
        """Title -> a function building that page: ``page_names`` in order, with
        ``extra_pages`` (hosted mode's Sharing, the therapist's view) where they belong."""
        known = {
            "Overview": self.overview,
            "Effects": lambda: EffectsPage(data=self.data),
            "Log": lambda: LogPage(data=self.data),
            "Scores": lambda: ScoresPage(data=self.data),
            "Trial": lambda: TrialPage(data=self.data),
            "Import": lambda: ImportPage(data=self.data),
            "About": self.about,
        }
        builders = {**self.extra_pages, **known}
        return {title: builders[title] for title in self.page_names}

    def pages(self) -> pn.Tabs:
        """The pages as tabs; each is built the first time its tab is opened.

        A first visit then builds and sends only the first page and the Overview
        (the other pages held three quarters of the document's models and most of the
        server's time).
        """
        titles = self.page_names

        def follow(_title, page, index) -> None:
            if isinstance(page, EffectsPage):
                page.follow_tab(lazy.tabs, index)  # computes only while its tab is shown

        eager = {titles[0], "Overview"} if self.eager_pages is None else set(self.eager_pages)
        lazy = LazyTabs(self.page_builders(), eager=eager, on_build=follow, flex_holders={"Overview"},
                        holder_classes=["page"], headings=set(PERSONAL_PAGES) - {"Overview"},
                        sizing_mode="stretch_width")  # the Overview says its own heading
        self.built_pages, self.tabs = lazy.built, lazy.tabs
        return lazy.tabs

    def __panel__(self):
        """The app in a notebook: the filters beside the pages.

        Not in a ``pn.Row``: BokehJS (3.9) lays out the figures of a GridPlot (the
        linked plots, the Effects page's events) only when at most two of the containers
        above it have a layout of their own (bokeh/bokeh#13384), and a Row, Column or
        Tabs has one as soon as a figure stands in it (the body map in the Overview).
        A Row above the Tabs and the Overview's column made three: the linked plots were
        never laid out and drawn 0 px wide. A FlexBox has no layout of its own, so the
        Tabs below it stand as on the served page, where they are a root."""
        return pn.FlexBox(pn.Column(self.sidebar(), width=300), self.pages(),
                          flex_wrap="nowrap", sizing_mode="stretch_width")

    def _repr_mimebundle_(self, include=None, exclude=None):
        """Shown in a notebook: see ``stylesheets_from_the_notebook_server`` and
        ``send_changes_in_the_notebook``."""
        view = self._create_view()
        bundle = view._repr_mimebundle_(include, exclude)
        stylesheets_from_the_notebook_server(view)
        self.send_changes_in_the_notebook(view)
        return bundle

    def send_changes_in_the_notebook(self, view: pn.viewable.Viewable) -> None:
        """After a filter or the diary changes, what the views changed reaches the notebook.

        The plots (plain Bokeh: the linked plots, the body map) only replace the data of
        their sources. A served page's document sends every change; a notebook's sends
        what is held when a Panel component pushes its own update, and drops the rest
        when the click has been handled. A filter click's summary was pushed before the
        linked plots' new session markers, which never reached the page. So, after all
        other watchers of a filter or of the diary (a later precedence), the rest is
        pushed too (``pn.io.push_notebook``)."""
        def push(_event) -> None:
            pn.io.push_notebook(view)

        filters = self.data.filters
        filters.param.watch(push, [p for p in filters.param if p != "name"], precedence=LAST)
        self.data.param.watch(push, ["diary", "filtered"], precedence=LAST)

    def template(self) -> pn.template.BaseTemplate:
        """The served page: a calm template with the filters in the sidebar."""
        return page_template([self.sidebar()], [self.pages()])


class NarrowScreen(JSComponent):
    """Says whether the browser's window is narrow (at most ``NARROW_PX`` wide), when drawn
    and whenever that changes (a phone turned, a window resized): what the CSS media
    queries decide in the browser, for the parts the server lays out (the plots' legends).
    Draws nothing."""

    narrow = param.Boolean(default=None, allow_None=True, doc="None until the browser says")

    _esm = """
    export function render({ model }) {
      const query = window.matchMedia('(max-width: %dpx)');
      const tell = () => { if (model.narrow !== query.matches) model.narrow = query.matches; };
      tell();
      query.addEventListener('change', tell);
    }
    """ % NARROW_PX

    def __init__(self, **params):
        super().__init__(**{"height": 0, "width": 0, "margin": 0, **params})


PHONE_CSS = """
@media (max-width: %dpx) {
  /* the filters open over the page instead of squeezing it to a sliver */
  #sidebar.show, #sidebar.collapsing { position: fixed; z-index: 1050; left: 0; top: 56px;
    width: 100vw !important; max-width: 100vw !important; height: calc(100vh - 56px);
    background: var(--bs-body-bg, white); box-shadow: 0 4px 12px rgba(0, 0, 0, 0.25); }
  #header .title { font-size: 1.1em; white-space: normal; line-height: 1.2em; }
  #main { padding-left: 2px; padding-right: 2px; }
}
""" % NARROW_PX


def page_template(sidebar: list, main: list, header: list | None = None,
                  spinner: bool = True) -> pn.template.BaseTemplate:
    """The served page (personal and hosted): a calm template with the filters in a sidebar,
    sized for the device (viewport tag; on a phone the filters start folded away behind
    the menu button and open over the page).

    ``spinner``: the header's busy spinner. Panel keeps one busy state per process and
    turns every open page's spinner on and off at each click of anyone's: fine for the
    one person of a personal dashboard, not for the hosted server, where each therapist's
    click sent two messages to every other page of the process (and showed them someone
    else's activity). Hosted pages go without it; what takes a while there (the Effects
    page, a save, an import) says so itself."""
    from .webapp import DiaryTemplate, file_url  # the manifest and icons for a home screen

    template = DiaryTemplate(
        title=TITLE, favicon=file_url("favicon-32.png"), sidebar=sidebar, main=main, header=header or [],
        header_background=ACCENT, sidebar_width=300, raw_css=[FONT_CSS, PHONE_CSS],
        meta_viewport="width=device-width, initial-scale=1", collapsed_sidebar=on_a_phone(),
        **({} if spinner else {"busy_indicator": None}),
    )
    if spinner:
        # The header's spinner stays at least 0.1 s, not Panel's default 0.5 s: its switching
        # off was the last message of every click, half a second after the plots. (Set on the
        # template's own spinner: a spinner passed in is taken for a parameter reference.)
        template.busy_indicator.throttle = 100
    return template
