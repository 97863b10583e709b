"""Read-only tables as plain, escaped HTML.

Panel's Tabulator brings a large script, builds its rows in the browser and re-lays
out the page for each update; it was most of the Effects page's first opening.  A
read-only table needs none of that: ``table_html`` writes the first rows as an HTML
``<table>`` and the rest behind a "Show the other N rows" disclosure (a ``<details>``
element: no script, no round trip, announced as a button).  The table scrolls sideways
inside itself on a narrow screen, in a named region a keyboard can focus and scroll.

A table to pick a record from (the Log page's histories) is ``RecordTable``: the same
table drawn by a small script of the page, one page of rows at a time, with a radio per
row; ``record_page`` cuts the page the server sends out of the whole frame.
"""

from __future__ import annotations

import pandas as pd
import param
from panel.custom import JSComponent

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
  /* A phone: each row a card of "column: value" lines, so no value hides off the right
     edge (the roles in the HTML keep it a table for screen readers). */
  .table-scroll thead { position: absolute; width: 1px; height: 1px; overflow: hidden;
                        clip-path: inset(50%); white-space: nowrap; }
  .table-scroll table, .table-scroll tbody, .table-scroll tr, .table-scroll td,
  .table-scroll caption { display: block; width: auto; }
  .table-scroll tr { border: 1px solid #D9D6E5; border-radius: 8px; margin: 0 0 10px;
                     padding: 4px 0; }
  .table-scroll tbody tr:nth-child(even) td { background: none; }
  .table-scroll td { display: flex; justify-content: space-between; gap: 14px; border: none;
                     padding: 3px 12px; text-align: right; white-space: normal; }
  .table-scroll td::before { content: attr(data-label); font-weight: 600; text-align: left;
                             color: #4F4B5C; }
}
@media (pointer: coarse) { details.more-rows > summary { min-height: 44px; } }
"""


def _classes(*names) -> str:
    shown = " ".join(escape_html(n) for n in names if n)
    return f' class="{shown}"' if shown else ""


def _table(rows: pd.DataFrame, caption: str, right: set, label: str, marks: dict) -> str:
    names = [escape_html(c) for c in rows.columns]
    numbers = ["number" if column in right else "" for column in rows.columns]
    head = "".join(f'<th scope="col" role="columnheader"{_classes(a)}>{n}</th>'
                   for n, a in zip(names, numbers))
    if rows.empty:
        body = (f'<tr role="row"><td role="cell" class="empty" colspan="{max(len(names), 1)}">'
                'Nothing to show.</td></tr>')
    else:
        marked = [marks.get(column) for column in rows.columns]
        body = "".join(
            '<tr role="row">' + "".join(
                f'<td role="cell"{_classes(a, None if m is None else m[i])} data-label="{n}">'
                f"{escape_html(v)}</td>" for v, n, a, m in zip(values, names, numbers, marked))
            + "</tr>" for i, *values in rows.itertuples(index=True, name=None))
    return (f'<div class="table-scroll" role="region" aria-label="{escape_html(label)}" '
            f'tabindex="0"><table role="table"><caption>{escape_html(caption)}</caption>'
            f'<thead role="rowgroup"><tr role="row">{head}</tr></thead>'
            f'<tbody role="rowgroup">{body}</tbody></table></div>')


def table_html(rows: pd.DataFrame, label: str, right=(), css_class: str = "",
               first: int | None = 15, marks: dict | None = None) -> str:
    """``rows`` (text and numbers) as an escaped table named ``label``, columns in ``right``
    aligned right; past the ``first`` rows (None: show all), the others behind a disclosure.
    ``marks``: column -> a CSS class per row (indexed as ``rows``), e.g. a status to stand
    out; the words must say it too, not the colour alone."""
    right, total, marks = set(right), len(rows), marks or {}
    first = total if first is None else first
    if total <= first:
        count = "no rows" if not total else f"{total} row{'' if total == 1 else 's'}"
        inner = _table(rows, f"{label}: {count}", right, label, marks)
    else:
        rest = total - first
        inner = (_table(rows.iloc[:first], f"{label}: rows 1–{first} of {total}", right, label,
                        marks)
                 + f'<details class="more-rows"><summary>Show the other {rest} '
                 f'row{"" if rest == 1 else "s"}</summary>'
                 + _table(rows.iloc[first:], f"{label}: rows {first + 1}–{total} of {total}",
                          right, f"{label}, rows {first + 1} to {total}", marks)
                 + "</details>")
    return f'<div class="{escape_html(css_class)}">{inner}</div>' if css_class else inner


# --- a table of records to pick one from, paged on the server ------------------------------

RECORD_CSS = """
:host { display: block; }
.table-scroll table { font-size: 15px; }
.table-scroll caption { font-size: 15px; caption-side: bottom; padding: 6px 0 0; }
.table-scroll tbody tr { cursor: pointer; }
.table-scroll tbody td, .table-scroll tbody th { vertical-align: middle; }  /* beside the radio */
.table-scroll tbody th { font-weight: 400; text-align: left; white-space: nowrap; background: none;
                         border-bottom: 1px solid #E6E4EE; }
.table-scroll tbody tr:nth-child(even) th { background: #FAFAFC; }
.table-scroll tbody tr:hover td, .table-scroll tbody tr:hover th { background: #EEF0F8; }
.table-scroll th.pick, .table-scroll td.pick { width: 44px; padding: 0; text-align: center; }
.table-scroll td.pick label { display: flex; align-items: center; justify-content: center;
                              min-width: 36px; min-height: 32px; cursor: pointer; }
.table-scroll td.pick input { width: 18px; height: 18px; margin: 0; cursor: pointer;
                              accent-color: #1C2550; }
.table-scroll td.pick input:focus-visible { outline: 3px solid #1F1B2D; outline-offset: 2px; }
.table-scroll .notes { min-width: 12em; white-space: pre-wrap; overflow-wrap: anywhere; }
/* the chosen row: its radio, bold text, an outline and a bar at its start, not colour alone */
.table-scroll tbody tr.chosen td, .table-scroll tbody tr.chosen th {
  font-weight: 700; background: #E3E7F6; border-top: 2px solid #1C2550;
  border-bottom: 2px solid #1C2550; }
.table-scroll tbody tr.chosen td.pick { box-shadow: inset 6px 0 0 #1C2550; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden;
                   clip: rect(0 0 0 0); clip-path: inset(50%); white-space: nowrap; }
.pager { display: flex; flex-wrap: wrap; align-items: center; gap: 8px 12px; margin: 6px 0 2px; }
.pager > .where { font-size: 15px; color: #3F3D50; }
.pager > button { min-width: 96px; min-height: 40px; padding: 4px 14px; margin: 0; font: inherit;
                  font-size: 15px; color: #1F1B2D; background: #FFFFFF; border: 2px solid #8A86A0;
                  border-radius: 8px; cursor: pointer; }
.pager > button:hover:not(:disabled) { background: #EEF0F8; }
.pager > button:disabled { color: #6E6A7C; border-style: dashed; cursor: default; }
.pager > button:focus-visible { outline: 3px solid #1F1B2D; outline-offset: 3px; }
@media (max-width: 700px) {  /* a phone: text at least 16 px; a card's radio beside its date */
  .table-scroll table, .table-scroll caption, .pager > .where, .pager > button { font-size: 16px; }
  .table-scroll tbody td.pick, .table-scroll tbody th { display: inline-flex; align-items: center;
                                                        border: none; background: none; }
  .table-scroll tbody td.pick::before { content: none; }
  .table-scroll tbody th, .table-scroll tbody tr:nth-child(even) th { padding: 0 8px;
                                                                      font-weight: 600; background: none; }
}
@media (pointer: coarse) {  /* touch: targets at least 44 px */
  .table-scroll td.pick label { min-width: 44px; min-height: 44px; }
  .table-scroll td.pick input { width: 22px; height: 22px; }
  .pager > button { min-height: 44px; }
}
"""

RECORD_ESM = """
export function render({ model, el }) {
  const region = document.createElement('div');
  region.className = 'table-scroll';
  region.setAttribute('role', 'region');
  region.tabIndex = 0;  // a keyboard can scroll a wide table sideways
  const table = document.createElement('table');
  const caption = document.createElement('caption');
  const head = document.createElement('thead');
  const body = document.createElement('tbody');
  table.append(caption, head, body);
  region.append(table);
  const pager = document.createElement('div');
  pager.className = 'pager';
  const button = (text, step) => {
    const b = document.createElement('button');
    b.type = 'button';
    b.textContent = text;
    b.addEventListener('click', () => {
      const page = model.page + step;
      if (page >= 1 && page <= model.pages) model.page = page;
    });
    return b;
  };
  const previous = button('Previous', -1), next = button('Next', 1);
  const where = document.createElement('span');
  where.className = 'where';
  where.setAttribute('aria-live', 'polite');
  pager.append(previous, next, where);
  let radios = [];

  const cell = (tag, text, column) => {
    const c = document.createElement(tag);
    c.textContent = text;  // text, never markup: notes are what people typed
    if (column.number) c.classList.add('number');
    if (column.wide) c.classList.add('notes');
    if (column.field) c.dataset.field = column.field;
    if (column.title) c.dataset.label = column.title;  // a phone's card: 'column: value'
    return c;
  };
  const buildHead = () => {
    const row = document.createElement('tr');
    const pick = document.createElement('th');
    pick.scope = 'col';
    pick.className = 'pick';
    const hidden = document.createElement('span');
    hidden.className = 'visually-hidden';
    hidden.textContent = 'Select';
    pick.append(hidden);
    row.append(pick, ...model.columns.map(column => {
      const th = cell('th', column.title, column);
      th.scope = 'col';
      if (column.sort) th.setAttribute('aria-sort', column.sort);
      return th;
    }));
    head.replaceChildren(row);
  };
  const choose = (id, radio) => {
    if (model.selected !== id) model.selected = id;
    show();
    if (radio && radio.getRootNode().activeElement !== radio) radio.focus({preventScroll: true});
  };
  const buildBody = () => {
    radios = [];
    if (!model.rows.length) {
      const row = document.createElement('tr');
      const empty = document.createElement('td');
      empty.className = 'empty';
      empty.colSpan = model.columns.length + 1;
      empty.textContent = 'Nothing to show.';
      row.append(empty);
      body.replaceChildren(row);
      return;
    }
    body.replaceChildren(...model.rows.map(record => {
      const row = document.createElement('tr');
      row.dataset.id = String(record.id);
      const pick = document.createElement('td');
      pick.className = 'pick';
      const label = document.createElement('label');
      const radio = document.createElement('input');
      radio.type = 'radio';
      radio.name = 'record';
      radio.value = String(record.id);
      radio.setAttribute('aria-label', record.name);
      radio.addEventListener('change', () => { if (radio.checked) choose(record.id, null); });
      radios.push(radio);
      label.append(radio);
      pick.append(label);
      const cells = record.cells.map((text, i) => {
        const column = model.columns[i] || {};
        const c = cell(i === 0 ? 'th' : 'td', text, column);
        if (i === 0) c.scope = 'row';
        return c;
      });
      row.append(pick, ...cells);
      row.addEventListener('click', () => choose(record.id, radio));
      return row;
    }));
  };
  const show = () => {
    for (const radio of radios) {
      const chosen = Number(radio.value) === model.selected;
      radio.checked = chosen;
      radio.closest('tr').classList.toggle('chosen', chosen);
    }
  };
  const showPlace = () => {
    const first = model.total ? (model.page - 1) * model.page_size + 1 : 0;
    const last = model.total ? first + model.rows.length - 1 : 0;
    caption.textContent = model.total
      ? `${model.label}: ${first}–${last} of ${model.total}`
      : `${model.label}: none in the days and filters shown`;
    region.setAttribute('aria-label', model.label);
    where.textContent = `Page ${model.page} of ${model.pages}` + (model.order ? `, ${model.order}` : '');
    const focused = el.getRootNode().activeElement;
    previous.disabled = model.page <= 1;
    next.disabled = model.page >= model.pages;
    if (focused === next && next.disabled && !previous.disabled) previous.focus();
    if (focused === previous && previous.disabled && !next.disabled) next.focus();
  };
  let pending = false;
  const redraw = () => {  // one redraw for the several changes of one update
    if (pending) return;
    pending = true;
    queueMicrotask(() => { pending = false; buildBody(); show(); showPlace(); });
  };
  model.on('columns', () => { buildHead(); redraw(); });
  model.on(['rows', 'page', 'pages', 'total', 'page_size', 'label', 'order'], redraw);
  model.on('selected', show);
  buildHead();
  buildBody();
  show();
  showPlace();
  el.append(region, pager);
}
"""


class RecordTable(JSComponent):
    """One page of records as a real ``<table>`` to pick one from: a radio per row (one
    radio group: one Tab stop, arrow keys move the choice; a click anywhere on a row
    picks it), the picked row bold and outlined as well as tinted, and Previous/Next
    buttons that ask the server for another page; only the shown page is sent.  Cell
    text is set as text.  Its script is part of the page: nothing is fetched."""

    columns = param.List(default=[], item_type=dict, doc=(
        "Per shown column: 'title', 'field' (for tests), 'number' (aligned right), 'wide' "
        "(notes), 'sort' (the column the rows are sorted by: 'descending' or 'ascending')"))
    rows = param.List(default=[], item_type=dict, doc=(
        "The shown page: per row its record 'id', the radio's 'name' and its 'cells' as text"))
    selected = param.Integer(default=None, allow_None=True, doc="The picked record's id")
    page = param.Integer(default=1, bounds=(1, None))
    pages = param.Integer(default=1, bounds=(1, None))
    total = param.Integer(default=0, bounds=(0, None), doc="Rows on all pages")
    page_size = param.Integer(default=10, bounds=(1, None))
    label = param.String(default="", doc="The table's name, at the start of its caption")
    order = param.String(default="", doc="Beside the page number: e.g. 'newest first'")

    _esm = RECORD_ESM
    _stylesheets = [TABLE_CSS, RECORD_CSS]

    def __init__(self, **params):
        params.setdefault("sizing_mode", "stretch_width")
        params.setdefault("margin", (5, 10))
        super().__init__(**params)


def cell_text(value) -> str:
    """A value as a table shows it: blank when missing, 7 rather than 7.0."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def record_page(frame: pd.DataFrame, page: int, page_size: int, name) -> dict:
    """What a ``RecordTable`` shows of ``frame`` (an ``id`` column, then the shown columns in
    order) on ``page`` (kept between 1 and the last page): its ``rows`` as text, each with
    ``name(row)`` for its radio, and ``page``, ``pages`` and ``total``."""
    total = len(frame)
    pages = max(1, -(-total // page_size))
    page = min(max(1, int(page)), pages)
    shown = frame.iloc[(page - 1) * page_size: page * page_size]
    columns = [c for c in shown.columns if c != "id"]
    rows = [{"id": int(row["id"]), "name": name(row), "cells": [cell_text(row[c]) for c in columns]}
            for _, row in shown.iterrows()]
    return {"rows": rows, "page": page, "pages": pages, "total": total}
