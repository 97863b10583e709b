"""Pin the scoring rules of ACR 2016, FIQR and ICHD-3 medication overuse with hand-worked cases."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from dashboard import domain
from dashboard.analysis import scores
from dashboard.analysis.scores import acr2016, fiqr, fiqr_severity, fs_severity
from dashboard.analysis.scores import medication_overuse, overuse_note

# --- ACR 2016 ---------------------------------------------------------------

# Seven regions touching all five generalized-pain regions.
SEVEN_GENERALIZED = [
    "neck", "upper_back", "lower_back",
    "left_shoulder_girdle", "right_shoulder_girdle", "left_hip", "right_hip",
]
# Four regions, one in each limb region: 4 of 5 generalized-pain regions.
FOUR_LIMBS = ["left_shoulder_girdle", "right_shoulder_girdle", "left_hip", "right_hip"]


def test_wpi_7_sss_5_with_generalized_pain_meets_the_criteria():
    result = acr2016(SEVEN_GENERALIZED, fatigue=2, unrefreshed=2, cognitive=1)
    assert (result.wpi, result.sss, result.fs) == (7, 5, 12)
    assert result.generalized_pain is True
    assert result.severity == "severe"
    assert result.criteria_met is True


def test_wpi_7_sss_4_does_not_meet_the_criteria():
    result = acr2016(SEVEN_GENERALIZED, fatigue=2, unrefreshed=1, cognitive=1)
    assert (result.wpi, result.sss) == (7, 4)
    assert result.criteria_met is False


def test_wpi_6_sss_9_meets_the_second_arm():
    regions = [*FOUR_LIMBS, "neck", "chest"]
    result = acr2016(regions, 3, 3, 0, headaches=True, abdominal=True, depression=True)
    assert (result.wpi, result.sss, result.fs) == (6, 9, 15)
    assert result.criteria_met is True


def test_wpi_6_sss_8_misses_the_second_arm():
    regions = [*FOUR_LIMBS, "neck", "chest"]
    result = acr2016(regions, 3, 3, 0, headaches=True, abdominal=True)
    assert (result.wpi, result.sss) == (6, 8)
    assert result.criteria_met is False


def test_wpi_6_sss_5_is_not_enough():
    regions = [*FOUR_LIMBS, "neck", "chest"]
    result = acr2016(regions, 2, 2, 1)
    assert (result.wpi, result.sss) == (6, 5)
    assert result.criteria_met is False


def test_wpi_exactly_4_with_sss_9_meets_the_criteria():
    result = acr2016(FOUR_LIMBS, 3, 3, 3)
    assert (result.wpi, result.sss, result.fs) == (4, 9, 13)
    assert result.generalized_pain is True
    assert result.criteria_met is True


def test_wpi_3_never_meets_the_2016_criteria_even_with_sss_12():
    """The 2010 second arm started at WPI 3; in 2016 generalized pain needs 4 regions anyway."""
    result = acr2016(FOUR_LIMBS[:3], 3, 3, 3, True, True, True)
    assert (result.wpi, result.sss) == (3, 12)
    assert result.criteria_met is False


def test_jaw_chest_and_abdomen_do_not_count_towards_generalized_pain():
    regions = [
        "left_jaw", "right_jaw", "chest", "abdomen",
        "left_shoulder_girdle", "right_shoulder_girdle", "left_hip",
    ]
    result = acr2016(regions, 3, 3, 3, True, True, True)
    assert (result.wpi, result.sss) == (7, 12)
    assert result.generalized_pain is False
    assert result.criteria_met is False
    assert "pain in 3 of 5 regions" in result.rule


def test_neck_instead_of_abdomen_makes_pain_generalized():
    regions = [
        "left_jaw", "right_jaw", "chest", "neck",
        "left_shoulder_girdle", "right_shoulder_girdle", "left_hip",
    ]
    result = acr2016(regions, 3, 3, 3, True, True, True)
    assert result.generalized_pain is True
    assert result.criteria_met is True


def test_pain_only_in_the_upper_body_is_not_generalized():
    regions = [
        "left_shoulder_girdle", "left_upper_arm", "left_lower_arm",
        "right_shoulder_girdle", "right_upper_arm", "right_lower_arm",
        "left_jaw", "right_jaw",
    ]
    result = acr2016(regions, 2, 2, 1)
    assert (result.wpi, result.sss) == (8, 5)
    assert result.generalized_pain is False
    assert result.criteria_met is False


def test_repeated_regions_count_once():
    result = acr2016(["neck", "neck", "chest"], 0, 0, 0)
    assert result.wpi == 2


def test_all_regions_and_symptoms_give_the_maximum():
    result = acr2016(domain.WPI_REGIONS, 3, 3, 3, True, True, True)
    assert (result.wpi, result.sss, result.fs) == (19, 12, 31)
    assert result.severity == "very severe"
    assert result.criteria_met is True


def test_no_pain_no_symptoms():
    result = acr2016([], 0, 0, 0)
    assert result.to_dict() == {
        "wpi": 0, "sss": 0, "generalized_pain": False,
        "fs": 0, "severity": "none", "criteria_met": False,
    }


def test_whole_valued_floats_are_accepted():
    assert acr2016(FOUR_LIMBS, 3.0, 2.0, 1.0).sss == 6


def test_rule_spells_out_the_criteria_and_the_numbers():
    result = acr2016(SEVEN_GENERALIZED, 2, 2, 1)
    assert "(WPI >= 7 and SSS >= 5) or (WPI 4-6 and SSS >= 9)" in result.rule
    assert "3 months" in result.rule
    assert "Here: WPI 7, SSS 5, pain in 5 of 5 regions." in result.rule
    assert "rule" not in result.to_dict()


def test_unknown_region_is_named():
    with pytest.raises(ValueError, match="left_knee"):
        acr2016(["neck", "left_knee"], 0, 0, 0)


def test_a_single_string_is_not_taken_letter_by_letter():
    with pytest.raises(TypeError):
        acr2016("neck", 0, 0, 0)


@pytest.mark.parametrize(
    ("fatigue", "unrefreshed", "cognitive", "bad"),
    [(4, 0, 0, "fatigue"), (0, -1, 0, "unrefreshed"), (0, 0, 1.5, "cognitive"), (True, 0, 0, "fatigue")],
)
def test_symptom_items_outside_0_3_are_named(fatigue, unrefreshed, cognitive, bad):
    with pytest.raises(ValueError, match=bad):
        acr2016([], fatigue, unrefreshed, cognitive)


@pytest.mark.parametrize(
    ("fs", "band"),
    [
        (0, "none"), (3, "none"), (4, "mild"), (7, "mild"), (8, "moderate"), (11, "moderate"),
        (12, "severe"), (19, "severe"), (20, "very severe"), (31, "very severe"),
    ],
)
def test_fs_severity_band_edges(fs, band):
    assert fs_severity(fs) == band


@pytest.mark.parametrize("fs", [-1, 32])
def test_fs_outside_0_31_is_refused(fs):
    with pytest.raises(ValueError, match=str(fs)):
        fs_severity(fs)


# --- FIQR ---------------------------------------------------------------------

FUNCTION = [3, 5, 2, 6, 7, 4, 5, 1, 3]  # sum 36 -> 36 / 3 = 12
OVERALL = [6, 4]  # sum 10 -> 10
SYMPTOMS = [7, 6, 8, 5, 4, 6, 3, 7, 2, 2]  # sum 50 -> 50 / 2 = 25


def test_fiqr_items_are_in_the_official_order_and_domains():
    assert len(scores.FIQR_ITEMS) == 21
    assert [d for _, _, d in scores.FIQR_ITEMS] == ["function"] * 9 + ["overall"] * 2 + ["symptoms"] * 10
    assert len({key for key, _, _ in scores.FIQR_ITEMS}) == 21
    assert scores.FIQR_ITEMS[0][1] == "Brush or comb hair"
    assert scores.FIQR_ITEMS[11][0] == "pain"
    assert scores.FIQR_FORM_URL == "https://fiqr.info"


def test_fiqr_worked_example():
    result = fiqr(FUNCTION + OVERALL + SYMPTOMS)
    assert result.to_dict() == {
        "function": 12.0, "overall": 10.0, "symptoms": 25.0,
        "total": 47.0, "severity": "moderate", "valid": True,
    }
    assert result.problems == []


def test_fiqr_all_zero_is_0_and_all_ten_is_100():
    zero = fiqr([0] * 21)
    assert (zero.function, zero.overall, zero.symptoms, zero.total) == (0, 0, 0, 0)
    assert zero.severity == "remission"
    ten = fiqr([10] * 21)
    assert (ten.function, ten.overall, ten.symptoms, ten.total) == (30, 20, 50, 100)
    assert ten.severity == "very severe"


def test_one_missing_function_item_is_scaled_by_9_over_8():
    result = fiqr([None] + FUNCTION[1:] + OVERALL + SYMPTOMS)
    # answered sum 33, scaled 33 * 9 / 8 = 37.125, divided by 3 = 12.375
    assert result.function == 12.375
    assert result.total == 47.375
    assert result.severity == "moderate"
    assert result.valid is True
    assert len(result.problems) == 1
    assert "Brush or comb hair" in result.problems[0] and "9/8" in result.problems[0]


def test_nan_counts_as_missing():
    result = fiqr([math.nan] + FUNCTION[1:] + OVERALL + SYMPTOMS)
    assert result.function == 12.375


def test_two_missing_function_items_make_it_invalid():
    result = fiqr([None, None] + FUNCTION[2:] + OVERALL + SYMPTOMS)
    assert result.to_dict() == {
        "function": None, "overall": 10.0, "symptoms": 25.0,
        "total": None, "severity": None, "valid": False,
    }
    assert "2 of 9 function items" in result.problems[0]


def test_one_missing_symptom_item_makes_it_invalid():
    result = fiqr(FUNCTION + OVERALL + SYMPTOMS[:-1] + [None])
    assert result.to_dict() == {
        "function": 12.0, "overall": 10.0, "symptoms": None,
        "total": None, "severity": None, "valid": False,
    }
    assert "1 of 10 symptom items" in result.problems[0]
    assert "Sensitivity to noise" in result.problems[0]


def test_one_missing_overall_item_makes_it_invalid():
    result = fiqr(FUNCTION + [6, None] + SYMPTOMS)
    assert (result.function, result.overall, result.symptoms) == (12.0, None, 25.0)
    assert result.total is None
    assert result.valid is False


def test_function_score_can_be_a_third():
    result = fiqr([1] + [0] * 20)
    assert result.function == pytest.approx(1 / 3)
    assert result.total == pytest.approx(1 / 3)


def test_total_between_integer_bands_belongs_to_the_lower_band():
    # symptoms sum 47 -> 23.5; sum 48 -> 24
    below = fiqr([0] * 11 + [10, 10, 10, 10, 7, 0, 0, 0, 0, 0])
    assert below.total == 23.5
    assert below.severity == "remission"
    at = fiqr([0] * 11 + [10, 10, 10, 10, 8, 0, 0, 0, 0, 0])
    assert at.total == 24
    assert at.severity == "mild"


def test_decimal_answers_add_up_exactly_at_a_threshold():
    """6.6 + 9.7 + 15.4 / 2 is 24 on paper but 23.999... in naive float sums."""
    result = fiqr([0] * 9 + [6.6, 9.7] + [10, 5.4] + [0] * 8)
    assert result.overall == 16.3
    assert result.symptoms == 7.7
    assert result.total == 24.0
    assert result.severity == "mild"


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (0, "remission"), (23, "remission"), (23.5, "remission"), (23.99, "remission"),
        (24, "mild"), (40, "mild"), (40.5, "mild"), (41, "moderate"), (63.9, "moderate"),
        (64, "severe"), (82.9, "severe"), (83, "very severe"), (100, "very severe"),
    ],
)
def test_fiqr_severity_band_edges(total, band):
    assert fiqr_severity(total) == band


@pytest.mark.parametrize("total", [-0.5, 100.5])
def test_fiqr_total_outside_0_100_is_refused(total):
    with pytest.raises(ValueError):
        fiqr_severity(total)


@pytest.mark.parametrize("count", [20, 22])
def test_fiqr_wrong_item_count_is_refused(count):
    with pytest.raises(ValueError, match=f"21 items, got {count}"):
        fiqr([0] * count)


@pytest.mark.parametrize("bad", [11, -1, "5", True])
def test_fiqr_item_outside_0_10_is_named(bad):
    with pytest.raises(ValueError, match=r"item 3 \(prepare_meal\)"):
        fiqr([0, 0, bad] + [0] * 18)


# --- Medication overuse (ICHD-3) -----------------------------------------------


def doses(month: str = "2024-03", **days_by_class: list[int]) -> pd.DataFrame:
    """One morning dose of each class on each listed day of the month."""
    rows = [
        (pd.Timestamp(f"{month}-{day:02d} 08:00"), drug_class)
        for drug_class, days in days_by_class.items()
        for day in days
    ]
    return pd.DataFrame(rows, columns=["time", "drug_class"])


def row(result: pd.DataFrame, drug_class: str, month: str = "2024-03") -> pd.Series:
    match = result[(result["month"] == month) & (result["drug_class"] == drug_class)]
    assert len(match) == 1
    return match.iloc[0]


def days_1_to(n: int) -> list[int]:
    return list(range(1, n + 1))


def test_output_columns_and_types():
    result = medication_overuse(doses(triptan=[1]))
    assert list(result.columns) == ["month", "drug_class", "days", "threshold", "crossed"]
    assert result["days"].dtype == "int64"
    assert result["crossed"].dtype == bool


@pytest.mark.parametrize(
    ("drug_class", "threshold"),
    [("triptan", 10), ("ergot", 10), ("opioid", 10), ("combination_analgesic", 10),
     ("simple_analgesic", 15), ("nsaid", 15)],
)
def test_thresholds_by_class(drug_class, threshold):
    result = medication_overuse(doses(**{drug_class: [1]}))
    assert row(result, drug_class)["threshold"] == threshold


@pytest.mark.parametrize(("days", "crossed"), [(9, False), (10, True)])
def test_triptan_crosses_at_10_days(days, crossed):
    r = row(medication_overuse(doses(triptan=days_1_to(days))), "triptan")
    assert r["days"] == days
    assert bool(r["crossed"]) is crossed


@pytest.mark.parametrize(("days", "crossed"), [(10, False), (14, False), (15, True)])
@pytest.mark.parametrize("drug_class", ["simple_analgesic", "nsaid"])
def test_simple_analgesics_and_nsaids_cross_at_15_days(drug_class, days, crossed):
    r = row(medication_overuse(doses(**{drug_class: days_1_to(days)})), drug_class)
    assert r["days"] == days
    assert bool(r["crossed"]) is crossed


def test_several_doses_on_one_day_count_as_one_day():
    frame = pd.DataFrame(
        {
            "time": pd.to_datetime(
                ["2024-03-01 07:00", "2024-03-01 13:00", "2024-03-01 22:00", "2024-03-02 09:00"]
            ),
            "drug_class": ["triptan"] * 4,
        }
    )
    assert row(medication_overuse(frame), "triptan")["days"] == 2


def test_classes_ichd3_does_not_count_have_no_threshold():
    result = medication_overuse(doses(muscle_relaxant=days_1_to(20)))
    relaxant = row(result, "muscle_relaxant")
    assert relaxant["days"] == 20
    assert math.isnan(relaxant["threshold"])
    assert bool(relaxant["crossed"]) is False
    combined = row(result, "all_acute")
    assert (combined["days"], bool(combined["crossed"])) == (0, False)


def test_only_classes_with_doses_get_a_row_and_all_acute_comes_last():
    result = medication_overuse(doses(nsaid=[2], triptan=[1], sleep_aid=[3]))
    assert list(result["drug_class"]) == ["nsaid", "triptan", "sleep_aid", "all_acute"]


@pytest.mark.parametrize(
    ("simple", "nsaid", "days", "crossed"),
    [
        (range(1, 7), range(7, 11), 10, True),  # 6 + 4 separate days
        (range(1, 6), range(6, 10), 9, False),  # 5 + 4 separate days
        (range(1, 10), range(1, 10), 9, False),  # both on the same 9 days
        (range(1, 9), range(5, 13), 12, True),  # days 1-8 and 5-12 overlap
        (range(1, 15), [20], 15, True),  # 14 + 1: neither alone, 15 together
    ],
)
def test_all_acute_counts_distinct_days_across_several_classes(simple, nsaid, days, crossed):
    result = medication_overuse(doses(simple_analgesic=list(simple), nsaid=list(nsaid)))
    combined = row(result, "all_acute")
    assert combined["days"] == days
    assert combined["threshold"] == 10
    assert bool(combined["crossed"]) is crossed
    assert not result.loc[result["drug_class"] != "all_acute", "crossed"].any()


def test_one_class_alone_uses_its_own_threshold_not_the_combined_one():
    result = medication_overuse(doses(simple_analgesic=days_1_to(12)))
    combined = row(result, "all_acute")
    assert combined["days"] == 12
    assert bool(combined["crossed"]) is False


def test_non_acute_classes_do_not_make_several_classes():
    result = medication_overuse(
        doses(simple_analgesic=days_1_to(12), muscle_relaxant=[20, 21], antidepressant=[22])
    )
    combined = row(result, "all_acute")
    assert combined["days"] == 12
    assert bool(combined["crossed"]) is False


def test_a_class_overused_on_its_own_is_the_flag_not_the_combination():
    result = medication_overuse(doses(triptan=days_1_to(10), nsaid=[20, 21]))
    assert bool(row(result, "triptan")["crossed"]) is True
    combined = row(result, "all_acute")
    assert combined["days"] == 12
    assert bool(combined["crossed"]) is False


def test_months_are_calendar_months():
    frame = pd.DataFrame(
        {
            "time": pd.to_datetime(["2024-03-31 23:30", "2024-04-01 00:30", "2024-02-29 12:00"]),
            "drug_class": ["triptan", "triptan", "triptan"],
        }
    )
    result = medication_overuse(frame)
    assert list(result["month"]) == ["2024-02", "2024-02", "2024-03", "2024-03", "2024-04", "2024-04"]
    assert list(result["days"]) == [1, 1, 1, 1, 1, 1]


def test_timezone_aware_times_use_their_local_day():
    frame = pd.DataFrame(
        {
            "time": pd.Series(pd.to_datetime(["2024-03-31 23:30"])).dt.tz_localize("Europe/Berlin"),
            "drug_class": ["opioid"],
        }
    )
    assert list(medication_overuse(frame)["month"]) == ["2024-03", "2024-03"]


def test_no_doses_give_an_empty_table():
    result = medication_overuse(pd.DataFrame(columns=["time", "drug_class"]))
    assert result.empty
    assert list(result.columns) == ["month", "drug_class", "days", "threshold", "crossed"]


def test_unknown_class_is_named():
    frame = doses(triptan=[1])
    frame.loc[1] = [pd.Timestamp("2024-03-02"), "cannabis"]
    with pytest.raises(ValueError, match="cannabis"):
        medication_overuse(frame)


def test_missing_column_is_named():
    with pytest.raises(ValueError, match="drug_class"):
        medication_overuse(pd.DataFrame({"time": pd.to_datetime(["2024-03-01"])}))


def test_undated_dose_is_refused():
    frame = pd.DataFrame({"time": pd.to_datetime(["2024-03-01", None]), "drug_class": ["nsaid", "nsaid"]})
    with pytest.raises(ValueError, match="1 doses have no time"):
        medication_overuse(frame)


def test_time_must_be_datetime():
    with pytest.raises(ValueError, match="datetime64"):
        medication_overuse(pd.DataFrame({"time": ["2024-03-01"], "drug_class": ["nsaid"]}))


# --- overuse notes ---------------------------------------------------------------


def test_note_for_a_class_that_reached_its_threshold():
    r = row(medication_overuse(doses(triptan=days_1_to(10))), "triptan")
    assert overuse_note(r) == (
        "Triptan used on 10 days in March 2024, which reached the ICHD-3 medication-overuse "
        "threshold for this class (10 days a month). This is not a diagnosis, but it is worth "
        "mentioning to your doctor."
    )


def test_note_for_a_class_below_its_threshold():
    r = row(medication_overuse(doses(nsaid=days_1_to(14))), "nsaid")
    assert overuse_note(r) == (
        "NSAID used on 14 days in March 2024: 1 day below the ICHD-3 medication-overuse "
        "threshold for this class (15 days a month)."
    )


def test_note_for_a_class_ichd3_does_not_count():
    r = row(medication_overuse(doses(sleep_aid=[1])), "sleep_aid")
    assert overuse_note(r) == (
        "Sleep aid used on 1 day in March 2024. ICHD-3 does not count this class towards "
        "medication overuse."
    )


def test_note_for_several_classes_together():
    r = row(medication_overuse(doses(simple_analgesic=days_1_to(6), nsaid=[7, 8, 9, 10])), "all_acute")
    note = overuse_note(r)
    assert note.startswith("Acute pain and headache medicines of several classes were used on 10 days")
    assert "worth mentioning to your doctor" in note


def test_note_for_a_combined_count_below_10():
    note = overuse_note({"month": "2024-03", "drug_class": "all_acute", "days": 7,
                         "threshold": 10.0, "crossed": False})
    assert note == (
        "Acute pain and headache medicines were used on 7 days in total in March 2024: "
        "3 days below the ICHD-3 threshold for several classes combined (10 days a month)."
    )


def test_note_for_a_combined_count_of_one_class():
    r = row(medication_overuse(doses(simple_analgesic=days_1_to(12))), "all_acute")
    note = overuse_note(r)
    assert "12 days in total in March 2024" in note
    assert "applies only when several classes share those days" in note
    assert "doctor" not in note


def test_note_for_a_month_without_acute_medicines():
    r = row(medication_overuse(doses(antidepressant=[1])), "all_acute")
    assert overuse_note(r) == "No acute pain or headache medicines were used in March 2024."


def test_the_overuse_thresholds_cover_exactly_the_acute_classes():
    from dashboard import domain
    from dashboard.analysis.scores import OVERUSE_THRESHOLDS

    assert set(OVERUSE_THRESHOLDS) == set(domain.ACUTE_CLASSES)


def test_every_fiqr_item_has_its_own_anchors_and_sleep_runs_its_own_way():
    from dashboard import domain

    assert [key for key, _, _ in scores.FIQR_ITEMS] == list(domain.FIQR_ANCHORS)
    assert domain.anchors_text(domain.FIQR_ANCHORS["sleep"]) == "0 = awoke well rested · 10 = awoke very tired"
    assert domain.RATING_ANCHORS["sleep_quality"] == ("very poor", "excellent")  # the diary's: 10 best
    assert all(domain.RATING_ANCHORS[name] == ("none", "worst") for name in domain.DAILY_RATINGS
               if name != "sleep_quality")
    assert domain.rating_axis_label("pain_lower_back") == "Lower back pain (0 = none, 10 = worst)"
