"""Trials in the store (schema v7, on SQLite and PostgreSQL) and through the session layer:
who may read, plan and stop a trial."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from dashboard.accounts import Accounts
from dashboard.analysis import trial as tr
from dashboard.analysis import trial_planner as planner
from dashboard.records import DailyCheckin
from dashboard.session import DiarySession, Refused
from dashboard.store import SCHEMA_VERSION, TRIAL_TABLES, NotFound, Store
from dashboard.trials import check_design, open_trial, save_plan

pytestmark = pytest.mark.both_engines

DESIGN = tr.TrialDesign("light", "deep", area="neck", start=dt.date.today() + dt.timedelta(days=1),
                        seed=2**40 + 3)


def plan_for(session: DiarySession, pid: int) -> int:
    plan, check = check_design(session, pid, DESIGN)
    return save_plan(session, pid, DESIGN, plan, check)


def test_a_trial_is_kept_with_its_seed_and_schedule(store):
    session = DiarySession(store)
    pid = store.ensure_patient("Robin")
    trial_id = plan_for(session, pid)
    (row,) = session.trials(pid).to_dict(orient="records")
    assert row["seed"] == 2**40 + 3 and row["area"] == "neck" and row["stopped_at"] is None
    typical = planner.TYPICAL_DIARY["pain_next_day"]
    assert row["noise_days"] == 0 and row["noise"] == typical.spread
    assert row["power"] == planner.simulated_power(DESIGN, typical, 1.0).power
    kept = session.trial_schedule(pid, trial_id)
    drawn = tr.schedule(tr.design_from_row(row))
    assert kept["pressure"].tolist() == drawn["pressure"].tolist()
    assert kept["date"].dt.date.tolist() == drawn["date"].tolist()
    assert open_trial(session, pid).reproducible
    assert session.stop_trial(pid, trial_id) and not session.stop_trial(pid, trial_id)
    stopped = open_trial(session, pid).progress
    assert stopped.stopped_early and stopped.counts()["stopped"] == 24 and not stopped.complete


def test_a_trial_belongs_to_its_patient(store):
    session = DiarySession(store)
    robin, sam = store.ensure_patient("Robin"), store.ensure_patient("Sam")
    trial_id = plan_for(session, robin)
    assert session.trials(sam).empty
    with pytest.raises(Refused):
        session.trial_schedule(sam, trial_id)
    with pytest.raises(Refused):
        session.stop_trial(sam, trial_id)
    with pytest.raises(NotFound):
        store.trial_patient(999)


def test_the_patients_own_noise_is_used_once_the_diary_is_long_enough(store):
    session = DiarySession(store)
    pid = store.ensure_patient("Robin")
    store.save(pid, [DailyCheckin(dt.date(2025, 9, 1) + dt.timedelta(days=i),
                                  pain=5 + (2 if i % 2 else -2)) for i in range(60)])
    _plan, check = check_design(session, pid, DESIGN)
    assert check.noise.days == 60 and check.noise.spread == pytest.approx(2.0, rel=0.1)
    assert check.noise.autocorrelation == -0.95  # 3, 7, 3, 7 ...: -1, kept within +-0.95


def hosted(store, name):
    accounts = Accounts(store)
    token = accounts.sign_in(name, "a long enough password")
    return DiarySession.hosted(store, token)


def test_hosted_scopes_read_plan_and_stop(store):
    accounts = Accounts(store)
    for name, role in (("ann", "patient"), ("sam", "therapist"), ("reed", "therapist"),
                       ("ola", "therapist")):
        accounts.add_user(name, role, "a long enough password")
    accounts.add_grant("ann", "sam", "log")
    accounts.add_grant("ann", "reed", "read")
    ann = hosted(store, "ann")
    pid = ann.principal.patient_id
    trial_id = plan_for(ann, pid)
    sam, reed, ola = hosted(store, "sam"), hosted(store, "reed"), hosted(store, "ola")
    assert open_trial(reed, pid).trial_id == trial_id  # read scope: sees the trial
    with pytest.raises(Refused):
        plan_for(reed, pid)
    with pytest.raises(Refused):
        reed.stop_trial(pid, trial_id)
    with pytest.raises(Refused):
        reed.add_trial_block(pid, trial_id, [])
    with pytest.raises(Refused):
        ola.trials(pid)  # no grant: nothing
    second = plan_for(sam, pid)  # log scope: plans and adjusts
    assert sam.trials(pid)["created_by"].tolist() == ["ann", "sam"]
    assert sam.stop_trial(pid, second)
    sam.add_trial_block(pid, trial_id, [{"date": dt.date.today(), "pressure": "light",
                                         "block": 7, "period": 1}])
    actions = store.access_log(pid)["action"].tolist()
    assert "planned trial" in actions and "stopped trial" in actions and "refused log" in actions
    assert "added trial block" in actions


def test_the_demo_diary_cannot_run_a_trial(tmp_path):
    session = DiarySession.personal(tmp_path / "own.sqlite")
    assert session.is_demo
    pid = int(session.patients()["id"].iloc[0])
    with pytest.raises(Refused):
        plan_for(session, pid)


def test_a_version_6_store_gains_the_trial_tables(db_url):
    """A v6 store is today's without the trial tables: removed here, then opened again."""
    store = Store(db_url)
    pid = store.ensure_patient("Robin")
    store.save(pid, [DailyCheckin(dt.date(2026, 1, 2), pain=4)])
    with store.engine.begin() as conn:
        for table in reversed(TRIAL_TABLES):
            table.drop(conn)
        conn.execute(sa.text("UPDATE meta SET value = '6' WHERE key = 'schema_version'"))
    store.close()
    again = Store(db_url)
    try:
        assert again.schema_version() == SCHEMA_VERSION == 8  # v8: access_log.address
        assert again.daily(pid)["pain"].tolist() == [4]
        assert again.trials(pid).empty
        plan_for(DiarySession(again), pid)
        assert len(again.trials(pid)) == 1
    finally:
        again.close()


def test_a_replacement_block_is_appended_to_the_kept_schedule(store):
    session = DiarySession(store)
    pid = store.ensure_patient("Robin")
    trial_id = plan_for(session, pid)
    found = open_trial(session, pid)
    block = tr.replacement_block(found.design, found.plan, dt.date.today())
    session.add_trial_block(pid, trial_id, [
        {"date": r.date, "pressure": r.pressure, "block": r.block, "period": r.period}
        for r in block.itertuples()])
    kept = session.trial_schedule(pid, trial_id)
    assert len(kept) == 28 and kept["block"].tolist()[-4:] == [7] * 4
    assert kept["date"].dt.date.tolist()[-4:] == block["date"].tolist()
    assert open_trial(session, pid).reproducible
    other = store.ensure_patient("Sam")
    with pytest.raises(Refused):
        session.add_trial_block(other, trial_id, [])
