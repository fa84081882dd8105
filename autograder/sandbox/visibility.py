"""What the child may see of the file system.

The grader computes three lists and hands them to the child's launcher:

- ``masked_dirs``: folders covered by an empty tmpfs in the child (as root)
  and refused by its audit hook (always): the configured ``masked_paths``
  (/root, /tmp, /autograder, ...), the instructor's source tree holding the
  reference package, and the reference and grader packages themselves
  wherever they are installed;
- ``masked_files``: files covered by /dev/null: the hidden labels and any
  other secret file the caller names;
- ``exposed``: what the child needs and gets back below a masked folder: the
  Python installation, the virtual environment, the folders of the
  third-party packages, and the sandbox folder.
"""

from __future__ import annotations

import site
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy
import torch
import yaml

import autograder
import ner_helpers

SOURCE_TREE_MARKERS = ("pyproject.toml", ".git")


@dataclass(frozen=True)
class Visibility:
    masked_dirs: list[str]
    masked_files: list[str]
    exposed: list[str]
    site_dirs: list[str]


def _real(path: str | Path) -> str:
    return str(Path(path).resolve())


def site_dirs() -> list[str]:
    """The folders of third-party packages the child imports (torch, numpy, yaml, tqdm)."""
    import tqdm

    found = []
    for module in (torch, numpy, yaml, tqdm):
        found.append(_real(Path(module.__file__).parent.parent))
    for candidate in site.getsitepackages():
        if Path(candidate).is_dir():
            found.append(_real(candidate))
    return sorted(dict.fromkeys(found))


def compute_visibility(masked_paths: Iterable[str], sandbox_base: Path,
                       secret_files: Iterable[Path] = ()) -> Visibility:
    """The three lists for a child whose sandbox folder is ``sandbox_base``."""
    masked = {_real(p) for p in masked_paths}
    trees = set()
    for package in (ner_helpers, autograder):
        package_dir = Path(next(iter(package.__path__))).resolve()
        masked.add(str(package_dir))
        tree = package_dir.parent
        if any((tree / marker).exists() for marker in SOURCE_TREE_MARKERS):
            trees.add(str(tree))
    masked |= trees
    sites = site_dirs()
    # Installed copies of the kit (a non-editable install next to a source tree)
    # hold the reference solution too.
    for site_dir in sites:
        for name in ("ner_helpers", "autograder"):
            if (Path(site_dir) / name).is_dir():
                masked.add(_real(Path(site_dir) / name))
    exposed = {_real(sys.base_prefix), _real(sys.prefix), _real(sandbox_base), *sites}
    # A folder holding a whole source tree is never exposed (the tree would show
    # through); a site-packages folder holding the installed package is fine,
    # since the package folder itself is masked on top of it.
    exposed = {path for path in exposed
               if not any(tree == path or tree.startswith(path + "/") for tree in trees)}
    return Visibility(sorted(masked), sorted({_real(p) for p in secret_files}), sorted(exposed),
                      sites)
