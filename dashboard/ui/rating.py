"""A choice among a few options that is a real radio group: the 0-10 ratings and their kin.

Bokeh's RadioButtonGroup is a row of plain buttons: one Tab stop per button, no state
for assistive technology, the choice shown by colour alone.  ``ChoiceGroup`` is one
Tab stop (the chosen option; arrow keys, Home and End move the choice, and typing
an option's text chooses it: "7", "1" "0" for 10, "d" for Deep, "-" for not recorded), a
``radiogroup`` named by its visible label with a ``radio`` per option and
``aria-checked``; the chosen option is bold, outlined and underlined as well as
filled; the options wrap onto rows on a phone with targets of at least 48x44 px.
Its script is part of the page (a Panel ``JSComponent``): nothing is fetched.
"""

from __future__ import annotations

import pandas as pd
import param
from panel.custom import JSComponent

from .. import domain

NOT_RECORDED = "not recorded"
BLANK = "–"

CHOICE_CSS = """
/* ".options >" outweighs the design's own button rules, which a page built after loading gets last */
:host { display: block; }
.head { display: flex; flex-wrap: wrap; align-items: baseline; gap: 2px 12px; margin: 8px 0 6px; }
.group-label { font-size: 16px; font-weight: 600; color: #1F1B2D; }
.scale-anchors { font-size: 15px; color: #4F4B5C; }
@media (max-width: 700px) { .scale-anchors { font-size: 16px; } }  /* a phone: at least 16 px */
.options { display: grid; gap: 6px; grid-template-columns: repeat(var(--columns), minmax(44px, 1fr)); }
@media (max-width: 700px) {
  .options { grid-template-columns: repeat(var(--narrow-columns), minmax(44px, 1fr)); }
}
.options > button { position: relative; min-width: 44px; min-height: 48px; padding: 4px 6px; margin: 0;
         font: inherit; font-size: 17px; line-height: 1.2; color: #1F1B2D; background: #FFFFFF;
         border: 2px solid #8A86A0; border-radius: 8px; cursor: pointer; }
.options > button:hover { background: #EEF0F8; }
.options > button[aria-checked="true"] { font-weight: 700; color: #FFFFFF; background: #4A5FA8;
                              border: 3px solid #1C2550; }
.options > button[aria-checked="true"]::after { content: ""; position: absolute; left: 25%; right: 25%;
                                     bottom: 5px; height: 3px; border-radius: 2px; background: #FFFFFF; }
/* "not recorded" chosen is quieter than a figure: a form of blanks does not look filled in */
.options > button.blank[aria-checked="true"] { color: #1F1B2D; background: #E4E2EC; }
.options > button.blank[aria-checked="true"]::after { background: #1C2550; }
.options > button:focus-visible { outline: 3px solid #1F1B2D; outline-offset: 3px; }
"""

CHOICE_ESM = """
const same = (a, b) => (a === null || a === undefined) ? (b === null || b === undefined) : a === b;

export function render({ model, el }) {
  const head = document.createElement('div');
  head.className = 'head';
  const label = document.createElement('span');
  label.className = 'group-label';
  label.id = 'choice-label';
  const hint = document.createElement('span');
  hint.className = 'scale-anchors';
  hint.id = 'choice-hint';
  head.append(label, hint);
  const group = document.createElement('div');
  group.className = 'options';
  group.setAttribute('role', 'radiogroup');
  group.setAttribute('aria-labelledby', 'choice-label');
  let radios = [];

  const current = () => {
    const i = model.options.findIndex(option => same(option.value, model.value));
    return i < 0 ? 0 : i;
  };
  const show = () => {
    const chosen = current();
    radios.forEach((radio, i) => {
      const checked = same(model.options[i].value, model.value);
      radio.setAttribute('aria-checked', String(checked));
      radio.tabIndex = i === chosen ? 0 : -1;
    });
  };
  const choose = (i, focus) => {
    model.value = model.options[i].value;
    show();
    if (focus) radios[i].focus();
  };
  const build = () => {
    label.textContent = model.label;
    hint.textContent = model.hint;
    hint.hidden = !model.hint;
    if (model.hint) group.setAttribute('aria-describedby', 'choice-hint');
    else group.removeAttribute('aria-describedby');
    group.style.setProperty('--columns', String(model.options.length));
    group.style.setProperty('--narrow-columns', String(model.narrow_columns || model.options.length));
    radios = model.options.map((option, i) => {
      const radio = document.createElement('button');
      radio.type = 'button';
      radio.setAttribute('role', 'radio');
      radio.textContent = option.text;
      if (option.name) radio.setAttribute('aria-label', option.name);
      if (option.value === null || option.value === undefined) radio.classList.add('blank');
      radio.addEventListener('click', () => choose(i, true));
      return radio;
    });
    group.replaceChildren(...radios);
    show();
  };
  let typed = '', typedAt = 0;
  const typeahead = key => {  // '7' chooses 7, '1' then '0' within a second 10, 'd' Deep
    const now = performance.now();
    const texts = model.options.map(option => String(option.text).toLowerCase());
    const find = text => {
      const exact = texts.indexOf(text);
      return exact >= 0 ? exact : texts.findIndex(t => t.startsWith(text));
    };
    typed = (now - typedAt < 1000 ? typed : '') + key;
    typedAt = now;
    let j = find(typed);
    if (j < 0) { typed = key; j = find(typed); }
    return j;
  };
  group.addEventListener('keydown', event => {
    const i = radios.indexOf(event.target);
    if (i < 0 || event.altKey || event.ctrlKey || event.metaKey) return;
    const n = radios.length;
    const blank = model.options.findIndex(option => option.value === null || option.value === undefined);
    let j = -1;
    if ((event.key === 'Backspace' || event.key === 'Delete' || event.key === '-') && blank >= 0) j = blank;
    else if (event.key.length === 1 && event.key !== ' ') j = typeahead(event.key.toLowerCase());
    if (j >= 0) {
      event.preventDefault();
      choose(j, true);
      return;
    }
    const moves = {ArrowRight: i + 1, ArrowDown: i + 1, ArrowLeft: i - 1 + n, ArrowUp: i - 1 + n,
                   Home: 0, End: n - 1, ' ': i, Enter: i};
    if (!(event.key in moves)) return;
    event.preventDefault();
    choose(moves[event.key] % n, true);
  });
  model.on('value', show);
  model.on(['options', 'label', 'hint', 'narrow_columns'], build);
  model.on('after_render', () => {
    if (model.autofocus) radios[current()].focus();
  });
  build();
  el.append(head, group);
}
"""


class ChoiceGroup(JSComponent):
    """One choice among ``options`` (dicts of ``text`` shown, ``value`` and optional
    ``name`` read out), labelled ``label``, with ``hint`` (what the ends mean) beside it."""

    value = param.Parameter(default=None, doc="The chosen option's value (None: not recorded)")
    options = param.List(default=[], item_type=dict)
    label = param.String(default="", doc="The group's visible label and accessible name")
    hint = param.String(default="", doc="Beside the label: what 0 and 10 mean")
    narrow_columns = param.Integer(default=6, bounds=(1, None),
                                   doc="Options per row on a phone-sized screen")
    autofocus = param.Boolean(default=False, doc="Take the keyboard focus when drawn")

    _esm = CHOICE_ESM
    _stylesheets = [CHOICE_CSS]

    def __init__(self, **params):
        params.setdefault("sizing_mode", "stretch_width")
        params.setdefault("margin", (5, 10))
        params.setdefault("name", params.get("label", ""))
        super().__init__(**params)


def rating_options(low: int = domain.RATING_MIN, high: int = domain.RATING_MAX) -> list[dict]:
    """"–" (not recorded), then every whole number from ``low`` to ``high``."""
    return [{"text": BLANK, "value": None, "name": NOT_RECORDED},
            *({"text": str(n), "value": n} for n in range(low, high + 1))]


def anchors_hint(anchors: tuple[str, str] | None) -> str:
    """'0 = none · 10 = worst · – = not recorded' (what the ends and the dash mean)."""
    ends = f"{domain.anchors_text(anchors)} · " if anchors else ""
    return f"{ends}{BLANK} = {NOT_RECORDED}"


def rating_input(label: str, anchors: tuple[str, str] | None = None, **params) -> ChoiceGroup:
    """A 0-10 rating plus "–" for not recorded, with what 0 and 10 mean beside its label."""
    return ChoiceGroup(label=label, hint=anchors_hint(anchors), options=rating_options(), **params)


def rating_value(widget: ChoiceGroup) -> float | None:
    return None if widget.value is None else float(widget.value)


def show_rating(widget: ChoiceGroup, value) -> None:
    widget.value = None if value is None or pd.isna(value) else int(round(value))
