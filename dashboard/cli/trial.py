"""``fibro trial plan|status|result|stop``: a randomized n-of-1 trial of two pressures.

Registered on ``fibro``'s ``main`` group (``cli.base``); the same functions as the Trial page
(``dashboard.trials``), through the session layer as the store's owner.
"""

from __future__ import annotations

import datetime as dt
import json

import click

from .. import domain
from ..analysis import trial as tr
from ..formatting import signed
from ..trials import add_replacement_block, check_design, open_trial, save_plan
from .base import (DATE, acting, chosen_patient, db_option, main, patient_for_writing, require,
                   text_table, writable_patient)

_OPTIONS = {"pressure_a": "--compare", "pressure_b": "--compare", "outcome": "--outcome",
            "area": "--area", "blocks": "--blocks", "sessions_per_period": "--sessions-per-period",
            "every_days": "--every-days", "seed": "--seed"}


@main.group()
def trial():
    """Find out for sure: a randomized n-of-1 trial of two pressures (plan, status, result,
    add-block, stop)."""


def _json(value) -> None:
    click.echo(json.dumps(value, indent=2, ensure_ascii=False))


def _compare(text: str) -> tuple[str, str]:
    parts = [p.strip() for p in text.split(",") if p.strip()]
    if len(parts) != 2:
        raise click.BadParameter("name two pressures, e.g. light,deep", param_hint="'--compare'")
    return parts[0], parts[1]


def _shown_trial(db, patient, trial_id, capability: str = "read"):
    """The session, the patient and their trial, once the session has said this person may
    ``capability`` it (read: status, result; plan: add a block, stop)."""
    session = acting(db)
    pid = chosen_patient(session, patient)[0]
    require(session, pid, capability, "Nothing was changed.")
    found = open_trial(session, pid, trial_id)
    if found is None:
        raise click.ClickException("There is no trial in this diary yet: plan one with "
                                   "`fibro trial plan --compare light,deep`.")
    return session, pid, found


patient_option = click.option("--patient", default=None, help="Whose diary (default: the only one).")
trial_option = click.option("--trial", "trial_id", type=int, default=None,
                            help="Which trial (default: the newest).")
json_option = click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")


def one_trial(func):
    """``--db``, ``--patient`` and ``--trial``: the options of a command on one trial."""
    return db_option(patient_option(trial_option(func)))


@trial.command("plan")
@db_option
@patient_option
@click.option("--compare", required=True, metavar="A,B",
              help=f"The two pressures, e.g. light,deep (of {', '.join(tr.TRIAL_PRESSURES)}); "
                   "the result is B minus A.")
@click.option("--area", type=click.Choice(list(domain.BODY_AREAS)), default=None,
              help="The body area the sessions treat (pain there when it is logged).")
@click.option("--outcome", type=click.Choice(list(tr.OUTCOMES)), default="pain_next_day",
              show_default=True)
@click.option("--blocks", type=int, default=tr.DEFAULT_BLOCKS, show_default=True,
              help="Pairs of periods (one of each pressure, in random order).")
@click.option("--sessions-per-period", type=int, default=tr.DEFAULT_SESSIONS_PER_PERIOD,
              show_default=True)
@click.option("--start", type=DATE, default=None, help="First session, YYYY-MM-DD (default: tomorrow).")
@click.option("--every-days", type=int, default=tr.DEFAULT_EVERY_DAYS, show_default=True,
              help="Days from one session to the next.")
@click.option("--seed", type=int, default=None, help="Seed of the random order (default: a new one).")
@click.option("--difference", type=click.FloatRange(min=0, min_open=True),
              default=tr.DEFAULT_DIFFERENCE, show_default=True,
              help="The difference worth finding (outcome's unit): the power is simulated for "
                   "it, the planner proposes the smallest design reaching 80 % power, and the "
                   "result gives the probability of each pressure being better by it.")
@click.option("--yes", is_flag=True, help="Save a design that cannot reach p < 0.05 without asking.")
@json_option
def trial_plan(db, patient, compare, area, outcome, blocks, sessions_per_period, start,
               every_days, seed, difference, yes, as_json):
    """Plan a trial: print the randomized schedule and what the design can show."""
    pressure_a, pressure_b = _compare(compare)
    options = dict(pressure_a=pressure_a, pressure_b=pressure_b, outcome=outcome, area=area,
                   blocks=blocks, sessions_per_period=sessions_per_period, every_days=every_days)
    if start is not None:
        options["start"] = start.date()
    if seed is not None:
        options["seed"] = seed
    design = tr.TrialDesign(**options)
    problems = design.validate()
    if problems:
        raise click.UsageError("Invalid values (nothing was saved):\n" + "\n".join(
            f"  '{_OPTIONS[field]}': {message}" for field, message in problems.items()))
    session = acting(db)
    name = patient_for_writing(session, patient)
    pid = writable_patient(session, name, "plan")  # before the planner's simulation and question
    plan, check = check_design(session, pid, design, difference)
    warning = check.warning()
    if warning:
        click.echo("Warning: " + warning, err=True)
        if not yes:
            click.confirm("Save this plan anyway?", abort=True, err=True)
    trial_id = save_plan(session, pid, design, plan, check)
    if as_json:
        _json({"trial_id": trial_id, "schedule": tr.schedule_records(plan),
               "design": design.to_dict(), "planner": check.to_dict()})
        return
    click.echo(f"Trial {trial_id}: {pressure_b} against {pressure_a} pressure, "
               f"{tr.OUTCOME_LABELS[outcome].lower()}, {blocks} blocks of "
               f"{sessions_per_period} sessions per period (seed {design.seed}).")
    for sentence in check.sentences(design):
        click.echo("• " + sentence)
    _echo_schedule(tr.schedule_records(plan))


def _echo_schedule(rows: list[dict]) -> None:
    """A schedule's sessions as aligned lines: date, pressure, block and period, and for a
    trial under way (``status``'s rows) what happened, with any deviation or note."""
    lines = []
    for row in rows:
        where = f"block {row['block']}, period {row['period']}"
        if "status" in row:
            said = "; ".join(t for t in (row["deviation"], row["note"]) if t)
            where += f": {row['status']}" + (f" ({said})" if said else "")
        lines.append((row["date"], row["pressure"], where))
    for line in text_table(lines, indent="  "):
        click.echo(line)


@trial.command("status")
@one_trial
@json_option
def trial_status(db, patient, trial_id, as_json):
    """How far the trial is: sessions given, deviations, missed, and the next one."""
    _session, _pid, found = _shown_trial(db, patient, trial_id)
    status = found.status()
    if as_json:
        _json(status)
        return
    lost = status["lost"]
    if lost["text"]:  # news first: the trial may no longer be able to give a result
        click.echo("Lost period: " + lost["text"])
    lost_part = (f", {len(lost['lost_periods'])} period{'s' if len(lost['lost_periods']) > 1 else ''}"
                 " lost (no usable outcome)" if lost["lost_periods"] else "")
    click.echo(f"Trial {status['trial_id']}: {status['pressure_b']} against "
               f"{status['pressure_a']} pressure; {status['given']} of {status['planned']} "
               f"sessions given as planned, {status['deviation']} deviations, "
               f"{status['missed']} missed, {status['ahead']} to come{lost_part}"
               + (", stopped early" if status["stopped_early"] else "") + ".")
    click.echo(status["next_session_text"][0].upper() + status["next_session_text"][1:] + ".")
    _echo_schedule(status["sessions"])
    for row in status["unplanned_sessions"]:
        click.echo(f"  unplanned session {row['start']} ({row['pressure']})")


@trial.command("result")
@one_trial
@json_option
def trial_result(db, patient, trial_id, as_json):
    """The difference between the pressures with its 95 % interval and randomization p-value."""
    _session, _pid, found = _shown_trial(db, patient, trial_id)
    result = found.result()
    if as_json:
        _json(result)
        return
    if result["lost"]["text"]:
        click.echo("Lost period: " + result["lost"]["text"])
    click.echo(result["sentence"])
    a, b = result["compare"]
    click.echo(f"Sessions behind it: {a} {result['n_sessions'][a]}, {b} "
               f"{result['n_sessions'][b]}; blocks {result['n_blocks']} of "
               f"{result['blocks_planned']}; deviations {result['deviations']}, missed "
               f"{result['missed']}, unplanned {result['unplanned']}.")
    if "per_protocol" in result:
        pp = result["per_protocol"]
        figure = ("not enough data yet" if pp["estimate"] is None else
                  f"{signed(pp['estimate'])} (95 % interval {signed(pp['ci_low'])} to "
                  f"{signed(pp['ci_high'])}, p = {pp['p_value']:.3f}, {pp['n_blocks']} blocks)")
        click.echo(f"Per protocol (deviations left out): {figure}.")
    for row in result["blocks"]:
        click.echo(f"  block {row['block']} ({row['order']}): {b} {row['mean_b']:.2f} "
                   f"(n={row['n_b']}) − {a} {row['mean_a']:.2f} (n={row['n_a']}) = "
                   f"{signed(row['difference'])}")
    if result["probabilities"] is not None:
        click.echo(f"Prior of the probabilities: {result['prior']}.")
    for caveat in result["caveats"]:
        click.echo("Note: " + caveat)


@trial.command("add-block")
@one_trial
@json_option
def trial_add_block(db, patient, trial_id, as_json):
    """Add one randomized replacement block for a block that lost a period."""
    session, pid, found = _shown_trial(db, patient, trial_id, "plan")
    try:
        block = add_replacement_block(session, pid, found)
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    rows = tr.schedule_records(block)
    if as_json:
        _json({"trial_id": found.trial_id, "added": rows})
        return
    click.echo(f"Trial {found.trial_id}: replacement block {rows[0]['block']} added, its order "
               f"drawn at random ({rows[0]['pressure']} first).")
    _echo_schedule(rows)


@trial.command("stop")
@one_trial
def trial_stop(db, patient, trial_id):
    """Stop the trial early; its result then says so and uses the blocks finished."""
    session, pid, found = _shown_trial(db, patient, trial_id, "plan")
    if session.stop_trial(pid, found.trial_id):
        click.echo(f"Trial {found.trial_id} stopped on {dt.date.today():%Y-%m-%d}.")
    else:
        click.echo(f"Trial {found.trial_id} was already stopped.")
