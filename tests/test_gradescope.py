"""The Gradescope bundle: its contents, its scripts, and a real run of its
run_autograder in a simulated /autograder folder (NER_AUTOGRADER_ROOT points it
at a temporary folder). About 40 s: two runs of the grader in a fresh process.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from test_grader_fixtures import (
    experiment_f1,
    hidden_labels,
    inside,
    reference_submission,
    trained_project,
)

from autograder.cli.main import main as instructor_main
from autograder.grader.calibration import set_baseline
from autograder.grader.settings import default_settings_path, load_settings
from autograder.gradescope.bundle import build_bundle
from autograder.gradescope.run import FAILURE_OUTPUT

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return trained_project(tmp_path_factory.mktemp("grading"))


@pytest.fixture(scope="module")
def reached_config(project: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A grading.yaml whose baselines are what the tiny reference models reach."""
    text = default_settings_path().read_text()
    for model in ("ffnn", "rnn"):
        text = set_baseline(text, model, round(max(experiment_f1(project, model) - 0.005,
                                                   0.001), 3))
    path = tmp_path_factory.mktemp("config") / "grading.yaml"
    path.write_text(text)
    return path


@pytest.fixture(scope="module")
def bundle(project: Path, reached_config: Path,
           tmp_path_factory: pytest.TempPathFactory) -> Path:
    with inside(project):
        return build_bundle(tmp_path_factory.mktemp("bundle") / "autograder.zip", kind="final",
                            settings=load_settings(reached_config))


def simulate(bundle: Path, root: Path, upload: dict[str, Path],
             broken_settings: bool = False) -> subprocess.CompletedProcess:
    """Gradescope's layout: the bundle extracted into source/, the upload in submission/;
    ``broken_settings`` spoils the bundle's grading.yaml so that the grader cannot run."""
    (root / "source").mkdir(parents=True)
    (root / "submission").mkdir()
    with zipfile.ZipFile(bundle) as archive:
        archive.extractall(root / "source")
    if broken_settings:
        (root / "source" / "autograder" / "config" / "grading.yaml").write_text("kinds: {}\n")
    for name, path in upload.items():
        target = root / "submission" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
    (root / "submission_metadata.json").write_text(json.dumps({"id": 4242}))
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "NER_AUTOGRADER_ROOT": str(root),
           "NER_AUTOGRADER_PYTHON": sys.executable, "HF_DATASETS_OFFLINE": "1"}
    return subprocess.run(["bash", str(root / "source" / "run_autograder")], env=env,
                          capture_output=True, text=True, timeout=300)


def test_bundle_contents_and_scripts(bundle: Path, project: Path, tmp_path: Path) -> None:
    with zipfile.ZipFile(bundle) as archive:
        infos = {info.filename: info for info in archive.infolist()}
        names = set(infos)
        setup = archive.read("setup.sh").decode()
        run = archive.read("run_autograder").decode()
        labels = archive.read("autograder/hidden/test_labels.json")
    assert {"setup.sh", "run_autograder", "pyproject.toml", "README.md",
            "ner_helpers/tokenizer.py", "autograder/grader/engine.py",
            "autograder/hidden_tests/test_rnn.py", "autograder/config/grading.yaml",
            "dataset/test.json", "autograder/hidden/test_labels.json"} <= names
    assert not any("__pycache__" in name for name in names)
    assert labels == hidden_labels(project).read_bytes()
    for script in ("setup.sh", "run_autograder"):
        assert (infos[script].external_attr >> 16) & 0o777 == 0o755
    assert 'torch==2.13.0' in setup and "https://download.pytorch.org/whl/cpu" in setup
    assert "chmod -R go-rwx" in setup
    assert " bubblewrap" in setup  # the sandbox the grader prefers
    assert '--kind "final"' in run
    for script, text in (("setup.sh", setup), ("run_autograder", run)):
        (tmp_path / script).write_text(text)
        checked = subprocess.run(["bash", "-n", str(tmp_path / script)], capture_output=True,
                                 text=True)
        assert checked.returncode == 0, checked.stderr
    assert "BEGIN SOLUTION" in (zipfile.ZipFile(bundle).read("ner_helpers/rnn.py").decode())


def test_bundles_are_reproducible(bundle: Path, project: Path, reached_config: Path,
                                  tmp_path: Path) -> None:
    with inside(project):
        again = build_bundle(tmp_path / "again.zip", kind="final",
                             settings=load_settings(reached_config))
    assert again.read_bytes() == bundle.read_bytes()


def test_run_autograder_grades_an_uploaded_zip(bundle: Path, project: Path,
                                               tmp_path: Path) -> None:
    submission = reference_submission(project, "final", tmp_path / "built")
    completed = simulate(bundle, tmp_path / "autograder", {"final-001.zip": submission})
    assert completed.returncode == 0, completed.stdout + completed.stderr
    results = json.loads((tmp_path / "autograder" / "results" / "results.json").read_text())
    assert results["score"] == 100, completed.stdout
    settings = load_settings()
    final = settings.kind("final")
    assert len(results["tests"]) == sum(len(settings.todos[t].tests) for t in final.todos) + 2
    assert all(test["status"] == "passed" for test in results["tests"])
    assert results["output"].startswith(
        "Final submission gradescope-4242 (Ada Lovelace, s1234567): 100 / 100 points.")
    assert results["stdout_visibility"] == "hidden"
    feedback = (tmp_path / "autograder" / "results" / "feedback.md").read_text()
    assert "## Performance" in feedback
    assert "sandbox:" in completed.stdout


def test_run_autograder_grades_extracted_files_and_reports_its_own_failures(
        project: Path, tmp_path: Path) -> None:
    with inside(project):
        bundle = build_bundle(tmp_path / "milestone.zip", kind="milestone")
    submission = reference_submission(project, "milestone", tmp_path / "built")
    with zipfile.ZipFile(submission) as archive:
        archive.extractall(tmp_path / "files")
    upload = {str(path.relative_to(tmp_path / "files")): path
              for path in (tmp_path / "files").rglob("*") if path.is_file()}
    completed = simulate(bundle, tmp_path / "ok", upload)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    results = json.loads((tmp_path / "ok" / "results" / "results.json").read_text())
    assert results["score"] == 40

    completed = simulate(bundle, tmp_path / "broken", {"upload.zip": submission},
                         broken_settings=True)
    assert completed.returncode == 0, completed.stderr
    results = json.loads((tmp_path / "broken" / "results" / "results.json").read_text())
    assert results["score"] == 0 and results["output"] == FAILURE_OUTPUT
    assert "grading.yaml" in completed.stdout


def test_bundle_command_refuses_without_hidden_labels(project: Path, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    with inside(project):
        code = instructor_main(["bundle", "--out", str(tmp_path / "b.zip"), "--hidden-labels",
                                str(tmp_path / "missing.json")])
    assert code == 2
    assert "missing.json" in capsys.readouterr().err
    assert not (tmp_path / "b.zip").exists()
