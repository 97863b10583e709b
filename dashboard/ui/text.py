"""Text from people and files on its way into a page: shown literally, never run or linked.

Everything a person types or a file brings (notes, medicine and patient names,
therapists, techniques, reasons, import messages and file names) reaches the
browser through two kinds of Panel pane, and each needs its own escaping:

- ``pn.pane.HTML`` inserts its text as HTML (and runs any ``<script>`` in it):
  ``escape_html``.
- ``pn.pane.Markdown`` and ``pn.pane.Alert`` render Markdown with raw HTML
  allowed and bare URLs turned into links (markdown-it's ``gfm-like`` preset),
  and then typeset TeX between ``$$``, ``\\(`` or ``\\[`` delimiters in the browser
  (their ``disable_math`` is never sent to the browser in Panel 1.9):
  ``escape_markdown_text``.

Widget options, Bokeh ``@field`` tooltips and the Log's history table (``RecordTable``
sets cells with ``textContent``) show text as text already; ``table_html`` escapes.
"""

from __future__ import annotations

import html
import re
import string

# html.escape's five characters become entities; every other ASCII punctuation character
# (CommonMark lets any of them be backslash-escaped) loses its Markdown meaning.
_HTML_SPECIAL = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#x27;"}
_MARKDOWN_LITERAL = {ord(c): _HTML_SPECIAL.get(c, "\\" + c) for c in string.punctuation}
# The TeX delimiters all start with one of these; an empty HTML comment after each keeps
# the browser's typesetting from finding a delimiter, and shows nothing.
_MARKDOWN_LITERAL.update({ord(c): f"\\{c}<!---->" for c in "$\\"})
_WHITESPACE = re.compile(r"\s+")


def _as_text(value) -> str:
    return "" if value is None else str(value)


def escape_html(value) -> str:
    """``value`` as text inside HTML: ``& < > " '`` as entities (``html.escape``); None is ''."""
    return html.escape(_as_text(value), quote=True)


def escape_markdown_text(value) -> str:
    """``value`` shown literally by a Markdown pane, inside or outside a sentence.

    ``& < > " '`` become entities as in ``escape_html``, so no tag survives;
    every other ASCII punctuation character is backslash-escaped, so no emphasis,
    code, link or image (``[x](javascript:...)``), heading, quote, list, table,
    footnote or autolink forms, and a bare ``https://...``, ``www.x.org`` or
    ``javascript:...`` is not made a link (the escapes split it for the linkifier);
    ``$`` and ``\\`` are followed by an empty comment, so no TeX is typeset.
    Runs of white space become one space, so the text cannot start a block of
    its own (an indented code block, a heading or list on a new line).
    """
    return _WHITESPACE.sub(" ", _as_text(value)).translate(_MARKDOWN_LITERAL)
