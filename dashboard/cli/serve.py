"""``fibro serve`` (personal, hosted, phone) and ``fibro reminders``.
"""

from __future__ import annotations

import os
from pathlib import Path

import click

from ..importers.common import escape_controls
from ..store import default_db_path
from .base import db_option, main, open_store, read_password

@main.command()
@db_option
@click.option("--port", type=click.IntRange(1, 65535), default=5006, show_default=True)
@click.option("--address", default=None,
              help="Interface to listen on (default 127.0.0.1: this computer only; with --phone "
                   "0.0.0.0, the home network). Other addresses need --hosted or --phone.")
@click.option("--show/--no-show", default=False, help="Open a browser tab.")
@click.option("--hosted", is_flag=True,
              help="Hosted mode: every page needs a sign-in (users from `fibro user add`).")
@click.option("--phone", is_flag=True,
              help="Your own diary on your phone: hosted mode for you alone (a sign-in, made on "
                   "first use), on the home network; prints the address to open on the phone.")
@click.option("--base-url", default=None, metavar="URL",
              help="With --phone: the public address of a TLS proxy in front "
                   "(e.g. https://diary.example.org); the server then listens on 127.0.0.1 "
                   "and trusts the proxy's X-Forwarded-* headers.")
@click.option("--password-stdin", is_flag=True,
              help="With --phone, on first use: read the new password from standard input.")
@click.option("--allow-websocket-origin", "origins", multiple=True, metavar="HOST[:PORT]",
              help="Hosted mode: the address people type, when it differs from --address:--port "
                   "(e.g. behind a TLS reverse proxy: diary.example.org). Repeatable.")
@click.option("--use-xheaders", is_flag=True,
              help="Hosted mode behind a reverse proxy: trust its X-Forwarded-* headers.")
def serve(db, port, address, show, hosted, phone, base_url, password_stdin, origins,
          use_xheaders):
    """Serve the dashboard on this store (demo data while it is empty), on this computer only;
    with --hosted, behind a login for patients, their therapists and link holders; with
    --phone, your own diary for you alone, on your phone."""
    from ..ui.serving import is_loopback

    if base_url and not phone:
        raise click.BadParameter("only with --phone (a hosted server takes the address its "
                                 "pages are opened at)", param_hint="'--base-url'")
    address = address or ("0.0.0.0" if phone and not base_url else "127.0.0.1")
    if not (hosted or phone) and not is_loopback(address) and address != "localhost":
        raise click.BadParameter(
            f"{address!r} is not a loopback address; the personal dashboard is served to this "
            "computer only (127.0.0.1 or ::1). To share it, use --hosted (login required); "
            "to use it on your phone, --phone.", param_hint="'--address'")
    location = db or default_db_path()
    open_store(location)  # fail here, with a one-line message, before the server starts

    host = f"[{address}]" if ":" in address else address
    shown = open_store(location).shown_url if "://" in str(location) else location
    if phone:
        _serve_phone(location, shown, port, address, host, show, base_url, password_stdin,
                     origins)
        return
    click.echo(f"Serving the {'hosted ' if hosted else ''}dashboard for {shown} "
               f"at http://{host}:{port}/app")
    if hosted:
        from ..accounts import AccountError
        from ..ui.hosted import serve_hosted

        if open_store(location).users().empty:
            click.echo(f"No users yet: add one with `fibro user add NAME --role patient --db "
                       f"{shown}` (or therapist, admin); every page asks for a sign-in.")

        try:
            serve_hosted(location, port, address, show, [f"{host}:{port}", *origins],
                         use_xheaders=use_xheaders)
        except AccountError as error:
            raise click.ClickException(str(error)) from None
        return
    from ..ui.app import personal_server

    server = personal_server(location, port, address, show=show)
    server.start()
    server.io_loop.start()


def _serve_phone(location, shown, port, address, host, show, base_url, password_stdin,
                 origins) -> None:
    """``fibro serve --phone``: the one person's account, the address to open, then serve."""
    from ..accounts import AccountError
    from ..phone import phone_account, phone_base_url, websocket_origin
    from ..ui.hosted import serve_hosted

    try:
        base = phone_base_url(address, port, base_url)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="'--base-url'") from None
    store = open_store(location)
    try:
        if store.users().empty:
            click.echo(f"First use: choose a password for signing in to {shown} from your phone.")
        account = phone_account(store, lambda: read_password(password_stdin))
    except AccountError as error:
        raise click.ClickException(escape_controls(str(error))) from None
    os.environ["FIBRO_BASE_URL"] = base  # links and reminders made by the pages point here
    click.echo(escape_controls(
        f"Serving your diary {shown} for your phone, behind a sign-in.\n"
        f"On your phone, open {base}/app and sign in as {account.name}.\n"
        f"A daily reminder linking there: fibro reminders --base-url {base} --out reminder.ics"))
    if not base_url:
        click.echo("This is plain http on your home network: use it only on a network you "
                   "trust; elsewhere put a TLS proxy in front and pass --base-url https://...")
    try:
        serve_hosted(location, port, address, show,
                     [f"{host}:{port}", websocket_origin(base), *origins],
                     use_xheaders=bool(base_url))
    except AccountError as error:
        raise click.ClickException(str(error)) from None


@main.command()
@click.option("--time", "at", default="20:00", show_default=True,
              help="When to be reminded each day, HH:MM (24-hour clock, the phone's local time).")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The calendar file to write, e.g. reminder.ics.")
@click.option("--base-url", default=None, metavar="URL",
              help="Where the dashboard answers (default $FIBRO_BASE_URL, else "
                   "http://127.0.0.1:5006, as `fibro serve`; on a phone: the address `fibro serve "
                   "--phone` prints); the reminder links to URL/app?checkin=1.")
def reminders(at, out, base_url):
    """Write a daily reminder (an iCalendar file) that opens the quick check-in; import it
    into your phone's or computer's calendar."""
    from ..reminders import DEFAULT_BASE_URL, parse_time, reminder_ics

    try:
        when = parse_time(at)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="'--time'") from None
    base = base_url or os.environ.get("FIBRO_BASE_URL") or DEFAULT_BASE_URL
    if not base.startswith(("http://", "https://")):
        raise click.BadParameter(f"{base!r} is not an http(s) address", param_hint="'--base-url'")
    out.write_bytes(reminder_ics(when, base).encode("utf-8"))
    click.echo(escape_controls(f"Wrote {out}: a daily reminder at {when:%H:%M} linking to "
                               f"{base.rstrip('/')}/app?checkin=1"))
