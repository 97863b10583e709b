"""Tabs whose contents are built the first time they are opened.

The app's pages, the Log page's three forms and the Scores page's three questionnaires
each cost models and server time that a visit may never need; a tab's builder runs
when the tab is first shown.
"""

from __future__ import annotations

from collections.abc import Callable

import panel as pn

from .text import escape_html


# Panel's Tabs hide the tabs not shown (``visibility: hidden``) in the one grid cell they
# share with the shown one, so the page kept the height of the longest tab visited: About
# scrolled through thousands of pixels of nothing after Effects. A hidden tab takes no
# height (its width, and so its plots' layout, is kept for when it is shown again).
HIDDEN_TAB_CSS = """
[aria-hidden="true"]:has(~ .bk-header), .bk-header ~ [aria-hidden="true"] {
  max-height: 0 !important; overflow: hidden; }
"""


def page_heading(title: str) -> pn.pane.HTML:
    """A page's heading of level 2, for screen readers and axe's heading order (the page's
    title is the one h1; a page's own headings start at h3 under it). Not drawn: the tab
    above already says it."""
    return pn.pane.HTML(f'<h2 style="{VISUALLY_HIDDEN}">{escape_html(title)}</h2>',
                        margin=0, css_classes=["page-heading"])


VISUALLY_HIDDEN = ("position: absolute; width: 1px; height: 1px; margin: 0; overflow: hidden; "
                   "clip-path: inset(50%); white-space: nowrap;")


class LazyTabs:
    """``pn.Tabs`` over ``builders`` (title -> a function returning the tab's contents: one
    viewable or a list of them), each called the first time its tab is active.

    Titles in ``eager`` are built at once and sit directly in their tab (a responsive
    plot in a holder column came out 0 px wide on a short diary); the others get a
    holder column that receives their contents. ``on_build(title, built, index)`` runs
    after a builder and before its contents join the page. ``built`` maps each title
    built so far to what its builder returned. The tabs are not ``dynamic``: a built tab
    stays in the document while hidden (hidden dynamic tabs that updated asked for CDN
    stylesheets).  Titles in ``flex_holders`` get a column ``FlexBox`` as holder: it has no
    layout of its own, so a grid of figures built into it later is laid out (in a holder
    ``Column`` the Overview's linked plots came out 0 px wide, bokeh/bokeh#13384).
    A built tab whose title is in ``headings`` starts with it as a hidden h2 (``page_heading``).
    """

    def __init__(self, builders: dict[str, Callable], eager=(), on_build: Callable | None = None,
                 holder_classes=(), flex_holders=(), headings=(), **tab_params):
        self.builders, self.on_build, self.headings = dict(builders), on_build, set(headings)
        self.titles = list(self.builders)
        self.built: dict[str, object] = {t: self.builders[t]() for t in self.titles if t in eager}
        self._holders = {t: (pn.FlexBox(flex_direction="column", flex_wrap="nowrap",
                                        sizing_mode="stretch_width", css_classes=list(holder_classes))
                             if t in flex_holders else
                             pn.Column(sizing_mode="stretch_width", css_classes=list(holder_classes)))
                         for t in self.titles if t not in eager}
        tab_params["stylesheets"] = [*tab_params.get("stylesheets", []), HIDDEN_TAB_CSS]
        self.tabs = pn.Tabs(*((t, self.built.get(t, self._holders.get(t))) for t in self.titles),
                            dynamic=False, **tab_params)
        self.tabs.param.watch(self.open, "active")
        self.open()

    def open(self, _event=None) -> None:
        """Build the active tab's contents if they are not built yet."""
        index = self.tabs.active
        title = self.titles[index]
        holder = self._holders.get(title)
        if holder is None or holder.objects:
            return
        built = self.built[title] = self.builders[title]()
        if self.on_build is not None:
            self.on_build(title, built, index)
        contents = list(built) if isinstance(built, (list, tuple)) else [built]
        holder.objects = [page_heading(title), *contents] if title in self.headings else contents
