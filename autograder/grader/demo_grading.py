"""The demo grades its own final submission, as a student's would be graded.

``ner-instructor demo`` (:mod:`autograder.demo`) trains short FFNN and RNN
runs with the reference solution. :func:`grade_demo` packs them into a final
submission zip with :func:`ner_helpers.submission.build_submission`, under
the identity of the reference solution (student ID ``demo``), grades the zip
with :func:`~autograder.grader.engine.grade_submission` against the hidden
labels the demo built, writes ``results.json`` and ``feedback.md``, and
returns the lines the demo prints. Everything goes to
``artefacts/demo-grading/``: the identity file, ``submissions/final-NNN.zip``
(earlier zips are kept) and the two grading files.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from autograder.grader.engine import grade_submission
from autograder.grader.outputs import FEEDBACK_FILE, RESULTS_FILE, write_outputs
from autograder.grader.result import GradingResult
from autograder.grader.settings import GradingSettings, load_settings
from ner_helpers.config import kit_config, resolve_path
from ner_helpers.errors import KitError
from ner_helpers.submission import build_submission, load_identity, save_identity

DEMO_FOLDER = "demo-grading"
DEMO_STUDENT_ID = "demo"
DEMO_NAME = "Reference solution"
#: At most this many failed hidden tests are listed (the reference should fail none).
LISTED_FAILURES = 5


def demo_grading_dir() -> Path:
    """``artefacts/demo-grading`` (under kit.yaml's ``paths.artefacts_dir``)."""
    return resolve_path(kit_config()["paths"]["artefacts_dir"]) / DEMO_FOLDER


def _shown(path: Path) -> str:
    """A path relative to the working folder when it lies below it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _points(value: float) -> str:
    return f"{value:g}"


def summary_lines(result: GradingResult, zip_path: Path, written: Mapping[str, Path],
                  warnings: tuple[str, ...] = ()) -> list[str]:
    """The printable report of the demo's grading."""
    lines = [f"grading the demo's final submission ({DEMO_NAME}, student ID {DEMO_STUDENT_ID})",
             f"zip: {_shown(zip_path)}"]
    lines += [f"note: {warning}" for warning in warnings]
    lines.append(f"score: {_points(result.score)} / {_points(result.max_score)}")
    titles = {test.todo: test.todo_title for test in result.tests}
    todo_points = result.todo_points()
    width = max((len(todo) for todo in todo_points), default=4)
    title_width = max((len(title) for title in titles.values()), default=5)
    lines += ["", f"{'TODO':<{width}}  {'':<{title_width}}  points",
              f"{'-' * width}  {'-' * title_width}  ------"]
    for todo, (points, maximum) in todo_points.items():
        lines.append(f"{todo:<{width}}  {titles[todo]:<{title_width}}  "
                     f"{_points(points)} / {_points(maximum)}")
    tests_points = sum(points for points, _ in todo_points.values())
    tests_max = sum(maximum for _, maximum in todo_points.values())
    lines.append(f"{'all':<{width}}  {'hidden tests':<{title_width}}  "
                 f"{_points(tests_points)} / {_points(tests_max)}")
    failed = [test for test in result.tests if not test.passed]
    for test in failed[:LISTED_FAILURES]:
        lines.append(f"failed: {test.todo} {test.name}: {test.message}")
    if len(failed) > LISTED_FAILURES:
        lines.append(f"failed: {len(failed) - LISTED_FAILURES} more (see the feedback)")
    lines.append("")
    for item in result.performance:
        f1 = "no F1" if item.f1 is None else f"F1 {item.f1:.3f}"
        lines.append(f"{item.model}: {f1} vs baseline {item.baseline:.2f}: "
                     f"{_points(item.points)} / {_points(item.max_points)} points")
    lines += [f"note: {note}" for note in result.notes]
    if result.internal_errors:
        lines.append(f"note: the grader met {len(result.internal_errors)} internal errors "
                     "(its own problem, not the submission's)")
    if result.protections:
        lines.append(f"sandbox: {', '.join(result.protections)}")
    lines += [f"results: {_shown(written[RESULTS_FILE])}",
              f"feedback: {_shown(written[FEEDBACK_FILE])}"]
    return lines


def grade_demo(experiments: Mapping[str, str | Path],
               settings: GradingSettings | None = None) -> list[str]:
    """Build the demo's final submission from ``experiments`` (model -> experiment folder),
    grade it, write the outputs to ``artefacts/demo-grading/`` and return printable lines.

    A problem that stops the submission or the grader is reported as a line, not
    raised: the demo's own summary is still printed.
    """
    settings = settings or load_settings()
    folder = demo_grading_dir()
    try:
        identity_file = save_identity(DEMO_STUDENT_ID, DEMO_NAME, folder / "identity.json")
        report = build_submission("final", out_dir=folder / "submissions",
                                  identity=load_identity(identity_file),
                                  experiments={model: str(Path(path))
                                               for model, path in experiments.items()})
        result = grade_submission(report.path, kind="final", settings=settings)
    except KitError as exc:
        return [f"grading the demo's final submission failed: {exc}"]
    written = write_outputs(result, folder, settings.results)
    return summary_lines(result, report.path, written, report.warnings)
