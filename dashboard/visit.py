"""The therapist's visit: everything the **Since the last visit** view shows about one diary,
from one function over the session (``visit_report``), as ``trials.py`` does for trials.

The sessions since the therapist's previous visit and the 48 h after each come from
``analysis.visit``; the effects over the whole diary from ``analysis.effects`` (its pooled
rows, as ``effects.pooled_estimates``); the medication overuse from the overuse service;
the latest questionnaires from the session.  Every call checks the read permission; the
computation is kept per store, patient, diary revision, therapist and day, so every page
of this process open on that diary reuses it until a write (from any process) bumps the
revision.  The report holds data only (frames and strings), never a page's objects.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from dataclasses import dataclass

import pandas as pd

from .analysis import effects as fx
from .analysis import scores as sc
from .analysis.visit import Visit, since_last_visit
from .effects import pooled_estimates
from .overuse import OveruseSummary, overuse_summary

INSTRUMENTS = {"acr2016": "ACR 2016", "fiqr": "FIQR"}
KEPT_REPORTS = 64  # (store, patient, revision, therapist, day) computations kept


@dataclass(frozen=True)
class VisitReport:
    """What the therapist's first screen says about one diary."""

    visit: Visit  # the sessions since the last visit, with the 48 h after each
    effects: pd.DataFrame  # effects.effects_table over the whole diary
    sentences: list[str]  # effects.plain_sentences of it
    overuse: OveruseSummary  # the whole diary's months
    scores: list[tuple[str, pd.Timestamp | None, str]]  # (instrument title, taken on, result)

    @property
    def flares(self) -> int:
        """How many of the visit's sessions were followed by a flare."""
        return int(self.visit.sessions["flare"].sum())

    @property
    def pooled(self) -> pd.DataFrame:
        """Each pressure's rows over all body areas that have an estimate."""
        return pooled_estimates(self.effects)

    @property
    def overuse_month(self) -> str | None:
        """The latest month with doses, in words ('March 2026'), or None."""
        return self.overuse.latest_month_name

    @property
    def overuse_notes(self) -> list[str]:
        """Where that month stands against the ICHD-3 thresholds."""
        return self.overuse.latest


def build_report(daily: pd.DataFrame, sessions: pd.DataFrame, doses: pd.DataFrame,
                 assessments: dict[str, pd.DataFrame], therapist: str,
                 today: pd.Timestamp | None = None) -> VisitReport:
    """The visit, the effects over the whole diary, the latest month's medication overuse
    and the latest kept questionnaires (``assessments``: instrument -> its kept results)."""
    visit = since_last_visit(daily, sessions, doses, therapist, today)
    effects = fx.effects_table(daily, sessions, doses)
    scores = []
    for instrument, title in INSTRUMENTS.items():
        kept = assessments.get(instrument)
        if kept is None or kept.empty:
            scores.append((title, None, "none kept yet"))
            continue
        last = kept.iloc[-1]
        scores.append((title, pd.Timestamp(last["taken_on"]), sc.result_text(instrument, last)))
    return VisitReport(visit=visit, effects=effects, sentences=fx.plain_sentences(effects),
                       overuse=overuse_summary(doses), scores=scores)


_kept: OrderedDict[tuple, VisitReport] = OrderedDict()
_lock = threading.Lock()


def visit_report(session, patient_id, therapist: str, today: dt.date | None = None
                 ) -> VisitReport:
    """What ``therapist``'s first screen shows for the patient, read through ``session``
    (a ``DiarySession``) and computed once per diary revision for the whole process."""
    revision = session.revision(patient_id)  # refused when the session may not read it
    therapist = therapist.strip().casefold()
    today = today or dt.date.today()
    key = (session.store, int(patient_id), revision, therapist, today)
    with _lock:
        if key in _kept:
            _kept.move_to_end(key)
            return _kept[key]
    diary = session.diary(patient_id)
    kept = {instrument: session.assessments(patient_id, instrument)
            for instrument in INSTRUMENTS}
    report = build_report(diary.daily, diary.sessions, diary.doses, kept, therapist,
                          pd.Timestamp(today))
    with _lock:
        report = _kept.setdefault(key, report)  # a page that computed it first wins
        _kept.move_to_end(key)
        while len(_kept) > KEPT_REPORTS:
            _kept.popitem(last=False)
    return report
