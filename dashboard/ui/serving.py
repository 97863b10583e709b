"""Personal mode's network rules, whichever command started the server.

A personal diary answers only on the computer it runs on:

* the server listens on loopback only: ``fibro serve`` binds there, and when
  ``panel serve dashboard/app.py`` was started without ``--address`` (Bokeh then
  listens on every interface), the first page view closes the other listening
  sockets and listens on loopback instead;
* every page request must come from a loopback address and name a loopback host
  (a ``Host`` of another name is how DNS-rebinding pages reach local servers);
* a websocket without an ``Origin`` header is refused (Tornado lets those through;
  only browsers send one, and Bokeh checks it against the allowed origins).

Serving to other machines is the hosted mode's job (with login), not this one's.
"""

from __future__ import annotations

import gc
import ipaddress
import logging
import socket

log = logging.getLogger(__name__)

LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1", "[::1]"})
REFUSAL = ("This diary answers only on the computer it runs on. "
           "To share it, use the hosted mode with a login.")


def is_loopback(address: str | None) -> bool:
    """True for 127.0.0.0/8, ::1 and IPv4-mapped loopback addresses."""
    if not address:
        return False
    try:
        ip = ipaddress.ip_address(address.split("%")[0])
    except ValueError:
        return False
    mapped = getattr(ip, "ipv4_mapped", None)
    return (mapped or ip).is_loopback


def host_name(host_header: str | None) -> str:
    """The name part of a ``Host`` header (``[::1]:5006`` -> ``::1``)."""
    host = (host_header or "").strip().lower()
    if host.startswith("["):
        return host[1:host.find("]")] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def refusal_reason(remote_ip: str | None, headers: dict) -> str | None:
    """Why a request may not see a personal diary (None when it may)."""
    if not is_loopback(remote_ip):
        return "request from a non-loopback address"
    if host_name(headers.get("Host")) not in LOOPBACK_NAMES:
        return "request naming a non-loopback host"
    return None


def served_page() -> bool:
    """Whether this runs for a page the server is serving (not a notebook cell or a test)."""
    import panel as pn

    doc = pn.state.curdoc
    return doc is not None and doc.session_context is not None


def on_a_phone() -> bool:
    """Whether the page was asked for by a phone's browser (its User-Agent says Mobile)."""
    if not served_page():
        return False
    import panel as pn

    agent = pn.state.curdoc.session_context.request.headers.get("User-Agent", "")
    return "Mobi" in agent


def with_document_lock(change) -> None:
    """Run ``change`` holding the document's lock.

    An async callback (a computation awaited in a worker thread) resumes without it,
    and plain Bokeh models may only be changed with it. Outside a served page it just
    runs.
    """
    if served_page():
        import panel as pn

        pn.state.curdoc.add_next_tick_callback(change)
    else:
        change()


def current_request_refusal() -> str | None:
    """The refusal reason for the page request of the current Bokeh session, if any."""
    import panel as pn

    context = getattr(pn.state.curdoc, "session_context", None)
    request = getattr(context, "request", None) if context is not None else None
    if request is None:  # a notebook or a script: no server request to check
        return None
    return refusal_reason(getattr(request, "remote_ip", None), dict(request.headers))


def _bokeh_servers() -> list:
    from bokeh.server.server import Server

    # Objects moved out of the collector's way (``gc.freeze``, see ``ui.app.lighter_visits``)
    # are not listed by ``gc.get_objects``: let them back in for the look, then again out.
    frozen = gc.get_freeze_count()
    if frozen:
        gc.unfreeze()
    try:
        return [obj for obj in gc.get_objects() if isinstance(obj, Server)]
    finally:
        if frozen:
            gc.freeze()


def keep_to_loopback() -> None:
    """Make every Bokeh server of this process listen on loopback addresses only.

    ``panel serve`` builds its server before any of our code runs and offers no
    hook, so the listening sockets are found through the server object; this runs
    once per process and does nothing when they are all on loopback already.
    """
    global _checked_listening
    if _checked_listening:
        return
    _checked_listening = True
    for server in _bokeh_servers():
        http = server._http
        sockets = dict(http._sockets)
        wide = {fd: s for fd, s in sockets.items()
                if s.family in (socket.AF_INET, socket.AF_INET6)
                and not is_loopback(s.getsockname()[0])}
        if not wide:
            continue
        port = next(iter(wide.values())).getsockname()[1]
        for fd, sock in wide.items():
            http._handlers.pop(fd)()
            del http._sockets[fd]
            sock.close()
        have = {s.getsockname()[0] for s in http._sockets.values()
                if s.family in (socket.AF_INET, socket.AF_INET6)}
        from tornado.netutil import bind_sockets

        for address in ("127.0.0.1", "::1"):
            if address in have:
                continue
            try:
                http.add_sockets(bind_sockets(port, address))
            except OSError as error:  # e.g. no IPv6 on this machine
                log.info("Not listening on %s: %s", address, error)
        log.warning("Personal mode: stopped listening on all interfaces; the dashboard "
                    "now answers only on this computer (port %s). Use --address 127.0.0.1.",
                    port)


_checked_listening = False


def require_websocket_origin() -> None:
    """Refuse websocket connections that carry no ``Origin`` header (personal mode)."""
    from bokeh.server.views.ws import WSHandler

    if getattr(WSHandler, "_fibro_requires_origin", False):
        return
    plain_get = WSHandler.get

    async def get(self, *args, **kwargs):
        if not (self.request.headers.get("Origin") or
                self.request.headers.get("Sec-Websocket-Origin")):
            log.warning("Refused a websocket connection without an Origin header")
            self.set_status(403)
            self.finish("A websocket needs an Origin header here.")
            return
        if not is_loopback(self.request.remote_ip):
            log.warning("Refused a websocket connection from a non-loopback address")
            self.set_status(403)
            self.finish(REFUSAL)
            return
        return await plain_get(self, *args, **kwargs)

    WSHandler.get = get
    WSHandler._fibro_requires_origin = True


def enforce_personal_mode() -> str | None:
    """Apply the personal mode's rules to this server; the reason to refuse this request, if any."""
    require_websocket_origin()
    keep_to_loopback()
    reason = current_request_refusal()
    if reason:
        log.warning("Personal mode refused a page: %s", reason)
    return reason
