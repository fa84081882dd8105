"""The autograder's settings: ``autograder/config/grading.yaml``.

Everything the grader needs to decide a score lives in that one file: the
points of every hidden test, the submission kinds, the performance baselines,
the calibration rule, the unpacking limits and the sandbox limits. This module
reads it into typed, checked dataclasses.

The TODOs of the optional sections (``optional_sections`` in release.yaml) are
graded in final submissions only when their section is on: their points sit
under ``todos`` like the core TODOs', and the final kind gains them when the
release settings turn the section on.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any

from autograder.grader.class_settings import (
    LEADERBOARD_OFF,
    REPORT_OFF,
    LeaderboardSettings,
    ReportSettings,
    read_leaderboard,
    read_report,
)
from autograder.release.sections import OptionalSection, parse_sections
from ner_helpers.config import load_yaml
from ner_helpers.errors import KitError
from ner_helpers.json_limits import JsonLimits

SETTINGS_PACKAGE = "autograder.config"
SETTINGS_FILE = "grading.yaml"
#: The release settings beside grading.yaml say which optional sections are on.
RELEASE_SETTINGS_FILE = "release.yaml"
KINDS = ("milestone", "final")


@dataclass(frozen=True)
class TodoSettings:
    """One TODO: its title and the points of each of its hidden tests (in file order)."""

    todo: str
    title: str
    tests: dict[str, float]

    @property
    def max_points(self) -> float:
        return float(sum(self.tests.values()))


@dataclass(frozen=True)
class ModelSettings:
    """Performance points of one submitted model."""

    name: str
    title: str
    points: float
    baseline: float
    #: The optional section (release.yaml) the model belongs to: graded in final
    #: submissions only while that section is on, and only when the submission
    #: holds the model (it is optional there). ``None`` for the core models.
    section: str | None = None


@dataclass(frozen=True)
class KindSettings:
    """What one kind of submission (milestone, final) is graded on."""

    name: str
    todos: tuple[str, ...]
    models: tuple[str, ...]


@dataclass(frozen=True)
class CalibrationSettings:
    fraction: float
    step: float
    experiment_prefix: str
    tokenizer_file: str
    proposal_file: str
    #: Reference runs per model, each with its own seed (``--seeds`` overrides it).
    seeds: int = 5


@dataclass(frozen=True)
class ResultSettings:
    out_dir: str
    visibility: str
    stdout_visibility: str
    decimals: int
    message_chars: int
    #: Gradescope's ``leaderboard`` in results.json (and the class leaderboard files).
    leaderboard: LeaderboardSettings = LEADERBOARD_OFF


@dataclass(frozen=True)
class GradescopeSettings:
    """What ``ner-instructor bundle`` puts into the Gradescope autograder zip."""

    out_dir: str
    kind: str
    python: str
    torch: str
    torch_index: str
    source: tuple[str, ...]
    skip: tuple[str, ...]


@dataclass(frozen=True)
class UnpackLimits:
    """Limits on what a submission may hold (sizes in bytes)."""

    max_entries: int
    max_file_bytes: int
    max_total_bytes: int
    max_ratio: float
    ratio_min_bytes: int


#: How ``sandbox.bubblewrap`` chooses the confinement: bubblewrap when installed and
#: working (``auto``), always (``required``: grading stops without it), or never.
BUBBLEWRAP_CHOICES = ("auto", "required", "never")


@dataclass(frozen=True)
class InputLimits:
    """Bounds on the submission's files that the grader itself reads (JSON and weights).

    Every JSON file gets the same nesting depth and value count; the sizes differ
    per file. ``weights_*`` bound what the grader's own ``torch.load`` of a
    ``weights.pt`` (tensors only, memory-mapped) may hold before it counts the
    model's layers.
    """

    json_depth: int
    json_values: int
    identity_bytes: int
    manifest_bytes: int
    model_config_bytes: int
    predictions_bytes: int
    weights_tensors: int
    weights_dims: int
    #: The notebook with the written answers, read as data for its run order and
    #: collaboration statement (never executed).
    notebook_bytes: int = 32 * 1024 * 1024
    #: An encoder model (the encoder section): the largest weights.pt and parameter
    #: count (from its config's declared sizes) the grader lets the child load, and
    #: the largest encoder_config.json and pieces.json it reads.
    encoder_weights_bytes: int = 150 * 1024 * 1024
    encoder_files_bytes: int = 16 * 1024 * 1024

    def json(self, max_bytes: int) -> JsonLimits:
        return JsonLimits(max_bytes, self.json_depth, self.json_values)


@dataclass(frozen=True)
class SandboxLimits:
    """Limits and confinement of the child process that runs student code."""

    run_as: str | None
    namespaces: bool
    masked_paths: tuple[str, ...]
    memory_bytes: int
    cpu_seconds: int
    output_bytes: int
    max_processes: int
    open_files: int
    threads: int
    start_timeout_s: float
    import_timeout_s: float
    call_timeout_s: float
    performance_timeout_s: float
    max_failures_per_group: int
    max_message_bytes: int
    bubblewrap: str
    work_bytes: int
    submission_timeout_s: float


@dataclass(frozen=True)
class GradingSettings:
    """All of ``grading.yaml``, checked."""

    kinds: dict[str, KindSettings]
    todos: dict[str, TodoSettings]
    models: dict[str, ModelSettings]
    tagging_batch_size: int
    calibration: CalibrationSettings
    results: ResultSettings
    gradescope: GradescopeSettings
    unpack: UnpackLimits
    sandbox: SandboxLimits
    inputs: InputLimits
    source: str = field(default="grading.yaml", compare=False)
    #: The class report of ``grade-batch``.
    report: ReportSettings = REPORT_OFF
    #: Points of a model TODO flagged "needs review" (right model, other layer names):
    #: ``contract``, ``review`` or ``full`` (autograder/grader/layer_review.py).
    misnamed_layers: str = "contract"

    def kind(self, name: str) -> KindSettings:
        if name not in self.kinds:
            raise KitError(f"unknown submission kind {name!r}; known: {', '.join(self.kinds)}")
        return self.kinds[name]

    def max_score(self, kind: str) -> float:
        chosen = self.kind(kind)
        return (sum(self.todos[todo].max_points for todo in chosen.todos)
                + sum(self.models[model].points for model in chosen.models))

    def with_baselines(self, baselines: dict[str, float]) -> GradingSettings:
        """A copy with other performance baselines (e.g. for a calibration preview)."""
        models = dict(self.models)
        for name, value in baselines.items():
            if name not in models:
                raise KitError(f"no model named {name!r} in the performance settings")
            models[name] = replace(models[name], baseline=float(value))
        return replace(self, models=models)

    def with_sandbox(self, **changes: Any) -> GradingSettings:
        """A copy with some sandbox limits changed (tests use short time limits)."""
        return replace(self, sandbox=replace(self.sandbox, **changes))


def default_settings_path() -> Path:
    return Path(str(resources.files(SETTINGS_PACKAGE).joinpath(SETTINGS_FILE)))


def release_settings_path(grading_path: Path) -> Path:
    """The release.yaml whose ``optional_sections`` apply: the one beside ``grading_path``,
    else the bundled one."""
    beside = grading_path.parent / RELEASE_SETTINGS_FILE
    return beside if beside.is_file() else default_settings_path().parent / RELEASE_SETTINGS_FILE


def read_optional_sections(path: Path) -> dict[str, OptionalSection]:
    """``optional_sections`` of the release settings file at ``path`` (none if absent)."""
    if not path.is_file():
        return {}
    return parse_sections((load_yaml(path) or {}).get("optional_sections"), path)


def _with_sections(kinds: dict[str, KindSettings], todos: dict[str, TodoSettings],
                   sections: dict[str, OptionalSection], where: Path) -> dict[str, KindSettings]:
    """The final kind with the TODOs of the sections that are on."""
    extra: list[str] = []
    for section in sections.values():
        for todo in section.todos:
            if todo not in todos:
                raise KitError(f"{where}: optional_sections.{section.name}.todos: {todo} has "
                               f"no entry under todos in grading.yaml")
            if section.enabled and todo not in kinds["final"].todos:
                extra.append(todo)
    if not extra:
        return kinds
    return {**kinds, "final": replace(kinds["final"], todos=kinds["final"].todos + tuple(extra))}


def _with_section_models(kinds: dict[str, KindSettings], models: dict[str, ModelSettings],
                         sections: dict[str, OptionalSection]) -> dict[str, KindSettings]:
    """The final kind with the models (``performance.<model>.section``) of the sections
    that are on (a section the release settings do not list is off)."""
    extra: list[str] = []
    for model in models.values():
        if model.section is None or model.section not in sections:
            continue
        if sections[model.section].enabled and model.name not in kinds["final"].models:
            extra.append(model.name)
    if not extra:
        return kinds
    return {**kinds, "final": replace(kinds["final"],
                                      models=kinds["final"].models + tuple(extra))}


def load_settings(path: str | Path | None = None,
                  release_path: str | Path | None = None) -> GradingSettings:
    """Read and check ``grading.yaml`` (the bundled one unless ``path`` is given).

    ``release_path``: the release settings whose optional sections apply
    (default: :func:`release_settings_path`).
    """
    path = Path(path) if path is not None else default_settings_path()
    data = load_yaml(path)
    reader = _Reader(data, str(path))
    todos = _read_todos(reader)
    models = _read_models(reader)
    sections_path = Path(release_path) if release_path is not None else release_settings_path(path)
    sections = read_optional_sections(sections_path)
    kinds = _with_section_models(
        _with_sections(_read_kinds(reader, todos, models), todos, sections, sections_path),
        models, sections)
    performance = reader.section("performance")
    settings = GradingSettings(
        kinds=kinds,
        todos=todos,
        models=models,
        tagging_batch_size=reader.positive_int(performance, "performance", "batch_size"),
        calibration=_read_calibration(reader),
        results=replace(_read_results(reader),
                        leaderboard=read_leaderboard(data, str(path), tuple(models))),
        gradescope=_read_gradescope(reader),
        unpack=_read_unpack(reader),
        sandbox=_read_sandbox(reader),
        inputs=_read_inputs(reader),
        source=str(path),
        report=read_report(data, str(path)),
        misnamed_layers=_read_review(data, str(path)),
    )
    return settings


MISNAMED_LAYER_POLICIES = ("contract", "review", "full")


def _read_review(data: dict[str, Any], where: str) -> str:
    """``review.misnamed_layers`` (``contract`` when the section is absent)."""
    node = data.get("review")
    if node is None:
        return "contract"
    if not isinstance(node, dict):
        raise KitError(f"{where}: review: must be a mapping")
    value = node.get("misnamed_layers", "contract")
    if value not in MISNAMED_LAYER_POLICIES:
        raise KitError(f"{where}: review.misnamed_layers: must be one of "
                       f"{', '.join(MISNAMED_LAYER_POLICIES)}, got {value!r}")
    return value


class _Reader:
    """Typed access to the YAML mapping with messages naming the file and the key."""

    def __init__(self, data: dict[str, Any], where: str) -> None:
        self.data = data
        self.where = where

    def error(self, key: str, problem: str) -> KitError:
        return KitError(f"{self.where}: {key}: {problem}")

    def section(self, key: str, parent: dict[str, Any] | None = None,
                label: str | None = None) -> dict[str, Any]:
        node = (self.data if parent is None else parent).get(key)
        if not isinstance(node, dict):
            raise self.error(label or key, "missing, or not a mapping")
        return node

    def number(self, node: dict[str, Any], label: str, key: str, minimum: float = 0.0) -> float:
        value = node.get(key)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < minimum:
            raise self.error(f"{label}.{key}", f"must be a number >= {minimum}, got {value!r}")
        return float(value)

    def positive_int(self, node: dict[str, Any], label: str, key: str) -> int:
        value = node.get(key)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise self.error(f"{label}.{key}", f"must be a positive integer, got {value!r}")
        return value

    def text(self, node: dict[str, Any], label: str, key: str) -> str:
        value = node.get(key)
        if not isinstance(value, str) or not value:
            raise self.error(f"{label}.{key}", f"must be a non-empty string, got {value!r}")
        return value

    def string_list(self, node: dict[str, Any], label: str, key: str) -> tuple[str, ...]:
        value = node.get(key)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.error(f"{label}.{key}", f"must be a list of strings, got {value!r}")
        return tuple(value)


def _read_todos(reader: _Reader) -> dict[str, TodoSettings]:
    todos: dict[str, TodoSettings] = {}
    for todo, node in reader.section("todos").items():
        label = f"todos.{todo}"
        if not isinstance(node, dict):
            raise reader.error(label, "must be a mapping with title and tests")
        tests_node = reader.section("tests", node, f"{label}.tests")
        tests = {str(name): reader.number(tests_node, f"{label}.tests", name)
                 for name in tests_node}
        if not tests:
            raise reader.error(f"{label}.tests", "lists no tests")
        todos[str(todo)] = TodoSettings(str(todo), reader.text(node, label, "title"), tests)
    return todos


def _read_models(reader: _Reader) -> dict[str, ModelSettings]:
    models: dict[str, ModelSettings] = {}
    for name, node in reader.section("performance").items():
        if name == "batch_size":
            continue
        label = f"performance.{name}"
        if not isinstance(node, dict):
            raise reader.error(label, "must be a mapping with title, points and baseline")
        baseline = reader.number(node, label, "baseline")
        if not 0.0 < baseline <= 1.0:
            raise reader.error(f"{label}.baseline", f"must be in (0, 1], got {baseline}")
        section = node.get("section")
        if section is not None and (not isinstance(section, str) or not section):
            raise reader.error(f"{label}.section", f"must name an optional section, "
                               f"got {section!r}")
        models[str(name)] = ModelSettings(str(name), reader.text(node, label, "title"),
                                          reader.number(node, label, "points"), baseline,
                                          section)
    return models


def _read_kinds(reader: _Reader, todos: dict[str, TodoSettings],
                models: dict[str, ModelSettings]) -> dict[str, KindSettings]:
    kinds: dict[str, KindSettings] = {}
    node = reader.section("kinds")
    for name in KINDS:
        label = f"kinds.{name}"
        entry = reader.section(name, node, label)
        chosen_todos = reader.string_list(entry, label, "todos")
        chosen_models = reader.string_list(entry, label, "models")
        for todo in chosen_todos:
            if todo not in todos:
                raise reader.error(f"{label}.todos", f"{todo} has no entry under todos")
        for model in chosen_models:
            if model not in models:
                raise reader.error(f"{label}.models", f"{model} has no entry under performance")
        kinds[name] = KindSettings(name, chosen_todos, chosen_models)
    return kinds


def _read_calibration(reader: _Reader) -> CalibrationSettings:
    node = reader.section("calibration")
    fraction = reader.number(node, "calibration", "fraction")
    if not 0.0 < fraction <= 1.0:
        raise reader.error("calibration.fraction", f"must be in (0, 1], got {fraction}")
    step = reader.number(node, "calibration", "step")
    if not 0.0 < step < 1.0:
        raise reader.error("calibration.step", f"must be in (0, 1), got {step}")
    return CalibrationSettings(fraction, step,
                               reader.text(node, "calibration", "experiment_prefix"),
                               reader.text(node, "calibration", "tokenizer_file"),
                               reader.text(node, "calibration", "proposal_file"),
                               reader.positive_int(node, "calibration", "seeds"))


VISIBILITIES = ("visible", "hidden", "after_due_date", "after_published")


def _read_results(reader: _Reader) -> ResultSettings:
    node = reader.section("results")
    visibility = reader.text(node, "results", "visibility")
    stdout_visibility = reader.text(node, "results", "stdout_visibility")
    for key, value in (("visibility", visibility), ("stdout_visibility", stdout_visibility)):
        if value not in VISIBILITIES:
            raise reader.error(f"results.{key}", f"must be one of {VISIBILITIES}, got {value!r}")
    return ResultSettings(reader.text(node, "results", "out_dir"), visibility, stdout_visibility,
                          reader.positive_int(node, "results", "decimals"),
                          reader.positive_int(node, "results", "message_chars"))


def _read_gradescope(reader: _Reader) -> GradescopeSettings:
    node = reader.section("gradescope")
    label = "gradescope"
    kind = reader.text(node, label, "kind")
    if kind not in (*KINDS, "auto"):
        raise reader.error("gradescope.kind", f"must be milestone, final or auto, got {kind!r}")
    return GradescopeSettings(
        out_dir=reader.text(node, label, "out_dir"),
        kind=kind,
        python=reader.text(node, label, "python"),
        torch=reader.text(node, label, "torch"),
        torch_index=reader.text(node, label, "torch_index"),
        source=reader.string_list(node, label, "source"),
        skip=reader.string_list(node, label, "skip"),
    )


MB = 1024 * 1024


def _read_unpack(reader: _Reader) -> UnpackLimits:
    node = reader.section("unpack")
    return UnpackLimits(
        max_entries=reader.positive_int(node, "unpack", "max_entries"),
        max_file_bytes=int(reader.number(node, "unpack", "max_file_mb", 0.001) * MB),
        max_total_bytes=int(reader.number(node, "unpack", "max_total_mb", 0.001) * MB),
        max_ratio=reader.number(node, "unpack", "max_ratio", 1.0),
        ratio_min_bytes=int(reader.number(node, "unpack", "ratio_min_mb") * MB),
    )


def _read_sandbox(reader: _Reader) -> SandboxLimits:
    node = reader.section("sandbox")
    label = "sandbox"
    run_as = node.get("run_as")
    if run_as is not None and (not isinstance(run_as, str) or not run_as):
        raise reader.error("sandbox.run_as", f"must be a user name or null, got {run_as!r}")
    namespaces = node.get("namespaces")
    if not isinstance(namespaces, bool):
        raise reader.error("sandbox.namespaces", f"must be true or false, got {namespaces!r}")
    bubblewrap = node.get("bubblewrap")
    if bubblewrap not in BUBBLEWRAP_CHOICES:
        raise reader.error("sandbox.bubblewrap", f"must be one of {', '.join(BUBBLEWRAP_CHOICES)},"
                           f" got {bubblewrap!r}")
    return SandboxLimits(
        run_as=run_as,
        namespaces=namespaces,
        masked_paths=reader.string_list(node, label, "masked_paths"),
        memory_bytes=int(reader.number(node, label, "memory_mb", 64) * MB),
        cpu_seconds=reader.positive_int(node, label, "cpu_seconds"),
        output_bytes=int(reader.number(node, label, "output_kb", 1) * 1024),
        max_processes=reader.positive_int(node, label, "max_processes"),
        open_files=reader.positive_int(node, label, "open_files"),
        threads=reader.positive_int(node, label, "threads"),
        start_timeout_s=reader.number(node, label, "start_timeout_s", 1),
        import_timeout_s=reader.number(node, label, "import_timeout_s", 0.1),
        call_timeout_s=reader.number(node, label, "call_timeout_s", 0.1),
        performance_timeout_s=reader.number(node, label, "performance_timeout_s", 0.1),
        max_failures_per_group=reader.positive_int(node, label, "max_failures_per_group"),
        max_message_bytes=int(reader.number(node, label, "max_message_mb", 1) * MB),
        bubblewrap=bubblewrap,
        work_bytes=int(reader.number(node, label, "work_mb", 1) * MB),
        submission_timeout_s=reader.number(node, label, "submission_timeout_s", 1),
    )


def _read_inputs(reader: _Reader) -> InputLimits:
    node = reader.section("inputs")
    label = "inputs"
    return InputLimits(
        json_depth=reader.positive_int(node, label, "json_depth"),
        json_values=reader.positive_int(node, label, "json_values"),
        identity_bytes=int(reader.number(node, label, "identity_kb", 1) * 1024),
        manifest_bytes=int(reader.number(node, label, "manifest_kb", 1) * 1024),
        model_config_bytes=int(reader.number(node, label, "model_config_kb", 1) * 1024),
        predictions_bytes=int(reader.number(node, label, "predictions_mb", 0.001) * MB),
        weights_tensors=reader.positive_int(node, label, "weights_tensors"),
        weights_dims=reader.positive_int(node, label, "weights_dims"),
        notebook_bytes=int(reader.number(node, label, "notebook_mb", 0.001) * MB),
        encoder_weights_bytes=int(reader.number(node, label, "encoder_weights_mb", 0.001) * MB)
        if "encoder_weights_mb" in node else InputLimits.encoder_weights_bytes,
        encoder_files_bytes=int(reader.number(node, label, "encoder_files_mb", 0.001) * MB)
        if "encoder_files_mb" in node else InputLimits.encoder_files_bytes,
    )
