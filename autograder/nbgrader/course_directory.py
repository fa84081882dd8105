"""Creating the nbgrader course directory and running nbgrader commands in it.

A course directory (default ``artefacts/nbgrader``) looks like::

    nbgrader_config.py           copy of autograder/nbgrader/nbgrader_config.py
    gradebook.db                 nbgrader's database (created by nbgrader)
    source/<assignment>/         the instructor notebooks (with solutions)
    release/<assignment>/        the student notebooks nbgrader generates
    submitted/<student>/<assignment>/   collected submissions (for autograde)
    autograded/... feedback/...  written by nbgrader autograde / generate_feedback

Only notebooks are put in ``source/``: the helper package reaches students
through the release, never through nbgrader.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from autograder.release.sections import notebook_without_off_sections
from autograder.release.settings import ReleaseSettings
from ner_helpers.errors import KitError

#: The configuration file every course directory gets a copy of.
CONFIG_TEMPLATE = Path(__file__).resolve().parent / "nbgrader_config.py"
CONFIG_NAME = "nbgrader_config.py"
#: Lines of nbgrader's log shown when a command fails.
LOG_TAIL_LINES = 40


def prepare_course_directory(course_dir: Path, notebooks: Sequence[Path],
                             settings: ReleaseSettings) -> Path:
    """Create or update ``course_dir`` and put ``notebooks`` into its source folder.

    Returns the assignment's source folder. The cells of optional sections
    that are off are left out. Earlier notebooks of that folder are replaced
    (they are copies of the instructor's notebooks); the other folders
    (submissions, grades, feedback) are left as they are.
    """
    missing = [str(path) for path in notebooks if not path.is_file()]
    if missing:
        raise KitError(f"instructor notebook(s) not found: {', '.join(missing)}")
    course_dir.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(CONFIG_TEMPLATE, course_dir / CONFIG_NAME)
    source = course_dir / settings.nbgrader.directories["source"] / settings.nbgrader.assignment_id
    if source.is_dir():
        for old in source.glob("*.ipynb"):
            old.unlink()
    source.mkdir(parents=True, exist_ok=True)
    for path in notebooks:
        # The cells of optional sections that are off never reach nbgrader (release.yaml
        # optional_sections; autograder/release/sections.py).
        text = notebook_without_off_sections(path.read_text(encoding="utf-8"),
                                             settings.optional_sections, str(path))
        (source / path.name).write_text(text, encoding="utf-8")
    return source


def nbgrader_environment() -> dict[str, str]:
    """The environment nbgrader and its kernels run in: offline, no stray output.

    The interpreter's folder goes first on ``PATH``: nbgrader runs ``alembic`` by
    name to create its database.
    """
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env.update(HF_DATASETS_OFFLINE="1", HF_HUB_OFFLINE="1", PYTHONDONTWRITEBYTECODE="1",
               MPLBACKEND="Agg", PYDEVD_DISABLE_FILE_VALIDATION="1")
    return env


def run_nbgrader(course_dir: Path, arguments: Sequence[str], timeout: float | None = None,
                 env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``nbgrader ARGUMENTS`` in ``course_dir``; a failure raises with nbgrader's log."""
    command = [sys.executable, "-m", "nbgrader", *arguments]
    try:
        done = subprocess.run(command, cwd=course_dir, env=env or nbgrader_environment(),
                              capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise KitError(f"`nbgrader {' '.join(arguments)}` ran longer than {timeout} s") from None
    if done.returncode != 0:
        log = (done.stdout + done.stderr).strip().splitlines()[-LOG_TAIL_LINES:]
        raise KitError(f"`nbgrader {' '.join(arguments)}` failed in {course_dir} "
                       f"(exit {done.returncode}):\n" + "\n".join(log))
    return done


def generate_assignment(course_dir: Path, settings: ReleaseSettings) -> Path:
    """Run ``nbgrader generate_assignment`` and return the student notebooks' folder."""
    assignment = settings.nbgrader.assignment_id
    run_nbgrader(course_dir, ["generate_assignment", assignment, "--force"])
    released = course_dir / settings.nbgrader.directories["release"] / assignment
    if not released.is_dir():
        raise KitError(f"nbgrader wrote no student notebooks to {released}")
    return released
