"""Fonts embedded in the report, and user text made safe for reportlab's paragraph markup.

DejaVu Sans ships inside matplotlib (``mpl-data/fonts/ttf``), so it is on every
machine that can draw the chart; it covers Latin, Greek, Cyrillic and more.  A
character it lacks (Chinese, say) is drawn with the first TrueType font on this
computer that has it; when none has it, with a tiny font made here that draws it
as an empty box, so the character stays in the PDF's text (it can be searched and
copied: reportlab would write code 0 for a glyph its font lacks) and the report says
it could not be drawn.
"""

from __future__ import annotations

import functools
import io
import re
import threading
from pathlib import Path
from xml.sax.saxutils import escape

import matplotlib
from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

FONT_DIR = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
REGULAR, BOLD = "FibroSans", "FibroSans-Bold"
FONT_FILES = {REGULAR: FONT_DIR / "DejaVuSans.ttf", BOLD: FONT_DIR / "DejaVuSans-Bold.ttf"}

_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_lock = threading.Lock()


@functools.cache
def register() -> None:
    """Register the embedded fonts with reportlab once per process."""
    for name, path in FONT_FILES.items():
        pdfmetrics.registerFont(TTFont(name, str(path)))
    pdfmetrics.registerFontFamily(REGULAR, normal=REGULAR, bold=BOLD, italic=REGULAR,
                                  boldItalic=BOLD)
    for bold in (0, 1):
        for italic in (0, 1):
            addMapping(REGULAR, bold, italic, BOLD if bold else REGULAR)


def _has_glyph(font_name: str, char: str) -> bool:
    return ord(char) in pdfmetrics.getFont(font_name).face.charToGlyph


@functools.cache
def _system_fonts() -> tuple[Path, ...]:
    """TrueType (glyf-outline) font files on this computer, as matplotlib finds them."""
    from matplotlib import font_manager

    return tuple(sorted(Path(p) for p in font_manager.findSystemFonts(fontext="ttf")
                        if p.lower().endswith(".ttf")))


@functools.cache
def fallback_for(char: str) -> str | None:
    """The registered name of a system font that draws ``char``, or None when none does."""
    from fontTools.ttLib import TTFont as ToolsFont

    for path in _system_fonts():
        try:
            with ToolsFont(path, lazy=True) as font:
                if "glyf" not in font or ord(char) not in (font.getBestCmap() or {}):
                    continue
        except Exception:  # an unreadable font file is simply not a candidate
            continue
        name = "Fallback-" + re.sub(r"\W", "", path.stem)
        with _lock:
            try:
                pdfmetrics.getFont(name)
            except KeyError:
                pdfmetrics.registerFont(TTFont(name, str(path)))
        return name
    return None


@functools.cache
def box_font_for(char: str) -> str:
    """The registered name of a one-glyph TrueType font drawing ``char`` as an empty box."""
    from fontTools.fontBuilder import FontBuilder
    from fontTools.pens.ttGlyphPen import TTGlyphPen

    name = f"FibroBox-{ord(char):04X}"
    pen = TTGlyphPen(None)
    for box in ((80, -60, 920, 760), (150, 10, 850, 690)):  # outer clockwise, inner counter
        left, bottom, right, top = box
        corners = [(left, bottom), (left, top), (right, top), (right, bottom)]
        if box[0] == 150:
            corners.reverse()
        pen.moveTo(corners[0])
        for corner in corners[1:]:
            pen.lineTo(corner)
        pen.closePath()
    builder = FontBuilder(1000, isTTF=True)
    builder.setupGlyphOrder([".notdef", "box"])
    builder.setupCharacterMap({ord(char): "box"})
    builder.setupGlyf({".notdef": TTGlyphPen(None).glyph(), "box": pen.glyph()})
    builder.setupHorizontalMetrics({".notdef": (500, 0), "box": (1000, 80)})
    builder.setupHorizontalHeader(ascent=800, descent=-200)
    builder.setupNameTable({"familyName": name, "styleName": "Regular", "psName": name})
    builder.setupOS2(sTypoAscender=800, sTypoDescender=-200, usWinAscent=800, usWinDescent=200)
    builder.setupPost()
    data = io.BytesIO()
    builder.save(data)
    data.seek(0)
    with _lock:
        pdfmetrics.registerFont(TTFont(name, data))
    return name


def undrawable(text: str) -> str:
    """The characters of ``text`` no available font can draw (each once, in order)."""
    register()
    seen = dict.fromkeys(c for c in text if c.isprintable() and not c.isspace()
                         and not _has_glyph(REGULAR, c) and fallback_for(c) is None)
    return "".join(seen)


def markup(text: object) -> str:
    """``text`` as literal paragraph content: markup escaped, control characters removed,
    characters DejaVu lacks wrapped in a fallback font that has them."""
    register()
    plain = _CONTROLS.sub(" ", "" if text is None else str(text))
    out = []
    for char in plain:
        piece = escape(char)
        if not char.isspace() and not _has_glyph(REGULAR, char):
            font = fallback_for(char) or box_font_for(char)
            piece = f'<font name="{font}">{piece}</font>'
        out.append(piece)
    return "".join(out)
