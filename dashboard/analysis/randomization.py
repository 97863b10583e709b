"""The randomization test of an n-of-1 trial's blocks: each complete block's order (AB or
BA) was drawn at random, so under "no difference" every flip of a block's sign was as
likely as the one observed.  The p-value is the share of those 2^k allocations whose mean
difference is at least as far from 0 as the observed one: exact up to
``EXACT_UP_TO_BLOCKS`` blocks, else estimated from ``MONTE_CARLO_DRAWS`` seeded draws.

The trial's analysis (``trial.estimate``) and the planner's simulations
(``trial_planner``) both use it; pure NumPy, no SQL, no Panel.
"""

from __future__ import annotations

import numpy as np

ALPHA = 0.05
EXACT_UP_TO_BLOCKS = 16  # 2^16 = 65 536 allocations
MONTE_CARLO_DRAWS = 20_000
_TIE = 1e-9


def allocations(blocks: int) -> int:
    """How many schedules the design can produce: two orders per block."""
    return 2 ** blocks


def smallest_p_value(blocks: int) -> float:
    """The smallest two-sided p-value the randomization test can give with ``blocks`` blocks:
    the observed allocation and its mirror image out of 2^blocks."""
    if blocks < 1:
        return 1.0
    exact = min(1.0, 2.0 / allocations(blocks))
    if blocks <= EXACT_UP_TO_BLOCKS:
        return exact
    return max(exact, 1.0 / (MONTE_CARLO_DRAWS + 1))


def can_reach_significance(blocks: int, alpha: float = ALPHA) -> bool:
    return smallest_p_value(blocks) < alpha


def _signed_sums(differences: np.ndarray) -> np.ndarray:
    """Every signed sum of each row's values (rows x 2^columns), sign patterns in a fixed order."""
    sums = np.zeros((len(differences), 1))
    for column in differences.T:
        sums = np.concatenate([sums + column[:, None], sums - column[:, None]], axis=1)
    return sums


def _exact_p_values(differences: np.ndarray) -> np.ndarray:
    """The exact two-sided p-values over all 2^k sign patterns, by meeting in the middle: the
    signed sums of the first half of the blocks against the sorted signed sums of the second
    half, so 16 blocks cost 2 x 256 sums a row instead of 65 536 (the count is the same).

    The signed sums are symmetric (flipping every sign negates the sum), so the allocations
    at least as far from 0 as the observed one are twice those at or above ``threshold``."""
    rows, blocks = differences.shape
    threshold = np.abs(differences.sum(axis=1)) - _TIE * blocks  # the analysis's tie rule
    half = blocks // 2
    out = np.ones(rows)
    positive = np.flatnonzero(threshold > 0)  # else every allocation counts: p = 1
    for i in range(0, len(positive), 256):
        chosen = positive[i:i + 256]
        first = _signed_sums(differences[chosen, :half])
        second = np.sort(_signed_sums(differences[chosen, half:]), axis=1)
        wanted = threshold[chosen, None] - first  # second-half sums must reach this
        # one searchsorted over all rows: each row's values moved to its own stretch
        width = 2.0 * (np.abs(second).max() + np.abs(wanted).max()) + 1.0
        offsets = width * np.arange(len(chosen))[:, None]
        position = np.searchsorted((second + offsets).ravel(), (wanted + offsets).ravel())
        below = position.reshape(wanted.shape) - second.shape[1] * np.arange(len(chosen))[:, None]
        at_or_above = (second.shape[1] - below).sum(axis=1)
        out[chosen] = 2.0 * at_or_above / 2.0 ** blocks
    return out


def randomization_p_values(differences: np.ndarray, rng: np.random.Generator | None = None,
                           draws: int = MONTE_CARLO_DRAWS) -> np.ndarray:
    """Two-sided p-values of the block-order randomization test, one per row of ``differences``
    (trials x blocks): the share of allocations (each block's order flipped or not) whose mean
    difference is at least as far from 0 as the observed one.  Exact over all 2^k allocations
    up to ``EXACT_UP_TO_BLOCKS`` blocks; beyond, (hits + 1) / (draws + 1) over ``draws``
    allocations drawn from ``rng``.  The analysis and the planner's simulations both use it."""
    differences = np.atleast_2d(np.asarray(differences, dtype=float))
    blocks = differences.shape[1]
    if blocks <= EXACT_UP_TO_BLOCKS:
        return _exact_p_values(differences)
    rng = rng if rng is not None else np.random.default_rng(0)
    signs = rng.choice((1.0, -1.0), size=(draws, blocks))
    observed = np.abs(differences.mean(axis=1))
    out = np.empty(len(differences))
    chunk = max(1, 4_000_000 // draws)
    for i in range(0, len(differences), chunk):
        null = np.abs(differences[i:i + chunk] @ signs.T) / blocks
        count = (null >= observed[i:i + chunk, None] - _TIE).sum(axis=1)
        out[i:i + chunk] = (count + 1) / (draws + 1)
    return out


def randomization_p_value(differences, seed: int = 0) -> float:
    """The randomization test's two-sided p-value for one trial's block differences."""
    d = np.asarray(differences, dtype=float)
    if d.size == 0:
        return 1.0
    return float(randomization_p_values(d[None, :], np.random.default_rng(seed))[0])
