"""The ``fibro`` group and what its commands share: ``--db``, opening the store, who acts
and what the session lets them do (``acting``, ``require``: ``DiarySession.capabilities``
decides, as for the pages), the one place where expected failures become one line
(``FibroCommand``), choosing the patient, reading a password, and text tables.

Command modules (``diary``, ``serve``, ``analysis``, ``hosted``, ``trial``) register
their commands on ``main``; this module imports none of them.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click
import pandas as pd
import sqlalchemy.exc

from ..importers.common import escape_controls
from ..records import InvalidRecord, Record
from ..session import DEFAULT_PATIENT, DiarySession, Refused, bad_entry_notes
from ..store import (BackupFailed, SchemaTooNew, Store, StoreUnavailable, ValueRefused,
                     default_db_path)

DATE = click.DateTime(formats=["%Y-%m-%d"])
DATE_TIME = click.DateTime(formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"])

DB_HELP = "Store file (or database URL). Default: $FIBRO_DB, else ~/.local/share/fibro/fibro.sqlite"


def db_option(func):
    return click.option("--db", "db", type=str, default=None, metavar="PATH", help=DB_HELP)(func)


def open_store(db: str | None) -> Store:
    """The store, closed (its connections returned) when the command ends: a process's exit
    would do it, but the commands also run in-process (click's runner, scripts)."""
    store = Store(db or default_db_path())
    ctx = click.get_current_context(silent=True)
    if ctx is not None:
        ctx.call_on_close(store.close)
    return store


def acting(db: str | None) -> DiarySession:
    """Who acts on the store ``--db`` names, through the session layer: its owner (``fibro``
    runs with the file's rights), unless the caller handed ``main`` a function store ->
    ``DiarySession`` as click's ``obj`` (``main(obj=...)``: a script acting for a hosted
    user, the tests)."""
    store = open_store(db)
    ctx = click.get_current_context(silent=True)
    make = ctx.find_root().obj if ctx is not None else None
    return make(store) if callable(make) else DiarySession(store)


def require(session: DiarySession, patient_id: int | None, capability: str,
            nothing: str = "Nothing was saved.") -> int | None:
    """``patient_id`` when the session says this person may ``capability`` (read, log, write,
    plan: ``DiarySession.capabilities``) that diary; else the command ends in one line with
    the session's reason and what was not done."""
    can = session.capabilities(patient_id)
    if not getattr(can, capability):
        raise click.ClickException(f"{can.refusal(capability)} {nothing}".rstrip())
    return patient_id


def where(store: Store) -> str:
    """The store a message names: its file, or its URL without the password."""
    return str(store.path or store.shown_url)


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
    answer, a value refused by the limits or the database and an action the session
    refuses (``Refused``) into click errors.
    """

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except InvalidRecord as error:  # e.g. a --patient name longer than the limit
            problems = "; ".join(f"{option_name(field)}: {message}"
                                 for field, message in error.problems.items())
            raise click.ClickException(escape_controls(
                f"Invalid value ({problems}). Nothing was saved.")) from error
        except (ValueRefused, BackupFailed, Refused) as error:  # no value, SQL or traceback
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


def pick_patient(session: DiarySession, name: str | None) -> tuple[int, str] | None:
    """The patient called ``name`` of those this person may see; with no name, the only one
    (None when there are several)."""
    patients = session.patients()
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


def say_left_out(diary) -> None:
    """Name, on stderr, the entries a read leaves out for their date (``Diary.bad``)."""
    for note in bad_entry_notes(diary.bad):
        click.echo(escape_controls("Note: " + note), err=True)


def patient_for_writing(session: DiarySession, name: str | None) -> str:
    """The patient new records go to: ``name``, else the only one, else "Me" in a new store."""
    if name and name.strip():
        return name.strip()
    names = session.patients()["name"].tolist()
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


def known_patient(session: DiarySession, name: str) -> int | None:
    """The id of the diary called ``name`` that this person may see (None: no such diary)."""
    patients = session.patients()
    found = patients.loc[patients["name"] == name, "id"]
    return int(found.iloc[0]) if len(found) else None


def writable_patient(session: DiarySession, name: str, capability: str = "write") -> int:
    """The id of the diary called ``name`` (a new one when there is none and the session
    lets this person start it), once the session has said they may ``capability`` it."""
    pid = known_patient(session, name)
    if pid is None:
        pid = session.patient_id(name, create=True)
    return require(session, pid, capability)


def save_one(session: DiarySession, patient: str, record: Record, capability: str = "write") -> None:
    """Validate and save one record in one transaction, once the session has said this
    person may (``capability``); a new name starts a new diary, when the session lets them."""
    refuse_invalid(record)
    session.save(writable_patient(session, patient, capability), [record])


def parse_areas(text: str | None) -> tuple[str, ...]:
    return tuple(a.strip() for a in (text or "").replace(";", ",").split(",") if a.strip())


def chosen_patient(session: DiarySession, patient: str | None) -> tuple[int, str]:
    """(id, name) of the diary named, or of the only one, once the session has said this
    person may read it."""
    chosen = pick_patient(session, patient)
    if chosen is None:
        names = ", ".join(session.patients()["name"]) or "none yet"
        raise click.UsageError(f"say whose diary with --patient (patients: {names})")
    require(session, chosen[0], "read", "")
    return chosen


def diary_of(session: DiarySession, patient: str | None):
    """The diary of the chosen patient (the only one when not named)."""
    diary = session.diary(chosen_patient(session, patient)[0])
    say_left_out(diary)
    return diary


def read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


def text_table(rows, indent: str = "", right: tuple[int, ...] = ()) -> list[str]:
    """Rows of cells as lines, each column as wide as its widest cell (the columns in
    ``right`` aligned right, numbers for instance), two spaces between columns; control
    characters escaped (names and notes come from files and people).  Every table the
    commands print is laid out here."""
    cells = [["" if cell is None else escape_controls(str(cell)) for cell in row] for row in rows]
    widths = [max(len(row[i]) for row in cells if i < len(row))
              for i in range(max((len(row) for row in cells), default=0))]
    return [indent + "  ".join((cell.rjust(widths[i]) if i in right else cell.ljust(widths[i]))
                               for i, cell in enumerate(row)).rstrip()
            for row in cells]


def show_table(frame: pd.DataFrame, as_json: bool, columns: list[str]) -> None:
    """``columns`` of ``frame`` as JSON records or as a text table under a header."""
    frame = frame[columns]
    if as_json:
        records = json.loads(frame.to_json(orient="records", date_format="iso"))
        click.echo(json.dumps(records, indent=2, ensure_ascii=False))
    elif frame.empty:
        click.echo("None.")
    else:
        shown = frame.astype(object).where(frame.notna(), None)
        click.echo("\n".join(text_table([columns, *shown.itertuples(index=False)])))
