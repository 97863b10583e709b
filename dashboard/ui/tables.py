"""Read-only tables as plain, escaped HTML.

Panel's Tabulator brings a large script, builds its rows in the browser and re-lays
out the page for each update; it was most of the Effects page's first opening.  A
read-only table needs none of that: ``table_html`` writes the first rows as an HTML
``<table>`` and the rest behind a "Show the other N rows" disclosure (a ``<details>``
element: no script, no round trip, announced as a button).  The table scrolls sideways
inside itself on a narrow screen, in a named region a keyboard can focus and scroll.
"""

from __future__ import annotations

import pandas as pd

from .text import escape_html

TABLE_CSS = """
.table-scroll { overflow-x: auto; max-width: 100%; margin: 4px 0; }
.table-scroll:focus-visible { outline: 2px solid #4C4A8A; outline-offset: 2px; }
.table-scroll table { border-collapse: collapse; width: 100%; font-size: 15px; color: #2F2F3F; }
.table-scroll caption { text-align: left; font-size: 14px; color: #5A5A6E; padding: 2px 0 6px; }
.table-scroll th { text-align: left; font-weight: 600; background: #F2F1F7;
                   border-bottom: 2px solid #CFCBE0; }
.table-scroll th, .table-scroll td { padding: 6px 10px; vertical-align: top; }
.table-scroll td { border-bottom: 1px solid #E6E4EE; }
.table-scroll tbody tr:nth-child(even) td { background: #FAFAFC; }
.table-scroll .number { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.table-scroll .empty { color: #5A5A6E; font-style: italic; }
details.more-rows > summary { cursor: pointer; color: #3F3D7A; font-size: 15px; padding: 8px 0;
                              min-height: 28px; }
@media (max-width: 700px) {
  .table-scroll table, .table-scroll caption, details.more-rows > summary { font-size: 16px; }
}
@media (pointer: coarse) { details.more-rows > summary { min-height: 44px; } }
"""


def _table(rows: pd.DataFrame, caption: str, right: set, label: str) -> str:
    align = [' class="number"' if column in right else "" for column in rows.columns]
    head = "".join(f'<th scope="col"{a}>{escape_html(c)}</th>' for c, a in zip(rows.columns, align))
    if rows.empty:
        body = (f'<tr><td class="empty" colspan="{max(len(rows.columns), 1)}">Nothing to show.'
                '</td></tr>')
    else:
        body = "".join(
            "<tr>" + "".join(f"<td{a}>{escape_html(v)}</td>" for v, a in zip(values, align))
            + "</tr>" for values in rows.itertuples(index=False, name=None))
    return (f'<div class="table-scroll" role="region" aria-label="{escape_html(label)}" '
            f'tabindex="0"><table><caption>{escape_html(caption)}</caption>'
            f'<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>')


def table_html(rows: pd.DataFrame, label: str, right=(), css_class: str = "",
               first: int = 15) -> str:
    """``rows`` (text and numbers) as an escaped table named ``label``, columns in ``right``
    aligned right; past the ``first`` rows, the others behind a disclosure."""
    right, total = set(right), len(rows)
    if total <= first:
        count = "no rows" if not total else f"{total} row{'' if total == 1 else 's'}"
        inner = _table(rows, f"{label}: {count}", right, label)
    else:
        rest = total - first
        inner = (_table(rows.iloc[:first], f"{label}: rows 1–{first} of {total}", right, label)
                 + f'<details class="more-rows"><summary>Show the other {rest} '
                 f'row{"" if rest == 1 else "s"}</summary>'
                 + _table(rows.iloc[first:], f"{label}: rows {first + 1}–{total} of {total}",
                          right, f"{label}, rows {first + 1} to {total}")
                 + "</details>")
    return f'<div class="{escape_html(css_class)}">{inner}</div>' if css_class else inner
