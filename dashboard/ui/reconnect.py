"""When the page's server process goes away, say so and load the page again.

A page's state lives in the memory of the app process that built it.  Behind nginx
(README, "Running it for a clinic") a stopped process takes its pages' websockets with it;
Panel's own ``reconnect`` would ask the same process for the same session, which is gone.
A new page load is what works: nginx sends it to a process that is up, the sign-in is in
the database, and everything saved is there.  So this small element listens for Bokeh's
``connection_lost`` and, unless the person is leaving the page anyway, shows a calm notice
and reloads after ``RELOAD_SECONDS``.  Nothing is lost: a save is confirmed on screen only
after its transaction has committed.
"""

from __future__ import annotations

import panel as pn
import param

RELOAD_SECONDS = 3
LOST = ("The connection to the server was lost. This page will load again in a few seconds; "
        "everything you saved is kept.")


class ReloadOnLostConnection(pn.reactive.ReactiveHTML):
    """An invisible element until the connection drops; then a notice, then a reload."""

    message = param.String(default=LOST)
    seconds = param.Integer(default=RELOAD_SECONDS, bounds=(0, 60))

    _template = """<div id="notice" class="connection-lost" role="alert" aria-live="assertive"
        style="display: none; position: fixed; top: 70px; left: 50%; transform: translateX(-50%);
               z-index: 2000; max-width: 90vw; background: #FFF4D6; color: #2F2F3F; border: 1px solid #C9A227;
               border-radius: 6px; padding: 10px 14px; font-size: 17px;"></div>"""

    _scripts = {
        "render": """
          state.leaving = false
          window.addEventListener('pagehide', () => { state.leaving = true })
          window.addEventListener('beforeunload', () => { state.leaving = true })
          data.document.on_event('connection_lost', () => {
            if (state.leaving || state.reloading) { return }
            state.reloading = true
            notice.textContent = data.message
            notice.style.display = 'block'
            window.fibroConnectionLost = (window.fibroConnectionLost || 0) + 1
            setTimeout(() => { window.location.reload() }, data.seconds * 1000)
          })
        """,
    }

    def __init__(self, **params):
        params.setdefault("sizing_mode", "stretch_width")
        params.setdefault("css_classes", ["reload-on-lost-connection"])
        params.setdefault("margin", (0, 10))
        super().__init__(**params)
