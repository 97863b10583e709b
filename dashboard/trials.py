"""n-of-1 trials through the session layer: plan one, open the current one, its status and
result as JSON.  The CLI (``fibro trial``) and the Trial page call these; the statistics are
in ``analysis.trial`` and every read and write goes through ``DiarySession``."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from .analysis import trial as tr
from .analysis import trial_planner as planner
from .session import DiarySession


@dataclass(frozen=True)
class OpenTrial:
    """A stored trial matched to the diary as it is now."""

    trial_id: int
    stored: dict
    design: tr.TrialDesign
    plan: pd.DataFrame
    progress: tr.Progress

    @property
    def reproducible(self) -> bool:
        """Whether the stored seed draws the stored schedule again (an audit of the plan)."""
        return tr.schedule_reproduces(self.design, self.plan)

    @property
    def difference(self) -> float:
        """The difference named when planning (the margin of the result's probabilities)."""
        value = self.stored.get("difference")
        return tr.DEFAULT_DIFFERENCE if value is None or pd.isna(value) else float(value)

    def lost(self) -> dict:
        """The lost periods and what they cost (``analysis.trial.lost_news``)."""
        return tr.lost_news(self.design, self.progress)

    def next_session(self) -> dict | None:
        return self.progress.next_session()

    def next_session_text(self) -> str:
        return tr.next_session_text(self.next_session())

    def status(self) -> dict:
        """What ``fibro trial status --json`` prints."""
        slots = self.progress.slots
        return {
            "trial_id": self.trial_id, **self.design.to_dict(),
            "created_by": self.stored.get("created_by") or "",
            "stopped_at": _iso(self.stored.get("stopped_at")),
            "planned": int(len(slots)), **self.progress.counts(),
            "lost": self.lost(),
            "unplanned": int(len(self.progress.unplanned)),
            "next_session": self.next_session(), "next_session_text": self.next_session_text(),
            "complete": self.progress.complete, "stopped_early": self.progress.stopped_early,
            "schedule_reproduces_from_seed": self.reproducible,
            "sessions": [{
                "date": r.date.date().isoformat(), "pressure": r.pressure, "block": int(r.block),
                "period": int(r.period), "status": r.status,
                "given_on": None if r.given_on is None or pd.isna(r.given_on)
                else pd.Timestamp(r.given_on).isoformat(timespec="minutes"),
                "given_pressure": r.given_pressure, "deviation": r.deviation, "note": r.note,
                "outcome": None if pd.isna(r.outcome) else float(r.outcome)}
                for r in slots.itertuples()],
            "unplanned_sessions": [{
                "start": pd.Timestamp(r["start"]).isoformat(timespec="minutes"),
                "pressure": r["pressure"]} for _, r in self.progress.unplanned.iterrows()],
        }

    def result(self) -> dict:
        """What ``fibro trial result --json`` prints."""
        return {"trial_id": self.trial_id,
                **tr.trial_result(self.design, self.progress, self.difference)}


def _iso(value) -> str | None:
    return None if value is None or pd.isna(value) else pd.Timestamp(value).isoformat()


def open_trial(session: DiarySession, patient_id, trial_id: int | None = None,
               today: dt.date | None = None) -> OpenTrial | None:
    """The patient's trial ``trial_id`` (default: the newest), or None when there is none."""
    stored = session.trials(patient_id)
    if stored.empty:
        return None
    chosen = stored if trial_id is None else stored[stored["id"] == int(trial_id)]
    if chosen.empty:
        return None
    row = chosen.iloc[-1].to_dict()
    design = tr.design_from_row(row)
    plan = session.trial_schedule(patient_id, int(row["id"]))
    diary = session.diary(patient_id)
    stopped = row.get("stopped_at")
    stopped_on = None if stopped is None or pd.isna(stopped) else pd.Timestamp(stopped).date()
    progress = tr.progress(design, plan, diary.daily, diary.sessions, diary.doses,
                           today=today, stopped_on=stopped_on)
    return OpenTrial(int(row["id"]), row, design, plan, progress)


def check_design(session: DiarySession, patient_id, design: tr.TrialDesign,
                 difference: float = tr.DEFAULT_DIFFERENCE) -> tuple[pd.DataFrame,
                                                                      planner.PlanCheck]:
    """The schedule a design draws and what the planner says about it: its power simulated
    in a diary like the patient's own (a typical one while it is new), and the smallest
    design reaching the target power."""
    plan = tr.schedule(design)
    diary = session.diary(patient_id) if patient_id is not None else None
    if diary is None or diary.daily.empty:
        noise = planner.TYPICAL_DIARY[design.outcome]
    else:
        noise = planner.diary_noise(diary.daily, diary.doses, design.outcome, design.area)
    return plan, planner.check_plan(design, plan, noise, difference)


def _rows(plan: pd.DataFrame) -> list[dict]:
    return [{"date": pd.Timestamp(r.date).date(), "pressure": r.pressure, "block": int(r.block),
             "period": int(r.period)} for r in plan.itertuples()]


def save_plan(session: DiarySession, patient_id, design: tr.TrialDesign, plan: pd.DataFrame,
              check: planner.PlanCheck) -> int:
    """Keep the plan (with the seed, the diary's spread and the power it was judged by)."""
    fields = design.to_dict()
    fields["start"] = design.start
    fields.update(difference=check.difference, noise=check.noise.spread,
                  noise_days=check.noise.days, power=check.power.power)
    return session.plan_trial(patient_id, fields, _rows(plan))


def add_replacement_block(session: DiarySession, patient_id, found: OpenTrial,
                          today: dt.date | None = None) -> pd.DataFrame:
    """Add one randomized replacement block to a trial that lost a period; returns its
    planned sessions.  ``ValueError`` when the trial has no lost block left to replace."""
    news = found.lost()
    if not news["may_add_replacement"]:
        raise ValueError("This trial has no lost block to replace"
                         + (" (it was stopped)." if found.progress.stopped_on else
                            " (each lost block can be replaced once)." if news["lost_blocks"]
                            else "."))
    block = tr.replacement_block(found.design, found.plan, today or dt.date.today())
    session.add_trial_block(patient_id, found.trial_id, _rows(block))
    return block
