"""Grading one submission: unpack, sandbox, hidden tests, performance, result.

:func:`grade_submission` is the one entry point; the commands, the Gradescope
runner, the batch grader and the test suites all call it.
"""

from __future__ import annotations

import hashlib
import tempfile
import traceback
from pathlib import Path
from typing import Any

from autograder.grader.hidden_test_runner import run_hidden_tests
from autograder.grader.layer_review import review_misnamed_layers
from autograder.grader.notebook_findings import read_notebook_findings
from autograder.grader.performance import grade_model, model_files
from autograder.grader.result import GradingResult, PerformanceResult, TestResult
from autograder.grader.safe_text import one_line
from autograder.grader.settings import KINDS, GradingSettings, InputLimits, load_settings
from autograder.grader.student_code import StudentCode
from autograder.grader.todo_files import group_of
from autograder.grader.unpack import (
    SubmissionRejected,
    UnpackedSubmission,
    expected_files,
    ungraded_files,
    unpack_submission,
)
from autograder.sandbox.client import SandboxClient, child_user
from autograder.sandbox.stub_package import check_reference, reference_package_dir
from autograder.sandbox.workspace import build_workspace
from ner_helpers.config import kit_config, resolve_path
from ner_helpers.data import load_hidden_labels, load_split
from ner_helpers.errors import KitError
from ner_helpers.json_limits import JsonLimitError, read_json
from ner_helpers.submission import (
    IDENTITY_FILE,
    LEADERBOARD_NAME_KEY,
    MANIFEST_FILE,
    PACKAGE_FOLDER,
    student_files,
)

IDENTITY_CHARS = 200


def default_hidden_labels() -> Path:
    return resolve_path(kit_config()["paths"]["hidden_labels"])


def default_test_split() -> Path:
    return resolve_path(kit_config()["paths"]["dataset_dir"]) / "test.json"


def submission_name(path: Path) -> str:
    return path.stem if path.is_file() else path.name


def read_submission_json(unpacked: UnpackedSubmission, name: str, max_bytes: int,
                         limits: InputLimits) -> Any:
    """A JSON file of the submission, read within the ``inputs`` bounds of grading.yaml.

    Raises:
        JsonLimitError: the file is too large, not JSON, or nested or sized past
            the bounds; the message names the file.
    """
    return read_json(unpacked.files[name], limits.json(max_bytes), name)


def read_identity(unpacked: UnpackedSubmission, notes: list[str],
                  limits: InputLimits | None = None) -> dict[str, str] | None:
    """The student ID and name of identity.json, cleaned to one line each; problems
    (missing, unreadable, not text) become notes and the submission is graded anyway.
    ``limits`` default to the ``inputs`` of the bundled grading.yaml."""
    limits = limits or load_settings().inputs
    if not unpacked.has(IDENTITY_FILE):
        notes.append(f"{IDENTITY_FILE} is missing: the submission does not say whose it is")
        return None
    try:
        data = read_submission_json(unpacked, IDENTITY_FILE, limits.identity_bytes, limits)
    except JsonLimitError as exc:
        notes.append(f"{exc} (a problem in the submission; graded without a name)")
        return None
    if not isinstance(data, dict):
        notes.append(f"{IDENTITY_FILE} is not a JSON object")
        return None
    identity = {}
    for key in ("student_id", "name"):
        raw = data.get(key, "")
        if isinstance(raw, bool) or not isinstance(raw, (str, int)):
            notes.append(f"{IDENTITY_FILE}: {key} is not text")
            raw = ""
        value = one_line(raw)[:IDENTITY_CHARS]
        identity[key] = value
        if not value:
            notes.append(f"{IDENTITY_FILE} has no {key}")
    chosen_raw = data.get(LEADERBOARD_NAME_KEY, "")
    chosen = one_line(chosen_raw)[:IDENTITY_CHARS] if isinstance(chosen_raw, str) else ""
    if chosen:  # optional: the name a class leaderboard shows
        identity[LEADERBOARD_NAME_KEY] = chosen
    return identity


def read_manifest(unpacked: UnpackedSubmission, notes: list[str],
                  limits: InputLimits | None = None) -> dict[str, Any] | None:
    """submission.json as a mapping, or ``None`` (missing, unreadable: a note says why)."""
    limits = limits or load_settings().inputs
    if not unpacked.has(MANIFEST_FILE):
        return None
    try:
        manifest = read_submission_json(unpacked, MANIFEST_FILE, limits.manifest_bytes, limits)
    except JsonLimitError as exc:
        notes.append(f"{exc} (a problem in the submission; its kind and file digests are "
                     "not used)")
        return None
    return manifest if isinstance(manifest, dict) else None


def resolve_kind(requested: str, unpacked: UnpackedSubmission, notes: list[str],
                 manifest: dict[str, Any] | None) -> str:
    declared = manifest.get("kind") if manifest is not None else None
    if not isinstance(declared, str):
        declared = None
    if requested in KINDS:
        if declared in KINDS and declared != requested:
            notes.append(f"graded as a {requested} submission, although {MANIFEST_FILE} says "
                         f"{declared}")
        return requested
    if requested != "auto":
        raise KitError(f"unknown submission kind {requested!r}; use milestone, final or auto")
    if declared in KINDS:
        return declared
    final_only = any(name.startswith("models/") for name in unpacked.files) or any(
        unpacked.has(f"{PACKAGE_FOLDER}/{name}") for name in ("ffnn.py", "rnn.py"))
    kind = "final" if final_only else "milestone"
    problem = "does not say the kind" if unpacked.has(MANIFEST_FILE) else "is missing"
    notes.append(f"{MANIFEST_FILE} {problem}; graded as a {kind} submission")
    return kind


def check_manifest(unpacked: UnpackedSubmission, notes: list[str],
                   manifest: dict[str, Any] | None) -> None:
    files = manifest.get("files") if manifest is not None else None
    if not isinstance(files, dict):
        return
    changed = sorted(name for name, digest in files.items() if name in unpacked.files and
                     hashlib.sha256(unpacked.files[name].read_bytes()).hexdigest() != digest)
    if changed:
        notes.append(f"changed after the submission was built: {', '.join(changed[:5])}")


def _zero_result(name: str, kind: str, message: str, settings: GradingSettings,
                 identity: dict[str, str] | None = None) -> GradingResult:
    """Every test and model of ``kind`` at 0 points with ``message``."""
    chosen = settings.kind(kind)
    result = GradingResult(name, kind, identity, decimals=settings.results.decimals)
    for todo in chosen.todos:
        entry = settings.todos[todo]
        result.tests += [TestResult(todo, entry.title, test, 0.0, points, False, message)
                         for test, points in entry.tests.items()]
    for model in chosen.models:
        entry = settings.models[model]
        result.performance.append(PerformanceResult(model, entry.title, None, entry.baseline,
                                                    0.0, entry.points, message))
    return result


def _rejected_result(name: str, kind: str, reason: str, settings: GradingSettings,
                     identity: dict[str, str] | None = None) -> GradingResult:
    result = _zero_result(name, kind, f"not graded: the submission was rejected ({reason}); "
                          "a problem in the submission", settings, identity)
    result.rejected = reason
    return result


def grader_failure_result(name: str, kind: str, error: BaseException,
                          settings: GradingSettings) -> GradingResult:
    """The result of a submission the grader failed on: 0 points, a message saying that
    the fault is the grader's, and the traceback for the instructor."""
    reason = f"{type(error).__name__}: {one_line(error)[:IDENTITY_CHARS]}"
    result = _zero_result(name, kind if kind in KINDS else "final",
                          "not graded: the grader failed on this submission (a problem on the "
                          "grading side, not in your submission)", settings)
    result.grader_error = reason
    result.internal_errors.append("".join(traceback.format_exception(error)))
    return result


def grade_submission(path: str | Path, *, kind: str = "auto",
                     settings: GradingSettings | None = None,
                     hidden_labels: str | Path | None = None,
                     test_split: str | Path | None = None,
                     submission_id: str | None = None) -> GradingResult:
    """Grade one submission (a zip file or a folder) and return its result.

    Args:
        path: the submission.
        kind: ``"milestone"``, ``"final"`` or ``"auto"`` (from its submission.json).
        settings: grading settings (default: the bundled ``grading.yaml``).
        hidden_labels: the hidden test labels (default: kit.yaml ``paths.hidden_labels``);
            needed for kinds with performance points.
        test_split: the students' test split with the text (default:
            ``dataset_dir/test.json``).
        submission_id: the name in outputs (default: the file or folder name).

    Raises:
        KitError: the grader itself cannot run (configuration, missing labels,
            no reference solution, the sandbox cannot start). A broken
            submission never raises: it gets a result with the reasons. Any
            other exception while grading gives a result too, with
            ``grader_error`` set (the grader's fault) and the traceback in
            ``internal_errors``.
    """
    settings = settings or load_settings()
    source = Path(path)
    name = submission_id or submission_name(source)
    files = student_files("final", reference_package_dir())
    check_reference(reference_package_dir(), files)
    try:
        return _grade(source, name, kind, settings, files, hidden_labels, test_split)
    except JsonLimitError as error:  # a submission file that no reader caught on its own
        return _rejected_result(name, kind if kind in KINDS else "final", str(error), settings)
    except KitError:
        raise
    except Exception as error:  # noqa: BLE001 (a grader bug must still give a result)
        return grader_failure_result(name, kind, error, settings)


def _grade(source: Path, name: str, kind: str, settings: GradingSettings, files: list[str],
           hidden_labels: str | Path | None, test_split: str | Path | None) -> GradingResult:
    with tempfile.TemporaryDirectory(prefix="ner-grade-") as temporary:
        notes: list[str] = []
        try:
            # The notebook is unpacked too, to be read as data (never run, never shown
            # to the child): its run order and collaboration statement are recorded.
            unpacked = unpack_submission(source, Path(temporary) / "submission", settings.unpack,
                                         expected_files() | ungraded_files())
        except SubmissionRejected as rejection:
            fallback = kind if kind in KINDS else "final"
            result = _rejected_result(name, fallback, str(rejection), settings)
            result.kind_known = kind in KINDS
            return result
        notes += unpacked.notes
        identity = read_identity(unpacked, notes, settings.inputs)
        manifest = read_manifest(unpacked, notes, settings.inputs)
        chosen = settings.kind(resolve_kind(kind, unpacked, notes, manifest))
        check_manifest(unpacked, notes, manifest)
        result = GradingResult(name, chosen.name, identity, notes=notes,
                               decimals=settings.results.decimals)
        result.notebook = read_notebook_findings(unpacked, chosen.name, settings.inputs)

        test_rows = gold_rows = None
        labels_path = Path(hidden_labels) if hidden_labels else default_hidden_labels()
        if chosen.models:
            test_rows = load_split(Path(test_split) if test_split else default_test_split())
            gold_rows = load_hidden_labels(labels_path)
            check_alignment(test_rows, gold_rows)

        graded = {group_of(todo) for todo in chosen.todos}
        groups = [Path(file).stem for file in files if Path(file).stem in graded]
        student_files = {item.split("/", 1)[1]: p for item, p in unpacked.files.items()
                         if item.startswith(PACKAGE_FOLDER + "/")}
        data_files = {target: unpacked.files[source_name] for model in chosen.models
                      for target, source_name in model_files(model).items()
                      if source_name in unpacked.files}
        workspace = build_workspace(student_files, groups, data_files,
                                    child_user(settings.sandbox))
        client = SandboxClient(workspace, settings.sandbox, secret_files=[labels_path])
        try:
            client.start()
            student = StudentCode(client, settings.sandbox)
            for group in groups:
                if f"{group}.py" not in student_files:
                    student.mark_missing(group, f"{PACKAGE_FOLDER}/{group}.py is not in the "
                                         "submission")
            run = run_hidden_tests(student, settings, list(chosen.todos))
            for todo in chosen.todos:
                entry = settings.todos[todo]
                for test, points in entry.tests.items():
                    outcome = run.outcomes[(todo, test)]
                    result.tests.append(TestResult(
                        todo, entry.title, test, points if outcome.passed else 0.0, points,
                        outcome.passed, outcome.message))
            result.internal_errors += run.internal_errors
            result.tests, result.reviews = review_misnamed_layers(
                student, result.tests, list(chosen.todos), settings.misnamed_layers)
            max_layers = int(kit_config()["submission"]["max_layers"])
            for model in chosen.models:
                result.performance.append(grade_model(
                    student, unpacked, settings.models[model], settings, test_rows, gold_rows,
                    max_layers, str(workspace.data)))
            result.protections = list(client.protections)
        finally:
            client.close()
            workspace.cleanup()
    return result


def check_alignment(test_rows: list[dict[str, Any]], gold_rows: list[dict[str, Any]]) -> None:
    """The test text and the hidden labels must come from the same dataset build."""
    text = [list(row["index"]) for row in test_rows]
    gold = [list(row["index"]) for row in gold_rows]
    if text != gold:
        raise KitError("the test split and the hidden labels do not match (token indices "
                       "differ): build both with the same `ner-kit data` run")


