"""table_html: read-only tables as escaped HTML, the rows past the first behind a disclosure."""

from __future__ import annotations

import re

import pandas as pd

from dashboard.ui.tables import table_html


def frame(n: int) -> pd.DataFrame:
    return pd.DataFrame({"Day": [f"day {i + 1}" for i in range(n)], "Pain": list(range(n))})


def bodies(html: str) -> list[list[list[str]]]:
    """Each table's body rows as lists of cell texts."""
    return [[re.findall(r"<td[^>]*>(.*?)</td>", row) for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body)]
            for body in re.findall(r"<tbody[^>]*>(.*?)</tbody>", html)]


def test_the_first_rows_then_the_others_behind_a_disclosure():
    html = table_html(frame(32), "Your days", right=["Pain"], css_class="days", first=15)
    shown, rest = bodies(html)
    assert [row[0] for row in shown] == [f"day {i + 1}" for i in range(15)]
    assert [row[0] for row in rest] == [f"day {i + 1}" for i in range(15, 32)]
    assert html.startswith('<div class="days">')
    assert "<caption>Your days: rows 1–15 of 32</caption>" in html
    assert "<caption>Your days: rows 16–32 of 32</caption>" in html
    assert '<details class="more-rows"><summary>Show the other 17 rows</summary>' in html
    assert html.index("<details") > html.index("day 15<") and html.index("day 16<") > html.index("<details")
    assert '<td role="cell" class="number" data-label="Pain">0</td>' in html
    assert '<th scope="col" role="columnheader" class="number">Pain</th>' in html
    assert '<th scope="col" role="columnheader">Day</th>' in html
    assert '<td role="cell" data-label="Day">day 1</td>' in html
    assert 'role="region" aria-label="Your days" tabindex="0"' in html


def test_a_short_table_has_no_disclosure():
    html = table_html(frame(15), "Your days", first=15)
    assert len(bodies(html)) == 1 and "<details" not in html and "15 rows</caption>" in html
    assert "1 row</caption>" in table_html(frame(1), "Your days")
    assert "Show the other 1 row<" in table_html(frame(16), "Your days", first=15)


def test_text_is_escaped_and_an_empty_table_says_so():
    rows = pd.DataFrame({"<b>Note</b>": ["<script>alert(1)</script> & more"]})
    html = table_html(rows, 'Notes "mine"', css_class='x" onclick="y')
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in html
    assert 'data-label="&lt;b&gt;Note&lt;/b&gt;"' in html
    assert "&lt;b&gt;Note&lt;/b&gt;" in html and 'aria-label="Notes &quot;mine&quot;"' in html
    assert 'onclick="y' not in html
    empty = table_html(pd.DataFrame(columns=["Day", "Pain"]), "Your days")
    assert 'colspan="2">Nothing to show.' in empty and "Your days: no rows" in empty


def test_marks_give_a_cell_a_class_on_both_sides_of_the_disclosure():
    statuses = ["missed" if i % 7 == 0 else "given" for i in range(20)]
    html = table_html(frame(20), "Your days", right=["Pain"], first=15,
                      marks={"Day": statuses, "Pain": ['x" onclick="y'] * 20})
    assert '<td role="cell" class="missed" data-label="Day">day 1</td>' in html
    assert '<td role="cell" class="missed" data-label="Day">day 15</td>' in html  # row 14
    assert '<td role="cell" class="given" data-label="Day">day 16</td>' in html
    assert html.count('class="missed"') == 3 and 'onclick="y' not in html
    assert '<td role="cell" class="number x&quot; onclick=&quot;y" data-label="Pain">0</td>' in html
    assert len(bodies(table_html(frame(40), "All", first=None))[0]) == 40  # None: every row


def test_the_trial_schedule_and_the_import_summary_are_house_tables():
    from dashboard.ui.import_page import summary_html
    from dashboard.ui.trial_page import schedule_html

    slots = pd.DataFrame({
        "date": pd.to_datetime(["2026-11-02", "2026-11-04"]), "pressure": ["light", "deep"],
        "block": [1, 1], "period": [1, 2], "status": ["deviation", "ahead"],
        "deviation": ["<b>deep</b> instead of light", ""], "note": ["", ""],
        "given_on": [pd.Timestamp("2026-11-02 17:30"), None], "outcome": [4.0, float("nan")]})
    html = schedule_html(slots)
    assert html.startswith('<div class="trial-schedule"><div class="table-scroll"')
    assert ('<td role="cell" class="deviation" data-label="What happened">deviation '
            '(&lt;b&gt;deep&lt;/b&gt; instead of light)</td>') in html
    assert [row[2:] for row in bodies(html)[0]] == [["1", "1", "deviation (&lt;b&gt;deep&lt;/b&gt; "
                                                     "instead of light)", "02 Nov 17:30", "4.0"],
                                                    ["1", "2", "to come", "", ""]]
    summary = {"kind": "bearable", "dry_run": True, "rows_read": 3, "rows_used": 2,
               "rows_skipped": 1, "created": {"daily": 4, "sessions": 3, "doses": 6},
               "updated": dict.fromkeys(("daily", "sessions", "doses"), 0),
               "unchanged": dict.fromkeys(("daily", "sessions", "doses"), 1),
               "skipped": {"<img src=x>": 1}, "notes": ["<script>x</script>"],
               "first_date": "2026-01-01", "last_date": "2026-01-02", "patients": ["<i>Me</i>"]}
    html = summary_html(summary)
    assert '<div class="import-summary"><div class="table-scroll"' in html
    assert bodies(html)[0] == [["Daily check-ins", "4", "0", "1"], ["Massage sessions", "3", "0", "1"],
                               ["Medication doses", "6", "0", "1"]]
    assert 'data-label="Would add">4<' in html and "<script>" not in html and "<img" not in html
    assert "&lt;i&gt;Me&lt;/i&gt;" in html
