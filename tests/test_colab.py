"""Colab support (ner_helpers.colab): the badge, the writer of the notebooks' Colab
settings, and the first cell's logic outside Colab and in a simulated Colab.

The simulated Colab puts fake ``google.colab`` and ``google.colab.drive`` modules
in ``sys.modules`` (``drive.mount`` records its calls) and captures the pip and
git commands instead of running them (there is no network here); a captured
``git clone`` creates a small working copy, as the real one would.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import types
from pathlib import Path

import nbformat
import pytest
import yaml
from nbgrader.nbgraderformat import MetadataValidator

from ner_helpers import colab

ROOT = Path(__file__).resolve().parents[1]
URL = "https://github.com/your-course/ner-homework"
CLONE_MARK = "working copy"


# ---------------------------------------------------------------------- the badge
def test_badge_markdown():
    assert colab.colab_badge_markdown(URL, "main", "notebooks/assignment.ipynb") == (
        "[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]"
        "(https://colab.research.google.com/github/your-course/ner-homework/blob/main/"
        "notebooks/assignment.ipynb)")


@pytest.mark.parametrize("url", [URL + ".git", URL + "/",
                                 "git@github.com:your-course/ner-homework.git"])
def test_badge_accepts_the_usual_spellings_of_a_github_url(url):
    assert colab.colab_url(url, "spring-2025", "/notebooks/setup.ipynb") == (
        "https://colab.research.google.com/github/your-course/ner-homework/blob/spring-2025/"
        "notebooks/setup.ipynb")


@pytest.mark.parametrize("url, branch, path, message", [
    ("https://gitlab.com/a/b", "main", "n.ipynb", "is not a GitHub repository URL"),
    ("https://github.com/only-owner", "main", "n.ipynb", "is not a GitHub repository URL"),
    (URL, "", "n.ipynb", "branch '' must be a non-empty name"),
    (URL, "my branch", "n.ipynb", "without spaces"),
    (URL, "main", "notebooks/", "must be the path of an .ipynb file"),
])
def test_badge_rejects_bad_settings(url, branch, path, message):
    with pytest.raises(ValueError, match=message):
        colab.colab_badge_markdown(url, branch, path)


def copy_notebooks(target: Path) -> list[Path]:
    paths = []
    for name in ("assignment.ipynb", "setup.ipynb"):
        shutil.copy(ROOT / "notebooks" / name, target / name)
        paths.append(target / name)
    return paths


def cell(path: Path, cell_id: str) -> nbformat.NotebookNode:
    notebook = nbformat.read(path, as_version=4)
    return next(c for c in notebook.cells if c.id == cell_id)


def test_apply_colab_settings_rewrites_badge_and_first_cell_only(tmp_path):
    path = copy_notebooks(tmp_path)[0]
    before = nbformat.read(path, as_version=4)
    other_url = "https://github.com/uni-nlp/ner-2025"
    assert colab.apply_colab_settings(path, other_url, "spring", "notebooks/assignment.ipynb")
    after = nbformat.read(path, as_version=4)
    nbformat.validate(after)
    MetadataValidator().validate_nb(after)
    assert cell(path, "colab-badge").source == colab.colab_badge_markdown(
        other_url, "spring", "notebooks/assignment.ipynb")
    setup = cell(path, "colab-setup").source
    assert f'REPOSITORY_URL = "{other_url}"' in setup and 'BRANCH = "spring"' in setup
    changed = [a.id for a, b in zip(before.cells, after.cells) if a != b]
    assert changed == ["colab-badge", "colab-setup"]
    text = path.read_text()
    assert text == nbformat.writes(after) + "\n"  # laid out like nbformat.write
    assert not colab.apply_colab_settings(path, other_url, "spring", "notebooks/assignment.ipynb")
    assert path.read_text() == text


def test_apply_colab_settings_needs_both_cells(tmp_path):
    path = tmp_path / "plain.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("hi")]), path)
    with pytest.raises(ValueError, match="no cell with id 'colab-badge'"):
        colab.apply_colab_settings(path, URL, "main", "notebooks/plain.ipynb")


def test_badge_command_rewrites_several_notebooks(tmp_path):
    paths = copy_notebooks(tmp_path)
    done = subprocess.run([sys.executable, "-m", "ner_helpers.colab", "--repository-url",
                           "https://github.com/uni-nlp/ner-2025", "--branch", "dev",
                           *map(str, paths)], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [f"{p}: updated" for p in paths]
    assert "/ner-2025/blob/dev/notebooks/setup.ipynb" in cell(paths[1], "colab-badge").source
    bad = subprocess.run([sys.executable, "-m", "ner_helpers.colab", "--repository-url",
                          "https://example.org/x", "--branch", "dev", str(paths[0])],
                         capture_output=True, text=True, cwd=ROOT)
    assert bad.returncode == 2 and "is not a GitHub repository URL" in bad.stderr


def test_the_built_notebooks_follow_the_release_settings():
    settings = yaml.safe_load((ROOT / "autograder" / "config" / "release.yaml").read_text())
    url, branch = settings["colab"]["repository_url"], settings["colab"]["branch"]
    for name in ("assignment.ipynb", "setup.ipynb"):
        path = ROOT / "notebooks" / name
        assert cell(path, "colab-badge").source == colab.colab_badge_markdown(
            url, branch, f"notebooks/{name}")
        assert f'REPOSITORY_URL = "{url}"' in cell(path, "colab-setup").source


def test_the_module_imports_neither_autograder_nor_torch():
    code = ("import sys, ner_helpers.colab; "
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'autograder', 'torch'}))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert done.stdout.strip() == "[]", done.stderr


# ---------------------------------------------------------------------- outside Colab
def test_outside_colab_nothing_is_run_or_changed(tmp_path, monkeypatch, capsys):
    project = tmp_path / "project"
    (project / "notebooks").mkdir(parents=True)
    (project / "pyproject.toml").write_text("")
    monkeypatch.chdir(project / "notebooks")
    path_before, environ_before = list(sys.path), dict(os.environ)

    def refuse(command):
        raise AssertionError(f"ran {command}")

    assert not colab.in_colab()
    env = colab.setup_notebook(URL, "main", use_drive=True, runner=refuse)
    assert not env.colab and env.actions == []
    assert env.project_root == project.resolve()
    assert env.package_dir == ROOT / "ner_helpers"
    assert env.device == "cpu"
    assert Path.cwd() == project / "notebooks"
    assert sys.path == path_before and dict(os.environ) == environ_before
    out = capsys.readouterr().out
    assert out.startswith("running in a local Python (not Colab): nothing changed\n")
    assert f"project folder: {project.resolve()}" in out
    assert "your edits there are not used; run `pip install -e .`" in out
    assert "dataset/train.json is missing" in out


def test_locally_in_the_kit_itself_there_is_no_warning(monkeypatch):
    monkeypatch.chdir(ROOT / "notebooks")
    env = colab.setup_notebook(URL, "main", show=False)
    assert env.project_root == ROOT and env.package_dir == ROOT / "ner_helpers"
    assert not any("edits" in note for note in env.notes)


# ---------------------------------------------------------------------- simulated Colab
class FakeColab:
    """``google.colab`` with a ``drive.mount`` that records calls and makes MyDrive."""

    def __init__(self, monkeypatch):
        self.mounts: list[str] = []
        google = types.ModuleType("google")
        google.__path__ = []
        package = types.ModuleType("google.colab")
        package.__path__ = []
        drive = types.ModuleType("google.colab.drive")
        drive.mount = self.mount
        package.drive = drive
        google.colab = package
        for name, module in (("google", google), ("google.colab", package),
                             ("google.colab.drive", drive)):
            monkeypatch.setitem(sys.modules, name, module)

    def mount(self, mountpoint, **kwargs):
        self.mounts.append(mountpoint)
        (Path(mountpoint) / "MyDrive").mkdir(parents=True, exist_ok=True)


class Recorder:
    """Captures commands; a ``git clone`` creates a working copy with a package."""

    def __init__(self):
        self.commands: list[list[str]] = []

    def __call__(self, command):
        self.commands.append(list(command))
        if command[:2] == ["git", "clone"]:
            target = Path(command[-1])
            (target / "ner_helpers").mkdir(parents=True)
            (target / "ner_helpers" / "__init__.py").write_text(f"MARK = {CLONE_MARK!r}\n")
            (target / "dataset").mkdir()
            (target / "dataset" / "train.json").write_text("[]\n")


@pytest.fixture
def isolated(monkeypatch, tmp_path):
    """Undo what the Colab setup changes: cwd, sys.path, PYTHONPATH, imported modules."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.setenv("PYTHONPATH", "/elsewhere")
    saved = {name: module for name, module in sys.modules.items()
             if name.split(".")[0] == "ner_helpers"}
    yield tmp_path
    for name in [name for name in sys.modules if name.split(".")[0] == "ner_helpers"]:
        del sys.modules[name]
    sys.modules.update(saved)


def pip_command(branch="main"):
    return [sys.executable, "-m", "pip", "install", "--quiet", f"git+{URL}@{branch}"]


def test_colab_install_clone_and_imports(isolated, monkeypatch, capsys):
    content = isolated / "content"
    FakeColab(monkeypatch)
    monkeypatch.setattr(colab, "installed_distribution", lambda: None)
    runner = Recorder()
    assert colab.in_colab()
    env = colab.setup_notebook(URL, "main", runner=runner, content_dir=content)
    root = content / "ner-homework"
    assert runner.commands == [
        pip_command(),
        ["git", "clone", "--depth", "1", "--branch", "main", URL, str(root)],
    ]
    assert env.colab and env.project_root == root and env.drive_dir is None
    assert Path.cwd() == root
    assert sys.path[0] == str(root)
    assert os.environ["PYTHONPATH"] == os.pathsep.join([str(root), "/elsewhere"])
    assert "ner_helpers.colab" not in sys.modules  # dropped: the next import reads root
    import ner_helpers

    assert ner_helpers.MARK == CLONE_MARK
    assert env.package_dir == root / "ner_helpers"
    assert env.device == "cpu" and any("Change runtime type" in n for n in env.notes)
    assert not any("dataset" in note for note in env.notes)
    out = capsys.readouterr().out
    assert out.startswith("running in Google Colab\n")
    assert f"did: cloned {URL}@main into {root}" in out


def test_colab_with_drive_keeps_the_working_copy_in_drive(isolated, monkeypatch):
    content = isolated / "content"
    fake = FakeColab(monkeypatch)
    runner = Recorder()
    env = colab.setup_notebook(URL, "spring", use_drive=True, runner=runner, content_dir=content)
    root = content / "drive" / "MyDrive" / "ner-course" / "ner-homework"
    assert fake.mounts == [str(content / "drive")]
    assert runner.commands == [["git", "clone", "--depth", "1", "--branch", "spring", URL,
                                str(root)]]  # the kit is installed here: no pip
    assert env.project_root == root and env.drive_dir == root.parent
    assert Path.cwd() == root
    assert f"kept in Google Drive: {root.parent}" in env.report()


def test_colab_second_run_keeps_the_working_copy(isolated, monkeypatch):
    content = isolated / "content"
    FakeColab(monkeypatch)
    first = Recorder()
    colab.setup_notebook(URL, "main", runner=first, content_dir=content, show=False)
    edited = content / "ner-homework" / "ner_helpers" / "tokenizer.py"
    edited.write_text("# my work\n")
    second = Recorder()
    env = colab.setup_notebook(URL, "main", runner=second, content_dir=content, show=False)
    assert second.commands == []
    assert edited.read_text() == "# my work\n"
    assert any("kept the existing working copy" in action for action in env.actions)
    assert sys.path.count(str(content / "ner-homework")) == 1


def test_colab_refuses_a_folder_that_is_not_a_working_copy(isolated, monkeypatch):
    content = isolated / "content"
    (content / "ner-homework").mkdir(parents=True)
    (content / "ner-homework" / "notes.txt").write_text("mine")
    FakeColab(monkeypatch)
    with pytest.raises(colab.ColabSetupError, match="holds no ner_helpers/ folder"):
        colab.setup_notebook(URL, "main", runner=Recorder(), content_dir=content)


def test_a_failing_command_stops_the_setup(isolated, monkeypatch):
    FakeColab(monkeypatch)
    monkeypatch.setattr(colab, "installed_distribution", lambda: None)

    def fail(command):
        colab.run_command([sys.executable, "-c", "raise SystemExit(3)"])

    with pytest.raises(colab.ColabSetupError, match="failed with exit status 3"):
        colab.setup_notebook(URL, "main", runner=fail, content_dir=isolated / "content")


def test_the_first_cell_in_a_fresh_colab_runtime(isolated, monkeypatch, capsys):
    """Execute the notebook's real first cell: the kit is not installed yet, so the cell
    installs it with pip, then the module clones the working copy (no second install)."""
    FakeColab(monkeypatch)
    content = isolated / "content"
    monkeypatch.setattr(colab, "COLAB_CONTENT_DIR", content)
    installed = []
    cell_commands = []

    def cell_pip(command, check=False):
        cell_commands.append(list(command))
        installed.append(True)
        return subprocess.CompletedProcess(command, 0)

    real_find_spec = __import__("importlib.util").util.find_spec

    def find_spec(name, *args):
        if name == "ner_helpers" and not installed:
            return None
        return real_find_spec(name, *args)

    monkeypatch.setattr(subprocess, "run", cell_pip)
    monkeypatch.setattr("importlib.util.find_spec", find_spec)
    monkeypatch.setattr(colab, "installed_distribution",
                        lambda: "ner-homework" if installed else None)
    runner = Recorder()
    monkeypatch.setattr(colab, "run_command", runner)
    source = cell(ROOT / "notebooks" / "assignment.ipynb", "colab-setup").source
    namespace: dict = {}
    exec(compile(source, "colab-setup", "exec"), namespace)
    assert cell_commands == [pip_command()]
    assert runner.commands == [["git", "clone", "--depth", "1", "--branch", "main", URL,
                                str(content / "ner-homework")]]
    assert namespace["NOTEBOOK_ENV"].project_root == content / "ner-homework"
    assert "running in Google Colab" in capsys.readouterr().out


def test_the_first_cell_locally_only_reports(isolated, monkeypatch, capsys):
    monkeypatch.setattr(colab, "run_command", lambda command: pytest.fail(f"ran {command}"))
    monkeypatch.setattr(subprocess, "run", lambda *a, **k: pytest.fail("ran a command"))
    source = cell(ROOT / "notebooks" / "setup.ipynb", "colab-setup").source
    namespace: dict = {}
    exec(compile(source, "colab-setup", "exec"), namespace)
    assert namespace["NOTEBOOK_ENV"].colab is False
    assert namespace["USE_DRIVE"] is False
    assert "nothing changed" in capsys.readouterr().out


def test_run_command_runs_for_real():
    colab.run_command([sys.executable, "-c", "pass"])
    with pytest.raises(colab.ColabSetupError, match="exit status 4"):
        colab.run_command([sys.executable, "-c", "raise SystemExit(4)"])


def test_notebook_json_matches_nbformat_layout():
    notebook = json.loads((ROOT / "notebooks" / "setup.ipynb").read_text())
    text = colab.notebook_json(notebook)
    assert text == nbformat.writes(nbformat.reads(text, as_version=4)) + "\n"
