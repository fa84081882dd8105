"""What ``run_autograder`` runs on Gradescope for each submission.

Reads ``ROOT/submission`` (Gradescope's copy of the student's upload: the
submission's files, or the zip itself), grades it with the kit's grader, and
writes ``ROOT/results/results.json`` and ``ROOT/results/feedback.md``. The
message a student reads tells whose fault a zero is: a submission rejected
because of a problem in it says so and names the file and the problem; when
the grader itself fails (while grading, or before), it still writes a
results.json (score 0, a message saying the problem is on the grading side and
asking the student to contact the staff). The details go to stdout, which only
instructors see, cleaned of control and escape characters.
"""

from __future__ import annotations

import argparse
import json
import sys
import traceback
from pathlib import Path

from autograder.grader.engine import grade_submission
from autograder.grader.gradebook import status
from autograder.grader.outputs import RESULTS_FILE, write_outputs
from autograder.grader.results_json import GRADER_FAULT, summary_text
from autograder.grader.safe_text import clean_text
from autograder.grader.settings import load_settings

METADATA_FILE = "submission_metadata.json"
FAILURE_OUTPUT = GRADER_FAULT


def submission_id(root: Path) -> str:
    """Gradescope's submission id from its metadata file, else ``submission``."""
    try:
        metadata = json.loads((root / METADATA_FILE).read_text(encoding="utf-8"))
        return f"gradescope-{int(metadata['id'])}"
    except (OSError, ValueError, KeyError, TypeError):
        return "submission"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder.gradescope.run",
                                     description="Grade ROOT/submission into ROOT/results.")
    parser.add_argument("--root", default="/autograder", help="Gradescope's folder")
    parser.add_argument("--kind", default="final", choices=["milestone", "final", "auto"])
    args = parser.parse_args(argv)
    root = Path(args.root)
    results_dir = root / "results"
    results_dir.mkdir(parents=True, exist_ok=True)
    try:
        settings = load_settings()
        result = grade_submission(root / "submission", kind=args.kind, settings=settings,
                                  submission_id=submission_id(root))
        write_outputs(result, results_dir, settings.results)
    except Exception:  # noqa: BLE001 (Gradescope must always get a results.json)
        print(clean_text(traceback.format_exc()))
        failure = {"score": 0.0, "output": FAILURE_OUTPUT, "stdout_visibility": "hidden",
                   "tests": []}
        (results_dir / RESULTS_FILE).write_text(json.dumps(failure, indent=2, sort_keys=True)
                                                + "\n", encoding="utf-8")
        return 0
    print(summary_text(result))
    print(f"status: {status(result)}")
    print(f"sandbox: {', '.join(result.protections)}")
    for error in result.internal_errors:
        print(f"internal grader error:\n{clean_text(error)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
