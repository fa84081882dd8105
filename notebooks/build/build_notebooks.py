"""Write notebooks/assignment.ipynb and notebooks/setup.ipynb from the cell lists.

The notebooks are generated: edit ``assignment_cells.py``, ``setup_cells.py`` or
``cells.py`` in this folder, then run, from the project root::

    .venv/bin/python notebooks/build/build_notebooks.py          # write both notebooks
    .venv/bin/python notebooks/build/build_notebooks.py --check  # exit 1 if out of date

The Open-in-Colab badge and the first cell's repository URL and branch come
from ``colab`` in ``autograder/config/release.yaml`` (when that file exists).
This folder holds model answers and solution code: it is instructor-only and
never part of a release.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
NOTEBOOKS_DIR = HERE.parent
PROJECT_ROOT = NOTEBOOKS_DIR.parent
RELEASE_CONFIG = PROJECT_ROOT / "autograder" / "config" / "release.yaml"
#: Used when release.yaml has no colab section (the release rewrites both values).
FALLBACK_REPOSITORY_URL = "https://github.com/your-course/ner-homework"
FALLBACK_BRANCH = "main"

sys.path.insert(0, str(HERE))
sys.path.insert(0, str(PROJECT_ROOT))

import assignment_cells  # noqa: E402
import setup_cells  # noqa: E402
from cells import notebook  # noqa: E402

from ner_helpers.colab import colab_badge_markdown, notebook_json  # noqa: E402

NOTEBOOKS = {"assignment.ipynb": assignment_cells.cells, "setup.ipynb": setup_cells.cells}


def colab_settings(release_config: Path = RELEASE_CONFIG) -> tuple[str, str]:
    """``(repository_url, branch)`` from ``colab`` in release.yaml, or the fallbacks."""
    if release_config.is_file():
        data = yaml.safe_load(release_config.read_text(encoding="utf-8")) or {}
        colab = data.get("colab") or {}
        return (str(colab.get("repository_url") or FALLBACK_REPOSITORY_URL),
                str(colab.get("branch") or FALLBACK_BRANCH))
    return FALLBACK_REPOSITORY_URL, FALLBACK_BRANCH


def render(name: str, repository_url: str, branch: str) -> str:
    """The text of notebook ``name`` (nbformat's layout)."""
    badge = colab_badge_markdown(repository_url, branch, f"notebooks/{name}")
    return notebook_json(notebook(NOTEBOOKS[name](repository_url, branch, badge)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 when a notebook differs from its cell list")
    parser.add_argument("--out-dir", type=Path, default=NOTEBOOKS_DIR,
                        help="where to write the notebooks (default: %(default)s)")
    args = parser.parse_args(argv)
    repository_url, branch = colab_settings()
    stale = []
    for name in NOTEBOOKS:
        text = render(name, repository_url, branch)
        path = args.out_dir / name
        current = path.read_text(encoding="utf-8") if path.is_file() else None
        if current == text:
            print(f"{path}: up to date")
        elif args.check:
            stale.append(path)
            print(f"{path}: out of date")
        else:
            path.write_text(text, encoding="utf-8")
            print(f"{path}: written")
    if stale:
        print("run `python notebooks/build/build_notebooks.py` to regenerate", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
