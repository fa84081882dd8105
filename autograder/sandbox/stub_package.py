"""The student release of ``ner_helpers``, generated from the instructor's source tree.

Every ``.py`` file has its solution regions replaced by their stubs
(:func:`autograder.release.markers.strip_solutions`); other files (bundled
YAML configs) are copied as they are. The grader builds it once per process
and copies it into each sandbox, where the submitted files are put in.
"""

from __future__ import annotations

import atexit
import hashlib
import shutil
import tempfile
from pathlib import Path

import ner_helpers
from autograder.release.markers import find_regions, strip_solutions
from ner_helpers.errors import KitError

SKIPPED_NAMES = {"__pycache__", ".ipynb_checkpoints", ".DS_Store"}
SKIPPED_SUFFIXES = {".pyc", ".pyo"}

_cache: dict[str, Path] = {}


def reference_package_dir() -> Path:
    """The folder of the ``ner_helpers`` the grader imported: the reference solution."""
    return Path(next(iter(ner_helpers.__path__))).resolve()


def check_reference(package_dir: Path, files: list[str]) -> None:
    """Refuse to grade against a package without solutions (e.g. a student release)."""
    for name in files:
        path = package_dir / name
        if not path.is_file():
            raise KitError(f"{path}: the reference package lacks this file")
        if not find_regions(path.read_text(encoding="utf-8"), str(path)):
            raise KitError(
                f"{path} has no solution regions: the grader needs the instructor's source "
                "tree with the reference solution, not a student release"
            )


def _walk(package_dir: Path) -> list[Path]:
    files = []
    for path in sorted(package_dir.rglob("*")):
        relative = path.relative_to(package_dir)
        if any(part in SKIPPED_NAMES for part in relative.parts):
            continue
        if path.is_file() and path.suffix not in SKIPPED_SUFFIXES and not path.is_symlink():
            files.append(path)
    return files


def _fingerprint(package_dir: Path, files: list[Path]) -> str:
    digest = hashlib.sha256()
    for path in files:
        digest.update(str(path.relative_to(package_dir)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def stub_package(package_dir: Path | None = None) -> Path:
    """A folder holding the student release of the package (cached per source content)."""
    package_dir = (package_dir or reference_package_dir()).resolve()
    files = _walk(package_dir)
    key = _fingerprint(package_dir, files)
    cached = _cache.get(key)
    if cached is not None and cached.is_dir():
        return cached
    holder = Path(tempfile.mkdtemp(prefix="ner-stub-package-"))
    atexit.register(shutil.rmtree, holder, True)
    target = holder / "ner_helpers"
    for path in files:
        relative = path.relative_to(package_dir)
        destination = target / relative
        destination.parent.mkdir(parents=True, exist_ok=True)
        if path.suffix == ".py":
            text = path.read_text(encoding="utf-8")
            destination.write_text(strip_solutions(text, str(relative)), encoding="utf-8")
        else:
            shutil.copyfile(path, destination)
    _cache[key] = target
    return target
