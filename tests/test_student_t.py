"""The t quantile and p-value of the intervals: the very numbers of ``scipy.stats.t``, and
``import dashboard.cli`` (every ``fibro`` command) no longer loads ``scipy.stats``."""

import math
import os
import subprocess
import sys

import numpy as np
import pytest
from scipy import stats

from dashboard.analysis.student_t import t_quantile, t_two_sided_p

# whole and Welch (fractional) degrees of freedom, from a 2-block trial to a long diary
DFS = [1, 1.5, 2, 2.7, 3, 4, 5, 7.25, 9, 11, 18.6, 22, 30, 45.5, 100, 999, 1e6, math.inf]


@pytest.mark.parametrize("df", DFS)
def test_quantile_is_scipy_stats_t_ppf(df):
    for q in (0.5, 0.8, 0.9, 0.95, 0.975, 0.995, 0.025):
        assert t_quantile(q, df) == float(stats.t.ppf(q, df))


@pytest.mark.parametrize("df", DFS)
def test_two_sided_p_is_scipy_stats_t_sf(df):
    for t in (0.0, 0.1, -0.7, 1.0, 1.96, -2.3, 3.5, 8.0, -40.0, math.inf, -math.inf):
        assert t_two_sided_p(t, df) == float(2 * stats.t.sf(abs(t), df))


def test_no_value_stays_no_value():
    assert math.isnan(t_two_sided_p(math.nan, 5)) and math.isnan(t_quantile(0.975, math.nan))
    assert t_quantile(0.975, np.float64(4.0)) == float(stats.t.ppf(0.975, 4.0))


def test_the_command_line_does_not_load_scipy_stats():
    shown = subprocess.run(
        [sys.executable, "-c", "import sys, dashboard.cli; "
         "print(sorted(m for m in sys.modules if m.startswith('scipy.stats')))"],
        capture_output=True, text=True, check=True, env=dict(os.environ))
    assert shown.stdout.strip() == "[]"
