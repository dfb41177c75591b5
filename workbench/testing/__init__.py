"""Helpers for the project's own tests and benchmarks (browser driving of the dashboards)."""
