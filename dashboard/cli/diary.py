"""``fibro demo``, ``export``, ``log``, ``import`` and ``delete``: writing and taking out the diary.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

import click

from .. import demo as demo_module
from .. import domain
from ..importers.common import escape_controls
from ..records import DailyCheckin, MassageSession, MedicationDose
from ..session import CLI_KINDS, ENTRY_NAMES
from ..wording import plural
from .base import (DATE, DATE_TIME, acting, db_option, known_patient, main, open_store,
                   option_name, parse_areas, patient_for_writing, pick_patient, read_password,
                   refuse_invalid, require, save_one, say_left_out, where, writable_patient)

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
    shown = where(store)
    if patients is None:
        result = demo_module.write_demo(store, patient=patient, days=days, seed=seed)
        created = ", ".join(f"{n} {kind}" for kind, n in result.created.items()) or "nothing new"
        click.echo(f"Demo diary for {patient!r} in {shown}: {created}.")
        return
    password = read_password(True) if password_stdin else None
    started = time.perf_counter()
    clinic = demo_module.write_clinic(store, patients=patients, days=days, therapists=therapists,
                                      seed=seed, password=password)
    created = ", ".join(f"{n} {kind}" for kind, n in clinic.created.items()) or "nothing new"
    click.echo(f"Demo clinic in {shown}: {patients} patients, {days} days each; {created}; "
               f"therapists {', '.join(clinic.therapists)} with grants "
               f"({time.perf_counter() - started:.1f} s).")
    if not clinic.password_given:
        click.echo(f"Set a therapist's password with: fibro user password {clinic.therapists[0]} "
                   f"--db {shown}  (or run this again with --password-stdin)")


@main.command()
@db_option
@click.option("--out", "out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder for daily.csv, sessions.csv and medications.csv.")
@click.option("--patient", default=None, help="Whose diary (default: the only one, else all "
              "with a 'patient' column).")
def export(db, out, patient):
    """Write the diary as daily.csv, sessions.csv and medications.csv (the template format)."""
    import pandas as pd

    from ..importers.template import template_frames, write_template

    session = acting(db)
    patients = session.patients()
    if patients.empty:
        raise click.ClickException(f"{where(session.store)} holds no diary yet; nothing to export")
    chosen = pick_patient(session, patient)
    named = [chosen] if chosen is not None else list(zip(patients["id"], patients["name"]))
    diaries = {int(pid): session.diary(require(session, int(pid), "read", "Nothing was exported."))
               for pid, _name in named}
    for diary in diaries.values():
        say_left_out(diary)
    if chosen is not None:
        diary = diaries[chosen[0]]
        frames = template_frames(diary.daily, diary.sessions, diary.doses)
    else:
        each = [template_frames(d.daily, d.sessions, d.doses, patient=name)
                for d, (_pid, name) in zip(diaries.values(), named)]
        frames = {key: pd.concat([f[key] for f in each], ignore_index=True) for key in each[0]}
    paths = write_template(frames, out)
    for pid in diaries:
        session.taking(pid, "export (fibro export)")  # a row in the access log
    for path, key in zip(paths, ("daily", "sessions", "doses")):
        click.echo(f"{path}: {plural(len(frames[key]), 'row')}")


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
    session = acting(db)
    name = patient_for_writing(session, patient)
    day = date.date() if date else dt.date.today()
    area_pain = {a: values.pop(f"pain_{a}") for a in domain.BODY_AREAS
                 if values.get(f"pain_{a}") is not None}
    for a in domain.BODY_AREAS:
        values.pop(f"pain_{a}", None)
    record = DailyCheckin(date=day, sleep_hours=sleep_hours, notes=notes, area_pain=area_pain,
                          **values)
    refuse_invalid(record)
    pid = writable_patient(session, name)  # asked first: --yes would not help one who may not
    if session.daily_id(pid, day) is not None and not yes:
        if not sys.stdin.isatty():
            raise click.ClickException(f"{name} already has a check-in for {day:%Y-%m-%d}; "
                                       "add --yes to replace it")
        click.confirm(f"{name} already has a check-in for {day:%Y-%m-%d}. Replace it?", abort=True)
    session.save(pid, [record])
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
    session = acting(db)
    name = patient_for_writing(session, patient)
    record = MassageSession(start=start, duration_min=duration, pressure=pressure.strip().lower(),
                            areas=parse_areas(areas), technique=technique, therapist=therapist,
                            pain_before=pain_before, pain_after=pain_after, notes=notes)
    save_one(session, name, record, "log")  # a therapist with ``log`` scope logs sessions
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
    session = acting(db)
    who = patient_for_writing(session, patient)
    when = time or dt.datetime.now().replace(second=0, microsecond=0)
    record = MedicationDose(time=when, name=name.strip(), drug_class=drug_class or domain.drug_class_of(name),
                            dose=dose, unit=unit, reason=reason)
    save_one(session, who, record)
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
    from ..importers import ImportFormatError
    from ..records import InvalidRecord

    session = acting(db)
    name = patient_for_writing(session, patient)
    pid = known_patient(session, name)
    if pid is not None:  # a new name: the session decides at the import
        require(session, pid, "write", "Nothing was imported.")
    try:
        summary = session.import_file(kind, path, patient_name=name, person=person,
                                      dry_run=dry_run)
    except (ImportFormatError, InvalidRecord) as error:
        raise click.ClickException(escape_controls(f"{error}. Nothing was imported.")) from error
    if as_json:
        click.echo(json.dumps(summary, indent=2))
        return
    click.echo(format_import_summary(summary))


@main.command()
@click.argument("kind", type=click.Choice(list(CLI_KINDS)))
@click.argument("entry_id", metavar="ID", type=click.IntRange(1))
@db_option
def delete(kind, entry_id, db):
    """Delete one check-in, session or dose by its id (e.g. one a note names as left out for
    its date); prints what it deleted, so it can be logged again."""
    from ..store import NotFound

    try:
        record = acting(db).delete(CLI_KINDS[kind], entry_id)  # the session checks the diary
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
