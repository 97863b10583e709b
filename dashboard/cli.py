"""``fibro``: the dashboard's operations for the terminal and scripts.

Every sub-command calls the same functions the app calls.  The store is
``--db PATH``, else ``$FIBRO_DB``, else the default (see ``fibro --help``).
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from . import demo as demo_module
from .store import Store, default_db_path

DB_HELP = "Store file (or database URL). Default: $FIBRO_DB, else ~/.local/share/fibro/fibro.sqlite"


def db_option(func):
    return click.option("--db", "db", type=str, default=None, metavar="PATH", help=DB_HELP)(func)


def open_store(db: str | None) -> Store:
    return Store(db or default_db_path())


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


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main():
    """A private massage and fibromyalgia diary: log, import, export, serve the dashboard."""


@main.command()
@db_option
@click.option("--days", type=click.IntRange(1, 36500), default=demo_module.DEFAULT_DAYS,
              show_default=True, help="How many days of diary to invent.")
@click.option("--seed", type=int, default=demo_module.DEFAULT_SEED, show_default=True,
              help="The same seed gives the same diary.")
@click.option("--patient", default=demo_module.DEMO_PATIENT, show_default=True,
              help="Name of the invented patient.")
def demo(db, days, seed, patient):
    """Write a seeded, reproducible demo diary (see dashboard/demo.py for its built-in effects)."""
    store = open_store(db)
    result = demo_module.write_demo(store, patient=patient, days=days, seed=seed)
    created = ", ".join(f"{n} {kind}" for kind, n in result.created.items()) or "nothing new"
    click.echo(f"Demo diary for {patient!r} in {store.path or store.url}: {created}.")


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
        raise click.ClickException(f"{store.path or store.url} holds no diary yet; nothing to export")
    chosen = pick_patient(store, patient)
    if chosen is not None:
        pid, _name = chosen
        frames = template_frames(store.daily(pid), store.sessions(pid), store.doses(pid))
    else:
        each = [template_frames(store.daily(pid), store.sessions(pid), store.doses(pid), patient=name)
                for pid, name in zip(patients["id"], patients["name"])]
        frames = {key: pd.concat([f[key] for f in each], ignore_index=True) for key in each[0]}
    paths = write_template(frames, out)
    for path, key in zip(paths, ("daily", "sessions", "doses")):
        click.echo(f"{path}: {len(frames[key])} rows")


@main.command()
@db_option
@click.option("--port", type=click.IntRange(1, 65535), default=5006, show_default=True)
@click.option("--address", default="127.0.0.1", show_default=True,
              help="Interface to listen on; the default keeps the dashboard on this computer.")
@click.option("--show/--no-show", default=False, help="Open a browser tab.")
def serve(db, port, address, show):
    """Serve the dashboard on this store (demo data while it is empty)."""
    import panel as pn

    from .ui.app import App

    location = db or default_db_path()
    Store(location)  # fail here, with the store's own message, before the server starts

    def page():
        return App.for_store(location).template()

    click.echo(f"Serving the dashboard for {location} at http://{address}:{port}/")
    pn.serve({"app": page}, port=port, address=address, show=show, title="Fibro diary",
             websocket_origin=[f"{address}:{port}", f"localhost:{port}"])


if __name__ == "__main__":
    sys.exit(main())
