"""The release settings: ``autograder/config/release.yaml`` read into typed values.

Every path in the file is relative to the root of the instructor's source tree;
:func:`load_release_settings` keeps them relative and the callers resolve them
against the root they work on (tests build releases from copies of the tree).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from autograder.release.sections import OptionalSection, parse_sections
from ner_helpers.config import load_yaml
from ner_helpers.errors import KitError

#: The settings file shipped with the instructor package.
DEFAULT_SETTINGS_PATH = Path(__file__).resolve().parents[1] / "config" / "release.yaml"


def _get(data: dict[str, Any], dotted: str, where: Path) -> Any:
    node: Any = data
    for key in dotted.split("."):
        if not isinstance(node, dict) or key not in node:
            raise KitError(f"{where}: missing setting {dotted!r}")
        node = node[key]
    return node


def _str_list(data: dict[str, Any], dotted: str, where: Path) -> tuple[str, ...]:
    value = _get(data, dotted, where)
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise KitError(f"{where}: setting {dotted!r} must be a list of strings")
    return tuple(value)


@dataclass(frozen=True)
class NbgraderSettings:
    """The ``nbgrader`` section: course id, assignment id, folders, execution limit."""

    course_id: str
    assignment_id: str
    course_dir: str
    directories: dict[str, str]
    execute_timeout: int
    ignore_extra: tuple[str, ...]
    #: ``nbgrader.collect``: where earlier collected submissions are kept, the size
    #: limit of one zip, the collection log (see autograder/nbgrader/collect.py).
    collect_keep_dir: str = "earlier_submissions"
    collect_max_unpacked_bytes: int = 500_000_000
    collect_log_file: str = "collected.csv"
    #: ``nbgrader.merged_gradebook``: where ``gradebook-merge`` writes by default.
    merged_gradebook: str = "artefacts/grading/combined-gradebook.csv"


@dataclass(frozen=True)
class LeakCheckSettings:
    """The ``never_ship`` and ``leak_check`` sections."""

    never_ship_paths: tuple[str, ...]
    never_ship_names: tuple[str, ...]
    instructor_dirs: tuple[str, ...]
    instructor_dirs_shipped: tuple[str, ...]
    hidden_tests_dir: str
    min_chars: int
    max_text_bytes: int
    max_reported: int


@dataclass(frozen=True)
class ReleaseSettings:
    """Everything ``release.yaml`` says, with the file it came from."""

    source: Path
    out_dir: str
    package: str
    skip: tuple[str, ...]
    notebooks_dir: str
    notebooks: tuple[str, ...]
    copy: tuple[str, ...]
    dataset_files: tuple[str, ...]
    templates: dict[str, str]
    project_name: str
    environment_source: str
    extras: dict[str, tuple[str, ...]]
    timestamp: float
    file_mode: int
    dir_mode: int
    sections: dict[str, str]
    colab_repository_url: str
    colab_branch: str
    #: Example addresses a real release must not use (``colab.placeholder_urls``).
    colab_placeholder_urls: tuple[str, ...]
    leak: LeakCheckSettings
    nbgrader: NbgraderSettings
    #: ``optional_sections``: the sections beyond the core homework, on or off.
    optional_sections: dict[str, OptionalSection] = field(default_factory=dict)
    #: ``collaboration_statement``: the question's wording and the answer's points
    #: (wording "" when the section is absent: the notebooks are left as built).
    statement_wording: str = ""
    statement_points: float = 0.0

    def shipped_extras(self) -> dict[str, tuple[str, ...]]:
        """The student project's extras: ``release.extras`` and those of the sections on."""
        extras = dict(self.extras)
        for section in self.optional_sections.values():
            if section.enabled:
                extras.update(section.extras)
        return extras


def _timestamp(value: Any, where: Path) -> float:
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        raise KitError(f"{where}: release.timestamp {value!r} is not an ISO date-time") from None
    if moment.tzinfo is None:
        raise KitError(f"{where}: release.timestamp needs a time zone, e.g. +00:00")
    return moment.timestamp()


def _octal(value: Any, name: str, where: Path) -> int:
    try:
        return int(str(value), 8)
    except ValueError:
        raise KitError(f"{where}: {name} {value!r} is not an octal mode like \"644\"") from None


def load_release_settings(path: str | Path | None = None) -> ReleaseSettings:
    """Read ``release.yaml`` (the bundled one unless ``path`` is given)."""
    where = Path(path) if path is not None else DEFAULT_SETTINGS_PATH
    data = load_yaml(where)
    templates = _get(data, "release.templates", where)
    sections = _get(data, "release.sections", where)
    directories = _get(data, "nbgrader.directories", where)
    for name, mapping in (("release.templates", templates), ("release.sections", sections),
                          ("nbgrader.directories", directories)):
        if not isinstance(mapping, dict):
            raise KitError(f"{where}: setting {name!r} must be a mapping")
    for folder in ("source", "release", "submitted", "autograded", "feedback"):
        if folder not in directories:
            raise KitError(f"{where}: nbgrader.directories needs a {folder!r} entry")
    leak = LeakCheckSettings(
        never_ship_paths=_str_list(data, "never_ship.paths", where),
        never_ship_names=_str_list(data, "never_ship.names", where),
        instructor_dirs=_str_list(data, "never_ship.instructor_dirs", where),
        instructor_dirs_shipped=_str_list(data, "never_ship.instructor_dirs_shipped", where),
        hidden_tests_dir=str(_get(data, "never_ship.hidden_tests_dir", where)),
        min_chars=int(_get(data, "leak_check.min_chars", where)),
        max_text_bytes=int(_get(data, "leak_check.max_text_bytes", where)),
        max_reported=int(_get(data, "leak_check.max_reported", where)),
    )
    nbgrader = NbgraderSettings(
        course_id=str(_get(data, "nbgrader.course_id", where)),
        assignment_id=str(_get(data, "nbgrader.assignment_id", where)),
        course_dir=str(_get(data, "nbgrader.course_dir", where)),
        directories={str(k): str(v) for k, v in directories.items()},
        execute_timeout=int(_get(data, "nbgrader.execute_timeout", where)),
        ignore_extra=_str_list(data, "nbgrader.ignore_extra", where),
        collect_keep_dir=str(_get(data, "nbgrader.collect.keep_dir", where)),
        collect_max_unpacked_bytes=int(_get(data, "nbgrader.collect.max_unpacked_bytes",
                                            where)),
        collect_log_file=str(_get(data, "nbgrader.collect.log_file", where)),
        merged_gradebook=str(_get(data, "nbgrader.merged_gradebook", where)),
    )
    return ReleaseSettings(
        source=where,
        out_dir=str(_get(data, "release.out_dir", where)),
        package=str(_get(data, "release.package", where)),
        skip=_str_list(data, "release.skip", where),
        notebooks_dir=str(_get(data, "release.notebooks_dir", where)),
        notebooks=_str_list(data, "release.notebooks", where),
        copy=_str_list(data, "release.copy", where),
        dataset_files=_str_list(data, "release.dataset_files", where),
        templates={str(k): str(v) for k, v in templates.items()},
        project_name=str(_get(data, "release.project_name", where)),
        environment_source=str(_get(data, "release.environment_source", where)),
        extras={str(name): _str_list(data, f"release.extras.{name}", where)
                for name in _get(data, "release.extras", where) or {}},
        timestamp=_timestamp(_get(data, "release.timestamp", where), where),
        file_mode=_octal(_get(data, "release.file_mode", where), "release.file_mode", where),
        dir_mode=_octal(_get(data, "release.dir_mode", where), "release.dir_mode", where),
        sections={str(k): str(v) for k, v in sections.items()},
        colab_repository_url=str(_get(data, "colab.repository_url", where)).rstrip("/"),
        colab_branch=str(_get(data, "colab.branch", where)),
        colab_placeholder_urls=tuple(str(url) for url in
                                     (data.get("colab") or {}).get("placeholder_urls") or ()),
        leak=leak,
        nbgrader=nbgrader,
        optional_sections=parse_sections(data.get("optional_sections"), where),
        **_statement(data, where),
    )


def _statement(data: dict[str, Any], where: Path) -> dict[str, Any]:
    """The ``collaboration_statement`` section as ReleaseSettings fields (optional)."""
    section = data.get("collaboration_statement")
    if section is None:
        return {}
    if not isinstance(section, dict):
        raise KitError(f"{where}: setting 'collaboration_statement' must be a mapping")
    wording = str(_get(data, "collaboration_statement.wording", where)).strip()
    points = _get(data, "collaboration_statement.points", where)
    if not wording:
        raise KitError(f"{where}: collaboration_statement.wording is empty")
    if isinstance(points, bool) or not isinstance(points, (int, float)) or points < 0:
        raise KitError(f"{where}: collaboration_statement.points {points!r} must be a number "
                       "of at least 0")
    return {"statement_wording": wording, "statement_points": float(points)}
