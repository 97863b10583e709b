"""The PDF report for the therapist and the doctor (``fibro report``, the dashboard's button).

``content`` gathers what the report says from a diary (pure, testable without a
PDF); ``chart`` draws its figure with matplotlib; ``pdf`` lays it out with reportlab.
"""

from .content import AUDIENCES, DISCLAIMER, Report, ReportError, build_report, report_from_session
from .pdf import PAPERS, paper_for_locale, pdf_bytes, render_pdf

__all__ = ["AUDIENCES", "DISCLAIMER", "PAPERS", "Report", "ReportError", "build_report",
           "paper_for_locale", "pdf_bytes", "render_pdf", "report_from_session"]
