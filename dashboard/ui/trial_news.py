"""What the Overview, the Trial page and the therapist's view say of a running trial: a lost
period at once, then the next planned session (escaped HTML, from ``dashboard.trials``).
"""

from __future__ import annotations

from ..trials import OpenTrial
from .text import escape_html


def next_session_html(found: OpenTrial | None) -> str:
    """The line the dashboard and the therapist's view show: the next planned session."""
    if found is None:
        return ""
    text = found.next_session_text()
    return f"<p class='trial-next'><b>Trial:</b> {escape_html(text)}.</p>"


def lost_html(news: dict) -> str:
    """A lost period, said at once: which, why, and what it costs."""
    if not news["text"]:
        return ""
    return f"<p class='trial-lost'><b>Trial: a period was lost.</b> {escape_html(news['text'])}</p>"


def trial_news_html(found: OpenTrial | None) -> str:
    """What the Overview and the therapist's view show of a trial: a lost period first, then
    the next planned session while one is to come."""
    if found is None:
        return ""
    running = found.next_session() is not None
    return lost_html(found.lost()) + (next_session_html(found) if running else "")
