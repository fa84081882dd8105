"""The autograder: grade a submission (zip or folder) and write its outputs.

Public API::

    from autograder.grader import grade_submission, write_outputs
    result = grade_submission("final-001.zip")            # a GradingResult
    result.score, result.max_score, result.todo_points()   # totals, points per TODO
    write_outputs(result, "out/")                         # results.json, feedback.md

Modules: :mod:`.settings` (grading.yaml), :mod:`.unpack` (safe unpacking),
:mod:`.engine` (:func:`grade_submission`), :mod:`.hidden_test_runner`,
:mod:`.performance`, :mod:`.result`, :mod:`.results_json` (Gradescope),
:mod:`.feedback` (feedback.md), :mod:`.outputs`, :mod:`.gradebook` (CSV) and
:mod:`.batch` (a folder of submissions in parallel). Names are imported on
first use, so importing a small module (the settings) stays cheap.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "grade_submission": "autograder.grader.engine",
    "write_outputs": "autograder.grader.outputs",
    "grade_batch": "autograder.grader.batch",
    "GradingResult": "autograder.grader.result",
    "PerformanceResult": "autograder.grader.result",
    "TestResult": "autograder.grader.result",
    "GradingSettings": "autograder.grader.settings",
    "load_settings": "autograder.grader.settings",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'autograder.grader' has no attribute {name!r}")
