"""Pure calculations behind the dashboard: scores, comparisons and flags."""
