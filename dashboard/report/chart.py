"""The report's one figure: pain, sleep and painkiller doses on a shared date axis.

Drawn with matplotlib's Agg canvas directly (no pyplot, so no global figure state
and no browser), in the dashboard's pressure colours *and* marker shapes, with
line styles and hatching so that it also reads when printed in grey.
"""

from __future__ import annotations

import io

import matplotlib.dates as mdates
from matplotlib.ticker import MaxNLocator
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from .. import domain
from ..analysis import summary as an
from ..wording import plural
from .content import Report

DPI = 200
LINE_DAYS = 190  # over longer periods a dotted line per session would grey the whole plot
MARKERS = {"circle": "o", "square": "s", "triangle": "^", "diamond": "D"}
SLEEP_COLOR, QUALITY_COLOR, DOSE_COLOR = "#0072B2", "#6A5ACD", "#7F7F7F"
NAP_COLOR = "#9CCAEB"  # lighter than the sleep line's blue, as on the dashboard
SHORT_DAYS = 62  # up to this long, every tick names its day and month ("21 Nov")
MIN_DAYS_SHOWN = 7  # a shorter period is drawn as a week, so its days are not slabs
FONT = "DejaVu Sans"  # the font matplotlib ships; the PDF's text uses the same


def _session_y(sessions: pd.DataFrame, daily: pd.DataFrame) -> pd.Series:
    """Where a session's marker sits: pain after, else before, else the day's pain (as the
    dashboard's pain plot does)."""
    day_pain = daily.set_index("date")["pain"] if not daily.empty else pd.Series(dtype=float)
    fallback = sessions["start"].dt.normalize().map(day_pain)
    return (sessions["pain_after"].fillna(sessions["pain_before"]).fillna(fallback)
            .fillna(0.0).astype("float64"))


def _naps(daily: pd.DataFrame) -> pd.DataFrame | None:
    """Days with naps: ``date``, ``bottom`` (the night's hours, 0 when blank), ``top``
    (plus the naps' hours); None when the period has no naps."""
    if daily.empty or "nap_minutes" not in daily:
        return None
    naps = pd.to_numeric(daily["nap_minutes"], errors="coerce")
    days = daily[naps > 0]
    if days.empty:
        return None
    bottom = days["sleep_hours"].astype("float64").fillna(0.0)
    return pd.DataFrame({"date": days["date"], "bottom": bottom,
                         "top": bottom + naps[naps > 0] / 60})


def caption(report: Report) -> str:
    """What the figure shows, in a sentence or two, for under it."""
    lines = ("Lines: weekly means; markers: massage sessions by pressure (colour and shape) "
             "at the pain just after the session." if report.days > LINE_DAYS else
             "Dotted lines: massage sessions; markers by pressure (colour and shape) at the "
             "pain just after the session.")
    naps = (" Light bars on top of night sleep: naps." if report.days <= LINE_DAYS
            and _naps(report.daily) is not None else "")
    return (f"{lines}{naps} Painkillers: doses of as-needed classes (simple analgesics, NSAIDs, "
            "combinations, opioids, triptans, ergots).")


def _weekly(daily: pd.DataFrame) -> pd.DataFrame:
    """Weekly means of the daily lines, for periods where a day is narrower than a line."""
    if daily.empty:
        return daily
    columns = ["pain", "sleep_hours", "sleep_quality"]
    return (daily.set_index("date")[columns].astype("float64").resample("W").mean()
            .reset_index())


def _line(ax, dates: pd.Series, values: pd.Series, **style) -> None:
    """A daily line, with a marker on each value no segment reaches (a lone first day, or
    a day between blanks), which a line alone would not show."""
    ax.plot(dates, values, **style)
    lone = an.lone_points(dates, values)
    if lone.any():
        ax.plot(dates[lone], values[lone], linestyle="none", marker="o", markersize=3.2,
                color=style.get("color"), zorder=3)


def _axis_label(name: str) -> str:
    """'Pain\n(0 = none, 10 = worst)': the rating's anchors under its name."""
    return domain.rating_axis_label(name, "\n")


def _style(ax, label: str) -> None:
    ax.set_ylabel(label, fontsize=7.5, family=FONT)
    ax.tick_params(labelsize=7)
    ax.grid(axis="y", color="#DDDDDD", linewidth=0.6)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def x_limits(report: Report) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The chart's first and last instant: half a day before the first day's point, and the
    whole last day (its sessions and its dose bar, at noon; noon was the edge, and a
    session logged today at 17:30 lay past it); at least ``MIN_DAYS_SHOWN`` days."""
    start = pd.Timestamp(report.start) - pd.Timedelta(hours=12)
    end = pd.Timestamp(report.end) + pd.Timedelta(days=1)
    return min(start, end - pd.Timedelta(days=MIN_DAYS_SHOWN)), end


def draw(report: Report, width_in: float, height_in: float = 4.4) -> bytes:
    """The figure as a PNG at ``DPI`` dots per inch, ``width_in`` inches wide."""
    fig = Figure(figsize=(width_in, height_in), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    pain_ax, sleep_ax, dose_ax = fig.subplots(3, 1, sharex=True, height_ratios=[1.3, 1, 0.7])
    daily, sessions = report.daily, report.sessions
    long = report.days > LINE_DAYS
    lines = _weekly(daily) if long else daily
    start, end = x_limits(report)

    for when in sessions["start"] if not long else ():
        for ax in (pain_ax, sleep_ax, dose_ax):
            ax.axvline(when, color="#BBBBBB", linewidth=0.6, linestyle=":", zorder=0)

    handles = []
    if not lines.empty:
        _line(pain_ax, lines["date"], lines["pain"], color="black", linewidth=1.0)
    handles.append(Line2D([], [], color="black", linewidth=1.0,
                          label="Pain, weekly mean" if long else "Daily pain"))
    if not sessions.empty:
        y = _session_y(sessions, daily)
        for pressure in domain.PRESSURES:
            mine = (sessions["pressure"] == pressure).to_numpy()
            if not mine.any():
                continue
            marker = MARKERS[domain.PRESSURE_MARKERS[pressure]]
            pain_ax.scatter(sessions["start"][mine], y[mine], marker=marker, s=12 if long else 34,
                            color=domain.PRESSURE_COLORS[pressure], edgecolors="black",
                            linewidths=0.6, zorder=3)
            handles.append(Line2D([], [], marker=marker, linestyle="none", markersize=6,
                                  markerfacecolor=domain.PRESSURE_COLORS[pressure],
                                  markeredgecolor="black", markeredgewidth=0.6,
                                  label=f"{domain.PRESSURE_LABELS[pressure]} session ({mine.sum()})"))
    pain_ax.set_ylim(-0.3, 10.3)
    pain_ax.set_yticks([0, 5, 10])
    _style(pain_ax, _axis_label("pain"))
    pain_ax.legend(handles=handles, fontsize=6.5, loc="upper left", ncols=min(len(handles), 5),
                   frameon=False, bbox_to_anchor=(0, 1.22), borderaxespad=0,
                   prop={"family": FONT, "size": 6.5})

    quality_ax = sleep_ax.twinx()  # both sleep lines share the dates; quality on the right
    if not lines.empty:
        _line(sleep_ax, lines["date"], lines["sleep_hours"], color=SLEEP_COLOR, linewidth=1.0)
        _line(quality_ax, lines["date"], lines["sleep_quality"], color=QUALITY_COLOR,
              linewidth=0.9, linestyle=(0, (3, 1.5)))
    naps = _naps(report.daily) if not long else None
    if naps is not None:
        sleep_ax.bar(naps["date"], naps["top"] - naps["bottom"], bottom=naps["bottom"], width=0.6,
                     color=NAP_COLOR, edgecolor=SLEEP_COLOR, linewidth=0.3, zorder=2)
        sleep_ax.legend(handles=[Line2D([], [], color=SLEEP_COLOR, linewidth=1.0,
                                        label="Night sleep"),
                                 Patch(facecolor=NAP_COLOR, edgecolor=SLEEP_COLOR, linewidth=0.3,
                                       label="Naps, on top")],
                        loc="upper left", frameon=False, ncols=2,
                        prop={"family": FONT, "size": 6.5})
    sleep_ax.set_ylim(0, 12)
    quality_ax.set_ylim(-0.3, 10.3)
    quality_ax.set_yticks([0, 5, 10])
    quality_ax.tick_params(labelsize=7)
    quality_ax.set_ylabel(_axis_label("sleep_quality").replace("\n", ", dashed\n"),
                          fontsize=7, family=FONT)
    quality_ax.spines["top"].set_visible(False)
    _style(sleep_ax, "Hours asleep,\nsolid")

    per_day = an.doses_per_day(report.doses[report.doses["drug_class"].isin(domain.ACUTE_CLASSES)])
    hatched = dict(color="#D9D9D9", edgecolor=DOSE_COLOR, hatch="/////", linewidth=0.4)
    if not per_day.empty and report.days <= LINE_DAYS:
        counts = per_day.sum(axis=1)
        dose_ax.bar(counts.index + pd.Timedelta(hours=12), counts.to_numpy(), width=0.85, **hatched)
    elif not per_day.empty:  # one shape, not thousands of bars (seconds saved over ten years)
        days = pd.date_range(report.start, report.end, freq="D")
        counts = per_day.sum(axis=1).reindex(days, fill_value=0).resample("W").sum()
        dose_ax.fill_between(counts.index, counts.to_numpy(), step="mid", **hatched)
    painkiller_days = len(an.painkiller_days(report.doses))
    dose_ax.set_ylim(0, max(3, float(counts.max()) * 1.1 if not per_day.empty else 3))
    dose_ax.yaxis.set_major_locator(MaxNLocator(nbins=3, integer=True))
    _style(dose_ax, f"{'Doses a week' if long else 'Painkiller doses'}\n"
                    f"({plural(painkiller_days, 'day')})")

    dose_ax.set_xlim(start, end)
    locator = mdates.AutoDateLocator(minticks=4, maxticks=10)
    dose_ax.xaxis.set_major_locator(locator)
    dose_ax.xaxis.set_major_formatter(
        mdates.DateFormatter("%d %b") if report.days <= SHORT_DAYS  # days only, with the month
        else mdates.ConciseDateFormatter(locator, show_offset=False))

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    return buffer.getvalue()
