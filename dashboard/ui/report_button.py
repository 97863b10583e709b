"""The "Download report" button: the PDF report of the patient, days and filters shown.

A small component for any page that has a ``DataStore`` (the Overview, the therapist's
view).  The report is made in a worker thread, so the page stays responsive, under
the button's loading spinner; the browser then saves the PDF.
"""

from __future__ import annotations

import asyncio
import html
import io
from dataclasses import dataclass

import pandas as pd
import panel as pn
import param

from ..report import AUDIENCES, build_report, paper_for_locale, pdf_bytes
from ..session import Refused
from .datastore import DataStore
from .scores_page import past_results

AUDIENCE_LABELS = {"For the therapist": "therapist", "For the doctor": "doctor"}
PAPER_LABELS = {"A4": "a4", "US Letter": "letter"}


@dataclass(frozen=True)
class ReportRequest:
    """What the page shows at the click, taken on the event loop so the thread sees one state."""

    patient: str
    diary: object
    acr: pd.DataFrame
    fiqr: pd.DataFrame
    start: object
    end: object
    pressures: tuple
    areas: tuple
    audience: str
    paper: str

    @property
    def filename(self) -> str:
        return f"diary-report-{pd.Timestamp(self.start):%Y-%m-%d}-to-{pd.Timestamp(self.end):%Y-%m-%d}.pdf"

    def render(self) -> bytes:
        report = build_report(self.patient, self.diary.daily, self.diary.sessions,
                              self.diary.doses, self.acr, self.fiqr, self.start, self.end,
                              audience=self.audience, pressures=list(self.pressures),
                              areas=list(self.areas))
        return pdf_bytes(report, self.paper)


class ReportButton(pn.viewable.Viewer):
    """A "Download report" button with the audience and paper beside it."""

    data = param.ClassSelector(class_=DataStore)
    audience = param.Selector(default="therapist", objects=list(AUDIENCES))
    paper = param.Selector(default="a4", objects=["a4", "letter"])

    def __init__(self, **params):
        params.setdefault("paper", paper_for_locale())
        super().__init__(**params)
        self._download = pn.widgets.FileDownload(
            callback=self._make, filename="diary-report.pdf", label="Download report",
            color="primary", auto=True, width=190,  # no icon: icons come from a CDN
            css_classes=["report-download"], disabled=not self.data.capabilities.read)
        self._for = pn.widgets.RadioButtonGroup.from_param(
            self.param.audience, options=AUDIENCE_LABELS, color="primary",
            variant="outline", css_classes=["report-audience"])
        self._paper = pn.widgets.Select.from_param(self.param.paper, options=PAPER_LABELS,
                                                   label="Paper", width=110)  # a named field
        self._status = pn.pane.HTML("", css_classes=["report-status"], margin=(12, 10))  # own words only

    def request(self) -> ReportRequest:
        """The report the page asks for now: of the diary, days and filters shown."""
        data, shown = self.data, self.data.filtered
        return ReportRequest(
            patient=data.patient_name or "", diary=shown.diary,
            acr=past_results(data, "acr2016"), fiqr=past_results(data, "fiqr"),
            start=shown.start, end=shown.end, pressures=tuple(shown.pressures or ()),
            areas=shown.areas, audience=self.audience, paper=self.paper)

    async def _make(self) -> io.BytesIO:
        request = self.request()
        try:  # the sign-in still stands (else SignedOut); the access log gets a row
            self.data.session.taking(self.data.filters.patient, f"{request.audience} report")
        except Refused as refusal:
            self._status.object = f"No report: {html.escape(str(refusal))}"
            raise
        self._download.loading = True
        self._status.object = "Preparing the report…"
        try:
            pdf = await asyncio.to_thread(request.render)
        except Exception:
            self._status.object = "The report could not be made; the details are in the server's log."
            raise
        finally:
            self._download.loading = False
        self._download.filename = request.filename
        self._status.object = f"Report of {len(pdf) // 1024} kB ready."
        return io.BytesIO(pdf)

    def __panel__(self):
        return pn.Row(self._download, self._for, self._paper, self._status,
                      css_classes=["report-button"])
