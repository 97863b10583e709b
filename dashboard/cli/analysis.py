"""``fibro effects``, ``score``, ``moh`` and ``report``: what the diary shows.
"""

from __future__ import annotations

import json
from pathlib import Path

import click
import pandas as pd

from .. import domain
from ..formatting import interval, p_phrase, signed
from ..importers.common import escape_controls
from ..wording import plural
from .base import (DATE, acting, chosen_patient, db_option, diary_of, main, say_left_out,
                   text_table, where)

@main.command()
@db_option
@click.option("--patient", default=None, help="Whose diary (default: the only one).")
@click.option("--pressure", "pressures", multiple=True,
              type=click.Choice(list(domain.PRESSURES)), help="Repeat for several.")
@click.option("--area", "areas", multiple=True, type=click.Choice(list(domain.BODY_AREAS)),
              help="Repeat for several (default: every area with sessions, and 'all').")
@click.option("--min-sessions", type=click.IntRange(2, 1000), default=domain.MIN_SESSIONS,
              show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the full result as JSON.")
def effects(db, patient, pressures, areas, min_sessions, as_json):
    """Effects by pressure and body area: the main questions first (Holm-adjusted), then
    every row as exploratory: estimates, 95 % intervals, session counts."""
    from .. import effects as effects_service
    from ..analysis import effects as fx

    result = effects_service.effects_json(diary_of(acting(db), patient), pressures, areas,
                                          min_sessions)
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
        lines = []
        for row in chosen:
            if row["estimate"] is None:
                figure = fx.not_enough_text(row["n_sessions"], min_sessions) or fx.NOT_ENOUGH
            else:
                adjusted = (", " + p_phrase(row["p_adjusted"], "adjusted p")
                            if row["primary"] else "")
                figure = (f"{signed(row['estimate'])} (95 % interval "
                          f"{interval(row['ci_low'], row['ci_high'])}, {p_phrase(row['p_value'])}"
                          f"{adjusted})"
                          + (f": {row['reading']}" if row["primary"] else ""))
            lines.append((row["pressure"], row["area"], row["outcome"],
                          f"n={row['n_sessions']}", figure))
        for line in text_table(lines, indent="  "):
            click.echo(line)
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
    from ..analysis.scores import acr2016

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
    from ..analysis.scores import fiqr

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
    from ..analysis.scores import OVERUSE_CAVEAT, overuse_note
    from ..overuse import overuse_summary

    table = overuse_summary(diary_of(acting(db), patient).doses).table
    rows = [{"month": r.month, "drug_class": r.drug_class, "days": int(r.days),
             "threshold": None if pd.isna(r.threshold) else int(r.threshold),
             "crossed": bool(r.crossed)} for r in table.itertuples()]
    if as_json:
        click.echo(json.dumps({"months": rows, "caveat": OVERUSE_CAVEAT}, indent=2))
        return
    if not rows:
        click.echo("No medication logged yet: log a dose with `fibro log med` to see the days a "
                   "month of each class against the thresholds.")
    lines = []
    for row, (_i, full) in zip(rows, table.iterrows()):
        limit = "" if row["threshold"] is None else f" / {row['threshold']}"
        lines.append((row["month"], row["drug_class"], f"{row['days']}{limit} days",
                      "← " + overuse_note(full) if row["crossed"] else ""))
    for line in text_table(lines, right=(2,)):
        click.echo(line)
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
    from ..report import ReportError, paper_for_locale, render_pdf, report_from_session

    session = acting(db)
    if session.patients().empty:
        raise click.ClickException(f"{where(session.store)} holds no diary yet; nothing to report")
    pid, name = chosen_patient(session, patient)  # the session says whether they may read it
    say_left_out(session.diary(pid))
    try:
        content = report_from_session(session, pid, name, start=start, end=end, audience=audience)
    except ReportError as error:
        raise click.BadParameter(str(error), param_hint="'--from' / '--to'") from error
    paper = paper or paper_for_locale()
    pages = render_pdf(content, out, paper)
    session.taking(pid, f"{audience} report (fibro report)")
    click.echo(escape_controls(
        f"Wrote {out} ({plural(pages, 'page')}, {paper}): "
        f"{name}, {content.start:%Y-%m-%d} to {content.end:%Y-%m-%d}, for the {audience}."))
