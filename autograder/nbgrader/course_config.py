"""The kit's nbgrader configuration, applied by every course directory's ``nbgrader_config.py``.

What it sets, from the ``nbgrader`` section of ``autograder/config/release.yaml``:

- ``CourseDirectory``: the course id, the root (the folder holding the config
  file), the ``source``/``release``/``submitted``/``autograded``/``feedback``
  folder names, and extra ``ignore`` globs (never copied from a submission).
- ``Execute.timeout``: seconds a cell may run while autograding (nbgrader's
  default of 30 s is too short for training cells).
- ``Autograde.exclude_overwriting``: ``nbgrader autograde`` first copies the
  submission into ``autograded/`` and then copies *every non-notebook file of
  the assignment's source folder* over it, replacing a student's file of the
  same name by the instructor's. The kit lists, for every assignment in
  ``source/``, all of that folder's non-notebook files and every file of the
  helper package, so nothing a student submits is ever overwritten.
- ``Autograde.autograde_preprocessors``: nbgrader's own, after
  :class:`~autograder.nbgrader.autograde_preprocessors.RequireSubmittedPackage`,
  which refuses a submission without its ``ner_helpers/`` folder (the kernel
  would import the installed instructor package instead).
- ``GenerateFeedback.preprocessors``: nbgrader shows hidden tests in feedback
  by default; the kit removes them, their tracebacks and mark schemes.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from autograder.release.settings import ReleaseSettings, load_release_settings
from autograder.release.tree_walk import walk_files

#: nbgrader's own ``CourseDirectory.ignore`` default, extended with ``nbgrader.ignore_extra``.
NBGRADER_IGNORE = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback"]


def package_files(settings: ReleaseSettings) -> list[str]:
    """Paths, relative to an assignment folder, of every file of the helper package."""
    import importlib

    package = importlib.import_module(settings.package)
    folder = Path(next(iter(package.__path__))).resolve()
    return [f"{settings.package}/{path.relative_to(folder).as_posix()}"
            for path in walk_files(folder, settings.skip)]


def source_files(source_root: Path) -> dict[str, list[str]]:
    """``assignment -> non-notebook files`` of every assignment folder in ``source/``."""
    found: dict[str, list[str]] = {}
    if not source_root.is_dir():
        return found
    for assignment in sorted(p for p in source_root.iterdir() if p.is_dir()):
        found[assignment.name] = [
            path.relative_to(assignment).as_posix()
            for path in walk_files(assignment) if path.suffix != ".ipynb"
        ]
    return found


def exclude_overwriting(course_root: Path, settings: ReleaseSettings) -> dict[str, list[str]]:
    """The value of ``Autograde.exclude_overwriting``: nothing of a submission is replaced."""
    package = package_files(settings)
    source_root = course_root / settings.nbgrader.directories["source"]
    per_assignment = source_files(source_root)
    per_assignment.setdefault(settings.nbgrader.assignment_id, [])
    return {name: sorted(set(files) | set(package)) for name, files in per_assignment.items()}


def configure(c: Any, course_root: str | os.PathLike[str],
              settings: ReleaseSettings | None = None) -> None:
    """Apply the kit's settings to the traitlets config object ``c``."""
    from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
    from nbgrader.converters import Autograde
    from nbgrader.preprocessors import ClearHiddenTests, ClearMarkScheme, GetGrades

    from autograder.nbgrader.autograde_preprocessors import RequireSubmittedPackage
    from autograder.nbgrader.feedback_preprocessors import HideHiddenTestTracebacks

    settings = settings or load_release_settings()
    course_root = Path(course_root).resolve()
    nb = settings.nbgrader
    c.CourseDirectory.root = str(course_root)
    c.CourseDirectory.course_id = nb.course_id
    c.CourseDirectory.source_directory = nb.directories["source"]
    c.CourseDirectory.release_directory = nb.directories["release"]
    c.CourseDirectory.submitted_directory = nb.directories["submitted"]
    c.CourseDirectory.autograded_directory = nb.directories["autograded"]
    c.CourseDirectory.feedback_directory = nb.directories["feedback"]
    if "solution" in nb.directories:
        c.CourseDirectory.solution_directory = nb.directories["solution"]
    c.CourseDirectory.ignore = NBGRADER_IGNORE + list(nb.ignore_extra)
    c.Execute.timeout = nb.execute_timeout
    c.Autograde.exclude_overwriting = exclude_overwriting(course_root, settings)
    nbgrader_steps = list(Autograde.class_traits()["autograde_preprocessors"].default())
    c.Autograde.autograde_preprocessors = [RequireSubmittedPackage, *nbgrader_steps]
    c.RequireSubmittedPackage.package = settings.package
    c.GenerateFeedback.preprocessors = [
        GetGrades,
        HideHiddenTestTracebacks,
        ClearHiddenTests,
        ClearMarkScheme,
        CSSHTMLHeaderPreprocessor,
    ]
