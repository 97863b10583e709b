"""How counts and missing data are said: one wording for the dashboard, the CLI and the report.

A new diary has 0, 1 or 3 of everything, so "1 sessions" and a bare "not enough
data yet" are what a person sees most in the first weeks. These functions say a
count with the right noun, and what more to log before an estimate appears.
No Panel and no pandas here: plain text from plain numbers.
"""

from __future__ import annotations

# Nouns whose plural is not the singular plus "s".
_IRREGULAR = {"day after a session": "days after a session",
              "day with a dose": "days with a dose"}


def plural(n: int | float, singular: str, plural_form: str | None = None) -> str:
    """'1 session', '0 sessions', '3 sessions'; ``plural_form`` for a noun not made with 's'."""
    count = int(n)
    if count == 1:
        return f"{count} {singular}"
    return f"{count} {plural_form or _IRREGULAR.get(singular) or singular + 's'}"


def noun(n: int | float, singular: str, plural_form: str | None = None) -> str:
    """The noun alone, agreeing with ``n``: noun(1, 'session') -> 'session'."""
    return plural(n, singular, plural_form).split(" ", 1)[1]


def log_more(needed: int, what: str = "session", purpose: str = "to see an estimate") -> str:
    """'log 3 more sessions to see an estimate', 'log 1 more session ...'; '' when none needed."""
    if needed <= 0:
        return ""
    return f"log {plural(needed, 'more ' + what, 'more ' + noun(2, what))} {purpose}".rstrip()
