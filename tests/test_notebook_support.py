"""Support for the notebook tests (no tests here): a throw-away project folder.

The folder has a ``pyproject.toml`` (so the kit resolves ``dataset/`` and
``artefacts/`` inside it, never in the repository), a ``notebooks/`` folder with
copies of the notebooks, and a Jupyter kernel spec named ``python3`` that runs
this Python, so the kernel imports the kit under test.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ("setup.ipynb", "assignment.ipynb")


def make_project(folder: Path) -> Path:
    """Create the project folder; return it."""
    (folder / "notebooks").mkdir(parents=True)
    (folder / "pyproject.toml").write_text('[project]\nname = "notebook-test-project"\n')
    for name in NOTEBOOKS:
        shutil.copy(ROOT / "notebooks" / name, folder / "notebooks" / name)
    return folder


def register_kernel(folder: Path) -> Path:
    """Write a ``python3`` kernel spec for this interpreter under ``folder``; return the
    folder to put first on ``JUPYTER_PATH``."""
    spec_dir = folder / "kernels" / "python3"
    spec_dir.mkdir(parents=True)
    spec = {"argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            "display_name": "Python 3 (kit under test)", "language": "python"}
    (spec_dir / "kernel.json").write_text(json.dumps(spec))
    return folder


def kernel_environment(jupyter_path: Path) -> dict[str, str]:
    """Variables for the kernel: import the kit from the repository, offline hub."""
    return {
        "JUPYTER_PATH": os.pathsep.join([str(jupyter_path), os.environ.get("JUPYTER_PATH", "")]),
        "PYTHONPATH": str(ROOT),
        "HF_DATASETS_OFFLINE": "1",
        "HF_HUB_OFFLINE": "1",
        "MPLBACKEND": "module://matplotlib_inline.backend_inline",
    }
