"""The diary as a download: the same CSV files as ``fibro export``, zipped."""

from __future__ import annotations

import datetime as dt
import io

import panel as pn
import param

from ..importers.template import FILES, template_frames, zip_template
from .datastore import DataStore


def diary_zip(data: DataStore) -> bytes:
    """The shown patient's diary, read afresh, as ``fibro export --patient`` writes it, zipped
    in memory."""
    diary = data.session.diary(data.filters.patient)
    return zip_template(template_frames(diary.daily, diary.sessions, diary.doses))


class DiaryDownload(pn.viewable.Viewer):
    """"Download your diary": a zip of daily.csv, sessions.csv and medications.csv (the
    template format, which ``fibro import csv`` and spreadsheets read). Made in memory when
    clicked; nothing is written on the server."""

    data = param.ClassSelector(class_=DataStore)

    def __init__(self, **params):
        super().__init__(**params)
        self._download = pn.widgets.FileDownload(
            callback=self._zip, filename=f"fibro-diary-{dt.date.today():%Y-%m-%d}.zip",
            label="Download your diary (CSV, zipped)", color="primary",
            variant="outline", width=300, css_classes=["diary-download"])

    def _zip(self) -> io.BytesIO:
        self._download.filename = f"fibro-diary-{dt.date.today():%Y-%m-%d}.zip"
        return io.BytesIO(diary_zip(self.data))

    def __panel__(self):
        files = ", ".join(FILES.values())
        return pn.Column(
            pn.pane.Markdown(
                f"### Your diary as files\nEverything you logged or imported, as {files} in "
                "one zip file: the same files as `fibro export`, which spreadsheets open and "
                "`fibro import csv` reads back.", sizing_mode="stretch_width", max_width=820),
            self._download, sizing_mode="stretch_width", css_classes=["diary-export"],
            visible=self.data.param.capabilities.rx.pipe(lambda can: can.owns_diary))
