"""A choice among a few options that is a real radio group: the 0-10 ratings and their kin.

Bokeh's RadioButtonGroup is a row of plain buttons: one Tab stop per button, no state
for assistive technology, the choice shown by colour alone.  ``ChoiceGroup`` is one
Tab stop (the chosen option; arrow keys, Home and End move the choice, and typing
an option's text chooses it: "7", "1" "0" for 10, "d" for Deep, "-" for not recorded), a
``radiogroup`` named by its visible label with a ``radio`` per option and
``aria-checked``; the chosen option is bold, outlined and underlined as well as
filled; the options wrap onto rows on a phone with targets of at least 48x44 px.
Its script is part of the page (a Panel ``JSComponent``): nothing is fetched.

A form's ratings are ``Choice`` questions drawn together by one ``ChoiceGroups`` (each
still its own radio group, Tab stop and error line): eight separate components each sent
their script and stylesheet and had BokehJS lay out the whole page again when drawn.
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
.choice-field + .choice-field { margin-top: 18px; }
.field-error { color: #B3261E; font-size: 14px; margin: 4px 0 0; }
@media (max-width: 700px) { .field-error { font-size: 16px; } }  /* a phone: at least 16 px */
"""

# One radio group, as the ESM of either component builds it: ``spec`` gives its label, hint,
# options and narrow_columns, ``get``/``set`` its value; ``key`` keeps its ids apart from the
# other groups' in the same shadow root.
GROUP_JS = """
const same = (a, b) => (a === null || a === undefined) ? (b === null || b === undefined) : a === b;

function choiceGroup(key, get, set) {
  const root = document.createElement('div');
  root.className = 'choice-field';
  const head = document.createElement('div');
  head.className = 'head';
  const label = document.createElement('span');
  label.className = 'group-label';
  label.id = `choice-label${key}`;
  const hint = document.createElement('span');
  hint.className = 'scale-anchors';
  hint.id = `choice-hint${key}`;
  head.append(label, hint);
  const group = document.createElement('div');
  group.className = 'options';
  group.setAttribute('role', 'radiogroup');
  group.setAttribute('aria-labelledby', label.id);
  const error = document.createElement('div');
  error.className = 'field-error';
  error.id = `choice-error${key}`;
  error.hidden = true;
  root.append(head, group, error);
  let radios = [], options = [];

  const current = () => {
    const i = options.findIndex(option => same(option.value, get()));
    return i < 0 ? 0 : i;
  };
  const show = () => {
    const chosen = current();
    radios.forEach((radio, i) => {
      radio.setAttribute('aria-checked', String(same(options[i].value, get())));
      radio.tabIndex = i === chosen ? 0 : -1;
    });
  };
  const choose = (i, focus) => {
    set(options[i].value);
    show();
    if (focus) radios[i].focus();
  };
  const describe = () => {
    const ids = [hint.hidden ? '' : hint.id, error.hidden ? '' : error.id].filter(Boolean);
    if (ids.length) group.setAttribute('aria-describedby', ids.join(' '));
    else group.removeAttribute('aria-describedby');
  };
  const build = spec => {
    options = spec.options;
    label.textContent = spec.label;
    hint.textContent = spec.hint || '';
    hint.hidden = !spec.hint;
    describe();
    group.style.setProperty('--columns', String(options.length));
    group.style.setProperty('--narrow-columns', String(spec.narrow_columns || options.length));
    radios = options.map((option, i) => {
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
  const showError = text => {  // text, never markup
    error.textContent = text || '';
    error.hidden = !text;
    describe();
  };
  let typed = '', typedAt = 0;
  const typeahead = key => {  // '7' chooses 7, '1' then '0' within a second 10, 'd' Deep
    const now = performance.now();
    const texts = options.map(option => String(option.text).toLowerCase());
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
    const blank = options.findIndex(option => option.value === null || option.value === undefined);
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
  return {root, build, show, showError, focus: () => radios[current()].focus()};
}
"""

CHOICE_ESM = GROUP_JS + """
export function render({ model, el }) {
  const one = choiceGroup('', () => model.value, value => { model.value = value; });
  const spec = () => ({label: model.label, hint: model.hint, options: model.options,
                       narrow_columns: model.narrow_columns});
  model.on('value', one.show);
  model.on(['options', 'label', 'hint', 'narrow_columns'], () => one.build(spec()));
  model.on('after_render', () => { if (model.autofocus) one.focus(); });
  one.build(spec());
  el.append(one.root);
}
"""

# Several groups in one component: one script and one stylesheet for a form's ratings, one
# view for BokehJS to lay out (eight components each re-laid out the whole page when drawn).
CHOICES_ESM = GROUP_JS + """
export function render({ model, el }) {
  let groups = [];
  const build = () => {
    groups = model.groups.map((spec, k) => {
      const one = choiceGroup(`-${k}`, () => model.values[k], value => {
        const values = [...model.values];
        values[k] = value;
        model.values = values;
      });
      one.build(spec);
      return one;
    });
    showErrors();
    el.replaceChildren(...groups.map(one => one.root));
  };
  const showErrors = () => groups.forEach((one, k) => one.showError(model.errors[k]));
  model.on('values', () => groups.forEach(one => one.show()));
  model.on('errors', showErrors);
  model.on('groups', build);
  model.on('after_render', () => { if (model.autofocus >= 0) groups[model.autofocus].focus(); });
  build();
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


class Choice(param.Parameterized):
    """One question of a ``ChoiceGroups``: what a form keeps as the field (its ``value``, and
    the ``error`` shown under it), drawn by the ChoiceGroups that holds it."""

    value = param.Parameter(default=None, doc="The chosen option's value (None: not recorded)")
    error = param.String(default="", doc="The problem shown under the group (text)")
    options = param.List(default=[], item_type=dict, constant=True)
    label = param.String(default="", constant=True)
    hint = param.String(default="", constant=True)
    narrow_columns = param.Integer(default=6, bounds=(1, None), constant=True)
    autofocus = param.Boolean(default=False, constant=True)

    def __init__(self, **params):
        params.setdefault("name", params.get("label", ""))
        super().__init__(**params)

    def spec(self) -> dict:
        return {"label": self.label, "hint": self.hint, "options": self.options,
                "narrow_columns": self.narrow_columns}


class ChoiceGroups(JSComponent):
    """Several ``Choice`` questions drawn one under the other as ``ChoiceGroup`` draws one
    (each its own radio group and Tab stop), with an error line under each: one script,
    one stylesheet and one view for all of them.  A choice made in the browser sets the
    ``Choice``'s value; a value or error set on a ``Choice`` is shown."""

    groups = param.List(default=[], item_type=dict, doc="Per question: label, hint, options, narrow_columns")
    values = param.List(default=[], doc="The chosen value of each question, in order")
    errors = param.List(default=[], doc="The error line of each question ('' for none)")
    autofocus = param.Integer(default=-1, doc="The question that takes the focus when drawn (-1: none)")

    _esm = CHOICES_ESM
    _stylesheets = [CHOICE_CSS]

    def __init__(self, choices, **params):
        self.choices = list(choices)
        focus = [i for i, choice in enumerate(self.choices) if choice.autofocus]
        params.setdefault("sizing_mode", "stretch_width")
        params.setdefault("margin", (5, 10))
        super().__init__(groups=[choice.spec() for choice in self.choices],
                         values=[choice.value for choice in self.choices],
                         errors=[choice.error for choice in self.choices],
                         autofocus=focus[0] if focus else -1, **params)
        for i, choice in enumerate(self.choices):
            choice.param.watch(lambda event, i=i: self._from_choice(i, event), ["value", "error"])
        self.param.watch(self._to_choices, "values")

    def _from_choice(self, i: int, event) -> None:
        name = "values" if event.name == "value" else "errors"
        current = getattr(self, name)
        if not _same(current[i], event.new):
            setattr(self, name, [event.new if k == i else v for k, v in enumerate(current)])

    def _to_choices(self, event) -> None:
        for choice, value in zip(self.choices, event.new):
            if not _same(choice.value, value):
                choice.value = value


def _same(a, b) -> bool:
    return (a is None and b is None) or (a is not None and b is not None and a == b)


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


def rating_choice(label: str, anchors: tuple[str, str] | None = None, **params) -> Choice:
    """``rating_input``'s question as a ``Choice``, for a form that draws its ratings together."""
    return Choice(label=label, hint=anchors_hint(anchors), options=rating_options(), **params)


def rating_value(widget: ChoiceGroup | Choice) -> float | None:
    return None if widget.value is None else float(widget.value)


def show_rating(widget: ChoiceGroup | Choice, value) -> None:
    widget.value = None if value is None or pd.isna(value) else int(round(value))
