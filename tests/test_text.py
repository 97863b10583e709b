"""User text escaped for HTML and for Markdown: hostile payloads come out as plain text.

Markdown is rendered with markdown-it's ``gfm-like`` preset, the one Panel's Markdown
and Alert panes use (raw HTML allowed, bare URLs linkified).
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

import pytest
from markdown_it import MarkdownIt

from dashboard.ui.text import escape_html, escape_markdown_text

PAYLOADS = [
    '<img src="x" onerror="alert(1)">',
    "<img src=x onerror=\"window.__pwned=1\">",
    "<script>window.__pwned=2</script>",
    "[click](javascript:window.__pwned=3)",
    "javascript:window.__pwned=4",
    "**bold**<b>b</b>",
    '"><svg onload=window.__pwned=5>',
    "'><a href='javascript:alert(1)'>x</a>",
    "![pic](https://evil.example/p.png)",
    "<https://evil.example/>",
    "see https://evil.example/x, www.evil.org or mail a@evil.org",
    "`code` and ``more`` and _under_ and ~~gone~~",
    "# not a heading",
    "> not a quote",
    "1. not a list",
    "- not a list either",
    "+ nor this",
    "    not code",
    "***",
    "```js\nalert(1)\n```",
    "| a | b |\n|---|---|\n| 1 | 2 |",
    "[x]: https://evil.example/ref",
    "[x] and [^1]\n\n[^1]: a footnote",
    "Term\n: a definition",
    "- [ ] a task",
    "<!-- hidden --> shown",
    "<details open ontoggle=alert(1)>",
    "&lt;b&gt; typed as entities &amp; an &#60;i&#62;",
    "a \\* backslash \\ and \\\\",
    "Ibuprofen 200 mg (tablets) — 2× a day; 100 % sure? {x} = 3!",
    "Mira O'Neil \"the best\"",
    "$$\\alpha$$ and \\(x\\)",
]


class Parsed(HTMLParser):
    """The tags, their attributes and the text of an HTML fragment."""

    def __init__(self, markup: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list]] = []
        self.text: list[str] = []
        self.comments: list[str] = []
        self.feed(markup)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, attrs))

    def handle_data(self, data):
        self.text.append(data)

    def handle_comment(self, data):
        self.comments.append(data)


def render_markdown(text: str) -> str:
    return MarkdownIt("gfm-like").enable("strikethrough").enable("table").render(text)


def collapsed(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


TEX_DELIMITERS = re.compile(r"\$\$|\\[\[\]()]")  # what the browser's TeX typesetting looks for


@pytest.mark.parametrize("payload", PAYLOADS)
def test_escaped_html_is_the_text_and_nothing_else(payload):
    escaped = escape_html(payload)
    assert not set("<>\"'") & set(escaped)
    assert html.unescape(escaped) == payload
    parsed = Parsed(f"<p>{escaped}</p>")
    assert parsed.tags == [("p", [])]
    assert "".join(parsed.text) == payload


@pytest.mark.parametrize("payload", PAYLOADS)
def test_escaped_markdown_renders_as_one_plain_paragraph(payload):
    rendered = render_markdown(escape_markdown_text(payload))
    parsed = Parsed(rendered)
    assert parsed.tags == [("p", [])], f"markup from {payload!r}: {parsed.tags}"
    assert set(parsed.comments) <= {""}
    assert "".join(parsed.text).strip() == collapsed(payload)
    assert not TEX_DELIMITERS.search(rendered)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_escaped_markdown_stays_literal_inside_a_sentence(payload):
    sentence = f"Deleted the {escape_markdown_text(payload)} at Mon 02 Nov 2026 08:00."
    parsed = Parsed(render_markdown(sentence))
    assert parsed.tags == [("p", [])]
    one_line = re.sub(r"\s+", " ", payload)
    assert "".join(parsed.text).strip() == f"Deleted the {one_line} at Mon 02 Nov 2026 08:00."


def test_unescaped_payloads_would_be_markup_or_tex():
    """The renderer really is hostile: without escaping these become tags and links."""
    assert "<img" in render_markdown(PAYLOADS[0])
    assert "<script>" in render_markdown(PAYLOADS[2])
    assert '<a href="https://evil.example/x"' in render_markdown(PAYLOADS[10])
    assert "<strong>" in render_markdown(PAYLOADS[5])
    assert TEX_DELIMITERS.search(render_markdown(PAYLOADS[-1]))


def test_no_link_is_made_from_any_url():
    rendered = render_markdown(escape_markdown_text(
        "javascript:alert(1) https://evil.example/x http://a.b www.evil.org evil.org/x a@b.org "
        "<mailto:a@b.org> <javascript:alert(1)> [x](http://a.b) [y][z]\n\n[z]: http://c.d"))
    assert "<a" not in rendered and "href" not in rendered


def test_plain_words_and_missing_values():
    assert escape_html(None) == escape_markdown_text(None) == ""
    assert escape_html(42) == escape_markdown_text(42) == "42"
    assert escape_markdown_text("Saved check in of Mon 02 Nov 2026") == "Saved check in of Mon 02 Nov 2026"
    assert escape_html("Paracetamol & codeine") == "Paracetamol &amp; codeine"
    assert escape_markdown_text("a\n\n  b\tc") == "a b c"
