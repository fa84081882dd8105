"""Running the notebooks in Google Colab or locally: the first cell's logic and the badge.

The first code cell of every notebook calls :func:`setup_notebook`:

* **In Colab** it installs the student release with ``pip install
  git+URL@BRANCH`` (a normal, non-editable install: it brings the dependencies
  and the ``ner-kit`` command), clones the repository once as the working copy
  (notebooks, dataset, and the package files you edit), makes that copy the
  one Python imports, optionally mounts Google Drive and keeps the working
  copy there (so your code and ``artefacts/`` survive the end of a session),
  and picks the GPU when the runtime has one.
* **Anywhere else** it changes nothing and only reports what it finds: the
  project folder, where ``ner_helpers`` is imported from, the device, the data.

An existing working copy is never overwritten: a second run reuses it.

The badge at the top of each student notebook opens it in Colab; it is built
from the repository URL and branch of ``colab`` in
``autograder/config/release.yaml`` by :func:`apply_colab_settings`, which also
writes that URL and branch into the notebook's first cell. From a shell::

    python -m ner_helpers.colab --repository-url https://github.com/ORG/REPO \\
        --branch main notebooks/assignment.ipynb notebooks/setup.ipynb

This module imports only the standard library at import time (torch is
imported when the device is picked), and nothing from the instructor-only
``autograder`` package.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.metadata
import importlib.util
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

COLAB_MODULE = "google.colab"
COLAB_BADGE_IMAGE = "https://colab.research.google.com/assets/colab-badge.svg"
COLAB_GITHUB_PREFIX = "https://colab.research.google.com/github"
#: Where Colab keeps files of a session, and where Drive is mounted.
COLAB_CONTENT_DIR = Path("/content")
DRIVE_MOUNT_POINT = "drive"
DRIVE_HOME = "MyDrive"
#: Folder of My Drive that holds the working copy when Drive is used.
DEFAULT_DRIVE_FOLDER = "ner-course"
PACKAGE = "ner_helpers"

#: Cell ids of the notebooks' badge cell and first code cell.
BADGE_CELL_ID = "colab-badge"
SETUP_CELL_ID = "colab-setup"
URL_LINE = re.compile(r'^REPOSITORY_URL = ".*"$', re.MULTILINE)
BRANCH_LINE = re.compile(r'^BRANCH = ".*"$', re.MULTILINE)
GITHUB_URL = re.compile(
    r"^(?:https://github\.com/|git@github\.com:)(?P<owner>[\w.-]+)/(?P<repo>[\w.-]+?)(?:\.git)?/?$"
)

#: Runs one command (a list of arguments); raises when it fails.
Runner = Callable[[Sequence[str]], None]


class ColabSetupError(RuntimeError):
    """A step of the Colab setup failed; the message says which and what to do."""


def run_command(command: Sequence[str]) -> None:
    """Run ``command``, showing its output; raise :class:`ColabSetupError` if it fails."""
    completed = subprocess.run(list(command), check=False)
    if completed.returncode != 0:
        raise ColabSetupError(f"`{' '.join(command)}` failed with exit status "
                              f"{completed.returncode}")


def in_colab() -> bool:
    """True inside a Google Colab runtime."""
    if COLAB_MODULE in sys.modules:
        return True
    try:
        return importlib.util.find_spec(COLAB_MODULE) is not None
    except (ImportError, ValueError):
        return False


# ---------------------------------------------------------------------- the badge
def github_repository(repository_url: str) -> tuple[str, str]:
    """``(owner, name)`` of a GitHub repository URL (https or ssh, with or without .git)."""
    match = GITHUB_URL.match(repository_url.strip())
    if match is None:
        raise ValueError(f"{repository_url!r} is not a GitHub repository URL like "
                         "https://github.com/OWNER/REPO (Colab opens notebooks from GitHub)")
    return match.group("owner"), match.group("repo")


def colab_url(repository_url: str, branch: str, notebook_path: str) -> str:
    """The address that opens ``notebook_path`` of the repository's ``branch`` in Colab."""
    owner, repo = github_repository(repository_url)
    if not branch.strip() or any(c.isspace() for c in branch):
        raise ValueError(f"branch {branch!r} must be a non-empty name without spaces")
    path = notebook_path.strip().lstrip("/")
    if not path.endswith(".ipynb"):
        raise ValueError(f"notebook_path {notebook_path!r} must be the path of an .ipynb file "
                         "inside the repository")
    return f"{COLAB_GITHUB_PREFIX}/{owner}/{repo}/blob/{branch}/{path}"


def colab_badge_markdown(repository_url: str, branch: str, notebook_path: str) -> str:
    """Markdown of an Open-in-Colab badge for ``notebook_path`` (relative to the repository)."""
    url = colab_url(repository_url, branch, notebook_path)
    return f"[![Open In Colab]({COLAB_BADGE_IMAGE})]({url})"


def apply_colab_settings(notebook_file: str | Path, repository_url: str, branch: str,
                         notebook_path: str) -> bool:
    """Write the badge and the repository settings of the first cell into a notebook.

    Args:
        notebook_file: the ``.ipynb`` file to rewrite in place.
        repository_url: the student repository, e.g. ``https://github.com/ORG/REPO``.
        branch: the branch students open.
        notebook_path: the notebook's path inside that repository, e.g.
            ``notebooks/assignment.ipynb`` (the badge links to it).

    The badge cell (id ``colab-badge``, a markdown cell) gets the badge; the
    lines ``REPOSITORY_URL = "..."`` and ``BRANCH = "..."`` of the first code
    cell (id ``colab-setup``) get the URL and branch. Neither cell carries
    nbgrader metadata, so this may run before or after ``nbgrader
    generate_assignment``. Returns True when the file changed.

    Raises:
        ValueError: a bad URL or branch, or the notebook lacks either cell.
    """
    path = Path(notebook_file)
    text = path.read_text(encoding="utf-8")
    notebook = json.loads(text)
    cells = {cell.get("id"): cell for cell in notebook.get("cells", [])}
    for cell_id in (BADGE_CELL_ID, SETUP_CELL_ID):
        if cell_id not in cells:
            raise ValueError(f"{path}: no cell with id {cell_id!r}")
    cells[BADGE_CELL_ID]["source"] = colab_badge_markdown(repository_url, branch, notebook_path)
    setup_source = "".join(cells[SETUP_CELL_ID]["source"])
    for pattern, line in ((URL_LINE, f"REPOSITORY_URL = {json.dumps(repository_url)}"),
                          (BRANCH_LINE, f"BRANCH = {json.dumps(branch)}")):
        if not pattern.search(setup_source):
            raise ValueError(f"{path}: the {SETUP_CELL_ID!r} cell has no line matching "
                             f"{pattern.pattern!r}")
        setup_source = pattern.sub(line.replace("\\", "\\\\"), setup_source, count=1)
    cells[SETUP_CELL_ID]["source"] = setup_source
    new_text = notebook_json(notebook)
    if new_text == text:
        return False
    path.write_text(new_text, encoding="utf-8")
    return True


def notebook_json(notebook: dict) -> str:
    """A notebook as text, laid out the way ``nbformat.write`` lays it out (cell
    sources as lists of lines, keys sorted, one-space indents)."""
    for cell in notebook.get("cells", []):
        if isinstance(cell.get("source"), str):
            cell["source"] = cell["source"].splitlines(keepends=True)
    return json.dumps(notebook, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


# ---------------------------------------------------------------------- the first cell
@dataclass
class NotebookEnvironment:
    """What :func:`setup_notebook` found and did.

    Attributes:
        colab: True in a Colab runtime.
        project_root: the working copy (the folder holding ``ner_helpers/``).
        package_dir: where ``import ner_helpers`` reads the package from.
        device: ``"cuda"`` or ``"cpu"`` (what device ``auto`` resolves to).
        gpu_name: the GPU's name, when there is one.
        drive_dir: the Drive folder holding the working copy, when Drive is used.
        actions: the steps taken, in order (installs, clone, mount...).
        notes: things worth knowing (a missing dataset, an import from elsewhere).
    """

    colab: bool
    project_root: Path
    package_dir: Path | None
    device: str
    gpu_name: str | None = None
    drive_dir: Path | None = None
    actions: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def report(self) -> str:
        where = "Google Colab" if self.colab else "a local Python (not Colab): nothing changed"
        lines = [f"running in {where}"]
        lines += [f"  did: {action}" for action in self.actions]
        lines.append(f"project folder: {self.project_root}")
        lines.append(f"ner_helpers imported from: {self.package_dir or 'nowhere (not found)'}")
        device = self.device + (f" ({self.gpu_name})" if self.gpu_name else "")
        lines.append(f"device: {device}")
        if self.drive_dir is not None:
            lines.append(f"kept in Google Drive: {self.drive_dir}")
        lines += [f"note: {note}" for note in self.notes]
        return "\n".join(lines)


def setup_notebook(repository_url: str, branch: str = "main", *, use_drive: bool = False,
                   drive_folder: str = DEFAULT_DRIVE_FOLDER, runner: Runner | None = None,
                   colab: bool | None = None, content_dir: str | Path | None = None,
                   show: bool = True) -> NotebookEnvironment:
    """Prepare the notebook's environment (see the module docstring) and report it.

    Args:
        repository_url: the student repository (what the Colab badge opens).
        branch: its branch.
        use_drive: in Colab, mount Google Drive and keep the working copy (with
            ``artefacts/``) in ``MyDrive/<drive_folder>/``.
        drive_folder: the folder of My Drive used with ``use_drive``.
        runner: runs the pip and git commands (default: :func:`run_command`).
        colab: force Colab or local behaviour (default: detect).
        content_dir: Colab's session folder (default: ``/content``).
        show: print the report.
    """
    colab = in_colab() if colab is None else colab
    if colab:
        env = _setup_colab(repository_url, branch, use_drive, drive_folder,
                           runner or run_command, Path(content_dir or COLAB_CONTENT_DIR))
    else:
        env = _describe_local()
    if show:
        print(env.report())
    return env


def _setup_colab(repository_url: str, branch: str, use_drive: bool, drive_folder: str,
                 runner: Runner, content_dir: Path) -> NotebookEnvironment:
    _, repo_name = github_repository(repository_url)
    actions: list[str] = []
    if installed_distribution() is None:
        runner([sys.executable, "-m", "pip", "install", "--quiet",
                f"git+{repository_url}@{branch}"])
        actions.append(f"installed the kit from {repository_url}@{branch} (pip, not editable)")

    drive_dir = None
    base = content_dir
    if use_drive:
        drive_module = importlib.import_module(f"{COLAB_MODULE}.drive")
        mount_point = content_dir / DRIVE_MOUNT_POINT
        drive_module.mount(str(mount_point))
        drive_dir = mount_point / DRIVE_HOME / drive_folder
        drive_dir.mkdir(parents=True, exist_ok=True)
        base = drive_dir
        actions.append(f"mounted Google Drive at {mount_point}")

    root = base / repo_name
    if (root / PACKAGE).is_dir():
        actions.append(f"kept the existing working copy {root} (never overwritten)")
    else:
        if root.exists() and any(root.iterdir()):
            raise ColabSetupError(f"{root} exists but holds no {PACKAGE}/ folder: move it "
                                  "away or rename it, then run this cell again")
        runner(["git", "clone", "--depth", "1", "--branch", branch, repository_url, str(root)])
        actions.append(f"cloned {repository_url}@{branch} into {root}")

    os.chdir(root)
    use_working_copy(root)
    actions.append(f"working directory and imports now use {root}")
    env = NotebookEnvironment(colab=True, project_root=root, package_dir=package_dir(),
                              device="cpu", drive_dir=drive_dir, actions=actions)
    _pick_device(env)
    if env.device == "cpu":
        env.notes.append("no GPU: Runtime > Change runtime type > a GPU, then run this cell "
                         "again (training the RNN on a CPU is slow)")
    _note_dataset(env)
    return env


def _describe_local() -> NotebookEnvironment:
    root = find_project_root(Path.cwd())
    env = NotebookEnvironment(colab=False, project_root=root, package_dir=package_dir(),
                              device="cpu")
    _pick_device(env)
    if env.package_dir is not None and env.package_dir.parent != root:
        env.notes.append(f"ner_helpers comes from {env.package_dir}, not from {root}: your "
                         f"edits there are not used; run `pip install -e .` in {root}")
    _note_dataset(env)
    return env


def _note_dataset(env: NotebookEnvironment) -> None:
    if not (env.project_root / "dataset" / "train.json").is_file():
        env.notes.append("dataset/train.json is missing: run notebooks/setup.ipynb (or "
                         "`ner-kit data`) to build the dataset")


def _pick_device(env: NotebookEnvironment) -> None:
    """Set ``env.device`` to what device ``auto`` picks (CUDA when present)."""
    try:
        import torch
    except ImportError:
        env.notes.append("torch is not installed")
        return
    if torch.cuda.is_available():
        env.device = "cuda"
        env.gpu_name = torch.cuda.get_device_name(0)
    else:
        env.device = "cpu"


def find_project_root(start: Path) -> Path:
    """The nearest folder at or above ``start`` holding ``ner_helpers/`` or ``pyproject.toml``."""
    start = start.resolve()
    for folder in (start, *start.parents):
        if (folder / PACKAGE).is_dir() or (folder / "pyproject.toml").is_file():
            return folder
    return start


def installed_distribution() -> str | None:
    """The name of the installed distribution that provides ``ner_helpers``, if any."""
    names = importlib.metadata.packages_distributions().get(PACKAGE)
    return names[0] if names else None


def package_dir() -> Path | None:
    """The folder ``import ner_helpers`` reads from now."""
    module = sys.modules.get(PACKAGE)
    if module is None:
        spec = importlib.util.find_spec(PACKAGE)
        if spec is None:
            return None
        origin = spec.origin if spec.has_location else None
        locations = list(spec.submodule_search_locations or [])
    else:
        origin = getattr(module, "__file__", None)
        locations = list(getattr(module, "__path__", []))
    if origin:
        return Path(origin).resolve().parent
    folders = [Path(entry) for entry in locations if Path(entry).is_dir()]
    return folders[0].resolve() if folders else None


def use_working_copy(root: Path) -> None:
    """Make ``root/ner_helpers`` the package Python imports, in this kernel and in
    ``!ner-kit`` shell commands run from the notebook.

    The pip-installed copy stays installed (it provides the dependencies and the
    ``ner-kit`` command); the working copy is put first on ``sys.path`` and on
    ``PYTHONPATH``, and modules already imported from elsewhere are dropped so
    the next ``import`` reads your files.
    """
    root_text = str(root)
    if root_text in sys.path:
        sys.path.remove(root_text)
    sys.path.insert(0, root_text)
    paths = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p and p != root_text]
    os.environ["PYTHONPATH"] = os.pathsep.join([root_text, *paths])
    for name in [n for n in sys.modules if n == PACKAGE or n.startswith(PACKAGE + ".")]:
        module = sys.modules[name]
        origin = getattr(module, "__file__", None)
        if origin is None or not Path(origin).resolve().is_relative_to(root.resolve()):
            del sys.modules[name]
    importlib.invalidate_caches()


# ---------------------------------------------------------------------- the live notebook
#: The Colab front end's request that returns the open notebook, as the browser holds it.
GET_NOTEBOOK_REQUEST = "get_ipynb"
#: Seconds to wait for the front end's answer.
GET_NOTEBOOK_TIMEOUT_S = 30


class LiveNotebookError(RuntimeError):
    """Colab is running but its front end did not hand over the open notebook."""


def in_notebook_kernel() -> bool:
    """True inside a Jupyter kernel (the process a notebook's cells run in)."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    return getattr(shell, "kernel", None) is not None


def live_notebook(timeout_s: float = GET_NOTEBOOK_TIMEOUT_S) -> dict | None:
    """The notebook open in Colab, with every edit made so far, saved or not.

    Colab keeps the notebook a student edits in the browser (and in Drive), not
    in the working copy; its front end hands the notebook's contents to the
    kernel on the ``get_ipynb`` request of ``google.colab._message`` (the way
    grading tools export notebooks from Colab).

    Returns:
        the notebook as a dict (nbformat 4 JSON), or ``None`` outside Colab.

    Raises:
        LiveNotebookError: in Colab, when the front end does not answer or its
            answer holds no notebook (the message says why).
    """
    if not in_colab():
        return None
    if not in_notebook_kernel():
        raise LiveNotebookError("this runs outside the notebook's kernel (e.g. `!ner-kit "
                                "submit` in a cell), where the Colab page cannot be reached; "
                                "use the notebook's submission cell, submit(kind), instead")
    try:
        message = importlib.import_module(f"{COLAB_MODULE}._message")
        response = message.blocking_request(GET_NOTEBOOK_REQUEST, request="",
                                            timeout_sec=timeout_s)
    except Exception as exc:  # noqa: BLE001 (any failure of the front end means "no notebook")
        raise LiveNotebookError(f"the Colab front end did not hand over the notebook "
                                f"({type(exc).__name__}: {exc})") from None
    if isinstance(response, dict) and response.get("error"):
        raise LiveNotebookError(f"the Colab front end answered with an error: "
                                f"{response['error']}")
    notebook = response.get("ipynb") if isinstance(response, dict) else None
    if isinstance(notebook, str):
        try:
            notebook = json.loads(notebook)
        except ValueError:
            notebook = None
    if not isinstance(notebook, dict) or not isinstance(notebook.get("cells"), list):
        raise LiveNotebookError("the Colab front end's answer holds no notebook (no list of "
                                "cells)")
    return notebook


# ---------------------------------------------------------------------- command line
def main(argv: list[str] | None = None) -> int:
    """``python -m ner_helpers.colab``: write the badge and first-cell settings."""
    parser = argparse.ArgumentParser(
        prog="python -m ner_helpers.colab",
        description="Write the Open-in-Colab badge and the repository settings of the first "
                    "cell into notebooks.")
    parser.add_argument("notebooks", nargs="+", type=Path, help=".ipynb files to rewrite")
    parser.add_argument("--repository-url", required=True,
                        help="the student repository, https://github.com/OWNER/REPO")
    parser.add_argument("--branch", required=True, help="the branch students open")
    parser.add_argument("--notebooks-dir", default="notebooks",
                        help="the notebooks' folder inside the repository (default: %(default)s)")
    args = parser.parse_args(argv)
    for notebook in args.notebooks:
        try:
            changed = apply_colab_settings(notebook, args.repository_url, args.branch,
                                           f"{args.notebooks_dir.strip('/')}/{notebook.name}")
        except (OSError, ValueError) as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
        print(f"{notebook}: {'updated' if changed else 'already up to date'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
