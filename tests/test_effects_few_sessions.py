"""A new diary with only a few massage sessions: ``fibro effects`` and the Effects page.

Diaries with exactly 0, 1, 4, 5 and 6 sessions (the page and the CLI need 5 for an
estimate).  Nothing may crash, and rows below the minimum say "not enough data yet".
"""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest
from click.testing import CliRunner

from dashboard.analysis import effects as ef
from dashboard.cli import main
from dashboard.records import DailyCheckin, MassageSession, MedicationDose
from dashboard.store import Store
from dashboard.ui import effects_page as ep
from dashboard.session import DiarySession
from dashboard.ui.datastore import DataStore

START = dt.date(2025, 3, 1)
DAYS = 45
COUNTS = (0, 1, 4, 5, 6)


def write_diary(store: Store, n_sessions: int) -> None:
    """45 days of check-ins and doses, with ``n_sessions`` deep neck sessions a week apart."""
    pid = store.ensure_patient("New")
    session_days = [3 + 7 * k for k in range(n_sessions)]
    records = []
    for i in range(DAYS):
        day = START + dt.timedelta(days=i)
        after = (i - 1) in session_days
        records.append(DailyCheckin(day, pain=4 if after else 6, sleep_hours=7 if after else 6,
                                    sleep_quality=6 if after else 4, area_pain={"neck": 5}))
        if i % 3 == 0:
            records.append(MedicationDose(dt.datetime.combine(day, dt.time(9)), "Paracetamol",
                                          "simple_analgesic", 500, "mg"))
    for k, d in enumerate(session_days):
        start = dt.datetime.combine(START + dt.timedelta(days=d), dt.time(10))
        records.append(MassageSession(start, 60, "deep", ("neck",), pain_before=7,
                                      pain_after=4 + k % 2))
    store.save(pid, records)


@pytest.fixture(params=COUNTS, ids=lambda n: f"{n}-sessions")
def diary(request, tmp_path):
    """(store path, number of sessions) of a diary with that many sessions."""
    path = tmp_path / "new.sqlite"
    store = Store(path)
    write_diary(store, request.param)
    store.close()
    return path, request.param


def run(*args):
    result = CliRunner().invoke(main, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert result.exit_code == 0, result.output
    return result.output


def test_plain_sentences_of_a_table_without_a_clear_row_are_none():
    row = dict(pressure="deep", area="neck", outcome="pain_next_day", n_sessions=3,
               n_comparison=10, estimate=float("nan"), ci_low=float("nan"),
               ci_high=float("nan"), p_value=float("nan"), verdict=ef.NOT_ENOUGH,
               primary=False, p_adjusted=float("nan"), reading=ef.NOT_ENOUGH)
    unclear = dict(row, n_sessions=8, estimate=0.2, ci_low=-0.5, ci_high=0.9, p_value=0.6,
                   verdict=ef.UNCLEAR, area="all", primary=True, p_adjusted=1.0,
                   reading=ef.UNCLEAR)
    assert ef.plain_sentences(pd.DataFrame([row, unclear])) == []
    assert ef.plain_sentences(pd.DataFrame([row])) == []
    assert ef.plain_sentences(pd.DataFrame(columns=ef.EFFECT_COLUMNS)) == []
    assert ef.plain_sentences(pd.DataFrame(columns=ef.COMPARISON_COLUMNS)) == []


def test_plain_sentences_rank_only_the_clear_rows_on_a_non_default_index():
    rows = [dict(pressure="deep", area="all", outcome="pain_next_day", n_sessions=9,
                 n_comparison=30, estimate=e, ci_low=lo, ci_high=hi, p_value=p, verdict=r,
                 primary=True, p_adjusted=p, reading=r)
            for e, lo, hi, p, r in ((0.1, -0.4, 0.6, 0.5, ef.UNCLEAR),
                                    (-1.0, -1.5, -0.5, 0.02, ef.LOWER),
                                    (-2.0, -2.9, -1.1, 0.02, ef.LOWER))]
    table = pd.DataFrame(rows, index=[10, 5, 7])
    sentences = ef.plain_sentences(table)
    assert len(sentences) == 2
    assert "2.0 points less pain" in sentences[0] and "1.0 points less pain" in sentences[1]


def test_fibro_effects_on_a_new_diary_says_not_enough_data_and_does_not_crash(diary):
    path, n = diary
    out = run("effects", "--db", str(path))
    assert "Traceback" not in out
    assert ef.CAVEATS[0] in out
    if n < 5:
        assert ef.NOT_ENOUGH in out
    assert ("points less pain right after the session" in out) == (n >= 5)
    assert "p = <" not in out
    assert (ef.READING_RULE in out) == (n >= 5)  # beside the first estimates
    lines = [line for line in out.splitlines() if line.startswith("  deep ")]
    if n == 0:
        assert not lines
    else:
        assert lines and all(f"n={n}" in line or ef.NOT_ENOUGH in line for line in lines)
        estimated = [line for line in lines if ef.NOT_ENOUGH not in line]
        assert bool(estimated) == (n >= 5)


def test_fibro_effects_json_on_a_new_diary(diary):
    path, n = diary
    out = json.loads(run("effects", "--db", str(path), "--json"))
    assert set(out) == {"effects", "comparisons"}
    if n == 0:
        assert out["effects"] == []
    for row in out["effects"]:
        assert row["n_sessions"] <= n
        if row["n_sessions"] < 5:
            assert row["verdict"] == ef.NOT_ENOUGH and row["estimate"] is None
    assert any(r["estimate"] is not None for r in out["effects"]) == (n >= 5)
    assert all(c["difference"] is None for c in out["comparisons"])  # no light sessions


def test_the_effects_page_computes_on_a_new_diary(diary):
    path, n = diary
    store = Store(path)
    try:
        page = ep.EffectsPage(data=DataStore(DiarySession(store)))
        result = page.compute()
        rows = ep.effect_rows(result.effects)
        if n == 0:
            assert rows.empty and result.sentences == []
        else:
            assert len(rows) and (rows["Sessions"] <= n).all()
            few = rows["Sessions"] < ef.MIN_SESSIONS
            assert (rows.loc[few, "Reading"] == ef.NOT_ENOUGH).all()
            assert (rows.loc[~few, "Reading"] != ef.NOT_ENOUGH).all()
            assert (~few).any() == (n >= ef.MIN_SESSIONS)
        # Five sessions alike (pain right after: 7 -> 4 or 5) are enough for a t-test to
        # find the main question's change, adjusted for the others.
        assert bool(result.sentences) == (n >= 5)
        if n < 5:
            assert "not enough sessions to say" in ep.findings_html(result.sentences)
        assert all("associated with" in s for s in result.sentences)
        if result.comparisons is not None:
            assert (ep.comparison_rows(result.comparisons)["Reading"] == ef.NOT_ENOUGH).all()
    finally:
        store.close()
