"""Readers of outside formats; each produces the records of ``dashboard.records``."""
