"""One package per assignment: everything the grader knows about it.

    grader/suites/<name>/
        tasks.py     ASSIGNMENT: the variants, tasks and points, and the checks      (runs in the grader)
        oracle.py    the correct answers and their tolerances                        (runs in the grader)
        cases.py     hypothesis strategies and edge cases                            (runs in the grader)
        baseline.py  input makers, the serial baseline, GPU staging                 (grader and benchmark workers)
        pictures.py  what ``--images DIR`` draws                                     (runs in the grader)

The registry (``grader/registry.py``) discovers every package here; see ``grader/README.md``.
"""
