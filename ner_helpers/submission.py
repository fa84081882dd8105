"""Building the milestone and final submission zips.

A submission zip holds (paths inside the zip)::

    identity.json                    {"student_id": ..., "name": ...} and, when you
                                     chose one, "leaderboard_name"
    submission.json                  kind, kit version, SHA-256 of every other file
    ner_helpers/<file>.py            the TODO files (4 for the milestone, 6 for the final)
    tokenizer.json                   final only: the trained tokenizer
    models/<model>/config.json       final only, for ffnn and rnn: the model config,
    models/<model>/weights.pt        its weights (a plain state dict)
    models/<model>/test_predictions.json   and its tags for the test split
    notebooks/assignment.ipynb       your notebook with the written answers: in Colab the
                                     notebook open in the browser, as it is now; elsewhere
                                     ``submission.notebook`` of kit.yaml as last saved (a
                                     warning when it is missing or its answers are empty)

The notebook is checked before it is packed (``submission.run_order`` and
``submission.collaboration_statement`` of kit.yaml: ``warn``, ``refuse`` or
``off``): was it run from top to bottom in one kernel session (see
:mod:`ner_helpers.notebook_run_order`), and is the collaboration statement at
its top filled in (:mod:`ner_helpers.collaboration_statement`)?

Before writing anything the pieces are checked (files present and valid
Python; for the final: the tokenizer loads, each model loads with its config
through your own package, has at most ``submission.max_layers`` layers and
fits the tokenizer, and its predictions cover the test split exactly; your
identity is set), and every problem is reported in one message.

Zips are written to ``artefacts/submissions/<kind>-NNN.zip`` with the next free
number, so an earlier submission is never overwritten, and copied to
``<kind>-latest.zip``. The same files always give the same zip, byte for byte
(sorted entries, fixed timestamps and permissions).

From a notebook::

    from ner_helpers.submission import save_identity, build_submission
    save_identity("12345678", "Ada Lovelace")
    build_submission("milestone")
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ner_helpers
from ner_helpers.collaboration_statement import (
    ANSWER_STUB,
    is_statement_cell,
    statement_problem,
)
from ner_helpers.config import kit_config, resolve_path
from ner_helpers.errors import KitError
from ner_helpers.notebook_run_order import RunOrderFinding, check_run_order

KINDS = ("milestone", "final")
IDENTITY_FILE = "identity.json"
#: The optional key of identity.json naming you on a class leaderboard.
LEADERBOARD_NAME_KEY = "leaderboard_name"
LEADERBOARD_NAME_CHARS = 40
MANIFEST_FILE = "submission.json"
PACKAGE_FOLDER = "ner_helpers"
TOKENIZER_FILE = "tokenizer.json"
MODELS_FOLDER = "models"
MODEL_CONFIG_FILE = "config.json"
MODEL_WEIGHTS_FILE = "weights.pt"
MODEL_PREDICTIONS_FILE = "test_predictions.json"
MODEL_FILES = (MODEL_CONFIG_FILE, MODEL_WEIGHTS_FILE, MODEL_PREDICTIONS_FILE)
NOTEBOOKS_FOLDER = "notebooks"
#: The values of kit.yaml's ``submission.run_order`` and ``collaboration_statement``.
NOTEBOOK_CHECK_MODES = ("warn", "refuse", "off")
LATEST_SUFFIX = "latest"

#: Every zip entry gets this date and these permissions, so zips are reproducible.
ZIP_DATE = (1980, 1, 1, 0, 0, 0)
ZIP_FILE_MODE = 0o644
STUB_MARK = 'raise NotImplementedError("TODO-'

_PLACEHOLDER_WORDS = re.compile(
    r"\b(your|todo|tbd|fixme|placeholder|changeme|xxx+|first\s*name|last\s*name|full\s*name|"
    r"student\s*(id|name|number)|name\s*here|id\s*here)\b",
    re.IGNORECASE,
)
_DUMMY_IDS = {"0", "123", "1234", "12345", "123456", "1234567", "12345678", "123456789", "none",
              "null", "n/a", "na", "id", "name", "student", "anonymous", "test"}
_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


# ---------------------------------------------------------------------------- identity
def _looks_like_placeholder(text: str) -> bool:
    """Whether ``text`` holds a placeholder word (``YOUR_ID``, ``first name``, ``TODO``...)."""
    return bool(_PLACEHOLDER_WORDS.search(re.sub(r"[_.\-]+", " ", text)))


@dataclass(frozen=True)
class Identity:
    """Who hands the submission in, and (optionally) the name to show on a class
    leaderboard instead of an anonymous id."""

    student_id: str
    name: str
    leaderboard_name: str = ""

    def problems(self) -> list[str]:
        """What is wrong with the identity (empty when it is fine)."""
        found = []
        student_id, name = self.student_id.strip(), self.name.strip()
        if not student_id:
            found.append("the student ID is empty")
        elif (not _ID_PATTERN.match(student_id) or set(student_id) == {"0"}
              or student_id.lower() in _DUMMY_IDS or _looks_like_placeholder(student_id)):
            found.append(f"the student ID {student_id!r} looks like a placeholder or is not an "
                         "ID (letters, digits, '.', '_' or '-', no spaces)")
        if not name:
            found.append("the name is empty")
        elif (_looks_like_placeholder(name) or any(c in name for c in "<>{}[]")
              or name.lower() in _DUMMY_IDS or len(name) > 200 or "\n" in name):
            found.append(f"the name {name!r} looks like a placeholder")
        chosen = self.leaderboard_name.strip()
        if len(chosen) > LEADERBOARD_NAME_CHARS or not chosen.isprintable():
            found.append(f"the leaderboard name {chosen!r} must be at most "
                         f"{LEADERBOARD_NAME_CHARS} printable characters on one line")
        return found

    def to_dict(self) -> dict[str, str]:
        data = {"name": self.name.strip(), "student_id": self.student_id.strip()}
        if self.leaderboard_name.strip():
            data[LEADERBOARD_NAME_KEY] = self.leaderboard_name.strip()
        return data


def identity_path() -> Path:
    """Where the identity is kept between submissions (``paths.identity`` in kit.yaml,
    else ``identity.json`` in the artefacts folder)."""
    paths = kit_config()["paths"]
    return resolve_path(paths.get("identity") or Path(paths["artefacts_dir"]) / IDENTITY_FILE)


def save_identity(student_id: str, name: str, path: str | Path | None = None, *,
                  leaderboard_name: str = "") -> Path:
    """Check and store your student ID and name for later submissions, and the name to
    show on a class leaderboard when your course runs one (an anonymous id without it)."""
    identity = Identity(str(student_id), str(name), str(leaderboard_name))
    problems = identity.problems()
    if problems:
        raise KitError("identity not saved: " + "; ".join(problems))
    target = Path(path) if path is not None else identity_path()
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(identity.to_dict(), indent=2, ensure_ascii=False) + "\n",
                      encoding="utf-8")
    return target


def load_identity(path: str | Path | None = None) -> Identity | None:
    """The stored identity, or ``None`` when none was saved yet."""
    source = Path(path) if path is not None else identity_path()
    if not source.is_file():
        return None
    try:
        data = json.loads(source.read_text(encoding="utf-8"))
        return Identity(str(data["student_id"]), str(data["name"]),
                        str(data.get(LEADERBOARD_NAME_KEY, "")))
    except (ValueError, KeyError, TypeError, RecursionError) as exc:
        raise KitError(f"{source}: not an identity file ({exc}); write it again with "
                       "save_identity(...) or --student-id and --name") from None


# ---------------------------------------------------------------------------- plan and checks
@dataclass
class SubmissionPlan:
    """What a submission would contain and what is wrong with it."""

    kind: str
    entries: dict[str, bytes] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    #: Where the packed notebook came from, in words (None: no notebook packed).
    notebook_origin: str | None = None
    #: Why the notebook open in Colab could not be taken (None outside Colab or on success).
    live_notebook_error: str | None = None
    #: What the run-order check found in the packed notebook (None: not checked).
    run_order: RunOrderFinding | None = None


@dataclass(frozen=True)
class SubmissionReport:
    """A written submission."""

    kind: str
    path: Path
    latest: Path
    entries: tuple[str, ...]
    size_bytes: int
    warnings: tuple[str, ...]
    notebook: str | None = None

    def summary(self) -> str:
        lines = [f"{self.kind} submission written: {self.path} ({self.size_bytes:,} bytes, "
                 f"{len(self.entries)} files)", f"copy: {self.latest}"]
        if self.notebook is not None:
            lines.append(f"notebook: {self.notebook}")
        lines += [f"warning: {warning}" for warning in self.warnings]
        lines.append("Upload " + self.path.name + " (or the copy) as your submission.")
        return "\n".join(lines)


def default_package_dir() -> Path:
    """The folder of the ``ner_helpers`` package this Python imports: your code."""
    return Path(next(iter(ner_helpers.__path__))).resolve()


def experiment_dir(name_or_path: str | Path) -> Path:
    """An experiment given by name (under ``paths.experiments_dir``) or by folder path."""
    candidate = Path(name_or_path).expanduser()
    if candidate.is_absolute() or len(candidate.parts) > 1 or candidate.exists():
        return resolve_path(candidate)
    return resolve_path(kit_config()["paths"]["experiments_dir"]) / str(name_or_path)


def section_files(package_dir: str | Path) -> list[str]:
    """The optional sections' student files (kit.yaml ``submission.optional_final_files``)
    that the package in ``package_dir`` holds (a section that is off leaves them out)."""
    names = kit_config()["submission"].get("optional_final_files") or []
    return [str(name) for name in names if (Path(package_dir) / str(name)).is_file()]


def optional_models() -> dict[str, list[str]]:
    """The optional sections' model slots (kit.yaml ``submission.optional_models``) whose
    section this copy of the kit holds (its ``ner_helpers/<slot>.py``), with their files."""
    package = Path(ner_helpers.__file__).resolve().parent
    slots = kit_config()["submission"].get("optional_models") or {}
    return {str(model): [str(name) for name in files] for model, files in slots.items()
            if (package / f"{model}.py").is_file()}


def student_files(kind: str, package_dir: str | Path) -> list[str]:
    """The student files a submission of ``kind`` holds: the milestone or final files,
    and in a final submission the section files the package holds."""
    settings = kit_config()["submission"]
    if kind == "milestone":
        return list(settings["milestone_files"])
    return list(settings["final_files"]) + section_files(package_dir)


def plan_submission(kind: str, *, identity: Identity | None = None,
                    package_dir: str | Path | None = None,
                    tokenizer_path: str | Path | None = None,
                    experiments: Mapping[str, str | Path] | None = None,
                    dataset_dir: str | Path | None = None,
                    notebook_path: str | Path | None = None) -> SubmissionPlan:
    """Collect and check everything a submission of ``kind`` needs (nothing is written).

    Args:
        kind: ``"milestone"`` or ``"final"``.
        identity: your student ID and name (default: the stored identity).
        package_dir: the folder of your ``ner_helpers`` (default: the imported one).
        tokenizer_path: the trained tokenizer (default: ``paths.tokenizer``).
        experiments: experiment name or folder per model, e.g. ``{"rnn": "rnn-small"}``
            (default: the experiment named like the model).
        dataset_dir: the folder with ``test.json`` (default: ``paths.dataset_dir``).
        notebook_path: your assignment notebook. Default: in Colab the notebook open
            in the browser, as it is now (taken from the Colab front end); elsewhere
            ``submission.notebook`` of kit.yaml as saved on disk; none when that
            setting is empty. It goes into the zip as ``notebooks/<its name>`` for the
            written answers, graded by hand.
    """
    if kind not in KINDS:
        raise KitError(f"unknown submission kind {kind!r}; use one of {', '.join(KINDS)}")
    config = kit_config()
    settings = config["submission"]
    plan = SubmissionPlan(kind)

    identity = identity if identity is not None else load_identity()
    if identity is None:
        plan.problems.append("your identity is not set: pass --student-id and --name (or call "
                             "save_identity(student_id, name) in the notebook)")
    else:
        plan.problems += [f"identity: {problem}" for problem in identity.problems()]
        plan.entries[IDENTITY_FILE] = _json_bytes(identity.to_dict())

    package = Path(package_dir).resolve() if package_dir is not None else default_package_dir()
    for name in student_files(kind, package):
        _add_package_file(plan, package / name, name)
    _add_notebook(plan, notebook_path, settings.get("notebook"))

    if kind == "final":
        from ner_helpers.tokenizer import Tokenizer

        tokenizer_file = resolve_path(tokenizer_path or config["paths"]["tokenizer"])
        tokenizer = None
        try:
            tokenizer = Tokenizer.load(tokenizer_file)
            plan.entries[TOKENIZER_FILE] = tokenizer_file.read_bytes()
        except KitError as exc:
            plan.problems.append(f"tokenizer: {exc}")
        test_indices = _test_indices(plan, dataset_dir, config)
        chosen = dict(experiments or {})
        unknown = sorted(set(chosen) - set(settings["models"]) - set(optional_models()))
        if unknown:
            raise KitError(f"no model slot named {', '.join(unknown)}; the final submission "
                           f"holds {', '.join(settings['models'])}")
        for model in settings["models"]:
            folder = experiment_dir(chosen.get(model) or model)
            _add_model(plan, model, folder, tokenizer, test_indices, int(settings["max_layers"]))
        for model, files in optional_models().items():
            folder = experiment_dir(chosen.get(model) or model)
            if model in chosen or folder.is_dir():
                _add_optional_model(plan, model, folder, list(files), test_indices)

    manifest = {"kind": kind, "kit_version": ner_helpers.__version__,
                "files": {name: hashlib.sha256(data).hexdigest()
                          for name, data in sorted(plan.entries.items())}}
    plan.entries[MANIFEST_FILE] = _json_bytes(manifest)
    return plan


def _json_bytes(data: Any) -> bytes:
    return (json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()


def _add_package_file(plan: SubmissionPlan, path: Path, name: str) -> None:
    if not path.is_file():
        plan.problems.append(f"{path}: file not found (the submission needs {name})")
        return
    data = path.read_bytes()
    try:
        compile(data, str(path), "exec")
    except SyntaxError as exc:
        plan.problems.append(f"{path}, line {exc.lineno}: syntax error ({exc.msg})")
        return
    except ValueError as exc:  # e.g. NUL bytes
        plan.problems.append(f"{path}: not a Python file ({exc})")
        return
    stubs = sorted(set(re.findall(r'raise NotImplementedError\("(TODO-[\d.]+-\d+)', data.decode(
        "utf-8", "replace"))))
    if stubs:
        plan.warnings.append(f"{name}: {', '.join(stubs)} not implemented yet")
    plan.entries[f"{PACKAGE_FOLDER}/{name}"] = data


def notebook_entry(path: str | Path) -> str:
    """The zip path of a notebook: ``notebooks/<its file name>``."""
    return f"{NOTEBOOKS_FOLDER}/{Path(path).name}"


def default_notebook_path() -> Path | None:
    """The notebook that goes into submissions (``submission.notebook`` in kit.yaml), or
    ``None`` when that setting is empty or absent."""
    configured = kit_config()["submission"].get("notebook")
    return resolve_path(configured) if configured else None


def empty_answers(notebook: Mapping[str, Any]) -> tuple[int, int]:
    """(written-answer cells still holding nbgrader's stub, all written-answer cells).

    Written-answer cells are the markdown cells nbgrader marks as solutions; the
    collaboration statement is checked on its own (:func:`check_notebook`).
    """
    answers = [cell for cell in notebook.get("cells", [])
               if isinstance(cell, dict) and cell.get("cell_type") == "markdown"
               and (cell.get("metadata") or {}).get("nbgrader", {}).get("solution")
               and not is_statement_cell(cell)]
    empty = 0
    for cell in answers:
        source = cell.get("source", "")
        text = "".join(source) if isinstance(source, list) else str(source)
        empty += text.strip() in ("", ANSWER_STUB)
    return empty, len(answers)


COLAB_NOTEBOOK_HELP = (
    "In Colab, run the submission cell again (the notebook is taken from the Colab page); "
    "if that keeps failing, download the notebook (File > Download > Download .ipynb), "
    "upload it to the notebooks folder of your working copy and pass it: "
    "submit(kind, notebook=\"notebooks/assignment.ipynb\") in the notebook or "
    "`ner-kit submit KIND --notebook notebooks/assignment.ipynb` in a terminal")


def _add_notebook(plan: SubmissionPlan, given: str | Path | None,
                  configured: str | None) -> None:
    """Pack the notebook: the one named, else the live one in Colab, else the working copy's."""
    if given is None and not configured:
        return
    if given is None and _add_live_notebook(plan, str(configured)):
        return
    path = resolve_path(given) if given is not None else resolve_path(str(configured))
    if not path.is_file():
        message = (f"{path}: notebook not found, so the zip holds no notebook and your written "
                   "answers are not in it")
        if given is not None:
            plan.problems.append(message)
        elif plan.live_notebook_error is not None:
            plan.problems.append(f"{message}; {plan.live_notebook_error}. {COLAB_NOTEBOOK_HELP}")
        else:
            plan.warnings.append(f"{message} (save the notebook there, or hand it in as your "
                                 "course says)")
        return
    data = path.read_bytes()
    try:
        notebook = json.loads(data.decode("utf-8"))
        if not isinstance(notebook, dict) or not isinstance(notebook.get("cells"), list):
            raise ValueError("no list of cells")
    except (UnicodeDecodeError, ValueError) as exc:
        plan.problems.append(f"{path}: not a readable notebook ({exc}); open it in Jupyter and "
                             "save it again")
        return
    check_notebook(plan, notebook, str(path))
    if plan.live_notebook_error is not None:
        plan.warnings.append(f"{plan.live_notebook_error}: the zip holds {path} as saved in the "
                             f"working copy, not the notebook you edit in Colab. "
                             f"{COLAB_NOTEBOOK_HELP}")
    empty, total = empty_answers(notebook)
    if total and empty == total:
        plan.warnings.append(
            f"{path}: none of the {total} written answers is filled in yet. The zip holds the "
            "notebook as saved on disk: save it first (File > Save, or Ctrl+S)")
    elif empty:
        plan.warnings.append(f"{path}: {empty} of the {total} written answers are still empty "
                             "(fine for optional questions you skipped)")
    plan.entries[notebook_entry(path)] = data
    plan.notebook_origin = f"{path} as last saved (save it before building the zip, so that " \
                           "your latest answers are in it)"


def notebook_check_mode(name: str) -> str:
    """``warn``, ``refuse`` or ``off``: kit.yaml's ``submission.<name>`` (default warn)."""
    mode = str(kit_config()["submission"].get(name) or "warn")
    if mode not in NOTEBOOK_CHECK_MODES:
        raise KitError(f"kit.yaml: submission.{name} is {mode!r}; use one of "
                       f"{', '.join(NOTEBOOK_CHECK_MODES)}")
    return mode


def check_notebook(plan: SubmissionPlan, notebook: Mapping[str, Any], where: str) -> None:
    """Add what is wrong with the notebook's run order and collaboration statement to the
    plan's warnings or problems, as kit.yaml's ``submission.run_order`` and
    ``submission.collaboration_statement`` say."""
    run_order = notebook_check_mode("run_order")
    if run_order != "off":
        finding = check_run_order(notebook, plan.kind)
        plan.run_order = finding
        if not finding.in_order:
            target = plan.problems if run_order == "refuse" else plan.warnings
            target.append(f"{where}: {finding.message()}")
    statement = notebook_check_mode("collaboration_statement")
    if statement != "off":
        problem = statement_problem(notebook)
        if problem is not None:
            target = plan.problems if statement == "refuse" else plan.warnings
            target.append(f"{where}: {problem}")


def _add_live_notebook(plan: SubmissionPlan, configured: str) -> bool:
    """In Colab, pack the notebook open in the browser as ``notebooks/<configured name>``.

    Returns True when it was packed; outside Colab, or when the Colab front end
    fails (``plan.live_notebook_error`` then says why), False.
    """
    from ner_helpers.colab import LiveNotebookError, live_notebook, notebook_json

    try:
        notebook = live_notebook()
    except LiveNotebookError as exc:
        plan.live_notebook_error = str(exc)
        return False
    if notebook is None:
        return False
    entry = notebook_entry(configured)
    check_notebook(plan, notebook, "the notebook open in Colab")
    empty, total = empty_answers(notebook)
    if total and empty == total:
        plan.warnings.append(f"the notebook open in Colab: none of the {total} written answers "
                             "is filled in yet")
    elif empty:
        plan.warnings.append(f"the notebook open in Colab: {empty} of the {total} written "
                             "answers are still empty (fine for optional questions you skipped)")
    plan.entries[entry] = notebook_json(notebook).encode("utf-8")
    plan.notebook_origin = "the notebook open in Colab, as it is now (saved or not)"
    return True


def _test_indices(plan: SubmissionPlan, dataset_dir: str | Path | None,
                  config: Mapping[str, Any]) -> list[int] | None:
    from ner_helpers.data import load_split

    folder = resolve_path(dataset_dir or config["paths"]["dataset_dir"])
    try:
        rows = load_split(folder / "test.json")
    except KitError as exc:
        plan.problems.append(f"test split: {exc} (needed to check the predictions)")
        return None
    return [int(index) for row in rows for index in row["index"]]


def _loaded_model(plan: SubmissionPlan, model: str, model_dir: Path,
                  load: Callable[[Path], Any]) -> Any | None:
    """The model in ``model_dir`` built with the student's package by ``load``, or None with
    the problem noted in ``plan``."""
    try:
        return load(model_dir)
    except KitError as exc:
        plan.problems.append(f"{model}: {exc}")
    except Exception as exc:  # noqa: BLE001 (the student's own code builds the model)
        plan.problems.append(f"{model}: the model in {model_dir} could not be built with your "
                             f"package: {type(exc).__name__}: {exc}")
    return None


def _checked_predictions(plan: SubmissionPlan, model: str, folder: Path, path: Path,
                         test_indices: list[int] | None) -> bool:
    """Whether the prediction file at ``path`` reads; a coverage problem is noted too."""
    from ner_helpers.predictions import load_predictions

    try:
        rows = load_predictions(path)
    except KitError as exc:
        plan.problems.append(f"{model}: {exc} (`ner-kit predict --experiment "
                             f"{folder.name}` writes it)")
        return False
    if test_indices is not None:
        problem = coverage_problem([int(i) for row in rows for i in row["index"]], test_indices)
        if problem:
            plan.problems.append(f"{model}: {path}: {problem}")
    return True


def _add_model(plan: SubmissionPlan, model: str, folder: Path, tokenizer: Any,
               test_indices: list[int] | None, max_layers: int) -> None:
    from ner_helpers.predictor import CONFIG_FILE, WEIGHTS_FILE, NERPredictor

    model_dir = folder / "model"
    if not folder.is_dir():
        plan.problems.append(f"{model}: experiment folder {folder} not found (train it with "
                             f"`ner-kit train --config {model}` or pass --{model} NAME)")
        return
    predictor = _loaded_model(plan, model, model_dir, NERPredictor.load)
    if predictor is None:
        return
    config = predictor.config
    if config.model_type != model:
        plan.problems.append(f"{model}: {model_dir / CONFIG_FILE} holds a {config.model_type} "
                             f"model, not a {model} model")
    if config.num_layers > max_layers:
        plan.problems.append(f"{model}: the model has {config.num_layers} layers; submitted "
                             f"models may have at most {max_layers}")
    if tokenizer is not None and config.vocab_size != tokenizer.vocab_size:
        plan.problems.append(f"{model}: the model's vocab_size is {config.vocab_size} but the "
                             f"tokenizer has {tokenizer.vocab_size} ids (was it trained with "
                             "another tokenizer?)")
    for name, source in ((MODEL_CONFIG_FILE, model_dir / CONFIG_FILE),
                         (MODEL_WEIGHTS_FILE, model_dir / WEIGHTS_FILE)):
        plan.entries[f"{MODELS_FOLDER}/{model}/{name}"] = source.read_bytes()

    predictions_path = folder / MODEL_PREDICTIONS_FILE
    if _checked_predictions(plan, model, folder, predictions_path, test_indices):
        plan.entries[f"{MODELS_FOLDER}/{model}/{MODEL_PREDICTIONS_FILE}"] = \
            predictions_path.read_bytes()


def _add_optional_model(plan: SubmissionPlan, model: str, folder: Path, files: list[str],
                        test_indices: list[int] | None) -> None:
    """An optional section's model (the encoder): it must load with the package, and
    its test predictions must cover the test split."""
    from ner_helpers.predictor import load_predictor

    model_dir = folder / "model"
    if not folder.is_dir():
        plan.problems.append(f"{model}: experiment folder {folder} not found")
        return
    predictor = _loaded_model(plan, model, model_dir, load_predictor)
    if predictor is None:
        return
    if getattr(predictor.config, "model_type", None) != model:
        plan.problems.append(f"{model}: {model_dir} holds no {model} model")
        return
    for name in files:
        source = folder / name if name == MODEL_PREDICTIONS_FILE else model_dir / name
        if name == MODEL_PREDICTIONS_FILE and not _checked_predictions(
                plan, model, folder, source, test_indices):
            continue
        if not source.is_file():
            plan.problems.append(f"{model}: {source} is missing")
            continue
        plan.entries[f"{MODELS_FOLDER}/{model}/{name}"] = source.read_bytes()


def coverage_problem(predicted: list[int], expected: list[int]) -> str | None:
    """Why predicted token indices do not cover the expected ones exactly once (or None)."""
    seen: set[int] = set()
    repeated: set[int] = set()
    for index in predicted:
        if index in seen:
            repeated.add(index)
        seen.add(index)
    duplicates = sorted(repeated)
    wanted = set(expected)
    missing = sorted(wanted - seen)
    extra = sorted(seen - wanted)
    parts = []
    if missing:
        parts.append(f"{len(missing)} test tokens have no prediction (first: index {missing[0]})")
    if extra:
        parts.append(f"{len(extra)} predicted indices are not in the test split "
                     f"(first: {extra[0]})")
    if duplicates:
        parts.append(f"{len(duplicates)} indices are predicted more than once "
                     f"(first: {duplicates[0]})")
    if not parts:
        return None
    return "; ".join(parts) + " (predict the current dataset/test.json again)"


# ---------------------------------------------------------------------------- writing
def write_zip(entries: Mapping[str, bytes], path: str | Path) -> Path:
    """Write a reproducible zip: sorted entries, fixed dates and permissions."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    with zipfile.ZipFile(temporary, "w") as archive:
        for name in sorted(entries):
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3
            info.external_attr = (0o100000 | ZIP_FILE_MODE) << 16
            archive.writestr(info, entries[name], compresslevel=6)
    temporary.replace(path)
    return path


def next_submission_path(out_dir: Path, kind: str) -> Path:
    """``<kind>-NNN.zip`` with the next number after those already in ``out_dir``."""
    pattern = re.compile(rf"^{kind}-(\d+)\.zip$")
    numbers = [int(match.group(1)) for item in out_dir.glob(f"{kind}-*.zip")
               if (match := pattern.match(item.name))]
    return out_dir / f"{kind}-{max(numbers, default=0) + 1:03d}.zip"


def _stored_leaderboard_name() -> str:
    """The leaderboard name of the stored identity ("" when none or unreadable)."""
    try:
        stored = load_identity()
    except KitError:
        return ""
    return stored.leaderboard_name if stored is not None else ""


def build_submission(kind: str, *, student_id: str | None = None, name: str | None = None,
                     out_dir: str | Path | None = None, leaderboard_name: str | None = None,
                     **options: Any) -> SubmissionReport:
    """Check and write a submission zip; raise :class:`KitError` listing every problem.

    ``student_id`` and ``name``, when given, are checked and stored (see
    :func:`save_identity`) before use, and so is ``leaderboard_name`` (``""`` removes
    it; ``None`` keeps the stored one). Other options are those of
    :func:`plan_submission`.
    """
    if (student_id is None) != (name is None):
        raise KitError("give both the student ID and the name (or neither, to use the stored "
                       "identity)")
    if student_id is not None and name is not None:
        chosen = leaderboard_name if leaderboard_name is not None else \
            _stored_leaderboard_name()
        save_identity(student_id, name, leaderboard_name=chosen)
    elif leaderboard_name is not None:
        stored = load_identity()
        if stored is None:
            raise KitError("your identity is not set: give the student ID and the name with "
                           "the leaderboard name")
        save_identity(stored.student_id, stored.name, leaderboard_name=leaderboard_name)
    plan = plan_submission(kind, **options)
    if plan.problems:
        lines = "\n".join(f"  - {problem}" for problem in plan.problems)
        raise KitError(f"the {kind} submission was not written; fix these first:\n{lines}")
    folder = resolve_path(out_dir or kit_config()["paths"]["submissions_dir"])
    folder.mkdir(parents=True, exist_ok=True)
    path = write_zip(plan.entries, next_submission_path(folder, kind))
    latest = folder / f"{kind}-{LATEST_SUFFIX}.zip"
    temporary = latest.with_name(latest.name + ".tmp")
    shutil.copyfile(path, temporary)
    temporary.replace(latest)
    return SubmissionReport(kind, path, latest, tuple(sorted(plan.entries)),
                            path.stat().st_size, tuple(plan.warnings), plan.notebook_origin)


def final_file_names(settings: Mapping[str, Any]) -> list[str]:
    """Every package file a final zip may hold (kit.yaml ``submission``): ``final_files``,
    then the optional sections' ``optional_final_files``."""
    return [*settings["final_files"], *(settings.get("optional_final_files") or [])]
