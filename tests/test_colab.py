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


# ---------------------------------------------------------------------- submissions in Colab
#: A simulated Colab front end: ``blocking_request("get_ipynb", ...)`` answers with the
#: notebook in the file named by FAKE_COLAB_NOTEBOOK (the page's live contents), or fails
#: the way an unanswered request does when FAKE_COLAB_SILENT is set.
FAKE_FRONT_END = '''
import json
import os

REQUESTS = []


def blocking_request(request_type, request="", timeout_sec=5, parent=None):
    REQUESTS.append((request_type, request, timeout_sec))
    if os.environ.get("FAKE_COLAB_SILENT"):
        raise TimeoutError("no answer from the front end")
    if request_type != "get_ipynb":
        return {"error": "unknown request"}
    with open(os.environ["FAKE_COLAB_NOTEBOOK"], encoding="utf-8") as handle:
        return {"ipynb": json.load(handle)}
'''
LIVE_ANSWER = "Padding each batch to its own longest sentence wastes far fewer positions."


def answers_notebook(answer: str) -> dict:
    """A notebook with two written-answer cells (nbgrader solution markdown), the first
    holding ``answer``, as Colab's front end hands it over (sources as lists of lines)."""
    def answer_cell(number: int, text: str) -> dict:
        return {"cell_type": "markdown", "id": f"answer-{number}", "source": [text],
                "metadata": {"nbgrader": {"solution": True, "grade": True, "points": 2,
                                          "grade_id": f"answer-{number}", "locked": False}}}
    cells = [{"cell_type": "markdown", "id": "intro", "metadata": {}, "source": ["# NER"]},
             answer_cell(1, answer), answer_cell(2, "YOUR ANSWER HERE")]
    return {"cells": cells, "metadata": {"colab": {"name": "assignment.ipynb"}},
            "nbformat": 4, "nbformat_minor": 5}


@pytest.fixture()
def student_project(tmp_path, monkeypatch):
    """A working copy (as cloned in Colab) whose saved notebook has no answers yet."""
    from ner_helpers.submission import save_identity

    project = tmp_path / "ner-homework"
    (project / "notebooks").mkdir(parents=True)
    (project / "pyproject.toml").write_text("")
    (project / "notebooks" / "assignment.ipynb").write_text(
        json.dumps(answers_notebook("YOUR ANSWER HERE")))
    monkeypatch.chdir(project)
    save_identity("s1234567", "Ada Lovelace")
    return project


@pytest.fixture()
def front_end(tmp_path, monkeypatch):
    """The simulated Colab: fake google.colab and google.colab._message on sys.path, a
    live notebook with one written answer, and a notebook kernel to run in."""
    fake = tmp_path / "fake-colab"
    (fake / "google" / "colab").mkdir(parents=True)
    (fake / "google" / "__init__.py").write_text("")
    (fake / "google" / "colab" / "__init__.py").write_text("")
    (fake / "google" / "colab" / "_message.py").write_text(FAKE_FRONT_END)
    for name in [n for n in sys.modules if n == "google" or n.startswith("google.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.syspath_prepend(str(fake))
    live = tmp_path / "live.ipynb"
    live.write_text(json.dumps(answers_notebook(LIVE_ANSWER)))
    monkeypatch.setenv("FAKE_COLAB_NOTEBOOK", str(live))
    monkeypatch.delenv("FAKE_COLAB_SILENT", raising=False)
    monkeypatch.setattr(colab, "in_notebook_kernel", lambda: True)
    yield fake
    for name in [n for n in sys.modules if n == "google" or n.startswith("google.")]:
        sys.modules.pop(name, None)


def zipped_notebook(path: Path) -> dict:
    import zipfile

    with zipfile.ZipFile(path) as archive:
        return json.loads(archive.read("notebooks/assignment.ipynb"))


def answer_texts(notebook: dict) -> list[str]:
    return ["".join(c["source"]) if isinstance(c["source"], list) else c["source"]
            for c in notebook["cells"] if c["id"].startswith("answer-")]


def test_in_colab_the_zip_carries_the_live_notebook(student_project, front_end, tmp_path):
    from ner_helpers.submission import build_submission

    report = build_submission("milestone", out_dir=tmp_path / "out")
    packed = zipped_notebook(report.path)
    assert answer_texts(packed) == [LIVE_ANSWER, "YOUR ANSWER HERE"]
    assert "notebook: the notebook open in Colab" in report.summary()
    assert any("1 of the 2 written answers are still empty" in w for w in report.warnings)
    import google.colab._message as message  # the fake front end was asked, once

    assert [request[0] for request in message.REQUESTS] == ["get_ipynb"]
    # the working copy's saved notebook (no answers) is not what was packed
    saved = json.loads((student_project / "notebooks" / "assignment.ipynb").read_text())
    assert answer_texts(saved)[0] == "YOUR ANSWER HERE"


def test_an_explicit_notebook_wins_over_the_live_one(student_project, front_end, tmp_path):
    from ner_helpers.submission import build_submission

    given = tmp_path / "downloaded.ipynb"
    given.write_text(json.dumps(answers_notebook("An answer from a downloaded copy.")))
    report = build_submission("milestone", out_dir=tmp_path / "out", notebook_path=given)
    import zipfile

    with zipfile.ZipFile(report.path) as archive:
        packed = json.loads(archive.read("notebooks/downloaded.ipynb"))
    assert answer_texts(packed)[0] == "An answer from a downloaded copy."


def test_a_silent_front_end_falls_back_to_the_working_copy_with_a_warning(
        student_project, front_end, tmp_path, monkeypatch):
    from ner_helpers.submission import build_submission

    monkeypatch.setenv("FAKE_COLAB_SILENT", "1")
    report = build_submission("milestone", out_dir=tmp_path / "out")
    assert answer_texts(zipped_notebook(report.path))[0] == "YOUR ANSWER HERE"
    warning = next(w for w in report.warnings if "did not hand over the notebook" in w)
    assert "File > Download > Download .ipynb" in warning and "--notebook" in warning


def test_without_live_or_saved_notebook_the_submission_stops_and_says_what_to_do(
        student_project, front_end, tmp_path, monkeypatch):
    from ner_helpers.errors import KitError
    from ner_helpers.submission import build_submission

    monkeypatch.setenv("FAKE_COLAB_SILENT", "1")
    (student_project / "notebooks" / "assignment.ipynb").unlink()
    with pytest.raises(KitError) as failure:
        build_submission("milestone", out_dir=tmp_path / "out")
    message = str(failure.value)
    assert "was not written" in message and "TimeoutError" in message
    assert "run the submission cell again" in message and "--notebook" in message
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())


def test_a_terminal_in_colab_is_told_to_use_the_notebook_cell(student_project, front_end,
                                                               tmp_path, monkeypatch):
    """``!ner-kit submit`` runs in a shell, not in the kernel: the page is out of reach."""
    monkeypatch.setattr(colab, "in_notebook_kernel", lambda: False)
    with pytest.raises(colab.LiveNotebookError, match=r"use the notebook's submission cell"):
        colab.live_notebook()


def test_outside_colab_the_working_copy_is_packed(student_project, tmp_path):
    from ner_helpers.submission import build_submission

    assert colab.live_notebook() is None
    saved = student_project / "notebooks" / "assignment.ipynb"
    saved.write_text(json.dumps(answers_notebook("Saved in JupyterLab.")))
    report = build_submission("milestone", out_dir=tmp_path / "out")
    assert answer_texts(zipped_notebook(report.path))[0] == "Saved in JupyterLab."
    assert f"notebook: {saved} as last saved" in report.summary()


def test_the_submission_cell_in_a_real_kernel_takes_the_live_notebook(student_project,
                                                                      tmp_path):
    """The notebook's own route: build_submission in a Jupyter kernel (where the Colab
    page is reachable), with the simulated front end importable in that kernel."""
    import zipfile

    from nbclient import NotebookClient

    fake = tmp_path / "fake-colab"
    (fake / "google" / "colab").mkdir(parents=True)
    (fake / "google" / "__init__.py").write_text("")
    (fake / "google" / "colab" / "__init__.py").write_text("")
    (fake / "google" / "colab" / "_message.py").write_text(FAKE_FRONT_END)
    live = tmp_path / "live.ipynb"
    live.write_text(json.dumps(answers_notebook(LIVE_ANSWER)))
    out = tmp_path / "out"
    cell = nbformat.v4.new_code_cell(
        "from ner_helpers.submission import build_submission\n"
        f"print(build_submission('milestone', out_dir={str(out)!r}).summary())")
    notebook = nbformat.v4.new_notebook(cells=[cell])
    env = dict(os.environ, FAKE_COLAB_NOTEBOOK=str(live),
               PYTHONPATH=os.pathsep.join([str(fake), str(ROOT)]))
    NotebookClient(notebook, timeout=120, kernel_name="python3",
                   resources={"metadata": {"path": str(student_project)}}).execute(env=env)
    printed = "".join(output.get("text", "") for output in notebook.cells[0].outputs)
    assert "notebook: the notebook open in Colab" in printed, printed
    [zipped] = sorted(out.glob("milestone-0*.zip"))
    with zipfile.ZipFile(zipped) as archive:
        packed = json.loads(archive.read("notebooks/assignment.ipynb"))
    assert answer_texts(packed)[0] == LIVE_ANSWER


def test_in_colab_the_live_notebook_is_checked_for_run_order_and_statement(
        student_project, front_end, tmp_path, monkeypatch):
    """The submission cell in Colab judges the notebook open in the browser (here one a
    real kernel ran out of order, its statement empty), not the working copy's."""
    from test_notebook_run_order import FILLED, homework, run_all, run_cells

    from ner_helpers.errors import KitError
    from ner_helpers.submission import build_submission

    (student_project / "notebooks" / "assignment.ipynb").write_text(
        nbformat.writes(run_all(homework(FILLED))))  # the saved copy would pass
    live = tmp_path / "live-out-of-order.ipynb"
    live.write_text(nbformat.writes(run_cells(homework(), [3, 5, 7, 5])))
    monkeypatch.setenv("FAKE_COLAB_NOTEBOOK", str(live))
    report = build_submission("milestone", out_dir=tmp_path / "out")
    assert "notebook: the notebook open in Colab" in report.summary()
    order = next(w for w in report.warnings if "top to bottom" in w)
    assert order.startswith("the notebook open in Colab: the notebook was not run from top")
    assert "cell 7 (`print(y)`) ran as [3]" in order
    assert "Colab: Runtime > Restart session and run all" in order
    assert any(w.startswith("the notebook open in Colab: the collaboration statement")
               for w in report.warnings)

    import ner_helpers.submission as module
    from ner_helpers.config import kit_config

    config = kit_config()
    config["submission"].update(run_order="refuse", collaboration_statement="refuse")
    monkeypatch.setattr(module, "kit_config", lambda: config)
    with pytest.raises(KitError) as refused:
        build_submission("milestone", out_dir=tmp_path / "refused")
    assert "cell 7 (`print(y)`)" in str(refused.value)
    assert "collaboration statement at the top of the notebook is empty" in str(refused.value)
    assert not (tmp_path / "refused").exists()

    live.write_text(nbformat.writes(run_all(homework(FILLED))))
    report = build_submission("milestone", out_dir=tmp_path / "fixed")
    assert not [w for w in report.warnings if "top to bottom" in w or "statement" in w]
