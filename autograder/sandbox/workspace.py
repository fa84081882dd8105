"""The sandbox folder of one submission.

Layout (``base`` is a fresh temporary folder)::

    base/runtime/_grading_child/   the child's own code (autograder/sandbox/child)
    base/roots/<group>/ner_helpers/ the student release plus that one student file
    base/roots/full/ner_helpers/    the student release plus every submitted file
    base/data/                      submitted artefacts the child reads (tokenizer, models)
    base/work/                      the child's working folder (writable by it)
    base/output/                    the child's stdout and stderr (grader only)

Everything but ``work`` and ``output`` is owned by the grader and only
readable by the child. With namespaces (bubblewrap, or the built-in path) the
child's ``work`` is a private tmpfs of ``sandbox.work_mb`` mounted over this
folder in its own mount namespace: what it writes never reaches the grader's
disk and ends with it; the folder here stays empty. The child never sees the reference package, the
hidden tests or the hidden labels: none of them is copied here.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from autograder.sandbox.stub_package import stub_package

CHILD_PACKAGE = "_grading_child"
CHILD_SOURCE = Path(__file__).resolve().parent / "child"
FULL_GROUP = "full"


@dataclass
class Workspace:
    """Paths of one sandbox folder."""

    base: Path
    groups: list[str] = field(default_factory=list)

    @property
    def runtime(self) -> Path:
        return self.base / "runtime"

    @property
    def roots(self) -> Path:
        return self.base / "roots"

    @property
    def data(self) -> Path:
        return self.base / "data"

    @property
    def work(self) -> Path:
        return self.base / "work"

    @property
    def output(self) -> Path:
        return self.base / "output"

    def cleanup(self) -> None:
        shutil.rmtree(self.base, ignore_errors=True)


def _copy_tree(source: Path, target: Path) -> None:
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))


def build_workspace(student_files: Mapping[str, Path], groups: list[str],
                    data_files: Mapping[str, Path], child_user: tuple[int, int] | None,
                    parent: Path | None = None) -> Workspace:
    """Create the sandbox folder.

    Args:
        student_files: submitted package files by name (``"tokenizer.py"`` -> path).
        groups: the groups (file stems, e.g. ``"collator"``) that get a root;
            :data:`FULL_GROUP` gets one with every submitted file.
        data_files: artefacts for the child, by relative path under ``data/``.
        child_user: (uid, gid) that will own ``work/`` when the child drops to it.
        parent: where to create the folder (default: the system's temp folder).
    """
    base = Path(tempfile.mkdtemp(prefix="ner-sandbox-", dir=parent)).resolve()
    workspace = Workspace(base, list(groups))
    os.chmod(base, 0o755)
    _copy_tree(CHILD_SOURCE, workspace.runtime / CHILD_PACKAGE)

    release = stub_package()
    for group in [*groups, FULL_GROUP]:
        package = workspace.roots / group / "ner_helpers"
        _copy_tree(release, package)
        chosen = student_files.items() if group == FULL_GROUP else [
            (name, path) for name, path in student_files.items() if Path(name).stem == group]
        for name, path in chosen:
            shutil.copyfile(path, package / name)

    workspace.data.mkdir()
    for relative, path in data_files.items():
        target = workspace.data / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)

    workspace.work.mkdir()
    workspace.output.mkdir(mode=0o700)
    _open_up(workspace)
    if child_user is not None:
        os.chown(workspace.work, *child_user)
    return workspace


def _open_up(workspace: Workspace) -> None:
    """Folders 755 and files 644 (readable, not writable, by the child), except output."""
    for folder in (workspace.runtime, workspace.roots, workspace.data, workspace.work):
        for root, dirs, files in os.walk(folder):
            os.chmod(root, 0o755)
            for name in dirs:
                os.chmod(os.path.join(root, name), 0o755)
            for name in files:
                os.chmod(os.path.join(root, name), 0o644)
