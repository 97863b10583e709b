"""The web app around the served page: a manifest and icons for a phone's home screen, and
the page template that links them.

The files are served by Panel's component resource route
(``/components/dashboard.ui.webapp/WebAppFiles/__css__/<file>``), which both
``panel serve dashboard/app.py`` and ``fibro serve`` (``pn.serve``) provide, so no
``--static-dirs`` flag is needed; only the files listed in ``WebAppFiles`` are served.
The icons are drawn by ``scripts/make_icons.py`` and committed.
"""

from __future__ import annotations

from pathlib import Path

import panel as pn
from bokeh.document import Document
from panel.io.document import create_doc_if_none_exists
from panel.theme import Bootstrap
from panel.theme.base import Inherit
from panel.viewable import Viewable

HERE = Path(__file__).parent
FILES = ("manifest.json", "a11y.css", "icon-192.png", "icon-512.png", "apple-touch-icon.png", "favicon-32.png")
THEME_COLOR = "#4A5FA8"  # the header's colour (ui.app.ACCENT)
NARROW_PX = 700  # a window at most this wide gets the phone's layout (CSS media queries)


class WebAppFiles:
    """The files Panel's ``/components/...`` route may serve from this folder (only these)."""

    __css__ = list(FILES)  # the route reads this attribute; the files are not stylesheets


def file_url(name: str) -> str:
    """The page-relative address of one of ``FILES`` (relative, so a URL prefix still works)."""
    assert name in FILES, name
    return f"./components/{__name__}/{WebAppFiles.__name__}/__css__/{name}"


A11Y_JS = (HERE / "a11y.js").read_text(encoding="utf-8")

# The page itself (outside the components): text at least 16 px everywhere (Bokeh sizes
# its widgets' text from --bokeh-font-size, 12 px by default), and the title as the page's
# one heading of level 1 (a11y.js turns the header's title link into an h1).
PAGE_CSS = """
:root { --bokeh-font-size: 16px; }
#sidebar-toggle { min-width: 44px; min-height: 44px; }
#header h1.title { font-size: 1.25rem; margin: 0; font-weight: 400; color: inherit; }
@media (max-width: 700px) {
  #header { flex-wrap: nowrap; }
  #header .app-header { flex: 1 1 auto; min-width: 0; }
  #header h1.title { font-size: 1.05rem; white-space: normal; }
}
"""


class DiaryDesign(Bootstrap):
    """Panel's Bootstrap design plus ``a11y.css`` in every component (16 px text, 44 px touch
    targets on touch screens, no keyboard focus inside a hidden tab's table)."""

    modifiers = {Viewable: {"stylesheets": [Inherit, "a11y.css"]}}


class DiaryTemplate(pn.template.BootstrapTemplate):
    """Panel's Bootstrap template with the web-app links in the page's head, the design
    above and the page CSS."""

    _template = HERE / "page.html"

    def __init__(self, **params):
        params.setdefault("design", DiaryDesign)
        params["raw_css"] = [*params.get("raw_css", []), PAGE_CSS]
        super().__init__(**params)

    def server_doc(self, doc: Document | None = None, title: str | None = None,
                   location=True) -> Document:
        """The page's document, its model graph walked once.

        Panel adds the template's parts to the document one root at a time (sidebar,
        main, header, modal, location...), and Bokeh walks every model of the document
        again after each (``DocumentModelManager.recompute``): nine walks of the whole
        page per visit. Frozen (Bokeh's ``doc.models.freeze()``), it walks once, when
        all are in: about a seventh of the server's work for a visit."""
        doc = create_doc_if_none_exists(doc)
        with doc.models.freeze():
            return super().server_doc(doc, title=title, location=location)

    def _update_vars(self, *args) -> None:
        super()._update_vars(*args)
        self._render_variables.update(
            fibro_manifest_url=file_url("manifest.json"),
            fibro_touch_icon_url=file_url("apple-touch-icon.png"),
            fibro_theme_color=THEME_COLOR,
            fibro_a11y_js=A11Y_JS,
            fibro_narrow_px=NARROW_PX,
            apple_icon=file_url("apple-touch-icon.png"))  # drops Panel's own touch icon link
