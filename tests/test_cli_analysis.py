"""fibro effects, fibro score and fibro moh as a user runs them."""

from __future__ import annotations

import json

import pytest

from tests.helpers import fibro


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory):
    db = tmp_path_factory.mktemp("fx") / "demo.sqlite"
    fibro("demo", "--db", str(db), "--days", "700", "--seed", "3")
    return db


def test_effects_json_has_the_documented_shape(demo_db):
    out = json.loads(fibro("effects", "--db", str(demo_db), "--pressure", "deep", "--pressure",
                           "light", "--area", "neck", "--json").stdout)
    keys = {"pressure", "area", "outcome", "n_sessions", "n_comparison", "estimate", "ci_low",
            "ci_high", "p_value", "verdict", "primary", "p_adjusted", "reading"}
    assert out["effects"] and all(set(row) == keys for row in out["effects"])
    assert {r["area"] for r in out["effects"]} == {"neck"}
    assert {r["pressure"] for r in out["effects"]} == {"deep", "light"}
    assert {r["outcome"] for r in out["effects"]} == {
        "pain_change_immediate", "pain_next_day", "sleep_hours_next_night",
        "sleep_quality_next_night", "doses_48h"}
    pooled = json.loads(fibro("effects", "--db", str(demo_db), "--json").stdout)
    assert "all" in {r["area"] for r in pooled["effects"]}
    deep_now = next(r for r in pooled["effects"] if (r["pressure"], r["area"], r["outcome"]) ==
                    ("deep", "all", "pain_change_immediate"))
    assert deep_now["ci_low"] < -2.0 < deep_now["ci_high"] and deep_now["n_sessions"] >= 5
    assert deep_now["primary"] is True and deep_now["reading"] == "lower"
    assert deep_now["p_value"] <= deep_now["p_adjusted"] < 0.05
    # A neck row is exploratory however small its p-value: no reading, no adjusted p.
    assert all(r["primary"] is False and r["p_adjusted"] is None
               and r["reading"] in ("exploratory", "not enough data yet") for r in out["effects"])
    comparison_keys = {"area", "outcome", "a", "b", "n_a", "n_b", "difference", "ci_low",
                       "ci_high", "p_value", "primary", "p_adjusted", "reading"}
    assert out["comparisons"] and all(set(c) == comparison_keys for c in out["comparisons"])


def test_effects_below_the_minimum_say_not_enough_data(demo_db):
    out = json.loads(fibro("effects", "--db", str(demo_db), "--pressure", "deep", "--area", "legs",
                           "--min-sessions", "1000", "--json").stdout)
    row = out["effects"][0]
    assert row["estimate"] is None and row["ci_low"] is None and row["verdict"] == "not enough data yet"


def test_score_acr2016_json():
    regions = "neck,upper_back,lower_back,left_hip,right_hip,left_shoulder_girdle,right_shoulder_girdle"
    out = json.loads(fibro("score", "acr2016", "--pain-regions", regions, "--fatigue", "2",
                           "--unrefreshed", "2", "--cognitive", "1", "--json").stdout)
    assert out == {"wpi": 7, "sss": 5, "generalized_pain": True, "fs": 12, "severity": "severe",
                   "criteria_met": True}


def test_score_fiqr_json_with_one_function_item_missing():
    items = ",".join(["6"] * 8 + [""] + ["6"] * 12)
    out = json.loads(fibro("score", "fiqr", "--items", items, "--json").stdout)
    assert out == {"function": 18.0, "overall": 12.0, "symptoms": 30.0, "total": 60.0,
                   "severity": "moderate", "valid": True}


def test_moh_json_lists_months_and_classes(demo_db):
    out = json.loads(fibro("moh", "--db", str(demo_db), "--json").stdout)
    rows = out["months"]
    assert {"month", "drug_class", "days", "threshold", "crossed"} == set(rows[0])
    assert any(r["drug_class"] == "all_acute" for r in rows)
    assert all(r["crossed"] == (r["threshold"] is not None and r["days"] >= r["threshold"])
               for r in rows if r["drug_class"] not in ("all_acute",))


@pytest.mark.parametrize("args, message", [
    (["score", "acr2016", "--pain-regions", "nek", "--fatigue", "1", "--unrefreshed", "1",
      "--cognitive", "1"], "unknown WPI region 'nek'"),
    (["score", "acr2016", "--fatigue", "4", "--unrefreshed", "1", "--cognitive", "1"], "'--fatigue'"),
    (["score", "fiqr", "--items", "1,2,3"], "'--items'"),
    (["score", "fiqr", "--items", ",".join(["11"] * 21)], "'--items'"),
    (["effects", "--pressure", "firm"], "'--pressure'"),
])
def test_bad_scores_and_options_are_refused(args, message, tmp_path):
    extra = ["--db", str(tmp_path / "x.sqlite")] if args[0] == "effects" else []
    result = fibro(*args, *extra, check=False)
    assert result.returncode != 0 and message in result.stderr
