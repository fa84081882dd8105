"""Building the Gradescope autograder zip (``ner-instructor bundle``).

Gradescope extracts the zip into ``/autograder/source`` and needs ``setup.sh``
and ``run_autograder`` at its root. Beside them the zip holds:

- the parts of the instructor's source tree listed in ``gradescope.source`` of
  grading.yaml (pyproject.toml, README.md, ner_helpers/ with the reference
  solution, autograder/ with the grader and the hidden tests);
- the students' test split and the hidden labels, at the paths kit.yaml
  names (``dataset/test.json``, ``autograder/hidden/test_labels.json``), so the
  grader finds them with its defaults when run from ``/autograder/source``.

The two scripts are filled in from the templates beside this module (torch
version and index, Python, submission kind). Entries are sorted and dated
1980-01-01, so the same inputs give the same zip.
"""

from __future__ import annotations

import fnmatch
import zipfile
from pathlib import Path

from autograder.grader.engine import check_alignment, default_hidden_labels, default_test_split
from autograder.grader.settings import GradingSettings, load_settings
from autograder.sandbox.stub_package import check_reference, reference_package_dir
from ner_helpers.config import kit_config, project_root
from ner_helpers.data import load_hidden_labels, load_split
from ner_helpers.errors import KitError
from ner_helpers.submission import ZIP_DATE, student_files

TEMPLATES = Path(__file__).resolve().parent
SCRIPTS = ("setup.sh", "run_autograder")
GRADING_FILE = "autograder/config/grading.yaml"


def render_script(name: str, settings: GradingSettings, kind: str) -> str:
    text = (TEMPLATES / name).read_text(encoding="utf-8")
    gradescope = settings.gradescope
    values = {"@TORCH@": gradescope.torch, "@TORCH_INDEX@": gradescope.torch_index,
              "@PYTHON@": gradescope.python, "@KIND@": kind}
    for key, value in values.items():
        text = text.replace(key, value)
    return text


def _skipped(relative: Path, patterns: tuple[str, ...]) -> bool:
    return any(fnmatch.fnmatch(part, pattern) for part in relative.parts for pattern in patterns)


def source_files(root: Path, settings: GradingSettings) -> dict[str, Path]:
    """Bundle path -> file, for every listed part of the source tree."""
    files: dict[str, Path] = {}
    for item in settings.gradescope.source:
        path = root / item
        if path.is_file():
            files[item] = path
        elif path.is_dir():
            for child in sorted(path.rglob("*")):
                relative = child.relative_to(root)
                if child.is_file() and not child.is_symlink() and not _skipped(
                        relative, settings.gradescope.skip):
                    files[relative.as_posix()] = child
        else:
            raise KitError(f"{path}: listed in gradescope.source of grading.yaml but not found")
    return files


def _relative_in_project(configured: str, what: str) -> str:
    path = Path(configured)
    if path.is_absolute():
        raise KitError(f"kit.yaml {what} is an absolute path ({configured}); the bundle needs "
                       "it relative to the project root")
    return path.as_posix()


def write_bundle(entries: dict[str, tuple[bytes, int]], path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    with zipfile.ZipFile(temporary, "w") as archive:
        for name in sorted(entries):
            data, mode = entries[name]
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3
            info.external_attr = (0o100000 | mode) << 16
            archive.writestr(info, data, compresslevel=6)
    temporary.replace(path)
    return path


def build_bundle(out: str | Path | None = None, *, kind: str | None = None,
                 hidden_labels: str | Path | None = None, test_split: str | Path | None = None,
                 settings: GradingSettings | None = None) -> Path:
    """Write the Gradescope autograder zip; return its path."""
    settings = settings or load_settings()
    kind = kind or settings.gradescope.kind
    files = student_files("final", reference_package_dir())
    check_reference(reference_package_dir(), files)
    tree = reference_package_dir().parent  # the instructor's source tree
    labels = Path(hidden_labels) if hidden_labels else default_hidden_labels()
    split = Path(test_split) if test_split else default_test_split()
    needs_data = kind == "auto" or bool(settings.kind(kind).models)
    entries: dict[str, tuple[bytes, int]] = {}
    for name in SCRIPTS:
        entries[name] = (render_script(name, settings, kind).encode("utf-8"), 0o755)
    for name, path in source_files(tree, settings).items():
        entries[name] = (path.read_bytes(), 0o644)
    # The settings in use (possibly --grading-config) become the bundle's grading.yaml.
    entries[GRADING_FILE] = (Path(settings.source).read_bytes(), 0o644)
    if needs_data:
        check_alignment(load_split(split), load_hidden_labels(labels))
        paths = kit_config()["paths"]
        dataset_dir = _relative_in_project(paths["dataset_dir"], "paths.dataset_dir")
        labels_name = _relative_in_project(paths["hidden_labels"], "paths.hidden_labels")
        entries[f"{dataset_dir}/test.json"] = (split.read_bytes(), 0o644)
        entries[labels_name] = (labels.read_bytes(), 0o644)
    target = (Path(out) if out else
              project_root() / settings.gradescope.out_dir / f"autograder-{kind}.zip")
    return write_bundle(entries, target)
