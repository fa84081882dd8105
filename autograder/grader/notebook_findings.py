"""What the grader records about a submission's notebook: run order and statement.

The notebook (``submission.notebook`` of kit.yaml, packed as
``notebooks/<name>``) comes from the submission, so it is read in the parent as
data only: JSON within the ``inputs`` bounds of grading.yaml (size, nesting
depth, number of values), never executed, never handed to the child. The same
checks as ``ner-kit submit`` run on it (:mod:`ner_helpers.notebook_run_order`,
:mod:`ner_helpers.collaboration_statement`); the feedback shows the finding
(cleaned and fenced, as it quotes a line of the student's cell) and the gradebook
its short status, never the statement's text.
"""

from __future__ import annotations

from dataclasses import dataclass

from autograder.grader.settings import InputLimits
from autograder.grader.unpack import UnpackedSubmission
from ner_helpers.collaboration_statement import statement_state
from ner_helpers.config import kit_config
from ner_helpers.json_limits import JsonLimitError, read_json
from ner_helpers.notebook_run_order import check_run_order
from ner_helpers.submission import notebook_entry

#: The run-order and statement status of a submission without a readable notebook.
NO_NOTEBOOK = "no notebook"
UNREADABLE = "unreadable notebook"


@dataclass(frozen=True)
class NotebookFindings:
    """What was found in the submission's notebook.

    Attributes:
        run_order: ``in order``, ``<problem> at cell N``, :data:`NO_NOTEBOOK` or
            :data:`UNREADABLE` (the gradebook's ``run_order`` column; no student text).
        run_order_message: the sentence the feedback shows (it quotes the first line
            of the offending cell: student text, cleaned where it is shown).
        statement: ``answered``, ``empty``, ``missing``, :data:`NO_NOTEBOOK` or
            :data:`UNREADABLE` (the gradebook's ``collaboration_statement`` column).
    """

    run_order: str
    run_order_message: str
    statement: str


def notebook_name() -> str | None:
    """The zip path of the notebook (``None`` when kit.yaml packs none)."""
    configured = kit_config()["submission"].get("notebook")
    return notebook_entry(configured) if configured else None


def read_notebook_findings(unpacked: UnpackedSubmission, kind: str,
                           limits: InputLimits) -> NotebookFindings | None:
    """The findings of the submission's notebook, or ``None`` when kit.yaml packs no
    notebook (nothing to record)."""
    name = notebook_name()
    if name is None:
        return None
    if not unpacked.has(name):
        return NotebookFindings(NO_NOTEBOOK, f"the submission holds no {name}, so whether it "
                                "was run from top to bottom was not checked", NO_NOTEBOOK)
    try:
        notebook = read_json(unpacked.files[name], limits.json(limits.notebook_bytes), name)
    except JsonLimitError as exc:
        return NotebookFindings(UNREADABLE, f"{exc}; its run order was not checked",
                                UNREADABLE)
    finding = check_run_order(notebook, kind)
    return NotebookFindings(finding.status, finding.message(), statement_state(notebook))
