"""Writing the files of one graded submission: results.json and feedback.md."""

from __future__ import annotations

from pathlib import Path

from autograder.grader import feedback, results_json
from autograder.grader.result import GradingResult
from autograder.grader.settings import ResultSettings, load_settings

RESULTS_FILE = "results.json"
FEEDBACK_FILE = "feedback.md"


def write_outputs(result: GradingResult, out_dir: str | Path,
                  settings: ResultSettings | None = None) -> dict[str, Path]:
    """Write ``results.json`` (Gradescope format) and ``feedback.md`` into ``out_dir``."""
    settings = settings or load_settings().results
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    written = {}
    for name, text in ((RESULTS_FILE, results_json.render(result, settings)),
                       (FEEDBACK_FILE, feedback.render(result, settings))):
        path = folder / name
        temporary = path.with_name(path.name + ".tmp")
        temporary.write_text(text, encoding="utf-8")
        temporary.replace(path)
        written[name] = path
    return written
