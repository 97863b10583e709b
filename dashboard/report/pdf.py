"""The report as a PDF, laid out with reportlab's platypus (tables, flowing text, TrueType fonts).

Every piece of text from the diary (the patient's and therapists' names, areas) goes
through ``fonts.markup``, so reportlab's paragraph mini-markup (``<b>``, ``&amp;``...)
in it is shown as typed, never interpreted.  Nothing here touches the network.
"""

from __future__ import annotations

import io
import os
import threading
from pathlib import Path

import pandas as pd
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, LETTER
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import inch, mm
from reportlab.platypus import (CondPageBreak, Image, KeepTogether, Paragraph, SimpleDocTemplate,
                                Table, TableStyle)

from .. import domain
from ..analysis import effects as fx
from ..formatting import day, number, p_text, signed
from ..wording import log_more, plural
from ..analysis import scores
from . import chart
from .content import DISCLAIMER, MAX_SESSION_ROWS, SECTION_TITLES, Report
from .fonts import BOLD, REGULAR, markup, register, undrawable

PAPERS = {"a4": A4, "letter": LETTER}
# Territories whose usual paper is US Letter (CLDR's list); every other locale gets A4.
LETTER_TERRITORIES = frozenset({"US", "CA", "MX", "PH", "CL", "CO", "CR", "GT", "PA", "PR",
                                "SV", "VE", "DO", "NI", "BZ"})
MARGIN = 14 * mm
MAX_MONTHS = 12  # medication months listed; older ones are summed up in a sentence
INK, MUTED, RULE, ZEBRA = (colors.HexColor(c) for c in ("#1F1F1F", "#555555", "#BBBBBB", "#F2F2F2"))
PRESSURE_GLYPHS = {"circle": "●", "square": "■", "triangle": "▲", "diamond": "◆"}
AUDIENCE_TITLES = {"therapist": "for the massage therapist", "doctor": "for the doctor"}

_render_lock = threading.Lock()  # reportlab keeps font subsets in shared objects


def paper_for_locale(environ=os.environ) -> str:
    """'letter' where the locale's territory uses US Letter (LC_ALL, LC_PAPER, LANG), else 'a4'."""
    for name in ("LC_ALL", "LC_PAPER", "LANG"):
        value = environ.get(name, "")
        if value and value not in ("C", "POSIX") and not value.startswith("C."):
            territory = value.split(".")[0].split("@")[0].partition("_")[2].upper()
            return "letter" if territory in LETTER_TERRITORIES else "a4"
    return "a4"


def _styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("body", fontName=REGULAR, fontSize=8.5, leading=11, textColor=INK)
    return {
        "body": base,
        "small": ParagraphStyle("small", parent=base, fontSize=7.5, leading=9.5, textColor=MUTED),
        "cell": ParagraphStyle("cell", parent=base, fontSize=7.8, leading=9.6),
        "head": ParagraphStyle("head", parent=base, fontName=BOLD, fontSize=7.8, leading=9.6),
        "title": ParagraphStyle("title", parent=base, fontName=BOLD, fontSize=15, leading=19),
        "h2": ParagraphStyle("h2", parent=base, fontName=BOLD, fontSize=11, leading=14,
                             spaceBefore=8, spaceAfter=3),
    }


CELL_CHARS = 80  # a name longer than this is cut in the report ('…'); the export keeps it whole


def cut(text, limit: int = CELL_CHARS) -> str:
    """``text`` at most ``limit`` characters ('…' at the end when cut): one table row must fit
    a page (a 20,000-character therapist name stopped the PDF with a LayoutError)."""
    text = "" if text is None else str(text)
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _pressure(pressure: str) -> str:
    glyph = PRESSURE_GLYPHS[domain.PRESSURE_MARKERS.get(pressure, "diamond")]
    color = domain.PRESSURE_COLORS.get(pressure, "#999999")
    label = domain.PRESSURE_LABELS.get(pressure, pressure)
    return f'<font color="{color}">{glyph}</font> {markup(label)}'


class _Builder:
    """Turns a ``Report`` into platypus flowables, one method per section."""

    def __init__(self, report: Report, width: float):
        self.r = report
        self.width = width
        self.s = _styles()

    def p(self, text: str, style: str = "body") -> Paragraph:
        return Paragraph(text, self.s[style])

    def table(self, rows: list[list[str]], widths: list[float], emphasised=()) -> Table:
        """A table of paragraph cells (markup already safe); the first row is the header."""
        cells = [[self.p(c, "head" if i == 0 else "cell") for c in row] for i, row in enumerate(rows)]
        total = sum(widths)
        t = Table(cells, colWidths=[self.width * w / total for w in widths], repeatRows=1,
                  hAlign="LEFT")
        style = [("VALIGN", (0, 0), (-1, -1), "TOP"),
                 ("FONTNAME", (0, 0), (-1, -1), REGULAR),  # else reportlab selects Helvetica
                 ("LINEBELOW", (0, 0), (-1, 0), 0.8, INK),
                 ("LINEBELOW", (0, -1), (-1, -1), 0.5, RULE),
                 ("TOPPADDING", (0, 0), (-1, -1), 1.5), ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
                 ("LEFTPADDING", (0, 0), (-1, -1), 3), ("RIGHTPADDING", (0, 0), (-1, -1), 3)]
        style += [("BACKGROUND", (0, i), (-1, i), ZEBRA) for i in range(2, len(rows), 2)]
        style += [("BOX", cell, cell, 0.9, INK) for cell in emphasised]
        t.setStyle(TableStyle(style))
        return t

    def heading(self, key: str) -> Paragraph:
        return self.p(markup(SECTION_TITLES[key]), "h2")

    # --- sections ---------------------------------------------------------------

    def header(self) -> list:
        r = self.r
        lines = [self.p(f"Massage &amp; fibromyalgia diary: report {AUDIENCE_TITLES[r.audience]}",
                        "small"),
                 self.p(markup(cut(r.patient, 200)), "title"),
                 self.p(f"<b>Period</b> {day(r.start)} to {day(r.end)} ({r.days} days) · "
                        f"<b>generated</b> {day(r.generated)}"),
                 self.p(f"<b>{markup(DISCLAIMER)}</b>")]
        if r.filters:
            lines.append(self.p(f"Sessions shown: {markup(r.filters)}."))
        missing = undrawable(cut(r.patient, 200) + "".join(
            r.sessions["therapist"].fillna("").astype(str).map(cut)))
        if missing:
            lines.append(self.p(f"No font on the computer that made this report can draw "
                                f"{markup(' '.join(missing))}; those characters are kept in the "
                                "text (copy, search) but may print as boxes.", "small"))
        lines += [self.p(markup(note)) for note in r.notes]
        return lines

    def summary(self) -> list:
        r = self.r
        before = f"{day(r.previous[0])} to {day(r.previous[1])}"
        rows = [["", "This period", f"Previous {r.days} days ({before})", "Change"]]
        for f in r.figures:
            change = "–" if f.change is None else signed(f.change, f.decimals)
            rows.append([markup(f.label), number(f.now, f.decimals, f.unit),
                         number(f.before, f.decimals, f.unit), change])
        return [self.heading("summary"), self.table(rows, [4.2, 1.6, 3.2, 1.2])]

    def chart(self) -> list:
        width_in = self.width / inch
        height_in = 4.3 if self.r.audience == "doctor" else 3.9
        png = chart.draw(self.r, width_in, height_in)
        image = Image(io.BytesIO(png), width=self.width, height=height_in * inch)
        return [CondPageBreak(height_in * inch + 30), self.heading("chart"), image,
                self.p(markup(chart.caption(self.r)), "small")]

    def sessions(self) -> list:
        s = self.r.sessions
        out = [self.heading("sessions")]
        if s.empty:
            return out + [self.p("No massage sessions in this period.")]
        shown = s.tail(MAX_SESSION_ROWS)
        rows = [["Date", "Pressure", "Areas", "Min", "Pain before → after", "Therapist"]]
        for row in shown.itertuples():
            areas = ", ".join(domain.area_label(a) for a in str(row.areas).split(
                domain.AREAS_SEPARATOR) if a)
            pain = f"{number(row.pain_before, 0)} → {number(row.pain_after, 0)}"
            rows.append([f"{row.start:%a %d %b %Y}", _pressure(row.pressure), markup(areas),
                         number(row.duration_min, 0), pain,
                         markup("" if pd.isna(row.therapist) else cut(row.therapist))])
        out.append(self.table(rows, [2.2, 2.4, 3.4, 0.7, 1.7, 2.2]))
        counts = s["pressure"].value_counts()
        tally = ", ".join(f"{counts[p]} {domain.PRESSURE_LABELS[p].lower()}"
                          for p in domain.PRESSURES if p in counts)
        note = f"{plural(len(s), 'session')}: {tally}."
        if len(s) > len(shown):
            note += (f" The {len(shown)} most recent are listed; `fibro export` writes them all.")
        return out + [self.p(markup(note), "small")]

    def effects(self) -> list:
        r = self.r
        out = [self.heading("effects")]
        if r.effects.empty:
            text = (f"No pressure has the {plural(fx.MIN_SESSIONS, 'session')} in this period an "
                    f"estimate needs: not enough data yet.{self._needed_text()}"
                    if r.too_few or not r.sessions.empty else
                    "No massage sessions in this period, so no effects to estimate.")
            return out + [self.p(markup(text))]
        rows = [["Pressure", "Area", "Outcome", "Estimate", "95 % interval", "n",
                 "p (adj.)", "Reading"]]
        for row in r.effects.itertuples():
            unit = fx.OUTCOME_UNITS[row.outcome]
            rows.append([_pressure(row.pressure),
                         "All areas" if row.area == fx.ALL_AREAS else domain.area_label(row.area),
                         markup(fx.OUTCOME_LABELS[row.outcome]),
                         f"{signed(row.estimate)} {markup(unit.split(' ')[0])}",
                         f"{signed(row.ci_low)} to {signed(row.ci_high)}",
                         str(row.n_sessions),
                         p_text(row.p_value) + (f" ({p_text(row.p_adjusted)})"
                                                   if row.primary else ""),
                         markup(row.reading)])
        out.append(self.table(rows, [2.1, 1.2, 3.0, 1.5, 1.9, 0.6, 0.8, 1.5]))
        notes = ["Estimate: mean over the n sessions of the change just after the session, or "
                 "of the day, night or 48 h after minus nearby days without a session; negative "
                 "pain and doses are lower, positive sleep is more or better.", fx.READING_RULE]
        if r.too_few:
            names = ", ".join(domain.PRESSURE_LABELS[p] for p in r.too_few)
            notes.append(f"Not enough data yet (fewer than {plural(fx.MIN_SESSIONS, 'session')} "
                         f"in this period): {names}; left out.{self._needed_text()}")
        notes.append(fx.CAVEATS[1])
        return out + [self.p(markup(" ".join(notes)), "small")]

    def _needed_text(self) -> str:
        """' Log 3 more light sessions to see an estimate; log 1 more deep session ...'."""
        parts = [log_more(n, f"{domain.PRESSURE_LABELS[p].lower()} session")
                 for p, n in self.r.needed.items() if n]
        text = "; ".join(parts)
        return f" {text[0].upper()}{text[1:]}." if text else ""

    def scores(self) -> list:
        r = self.r
        out = [self.heading("scores")]
        if r.acr.empty and r.fiqr.empty:
            return out + [self.p(f"No ACR 2016 or FIQR results kept up to {day(r.end)}. The "
                                 "dashboard's Scores page keeps them.")]
        rows = [["Instrument", "Latest", "Result", "Band", "Earlier results"]]
        if not r.acr.empty:
            a = r.acr.iloc[-1]
            met = "criteria met" if a.get("criteria_met") else "criteria not met"
            generalized = "generalized pain" if a.get("generalized_pain") else "pain not generalized"
            history = " · ".join(f"{t:%d %b %y}: {int(v)}" for t, v in
                                 zip(r.acr["taken_on"][:-1], r.acr["fs"][:-1]))
            rows.append(["ACR 2016 (FS = WPI + SSS, 0-31)", day(a["taken_on"]),
                         f"WPI {int(a['wpi'])}, SSS {int(a['sss'])}, <b>FS {int(a['fs'])}</b>; "
                         f"{met}; {generalized}", markup(a["severity"]), history or "–"])
        if not r.fiqr.empty:
            f = r.fiqr.iloc[-1]
            valid = f.get("valid", True) and pd.notna(f.get("total"))
            result = (f"<b>total {f['total']:.1f}</b> (function {f['function']:.1f}, overall "
                      f"{f['overall']:.1f}, symptoms {f['symptoms']:.1f})" if valid
                      else "incomplete: too many unanswered items for a total")
            history = " · ".join(f"{t:%d %b %y}: {v:.1f}" for t, v in
                                 zip(r.fiqr["taken_on"][:-1], r.fiqr["total"][:-1]) if pd.notna(v))
            rows.append(["FIQR (0-100)", day(f["taken_on"]), result,
                         markup(f["severity"]) if valid else "–", history or "–"])
        out.append(self.table(rows, [2.6, 1.6, 4.2, 1.3, 3.0]))
        out.append(self.p("Bands: FS (Wolfe 2015) 0-3 none, 4-7 mild, 8-11 moderate, 12-19 severe, "
                          "20-31 very severe; FIQR (Salaffi 2020) 0-23 remission, 24-40 mild, "
                          "41-63 moderate, 64-82 severe, 83+ very severe. Self-reported; no "
                          "diagnosis.", "small"))
        return out

    def medication(self) -> list:
        table = self.r.overuse
        out = [self.heading("medication")]
        used = table[(table["drug_class"] != scores.ALL_ACUTE) | (table["days"] > 0)]
        if used.empty:
            return out + [self.p("No as-needed painkillers logged in the months of this period.")]
        classes = [c for c in (*scores.ACUTE_CLASSES, scores.ALL_ACUTE)
                   if c in set(used["drug_class"])]
        label = {**domain.DRUG_CLASS_LABELS, scores.ALL_ACUTE: "All as-needed, combined"}
        rows = [["Month", *(f"{label[c]} (limit {scores.OVERUSE_THRESHOLDS.get(c, 10)})"
                            for c in classes)]]
        emphasised = []
        months = sorted(used["month"].unique())
        older = [m for m in months[:-MAX_MONTHS] if used.loc[used["month"] == m, "crossed"].any()]
        for i, month in enumerate(months[-MAX_MONTHS:], start=1):
            cells = [pd.Timestamp(month + "-01").strftime("%b %Y")]
            for j, c in enumerate(classes, start=1):
                hit = used[(used["month"] == month) & (used["drug_class"] == c)]
                if hit.empty:
                    cells.append("–")
                    continue
                crossed = bool(hit["crossed"].iloc[0])
                days = int(hit["days"].iloc[0])
                text = plural(days, "day")
                cells.append(f"<b>{text}: reached</b>" if crossed else text)
                if crossed:
                    emphasised.append((j, i))
            rows.append(cells)
        out.append(self.table(rows, [1.4] + [2.0] * len(classes), emphasised))
        note = "Days a month with at least one dose, whole calendar months. "
        if len(months) > MAX_MONTHS:
            reached = ", ".join(pd.Timestamp(m + "-01").strftime("%b %Y") for m in older) or "none"
            note += (f"The last {MAX_MONTHS} of {len(months)} months are listed; earlier months "
                     f"that reached a threshold: {reached}. ")
        out.append(self.p(note + markup(scores.OVERUSE_CAVEAT), "small"))
        return out

    def flowables(self) -> list:
        story = self.header()
        for key in self.r.sections:
            part = getattr(self, key)()
            story += [KeepTogether(part[:3]), *part[3:]] if key != "chart" else part
        return story


def _footer(report: Report):
    text = (f"Self-kept diary, {day(report.start)} to {day(report.end)}; associations, not "
            f"causes. Generated {day(report.generated)}.")

    def draw(canvas, doc) -> None:
        canvas.saveState()
        canvas.setFont(REGULAR, 7)
        canvas.setFillColor(MUTED)
        canvas.drawString(MARGIN, MARGIN / 2, text)
        canvas.drawRightString(doc.pagesize[0] - MARGIN, MARGIN / 2, f"page {doc.page}")
        canvas.restoreState()
    return draw


def render_pdf(report: Report, out, paper: str = "a4") -> int:
    """Write the report as a PDF to ``out`` (a path or a binary file); returns the page count."""
    if paper not in PAPERS:
        raise ValueError(f"paper must be one of {', '.join(PAPERS)}, not {paper!r}")
    register()
    if isinstance(out, (str, Path)):  # a health-data file: owner-only (0600)
        from ..store import open_private

        with open_private(out) as file:
            return render_pdf(report, file, paper)
    target = out
    with _render_lock:
        doc = SimpleDocTemplate(
            target, pagesize=PAPERS[paper], leftMargin=MARGIN, rightMargin=MARGIN,
            topMargin=MARGIN, bottomMargin=MARGIN, title=f"Diary report: {report.patient}",
            author="fibro (self-kept diary)", subject=DISCLAIMER, creator="fibro report",
            invariant=True, initialFontName=REGULAR, initialFontSize=8.5)
        footer = _footer(report)
        doc.build(_Builder(report, doc.width).flowables(), onFirstPage=footer, onLaterPages=footer)
        return doc.page


def pdf_bytes(report: Report, paper: str = "a4") -> bytes:
    """The report's PDF in memory (for a download)."""
    buffer = io.BytesIO()
    render_pdf(report, buffer, paper)
    return buffer.getvalue()
