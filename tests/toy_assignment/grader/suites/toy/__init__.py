"""Assignment toy: what the grader knows about it (see grader/suites/__init__.py)."""
