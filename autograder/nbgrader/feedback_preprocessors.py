"""Feedback preprocessors that keep hidden tests hidden.

nbgrader puts the hidden tests back into a submission before executing it and,
by design, shows them in the feedback HTML (nbgrader issue 917). The kit's
configuration runs ``ClearHiddenTests`` and ``ClearMarkScheme`` when
generating feedback, and, before them, :class:`HideHiddenTestTracebacks`: a
failing hidden test's traceback quotes the failing line of the test, so it is
cut down to the error's type and message.
"""

from __future__ import annotations

from typing import Any

from nbgrader.preprocessors import NbGraderPreprocessor

HIDDEN_BEGIN = "BEGIN HIDDEN TESTS"


class HideHiddenTestTracebacks(NbGraderPreprocessor):
    """Replace the traceback of an error in a cell with hidden tests by one line."""

    def preprocess_cell(self, cell: Any, resources: Any, index: int) -> tuple[Any, Any]:
        if cell.get("cell_type") != "code" or HIDDEN_BEGIN not in cell.get("source", ""):
            return cell, resources
        for output in cell.get("outputs", []):
            if output.get("output_type") != "error":
                continue
            name, value = output.get("ename", "Error"), output.get("evalue", "")
            summary = f"{name}: {value}" if value else f"{name} (a hidden test failed)"
            output["traceback"] = [summary]
        return cell, resources
