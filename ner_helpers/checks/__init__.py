"""Public checks of the assignment's TODOs.

In the notebook::

    from ner_helpers.checks import check, check_all
    check("1.1-1")     # one TODO: prints a PASS line or raises CheckFailed
    check_all()        # every TODO, one line each

From a terminal: ``ner-kit check`` (all) or ``ner-kit check 1.1-1 2-2``.

The checks run on tiny inputs they build themselves and look at shapes, dtypes,
padding, a few hand-computed values, parameter counts and determinism. They are
deliberately weaker than the grader's hidden tests: passing them is necessary,
not sufficient. Read the check of a TODO (``ner_helpers/checks/*_checks.py``)
to see exactly what it tries.
"""

from ner_helpers.checks.failures import CheckFailed, NotImplementedYet, UnknownTodo
from ner_helpers.checks.runner import CheckResult, check, check_all, run_check
from ner_helpers.checks.todos import MILESTONE_TODOS, TODOS, Todo

__all__ = [
    "MILESTONE_TODOS",
    "TODOS",
    "CheckFailed",
    "CheckResult",
    "NotImplementedYet",
    "Todo",
    "UnknownTodo",
    "check",
    "check_all",
    "run_check",
]
