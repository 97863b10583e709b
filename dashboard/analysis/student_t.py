"""Student's t distribution: the quantile and the two-sided p-value the intervals use.

``scipy.special``'s ``stdtrit``/``stdtr`` are what ``scipy.stats.t.ppf``/``sf`` call
(the same numbers, ``tests/test_student_t.py``), imported when first used: importing
``scipy.stats`` cost ``import dashboard.cli`` (every ``fibro`` command, ``--help``
too) about 0.6 s of its 1.2 s.
"""

from __future__ import annotations


def t_quantile(q: float, df: float) -> float:
    """The value a t variable with ``df`` degrees of freedom stays below with probability
    ``q`` (``scipy.stats.t.ppf(q, df)``)."""
    from scipy.special import stdtrit

    return float(stdtrit(df, q))


def t_two_sided_p(t: float, df: float) -> float:
    """The probability of a t variable at least as far from 0 as ``t``
    (``2 * scipy.stats.t.sf(abs(t), df)``)."""
    from scipy.special import stdtr

    return float(2 * stdtr(df, -abs(t)))
