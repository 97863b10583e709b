"""A private diary and dashboard for people with fibromyalgia who use massage therapy."""
