"""The body figure without a browser: its geometry, its colours, the values per area and
the viewers' toggling."""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import pytest

from dashboard import body_areas, demo, domain
from dashboard.ui import body_geometry as geo
from dashboard.ui import bodymap as bm
from dashboard.session import DiarySession
from dashboard.ui.datastore import DataStore

END = dt.date(2026, 6, 30)


def parts_by_name() -> dict[str, geo.Part]:
    return {part.name: part for part in geo.body_parts()}


def rows(columns: dict) -> pd.DataFrame:
    """One row per part: its names and what it shows (the figure's source columns)."""
    names = {k: v for k, v in bm.part_columns(label_by_area=True).items() if k not in ("xs", "ys")}
    return pd.DataFrame({**names, **columns})


@pytest.fixture
def data(store) -> DataStore:
    demo.write_demo(store, days=90, seed=5, end=END)
    return DataStore(DiarySession(store))


# --- geometry ---------------------------------------------------------------------

def test_every_wpi_region_has_exactly_one_polygon():
    regions = [part.region for part in geo.body_parts() if part.region is not None]
    assert sorted(regions) == sorted(domain.WPI_REGIONS)
    assert len(regions) == len(set(regions)) == 19


def test_part_names_are_unique_and_polygons_are_closed_shapes():
    parts = geo.body_parts()
    assert len({p.name for p in parts}) == len(parts)
    for part in parts:
        assert len(part.xs) == len(part.ys) >= 8, part.name
        assert all(math.isfinite(v) for v in (*part.xs, *part.ys)), part.name


def test_upper_and_lower_back_are_on_the_back_view_and_the_rest_on_the_front():
    for part in geo.body_parts():
        if part.region in ("upper_back", "lower_back"):
            assert part.view == geo.BACK, part.name
        elif part.region is not None:
            assert part.view == geo.FRONT, part.name


def test_every_body_area_maps_to_polygons_and_to_its_wpi_regions():
    for area in domain.BODY_AREAS:
        parts = [p for p in geo.body_parts() if p.area == area]
        assert parts, f"no polygon for {area}"
        assert {p.region for p in parts if p.region} == set(domain.AREA_TO_WPI[area]), area


def test_head_hands_and_feet_are_outlines_not_wpi_regions():
    for area in ("head", "hands", "feet"):
        parts = [p for p in geo.body_parts() if p.area == area]
        assert parts and all(p.region is None for p in parts), area


def test_the_person_s_left_is_on_the_viewer_s_right_in_front_and_on_the_left_from_behind():
    parts = parts_by_name()
    assert parts["left_upper_arm"].centroid()[0] > 0 > parts["right_upper_arm"].centroid()[0]
    assert parts["left_jaw"].centroid()[0] > 0 > parts["right_jaw"].centroid()[0]
    assert parts["back_left_upper_arm"].centroid()[0] < geo.BACK_X < parts["back_right_upper_arm"].centroid()[0]
    labels = {text: x for x, _y, text in bm.FIGURE_LABELS if text != "Back" and x < geo.BACK_X / 2}
    assert labels["Right"] < 0 < labels["Left"]


def test_clicking_a_part_s_aim_point_finds_that_part():
    for part in geo.body_parts():
        x, y = part.aim_point()
        assert part.contains(x, y), part.name
        assert geo.part_at(x, y) == part, part.name


def test_outside_the_figure_is_no_part():
    assert geo.part_at(-45, 215) is None
    assert geo.part_at(50, 100) is None  # between the two views


def test_parts_do_not_overlap():
    """Every part's aim point lies in that part only (shared edges, no stacking)."""
    for part in geo.body_parts():
        x, y = part.aim_point()
        assert [p.name for p in geo.body_parts() if p.contains(x, y)] == [part.name]


# --- colours and elements ----------------------------------------------------------

def test_wpi_columns_fill_ticked_regions_amber_with_a_thicker_outline_drawn_on_top():
    table = rows(bm.wpi_columns(["left_jaw", "upper_back"])).set_index("part")
    for name in ("left_jaw", "upper_back"):
        assert table.loc[name, "fill"] == bm.SELECTED_FILL
        assert table.loc[name, "width"] > bm.LINE_WIDTH
        assert table.loc[name, "value"] == 1.0
    assert table.loc["right_jaw", "fill"] == bm.REGION_FILL
    assert table.loc["head", "fill"] == bm.CONTEXT_FILL
    assert table.loc["right_jaw", "width"] == bm.LINE_WIDTH
    assert sorted(table.index[table["on_top"] == 1]) == ["left_jaw", "upper_back"]


def test_area_colours_grow_darker_with_the_value():
    values = {area: math.nan for area in domain.BODY_AREAS}
    values.update(neck=1.0, shoulders=5.0, lower_back=9.0)
    table = rows(bm.area_columns(values, bm.PAIN_MEASURE)).set_index("part")
    shade = {colour: i for i, colour in enumerate(bm.PALETTE)}
    neck, shoulder, back = (shade[table.loc[n, "fill"]]
                            for n in ("neck", "left_shoulder_girdle", "lower_back"))
    assert neck < shoulder < back
    assert table.loc["right_shoulder_girdle", "fill"] == table.loc["back_left_shoulder", "fill"]
    assert table.loc["head", "fill"] == bm.NO_DATA_FILL
    assert table.loc["head", "text"] == "not logged"
    assert table.loc["lower_back", "text"] == "9.0"


def test_area_columns_outline_the_selected_areas():
    values = {area: 2.0 for area in domain.BODY_AREAS}
    table = rows(bm.area_columns(values, bm.SESSIONS_MEASURE, selected=["legs"]))
    legs = table[table["area"] == "legs"]
    assert len(legs) == 8
    assert (legs["width"] == bm.SELECTED_WIDTH).all() and (legs["line"] == bm.SELECTED_LINE).all()
    assert (table[table["area"] != "legs"]["width"] == bm.LINE_WIDTH).all()


def test_value_bins_cover_pain_and_counts():
    pain = bm.value_bins(bm.PAIN_MEASURE)
    assert [b.label for b in pain] == ["0–2", "2–4", "4–6", "6–8", "8–10"]
    assert pain[0].color == bm.PALETTE[0] and pain[-1].color == bm.PALETTE[-1]
    assert bm.value_color(0.0, pain) == bm.PALETTE[0]
    assert bm.value_color(10.0, pain) == bm.PALETTE[-1]
    assert bm.value_color(None, pain) == bm.NO_DATA_FILL
    counts = bm.value_bins(bm.SESSIONS_MEASURE, 3)
    assert [b.label for b in counts] == ["0", "1", "2", "3"]
    assert bm.value_color(3, counts) == bm.PALETTE[-1]
    many = bm.value_bins(bm.SESSIONS_MEASURE, 13)
    assert many[0].label == "0" and many[-1].high == 13
    assert [b.color for b in many] == sorted({b.color for b in many}, key=bm.PALETTE.index)


def test_area_values_from_a_diary():
    daily = pd.DataFrame({"pain_neck": [4.0, 6.0, None], "pain_legs": [None, None, None]})
    means = body_areas.area_pain_means(daily)
    assert means["neck"] == 5.0
    assert math.isnan(means["legs"]) and math.isnan(means["feet"])
    sessions = pd.DataFrame({"areas": ["neck;shoulders", "neck", ""]})
    counts = body_areas.area_session_counts(sessions)
    assert counts["neck"] == 2 and counts["shoulders"] == 1 and counts["feet"] == 0


def test_legend_names_the_measure_the_steps_and_the_filter():
    values = {area: 3.0 for area in domain.BODY_AREAS}
    text = bm.legend_html(values, bm.SESSIONS_MEASURE, ["upper_back"], "1 Jan <b> 2026")
    assert "Matching sessions per area" in text
    assert ">3<" in text and "Upper back" in text
    assert "&lt;b&gt;" in text and "<b> 2026" not in text


# --- the viewers ----------------------------------------------------------------------

def test_wpi_bodymap_toggles_regions():
    view = bm.WpiBodyMap()
    view.toggle("left_hip")
    view.toggle("neck")
    assert view.selected == ["left_hip", "neck"]
    view.toggle("left_hip")
    assert view.selected == ["neck"]
    with pytest.raises(ValueError):
        view.toggle("head")


def test_wpi_bodymap_taps_toggle_the_region_under_them():
    view = bm.WpiBodyMap()
    jaw = parts_by_name()["left_jaw"].aim_point()
    view.tap(*jaw)
    assert view.selected == ["left_jaw"]
    view.tap(*parts_by_name()["head"].aim_point())  # not a WPI region
    view.tap(*parts_by_name()["back_left_upper_arm"].aim_point())  # context only
    view.tap(-45, 0)
    view.tap(None, None)
    assert view.selected == ["left_jaw"]
    view.tap(*jaw)
    assert view.selected == []


def test_wpi_checkbox_list_follows_the_selection_both_ways():
    view = bm.WpiBodyMap()
    view.toggle("chest")
    assert view.checkboxes.value == ["chest"]
    view.checkboxes.value = ["chest", "right_lower_leg"]
    assert set(view.selected) == {"chest", "right_lower_leg"}
    assert len(view.checkboxes.options) == 19
    assert view.checkboxes.options["Right lower leg"] == "right_lower_leg"


def test_area_bodymap_toggles_the_area_filter(data):
    view = bm.AreaBodyMap(data=data)
    view.toggle("neck")
    view.tap(*parts_by_name()["back_right_hand"].aim_point())
    assert data.filters.areas == ["neck", "hands"]
    view.tap(*parts_by_name()["neck"].aim_point())
    assert data.filters.areas == ["hands"]
    view.tap(50, 100)
    assert data.filters.areas == ["hands"]
    with pytest.raises(ValueError):
        view.toggle("left_jaw")


def test_area_bodymap_values_follow_the_measure_and_the_filters(data):
    view = bm.AreaBodyMap(data=data)
    pain = view.values()
    logged = [a for a in domain.BODY_AREAS if not math.isnan(pain[a])]
    assert logged and all(0 <= pain[a] <= 10 for a in logged)
    view.measure = bm.SESSIONS_MEASURE
    counts = view.values()
    assert sum(counts.values()) > 0
    data.filters.areas = ["neck"]
    assert view.values() == counts, "the area filter only outlines areas"
    data.filters.pressures = []
    assert sum(view.values().values()) == 0
    neck = rows(view._columns(view.shown)).query("area == 'neck'")
    assert (neck["width"] == bm.SELECTED_WIDTH).all()
    drawn = pd.DataFrame(dict(view.figure.source.data)).query("area == 'neck'")
    assert (drawn["width"] == bm.SELECTED_WIDTH).all(), "the figure shows what the view says"


def test_the_figures_are_plain_bokeh_plots_with_hover_and_a_click_handler(data):
    for view, name in ((bm.WpiBodyMap(), "wpi-figure"), (bm.AreaBodyMap(data=data), "area-figure")):
        plot = view.figure.figure
        assert plot.name == name
        assert [type(t).__name__ for t in plot.toolbar.tools] == ["HoverTool"]
        assert plot._event_callbacks.get("tap") and plot._event_callbacks.get("doubletap"), "no click handler"


def test_area_bodymap_tap_from_the_browser(data):
    """A tap event on the Bokeh figure (as the browser sends it) toggles the area."""
    from bokeh.events import Tap

    view = bm.AreaBodyMap(data=data)
    x, y = parts_by_name()["neck"].aim_point()
    view.figure.figure._trigger_event(Tap(view.figure.figure, x=x, y=y))
    assert data.filters.areas == ["neck"]


def test_the_figure_is_drawn_to_scale():
    plot = bm.WpiBodyMap().figure.figure
    assert (plot.min_border_left, plot.min_border_right, plot.min_border_top, plot.min_border_bottom) == (0,) * 4
    x0, x1 = bm.XLIM
    y0, y1 = bm.YLIM
    assert plot.width / plot.height == pytest.approx((x1 - x0) / (y1 - y0), rel=0.01)


def test_a_pressure_click_while_pain_is_shown_leaves_the_area_map_alone(data):
    """Mean pain does not depend on the pressures: the map is not redrawn for them."""
    view = bm.AreaBodyMap(data=data)
    changes = []
    view.param.watch(changes.append, "shown")
    data.filters.pressures = ["deep"]
    assert changes == []
    view.measure = bm.SESSIONS_MEASURE
    data.filters.pressures = ["light"]
    assert len(changes) == 2
