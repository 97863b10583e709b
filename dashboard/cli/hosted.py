"""``fibro user|grant|link|audit``: the hosted mode's accounts from the terminal.

Registered on ``fibro``'s ``main`` group (``cli.base``) when ``dashboard.cli`` is imported.
Passwords are asked for (twice, hidden) or read from standard input; a link's address is
printed once and never stored.
"""

from __future__ import annotations

import json
import os

import click
import pandas as pd

from ..accounts import ROLES, SCOPES, AccountError, Accounts
from ..importers.common import escape_controls
from .base import db_option, main, open_store, read_password, show_table

LINK_BASE_HELP = ("Address the therapist will open, e.g. https://diary.example.org "
                  "(default: $FIBRO_BASE_URL, else http://127.0.0.1:5006)")


def accounts_of(db) -> Accounts:
    return Accounts(open_store(db))


def refusing(func):
    """Account errors end in one line, not a traceback."""
    def run(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except AccountError as error:
            raise click.ClickException(escape_controls(str(error))) from None
    run.__name__, run.__doc__ = func.__name__, func.__doc__
    return run


json_option = click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
expires_option = click.option("--expires-in", default=None, metavar="DURATION",
                              help="How long it lasts, e.g. 30d, 12h, 30m.")


# --- users ---------------------------------------------------------------------------

@main.group()
def user():
    """Accounts of the hosted dashboard (patients, therapists, admins)."""


@user.command("add")
@db_option
@click.argument("name")
@click.option("--role", type=click.Choice(ROLES), required=True,
              help="A patient user owns the patient of the same name.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@refusing
def user_add(db, name, role, password_stdin):
    """Add a user."""
    accounts = accounts_of(db)
    accounts.add_user(name, role, read_password(password_stdin))
    click.echo(f"Added {role} {escape_controls(name)}.")


@user.command("list")
@db_option
@json_option
def user_list(db, as_json):
    """List the users (never their passwords)."""
    show_table(accounts_of(db).users(), as_json, ["name", "role", "patient", "created_at"])


@user.command("remove")
@db_option
@click.argument("name")
@refusing
def user_remove(db, name):
    """Remove a user (their grants and sign-ins go with them; a patient's diary stays)."""
    accounts_of(db).remove_user(name)
    click.echo(f"Removed {escape_controls(name)}.")


@user.command("password")
@db_option
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@refusing
def user_password(db, name, password_stdin):
    """Set a new password; the user is signed out everywhere."""
    accounts = accounts_of(db)
    accounts.user(name)  # refuse an unknown name before asking for a password
    accounts.set_password(name, read_password(password_stdin))
    click.echo(f"New password set for {escape_controls(name)}; their open sessions ended.")


# --- grants ----------------------------------------------------------------------------

@main.group()
def grant():
    """Give a therapist access to a patient's dashboard."""


@grant.command("add")
@db_option
@click.option("--patient", required=True)
@click.option("--therapist", required=True)
@click.option("--scope", type=click.Choice(SCOPES), default="read", show_default=True,
              help="read: see the dashboard; log: also log the sessions they give.")
@expires_option
@refusing
def grant_add(db, patient, therapist, scope, expires_in):
    """Grant a therapist read (or read and log) access to a patient."""
    grant_id = accounts_of(db).add_grant(patient, therapist, scope, expires_in)
    click.echo(f"Grant {grant_id}: {escape_controls(therapist)} may {scope} "
               f"{escape_controls(patient)}'s diary.")


@grant.command("list")
@db_option
@click.option("--patient", default=None)
@json_option
@refusing
def grant_list(db, patient, as_json):
    """List grants with their status (active, expired, revoked)."""
    show_table(accounts_of(db).grants(patient), as_json,
               ["id", "patient", "therapist", "scope", "status", "created_at", "expires_at",
                "revoked_at"])


def revoke_command(group: click.Group, kind: str, help_text: str) -> None:
    """``fibro grant|link revoke ID``."""
    @group.command("revoke", help=help_text)
    @db_option
    @click.argument("item_id", type=int, metavar="ID")
    @refusing
    def revoke(db, item_id):
        accounts_of(db).revoke(kind, item_id)
        click.echo(f"Revoked {kind} {item_id}.")


revoke_command(grant, "grant", "Revoke a grant at once (pages open on it close within a minute).")


# --- links ----------------------------------------------------------------------------

@main.group()
def link():
    """Read-only links that expire, for a therapist without an account."""


@link.command("create")
@db_option
@click.option("--patient", required=True)
@expires_option
@click.option("--base-url", default=None, help=LINK_BASE_HELP)
@json_option
@refusing
def link_create(db, patient, expires_in, base_url, as_json):
    """Create a read-only link; its address is printed once and cannot be shown again."""
    accounts = accounts_of(db)
    link_id, token = accounts.create_link(patient, expires_in or None)
    row = accounts.links(patient).set_index("id").loc[link_id]
    base = (base_url or os.environ.get("FIBRO_BASE_URL") or "http://127.0.0.1:5006").rstrip("/")
    url = f"{base}/link/{token}"
    expires = pd.Timestamp(row["expires_at"]).isoformat(timespec="minutes")
    if as_json:
        click.echo(json.dumps({"id": link_id, "url": url, "expires_at": expires}))
    else:
        click.echo(f"Link {link_id} (read-only, ends {expires} UTC):\n{url}\n"
                   "This address is shown only now; send it to the therapist.")


@link.command("list")
@db_option
@click.option("--patient", default=None)
@json_option
@refusing
def link_list(db, patient, as_json):
    """List links with their status (their addresses are not kept)."""
    show_table(accounts_of(db).links(patient), as_json,
               ["id", "patient", "status", "created_at", "expires_at", "revoked_at"])


revoke_command(link, "link", 'Revoke a link at once: its address shows "this link has ended".')


@main.command()
@db_option
@click.option("--patient", default=None)
@json_option
@refusing
def audit(db, patient, as_json):
    """Who signed in, opened what and changed what, and when (newest first, UTC)."""
    frame = accounts_of(db).audit(patient)
    names = accounts_of(db).store.patients().set_index("id")["name"]
    frame = frame.assign(patient=frame["patient_id"].map(names))
    show_table(frame, as_json, ["at", "actor", "action", "patient"])
