"""The hosted mode's lists as escaped tables: accounts, grants, links, who opened what, the
sessions since a visit, the therapist's patients; and the accounts' stored times (UTC) in
the server's own time zone, named."""

from __future__ import annotations

import datetime as dt
import html

import pandas as pd

from .tables import TABLE_CSS, table_html


def account_time(value) -> str:
    """A stored account time (naive UTC) in the server's own time zone, named:
    '06 Dec 2026 16:05 CET'.  The diary's own times are local already and shown as stored."""
    if value is None or pd.isna(value):
        return "—"
    local = pd.Timestamp(value).tz_localize("UTC").to_pydatetime().astimezone()
    return f"{local:%d %b %Y %H:%M} {server_zone(local)}"


def server_zone(moment: dt.datetime | None = None) -> str:
    """The server's time zone name at ``moment`` (now): 'CET', or 'UTC+05:30' where the
    system has no name for it."""
    moment = moment or dt.datetime.now().astimezone()
    name, offset = moment.strftime("%Z"), moment.strftime("%z")
    return name if name and name[0] not in "+-" else f"UTC{offset[:3]}:{offset[3:]}"


def html_table(frame: pd.DataFrame, columns: dict[str, str], css_class: str, label: str,
               first: int = 15) -> str:
    """An escaped table (``tables.table_html``: a card per row on a phone) of ``frame``'s
    ``columns`` (frame column -> heading), named ``label``, in a ``css_class`` box."""
    if frame.empty:
        return f"<p class='none {html.escape(css_class)}'>None yet.</p>"
    shown = pd.DataFrame({heading: [_cell(v) for v in frame[column]]
                          for column, heading in columns.items()})
    return table_html(shown, label, css_class=css_class, first=first)


def _cell(value) -> str:
    if isinstance(value, (pd.Timestamp, dt.datetime)):
        return account_time(value)
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "—"
    return str(value)


LIST_CSS = TABLE_CSS + """
.none { color: #5A5A6E; }
.link-url { font-family: monospace; word-break: break-all; background: #F2F1F8; padding: 8px; }
.note { color: #4F4B5C; }
"""
