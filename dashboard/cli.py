"""``fibro``: the dashboard's operations for the terminal and scripts.

Every sub-command calls the same functions the app calls.  The store is
``--db PATH``, else ``$FIBRO_DB``, else the default (see ``fibro --help``).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from pathlib import Path

import click
import pandas as pd
import sqlalchemy.exc

from . import demo as demo_module
from . import domain
from .importers.common import escape_controls
from .records import DailyCheckin, InvalidRecord, MassageSession, MedicationDose, Record
from .session import CLI_KINDS, DEFAULT_PATIENT, ENTRY_NAMES, DiarySession, bad_entry_notes
from .store import (BackupFailed, SchemaTooNew, Store, StoreUnavailable, ValueRefused,
                    default_db_path)
from .wording import plural

DATE = click.DateTime(formats=["%Y-%m-%d"])
DATE_TIME = click.DateTime(formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"])

DB_HELP = "Store file (or database URL). Default: $FIBRO_DB, else ~/.local/share/fibro/fibro.sqlite"


def db_option(func):
    return click.option("--db", "db", type=str, default=None, metavar="PATH", help=DB_HELP)(func)


def open_store(db: str | None) -> Store:
    return Store(db or default_db_path())


# --- expected failures: one line naming the option, no traceback -------------------------

_PATH_PROBLEMS: tuple[tuple[type[OSError], str], ...] = (
    (IsADirectoryError, "is a folder, not a file"),
    (NotADirectoryError, "is not a folder: a part of this path is a file"),
    (FileExistsError, "already exists as a file, not a folder"),
    (FileNotFoundError, "does not exist"),
    (PermissionError, "cannot be read or written: permission denied"),
)


def _absolute(path) -> Path:
    return Path(os.path.abspath(Path(path).expanduser()))


def _path_params(ctx: click.Context):
    """(param, path) of each of the command's parameters that holds a file system path."""
    for param in ctx.command.params:
        value = ctx.params.get(param.name)
        if param.name == "db":
            value = value or default_db_path()
            if "://" in str(value):
                continue  # a server URL, not a path
        elif not isinstance(param.type, click.Path) or value is None:
            continue
        yield param, _absolute(value)


def _hint(ctx: click.Context, param: click.Parameter) -> str:
    hint = param.get_error_hint(ctx)
    return f"{hint} (or $FIBRO_DB)" if param.name == "db" and not ctx.params.get("db") else hint


def path_error(ctx: click.Context, error: OSError) -> click.ClickException | None:
    """The message for a path that is a folder, missing, unreadable...; None when unexpected."""
    if isinstance(error, BrokenPipeError) or not isinstance(error.filename,
                                                            (str, bytes, os.PathLike)):
        return None
    failed = _absolute(os.fsdecode(error.filename))
    problem = next((text for kind, text in _PATH_PROBLEMS if isinstance(error, kind)),
                   error.strerror or str(error))
    shown = escape_controls(str(failed))
    for param, path in _path_params(ctx):
        if failed == path or failed in path.parents or path in failed.parents:
            return click.ClickException(f"Invalid value for {_hint(ctx, param)}: {shown} {problem}")
    return click.ClickException(f"{shown} {problem}")


def _shown(db) -> str:
    """A ``--db`` as a message names it: a URL without its password, a path made absolute."""
    if "://" in str(db):
        return sqlalchemy.engine.make_url(str(db)).render_as_string(hide_password=True)
    return str(_absolute(db))


def store_error(ctx: click.Context, error: Exception) -> click.ClickException | None:
    """The message for a --db that is a folder, not a SQLite file, unreadable, too new,
    or a database that does not answer (``StoreUnavailable``: its text and the driver's).

    None for database errors that say nothing about the store's location (a bug).
    """
    if isinstance(error, SchemaTooNew):
        return click.ClickException(escape_controls(str(error)))
    db = ctx.params.get("db") or default_db_path()
    if isinstance(error, StoreUnavailable):
        return click.ClickException(escape_controls(f"{_shown(db)}: {error} ({error.__cause__})"))
    orig = getattr(error, "orig", None)
    if not (isinstance(error, sqlalchemy.exc.OperationalError)
            or type(orig).__name__ == "DatabaseError"):
        return None
    param = next((p for p in ctx.command.params if p.name == "db"), None)
    where = f"Invalid value for {_hint(ctx, param)}: " if param is not None else ""
    if "://" in str(db):
        return click.ClickException(f"{where}cannot use the store {escape_controls(_shown(db))}: "
                                    f"{escape_controls(str(orig or error))}")
    path = _absolute(db)
    shown = escape_controls(str(path))
    if path.is_dir():
        problem = "is a folder, not a store file (name a .sqlite file, new or existing)"
    elif "not a database" in str(orig):
        problem = "is not a SQLite database (a fibro store file)"
    elif path.exists() and not os.access(path, os.R_OK | os.W_OK):
        problem = "cannot be read or written: permission denied"
    else:
        problem = f"cannot be used as the store: {escape_controls(str(orig or error))}"
    return click.ClickException(f"{where}{shown} {problem}")


class FibroCommand(click.Command):
    """A command whose expected failures end in one line naming the option, not a traceback.

    The single place that turns a path that is a folder, missing or unreadable
    (``OSError``), a ``--db`` that cannot be a store, a database that does not
    answer and a value refused by the limits or the database into click errors.
    """

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except InvalidRecord as error:  # e.g. a --patient name longer than the limit
            problems = "; ".join(f"{option_name(field)}: {message}"
                                 for field, message in error.problems.items())
            raise click.ClickException(escape_controls(
                f"Invalid value ({problems}). Nothing was saved.")) from error
        except (ValueRefused, BackupFailed) as error:  # no value, SQL or traceback in them
            raise click.ClickException(escape_controls(str(error))) from error
        except OSError as error:
            message = path_error(ctx, error)
            if message is None:
                raise
            raise message from error
        except (SchemaTooNew, StoreUnavailable, sqlalchemy.exc.DBAPIError) as error:
            message = store_error(ctx, error)
            if message is None:
                raise
            raise message from error


class FibroGroup(click.Group):
    """Sub-commands are ``FibroCommand``s; sub-groups are ``FibroGroup``s."""

    command_class = FibroCommand
    group_class = type


def pick_patient(store: Store, name: str | None) -> tuple[int, str] | None:
    """The patient called ``name``; with no name, the only one (None when there are several)."""
    patients = store.patients()
    if name is not None:
        match = patients[patients["name"] == name]
        if match.empty:
            known = ", ".join(patients["name"]) or "none yet"
            raise click.BadParameter(f"no patient called {name!r} (known: {known})",
                                     param_hint="'--patient'")
        return int(match["id"].iloc[0]), name
    if len(patients) == 1:
        return int(patients["id"].iloc[0]), str(patients["name"].iloc[0])
    return None


@click.group(cls=FibroGroup, context_settings={"help_option_names": ["-h", "--help"]})
def main():
    """A private massage and fibromyalgia diary: log, import, export, serve the dashboard."""


def say_left_out(store: Store, patient_id: int | None = None) -> None:
    """Name, on stderr, the entries a read leaves out for their date (``Store.bad_entries``)."""
    for note in bad_entry_notes(store.bad_entries(patient_id)):
        click.echo(escape_controls("Note: " + note), err=True)


def patient_for_writing(store: Store, name: str | None) -> str:
    """The patient new records go to: ``name``, else the only one, else "Me" in a new store."""
    if name and name.strip():
        return name.strip()
    names = store.patients()["name"].tolist()
    if len(names) > 1:
        raise click.UsageError(f"this store holds several patients ({', '.join(names)}); "
                               "say whose diary with --patient")
    return names[0] if names else DEFAULT_PATIENT


def option_name(field: str) -> str:
    return "--" + {"duration_min": "duration", "drug_class": "drug-class"}.get(
        field, field).replace("_", "-")


def refuse_invalid(record: Record) -> None:
    """Stop with every problem of ``record``, each naming the option it came from."""
    problems = record.validate()
    if len(problems) == 1:
        field, message = next(iter(problems.items()))
        raise click.BadParameter(message, param_hint=f"'{option_name(field)}'")
    if problems:
        raise click.UsageError("Invalid values (nothing was saved):\n" + "\n".join(
            f"  '{option_name(field)}': {message}" for field, message in problems.items()))


def save_one(store: Store, patient: str, record: Record) -> None:
    """Validate and save one record in one transaction (through the session layer, as the
    store's owner; a new name starts a new patient's diary)."""
    refuse_invalid(record)
    session = DiarySession(store)
    session.save(session.patient_id(patient, create=True), [record])


def parse_areas(text: str | None) -> tuple[str, ...]:
    return tuple(a.strip() for a in (text or "").replace(";", ",").split(",") if a.strip())


@main.command()
@db_option
@click.option("--days", type=click.IntRange(1, 36500), default=demo_module.DEFAULT_DAYS,
              show_default=True, help="How many days of diary to invent.")
@click.option("--seed", type=int, default=demo_module.DEFAULT_SEED, show_default=True,
              help="The same seed gives the same diary.")
@click.option("--patient", default=demo_module.DEMO_PATIENT, show_default=True,
              help="Name of the invented patient.")
@click.option("--patients", type=click.IntRange(1, 10000), default=None,
              help="Invent a clinic instead: this many patients, each unlike the others, "
                   "with therapist users and grants.")
@click.option("--therapists", type=click.IntRange(1, 100), default=5, show_default=True,
              help="With --patients: how many therapist users.")
@click.option("--password-stdin", is_flag=True,
              help="With --patients: read the demo therapists' password from stdin.")
def demo(db, days, seed, patient, patients, therapists, password_stdin):
    """Write a seeded, reproducible demo diary (see dashboard/demo.py for its built-in effects),
    or with --patients a whole demo clinic."""
    import time

    store = open_store(db)
    where = store.path or store.shown_url
    if patients is None:
        result = demo_module.write_demo(store, patient=patient, days=days, seed=seed)
        created = ", ".join(f"{n} {kind}" for kind, n in result.created.items()) or "nothing new"
        click.echo(f"Demo diary for {patient!r} in {where}: {created}.")
        return
    from .cli_hosted import read_password

    password = read_password(True) if password_stdin else None
    started = time.perf_counter()
    clinic = demo_module.write_clinic(store, patients=patients, days=days, therapists=therapists,
                                      seed=seed, password=password)
    created = ", ".join(f"{n} {kind}" for kind, n in clinic.created.items()) or "nothing new"
    click.echo(f"Demo clinic in {where}: {patients} patients, {days} days each; {created}; "
               f"therapists {', '.join(clinic.therapists)} with grants "
               f"({time.perf_counter() - started:.1f} s).")
    if not clinic.password_given:
        click.echo(f"Set a therapist's password with: fibro user password {clinic.therapists[0]} "
                   f"--db {where}  (or run this again with --password-stdin)")


@main.command()
@db_option
@click.option("--out", "out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder for daily.csv, sessions.csv and medications.csv.")
@click.option("--patient", default=None, help="Whose diary (default: the only one, else all "
              "with a 'patient' column).")
def export(db, out, patient):
    """Write the diary as daily.csv, sessions.csv and medications.csv (the template format)."""
    import pandas as pd

    from .importers.template import template_frames, write_template

    store = open_store(db)
    patients = store.patients()
    if patients.empty:
        raise click.ClickException(f"{store.path or store.shown_url} holds no diary yet; nothing to export")
    chosen = pick_patient(store, patient)
    say_left_out(store, None if chosen is None else chosen[0])
    if chosen is not None:
        pid, _name = chosen
        frames = template_frames(store.daily(pid), store.sessions(pid), store.doses(pid))
    else:
        each = [template_frames(store.daily(pid), store.sessions(pid), store.doses(pid), patient=name)
                for pid, name in zip(patients["id"], patients["name"])]
        frames = {key: pd.concat([f[key] for f in each], ignore_index=True) for key in each[0]}
    paths = write_template(frames, out)
    session = DiarySession(store)
    for pid in ([chosen[0]] if chosen is not None else patients["id"]):
        session.taking(pid, "export (fibro export)")  # a row in the access log
    for path, key in zip(paths, ("daily", "sessions", "doses")):
        click.echo(f"{path}: {plural(len(frames[key]), 'row')}")


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
    import panel as pn

    from .ui.serving import is_loopback

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
        from .accounts import AccountError
        from .ui.hosted import serve_hosted

        if open_store(location).users().empty:
            click.echo(f"No users yet: add one with `fibro user add NAME --role patient --db "
                       f"{shown}` (or therapist, admin); every page asks for a sign-in.")

        try:
            serve_hosted(location, port, address, show, [f"{host}:{port}", *origins],
                         use_xheaders=use_xheaders)
        except AccountError as error:
            raise click.ClickException(str(error)) from None
        return
    from .ui.app import personal_page

    pn.serve({"app": lambda: personal_page(location)}, port=port, address=address, show=show,
             title="Fibro diary",
             websocket_origin=[f"{host}:{port}", f"localhost:{port}", f"127.0.0.1:{port}"])


def _serve_phone(location, shown, port, address, host, show, base_url, password_stdin,
                 origins) -> None:
    """``fibro serve --phone``: the one person's account, the address to open, then serve."""
    from .accounts import AccountError
    from .cli_hosted import read_password
    from .phone import phone_account, phone_base_url, websocket_origin
    from .ui.hosted import serve_hosted

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


@main.group()
def log():
    """Log a day, a massage session or a medication dose (one option per field)."""


def _ratings(func):
    for name in reversed(list(domain.DAILY_RATINGS)):
        func = click.option(option_name(name), name, type=float, default=None,
                            help=f"{domain.DAILY_RATINGS[name]}, "
                                 f"{domain.anchors_text(domain.rating_anchors(name), ', ')}.")(func)
    return func


def _area_pains(func):
    anchors = domain.anchors_text(domain.rating_anchors("pain"), ", ")
    for area in reversed(domain.BODY_AREAS):
        func = click.option(f"--pain-{area.replace('_', '-')}", f"pain_{area}", type=float, default=None,
                            help=f"Pain in the {domain.area_label(area).lower()}, {anchors}.")(func)
    return func


@log.command("daily")
@db_option
@click.option("--patient", default=None, help="Whose diary (default: the only one).")
@click.option("--date", "date", type=DATE, default=None, help="The day (default today), YYYY-MM-DD.")
@_ratings
@click.option("--sleep-hours", type=float, default=None, help="Hours asleep last night.")
@click.option("--nap-minutes", type=int, default=None,
              help="Minutes napped (sleeps shorter than the day's main sleep).")
@_area_pains
@click.option("--notes", default="", help="Anything else about the day.")
@click.option("--yes", is_flag=True, help="Replace the day's check-in without asking if it exists.")
def log_daily(db, patient, date, sleep_hours, notes, yes, **values):
    """Log (or replace) a day's check-in."""
    store = open_store(db)
    name = patient_for_writing(store, patient)
    day = date.date() if date else dt.date.today()
    area_pain = {a: values.pop(f"pain_{a}") for a in domain.BODY_AREAS
                 if values.get(f"pain_{a}") is not None}
    for a in domain.BODY_AREAS:
        values.pop(f"pain_{a}", None)
    record = DailyCheckin(date=day, sleep_hours=sleep_hours, notes=notes, area_pain=area_pain,
                          **values)
    refuse_invalid(record)
    known = store.patients()
    pid = known.loc[known["name"] == name, "id"]
    if len(pid) and store.daily_id(int(pid.iloc[0]), day) is not None and not yes:
        if not sys.stdin.isatty():
            raise click.ClickException(f"{name} already has a check-in for {day:%Y-%m-%d}; "
                                       "add --yes to replace it")
        click.confirm(f"{name} already has a check-in for {day:%Y-%m-%d}. Replace it?", abort=True)
    save_one(store, name, record)
    click.echo(f"Saved the check-in of {day:%Y-%m-%d} for {name}.")


@log.command("session")
@db_option
@click.option("--patient", default=None, help="Whose diary (default: the only one).")
@click.option("--start", type=DATE_TIME, required=True, help="When it started, YYYY-MM-DDTHH:MM.")
@click.option("--duration", type=float, required=True, help="Minutes.")
@click.option("--pressure", required=True, help=f"One of {', '.join(domain.PRESSURES)}.")
@click.option("--areas", required=True, help="Body areas, comma-separated (e.g. neck,shoulders).")
@click.option("--technique", default="", help="E.g. myofascial release.")
@click.option("--therapist", default="", help="Who gave the massage.")
@click.option("--pain-before", type=float, default=None, help="Pain just before, 0-10.")
@click.option("--pain-after", type=float, default=None, help="Pain just after, 0-10.")
@click.option("--notes", default="")
def log_session(db, patient, start, duration, pressure, areas, technique, therapist, pain_before,
                pain_after, notes):
    """Log a massage session."""
    store = open_store(db)
    name = patient_for_writing(store, patient)
    record = MassageSession(start=start, duration_min=duration, pressure=pressure.strip().lower(),
                            areas=parse_areas(areas), technique=technique, therapist=therapist,
                            pain_before=pain_before, pain_after=pain_after, notes=notes)
    save_one(store, name, record)
    click.echo(f"Saved the {record.pressure} session of {start:%Y-%m-%d %H:%M} for {name}.")


@log.command("med")
@db_option
@click.option("--patient", default=None, help="Whose diary (default: the only one).")
@click.option("--time", "time", type=DATE_TIME, default=None,
              help="When it was taken, YYYY-MM-DDTHH:MM (default now).")
@click.option("--name", required=True, help="The medicine, e.g. Paracetamol.")
@click.option("--drug-class", default=None,
              help="Default: from the name when known, else 'other'. One of "
                   + ", ".join(domain.DRUG_CLASSES) + ".")
@click.option("--dose", type=float, default=None, help="How much, in --unit.")
@click.option("--unit", default="", help="E.g. mg.")
@click.option("--reason", default="")
def log_med(db, patient, time, name, drug_class, dose, unit, reason):
    """Log a medication dose."""
    store = open_store(db)
    who = patient_for_writing(store, patient)
    when = time or dt.datetime.now().replace(second=0, microsecond=0)
    record = MedicationDose(time=when, name=name.strip(), drug_class=drug_class or domain.drug_class_of(name),
                            dose=dose, unit=unit, reason=reason)
    save_one(store, who, record)
    click.echo(f"Saved {record.name} ({record.drug_class}) at {when:%Y-%m-%d %H:%M} for {who}.")


@main.command("import")
@click.argument("kind", type=click.Choice(["bearable", "fitbit-sleep", "sleep-as-android",
                                           "flaredown", "csv"]))
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@db_option
@click.option("--patient", default=None, help="Whose diary a one-person file belongs to "
              "(default: the only one, else 'Me').")
@click.option("--person", default=None, help="Import only this id of a multi-person file.")
@click.option("--dry-run", is_flag=True, help="Show what would happen; write nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def import_(kind, path, db, patient, person, dry_run, as_json):
    """Import a file (or a template CSV folder) all-or-nothing; re-importing adds nothing."""
    from .importers import ImportFormatError
    from .records import InvalidRecord

    store = open_store(db)
    try:
        summary = DiarySession(store).import_file(
            kind, path, patient_name=patient_for_writing(store, patient), person=person,
            dry_run=dry_run)
    except (ImportFormatError, InvalidRecord) as error:
        raise click.ClickException(escape_controls(f"{error}. Nothing was imported.")) from error
    if as_json:
        click.echo(json.dumps(summary, indent=2))
        return
    click.echo(format_import_summary(summary))


def diary_of(store: Store, patient: str | None):
    """The three frames of the chosen patient (the only one when not named)."""
    chosen = pick_patient(store, patient)
    if chosen is None:
        names = ", ".join(store.patients()["name"]) or "none yet"
        raise click.UsageError(f"say whose diary with --patient (patients: {names})")
    diary = DiarySession(store).diary(chosen[0])
    for note in bad_entry_notes(diary.bad):
        click.echo(escape_controls("Note: " + note), err=True)
    return diary.daily, diary.sessions, diary.doses


@main.command()
@db_option
@click.option("--patient", default=None, help="Whose diary (default: the only one).")
@click.option("--pressure", "pressures", multiple=True,
              type=click.Choice(list(domain.PRESSURES)), help="Repeat for several.")
@click.option("--area", "areas", multiple=True, type=click.Choice(list(domain.BODY_AREAS)),
              help="Repeat for several (default: every area with sessions, and 'all').")
@click.option("--min-sessions", type=click.IntRange(2, 1000), default=5, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the full result as JSON.")
def effects(db, patient, pressures, areas, min_sessions, as_json):
    """Effects by pressure and body area: the main questions first (Holm-adjusted), then
    every row as exploratory: estimates, 95 % intervals, session counts."""
    from .analysis import effects as fx

    daily, sessions, doses = diary_of(open_store(db), patient)
    result = fx.effects_json(daily, sessions, doses, pressures=list(pressures) or None,
                             areas=list(areas) or None, min_sessions=min_sessions)
    if as_json:
        click.echo(json.dumps(result, indent=2))
        return
    if not result["effects"]:
        click.echo(f"No matching massage sessions yet: {fx.NOT_ENOUGH}. An estimate needs "
                   f"{plural(min_sessions, 'session')}; log them with `fibro log session`.")
    rows = result["effects"] + [dict(row, pressure="deep-light", estimate=row["difference"],
                                     n_sessions=min(row["n_a"], row["n_b"]))
                                for row in result["comparisons"]]
    for title, wanted in (("Main questions (adjusted together, Holm):", True),
                          ("Exploratory (no readings):", False)):
        chosen = [row for row in rows if row["primary"] is wanted]
        if chosen:
            click.echo(title)
        for row in chosen:
            if row["estimate"] is None:
                figure = fx.not_enough_text(row["n_sessions"], min_sessions) or fx.NOT_ENOUGH
            else:
                adjusted = (", " + fx.p_phrase(row["p_adjusted"], "adjusted p")
                            if row["primary"] else "")
                figure = (f"{row['estimate']:+.2f} (95 % interval {row['ci_low']:+.2f} to "
                          f"{row['ci_high']:+.2f}, {fx.p_phrase(row['p_value'])}{adjusted})"
                          + (f": {row['reading']}" if row["primary"] else ""))
            click.echo(f"  {row['pressure']:<10} {row['area']:<11} {row['outcome']:<25} "
                       f"n={row['n_sessions']:<4} {figure}")
    if any(row["estimate"] is not None for row in result["effects"]):
        click.echo(fx.READING_RULE)
    for kind in ("effects", "comparisons"):
        for sentence in fx.plain_sentences(pd.DataFrame(result[kind])):
            click.echo("• " + sentence)
    for caveat in fx.CAVEATS:
        click.echo("Note: " + caveat)


@main.group()
def score():
    """Standard scores from answers given on the command line."""


@score.command("acr2016")
@click.option("--pain-regions", default="", help="Painful WPI regions, comma-separated: "
              + ", ".join(domain.WPI_REGIONS) + ".")
@click.option("--fatigue", type=click.IntRange(0, 3), required=True, help="0-3, past week.")
@click.option("--unrefreshed", type=click.IntRange(0, 3), required=True, help="Waking unrefreshed, 0-3.")
@click.option("--cognitive", type=click.IntRange(0, 3), required=True, help="Cognitive symptoms, 0-3.")
@click.option("--headaches", is_flag=True, help="Headaches in the past 6 months.")
@click.option("--abdominal", is_flag=True, help="Pain or cramps in the lower abdomen, past 6 months.")
@click.option("--depression", is_flag=True, help="Depression in the past 6 months.")
@click.option("--json", "as_json", is_flag=True)
def score_acr2016(pain_regions, fatigue, unrefreshed, cognitive, headaches, abdominal, depression,
                  as_json):
    """ACR 2016 fibromyalgia criteria: WPI, SSS, generalized pain, FS score."""
    from .analysis.scores import acr2016

    regions = [r.strip() for r in pain_regions.split(",") if r.strip()]
    try:
        result = acr2016(regions, fatigue, unrefreshed, cognitive, headaches=headaches,
                         abdominal=abdominal, depression=depression)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="'--pain-regions'") from error
    if as_json:
        click.echo(json.dumps(result.to_dict(), indent=2))
    else:
        for key, value in result.to_dict().items():
            click.echo(f"{key}: {value}")
        click.echo(result.rule)


@score.command("fiqr")
@click.option("--items", required=True, help="21 answers 0-10 in the form's order, comma-separated; "
              "leave blank for a missing answer (e.g. 3,,5,...).")
@click.option("--json", "as_json", is_flag=True)
def score_fiqr(items, as_json):
    """Revised Fibromyalgia Impact Questionnaire: domain scores, total, severity, validity."""
    from .analysis.scores import fiqr

    cells = items.split(",")
    try:
        answers = [None if not c.strip() else float(c) for c in cells]
        result = fiqr(answers)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="'--items'") from error
    if as_json:
        click.echo(json.dumps(result.to_dict(), indent=2))
    else:
        for key, value in result.to_dict().items():
            click.echo(f"{key}: {value}")
        for problem in result.problems:
            click.echo(f"note: {problem}")


@main.command()
@db_option
@click.option("--patient", default=None, help="Whose diary (default: the only one).")
@click.option("--json", "as_json", is_flag=True)
def moh(db, patient, as_json):
    """Medication days per month and class against the ICHD-3 overuse thresholds (not a diagnosis)."""
    from .analysis.scores import OVERUSE_CAVEAT, medication_overuse, overuse_note

    _daily, _sessions, doses = diary_of(open_store(db), patient)
    table = medication_overuse(doses)
    rows = [{"month": r.month, "drug_class": r.drug_class, "days": int(r.days),
             "threshold": None if pd.isna(r.threshold) else int(r.threshold),
             "crossed": bool(r.crossed)} for r in table.itertuples()]
    if as_json:
        click.echo(json.dumps({"months": rows, "caveat": OVERUSE_CAVEAT}, indent=2))
        return
    if not rows:
        click.echo("No medication logged yet: log a dose with `fibro log med` to see the days a "
                   "month of each class against the thresholds.")
    for row, (_i, full) in zip(rows, table.iterrows()):
        limit = "" if row["threshold"] is None else f" / {row['threshold']}"
        click.echo(f"{row['month']} {row['drug_class']:<22} {row['days']:>2}{limit} days"
                   + ("  ← " + overuse_note(full) if row["crossed"] else ""))
    click.echo(OVERUSE_CAVEAT)


@main.command()
@db_option
@click.option("--patient", default=None, help="Whose diary (default: the only one).")
@click.option("--from", "start", type=DATE, default=None,
              help="First day, YYYY-MM-DD (default: 90 days up to --to).")
@click.option("--to", "end", type=DATE, default=None,
              help="Last day, YYYY-MM-DD (default: 90 days from --from, else the last logged day).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=Path("report.pdf"),
              show_default=True, help="The PDF to write.")
@click.option("--for", "audience", type=click.Choice(["therapist", "doctor"]), default="therapist",
              show_default=True, help="Sessions and pressures first, or scores, trends and "
              "medication first.")
@click.option("--paper", type=click.Choice(["a4", "letter"]), default=None,
              help="Paper size (default: from the locale; US Letter in the Americas' letter "
                   "countries, else A4).")
def report(db, patient, start, end, out, audience, paper):
    """Write a one-to-three-page PDF report of a period for the therapist or the doctor."""
    from .report import ReportError, paper_for_locale, render_pdf, report_from_store

    store = open_store(db)
    if store.patients().empty:
        raise click.ClickException(f"{store.path or store.shown_url} holds no diary yet; nothing to report")
    chosen = pick_patient(store, patient)
    if chosen is None:
        names = ", ".join(store.patients()["name"])
        raise click.UsageError(f"say whose diary with --patient (patients: {names})")
    pid, name = chosen
    say_left_out(store, pid)
    try:
        content = report_from_store(store, pid, name, start=start, end=end, audience=audience)
    except ReportError as error:
        raise click.BadParameter(str(error), param_hint="'--from' / '--to'") from error
    paper = paper or paper_for_locale()
    pages = render_pdf(content, out, paper)
    DiarySession(store).taking(pid, f"{audience} report (fibro report)")
    click.echo(escape_controls(
        f"Wrote {out} ({plural(pages, 'page')}, {paper}): "
        f"{name}, {content.start:%Y-%m-%d} to {content.end:%Y-%m-%d}, for the {audience}."))


@main.command()
@click.argument("kind", type=click.Choice(list(CLI_KINDS)))
@click.argument("entry_id", metavar="ID", type=click.IntRange(1))
@db_option
def delete(kind, entry_id, db):
    """Delete one check-in, session or dose by its id (e.g. one a note names as left out for
    its date); prints what it deleted, so it can be logged again."""
    from .store import NotFound

    try:
        record = DiarySession(open_store(db)).delete(CLI_KINDS[kind], entry_id)
    except NotFound:
        raise click.BadParameter(f"there is no {ENTRY_NAMES[CLI_KINDS[kind]]} with id {entry_id}",
                                 param_hint="'ID'") from None
    when = getattr(record, "date", None) or getattr(record, "start", None) or record.time
    click.echo(escape_controls(f"Deleted the {ENTRY_NAMES[CLI_KINDS[kind]]} {entry_id} "
                               f"({when})."))


def format_import_summary(summary: dict) -> str:
    """The import summary as lines a person reads."""
    verb = "Would create" if summary["dry_run"] else "Created"
    lines = [f"{summary['kind']}: {plural(summary['rows_read'], 'row')} read, {summary['rows_used']} used, "
             f"{summary['rows_skipped']} skipped"]
    for outcome, label in (("created", verb), ("updated", "Updated"), ("unchanged", "Already there")):
        counts = summary[outcome]
        lines.append(f"  {label}: {plural(counts['daily'], 'daily check-in')}, "
                     f"{plural(counts['sessions'], 'session')}, {plural(counts['doses'], 'dose')}")
    for reason, n in sorted(summary["skipped"].items()):
        lines.append(f"  skipped {n} × {reason}")
    if summary["first_date"]:
        lines.append(f"  days {summary['first_date']} to {summary['last_date']}; "
                     f"patients: {', '.join(summary['patients'])}")
    lines += [f"  note: {note}" for note in summary["notes"]]
    if summary["dry_run"]:
        lines.append("  (dry run: nothing was written)")
    elif summary.get("backup"):
        lines.append(f"  the store was backed up first to {summary['backup']}")
    return "\n".join(escape_controls(line) for line in lines)  # names, notes: from the file


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
    from .reminders import DEFAULT_BASE_URL, parse_time, reminder_ics

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


from . import cli_hosted  # noqa: E402,F401  (registers user, grant, link, audit)
from . import cli_trial  # noqa: E402,F401  (registers trial plan|status|result|stop)

if __name__ == "__main__":
    sys.exit(main())

