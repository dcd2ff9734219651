"""Whole-machine benchmark runs of the reference solutions (not packaged; run from the project root with -m)."""
