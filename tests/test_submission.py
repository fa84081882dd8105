"""Building submission zips: contents, numbering, reproducibility and every refusal.

Runs in a temporary project (sample corpus, tiny trained models) built with
the kit's own functions; about 15 s for the project, the tests a few seconds.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from test_grader_fixtures import (
    MILESTONE_FILES,
    REPO,
    STUDENT_FILES,
    copy_experiment,
    inside,
    stubbed,
    trained_project,
)

from ner_helpers.cli.main import main as kit_main
from ner_helpers.errors import KitError
from ner_helpers.submission import (
    Identity,
    build_submission,
    coverage_problem,
    load_identity,
    plan_submission,
    save_identity,
)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return trained_project(tmp_path_factory.mktemp("grading"))


@pytest.fixture()
def identified(project: Path) -> Path:
    with inside(project):
        save_identity("s1234567", "Ada Lovelace")
    return project


def zip_entries(path: Path) -> dict[str, zipfile.ZipInfo]:
    with zipfile.ZipFile(path) as archive:
        return {info.filename: info for info in archive.infolist()}


def test_milestone_zip_holds_the_four_files_and_identity(identified: Path,
                                                          tmp_path: Path) -> None:
    with inside(identified):
        report = build_submission("milestone", out_dir=tmp_path)
    entries = zip_entries(report.path)
    assert sorted(entries) == sorted(["identity.json", "submission.json"]
                                     + [f"ner_helpers/{name}" for name in MILESTONE_FILES])
    assert list(entries) == sorted(entries), "entries are written in sorted order"
    assert all(info.date_time == (1980, 1, 1, 0, 0, 0) for info in entries.values())
    with zipfile.ZipFile(report.path) as archive:
        identity = json.loads(archive.read("identity.json"))
        manifest = json.loads(archive.read("submission.json"))
        assert identity == {"name": "Ada Lovelace", "student_id": "s1234567"}
        assert manifest["kind"] == "milestone"
        for name, digest in manifest["files"].items():
            assert hashlib.sha256(archive.read(name)).hexdigest() == digest
        assert archive.read("ner_helpers/tokenizer.py") == (
            REPO / "ner_helpers" / "tokenizer.py").read_bytes()


def test_submissions_are_numbered_reproducible_and_never_overwritten(identified: Path,
                                                                      tmp_path: Path) -> None:
    with inside(identified):
        first = build_submission("milestone", out_dir=tmp_path)
        second = build_submission("milestone", out_dir=tmp_path)
    assert (first.path.name, second.path.name) == ("milestone-001.zip", "milestone-002.zip")
    assert first.path.read_bytes() == second.path.read_bytes()
    assert second.latest == tmp_path / "milestone-latest.zip"
    assert second.latest.read_bytes() == second.path.read_bytes()
    assert first.path.exists()


def test_final_zip_holds_models_tokenizer_and_predictions(identified: Path,
                                                          tmp_path: Path) -> None:
    with inside(identified):
        report = build_submission("final", out_dir=tmp_path)
    entries = set(zip_entries(report.path))
    expected = {"identity.json", "submission.json", "tokenizer.json"}
    expected |= {f"ner_helpers/{name}" for name in STUDENT_FILES}
    # the files of optional sections 7 and 8, which the instructor's package holds
    expected |= {"ner_helpers/cnn.py", "ner_helpers/vectors.py", "ner_helpers/encoder.py"}
    expected |= {f"models/{model}/{name}" for model in ("ffnn", "rnn")
                 for name in ("config.json", "weights.pt", "test_predictions.json")}
    assert entries == expected
    assert report.path.name == "final-001.zip"


def test_experiments_are_chosen_by_name(identified: Path, tmp_path: Path) -> None:
    copy_experiment(identified, "rnn", "rnn-other")
    with inside(identified):
        plan = plan_submission("final", experiments={"rnn": "rnn-other"})
    assert not plan.problems
    weights = (identified / "artefacts/experiments/rnn-other/model/weights.pt").read_bytes()
    assert plan.entries["models/rnn/weights.pt"] == weights


@pytest.mark.parametrize("student_id, name", [
    ("", "Ada Lovelace"), ("YOUR_ID", "Ada Lovelace"), ("12345678", "Ada Lovelace"),
    ("s1234567", "Your Name"), ("s1234567", "<name>"), ("s1234567", ""),
    ("s 1234", "Ada Lovelace"), ("00000", "Ada Lovelace"), ("s1234567", "TODO"),
])
def test_placeholder_identities_are_refused(project: Path, tmp_path: Path, student_id: str,
                                            name: str) -> None:
    assert Identity(student_id, name).problems()
    with inside(project), pytest.raises(KitError, match="identity|placeholder|empty"):
        build_submission("milestone", student_id=student_id, name=name, out_dir=tmp_path)
    assert not list(tmp_path.glob("*.zip"))


def test_real_names_are_accepted() -> None:
    for name in ("Ada Lovelace", "Youry Todorov", "Zoë O'Brien-Núñez", "李雷"):
        assert not Identity("ab-12.34", name).problems()


def test_missing_identity_is_refused(project: Path, tmp_path: Path) -> None:
    with inside(project):
        (project / "artefacts" / "identity.json").unlink(missing_ok=True)
        assert load_identity() is None
        with pytest.raises(KitError, match="identity is not set"):
            build_submission("milestone", out_dir=tmp_path)


def test_refusals_are_listed_in_one_message(identified: Path, tmp_path: Path) -> None:
    package = tmp_path / "package"
    package.mkdir()
    for name in STUDENT_FILES:
        (package / name).write_bytes((REPO / "ner_helpers" / name).read_bytes())
    (package / "collator.py").write_text("def broken(:\n    pass\n")
    (package / "rnn.py").unlink()
    with inside(identified), pytest.raises(KitError) as caught:
        build_submission("final", package_dir=package, out_dir=tmp_path,
                         experiments={"ffnn": "no-such-experiment"})
    message = str(caught.value)
    assert "was not written" in message
    assert "collator.py, line 1: syntax error" in message
    assert "rnn.py: file not found" in message
    assert "ffnn: experiment folder" in message and "not found" in message
    assert not list(tmp_path.glob("*.zip"))


def test_too_many_layers_are_refused(identified: Path, tmp_path: Path) -> None:
    folder = copy_experiment(identified, "ffnn", "ffnn-deep")
    config_path = folder / "model" / "config.json"
    config = json.loads(config_path.read_text())
    config["num_layers"] = 3
    config_path.write_text(json.dumps(config))
    with inside(identified):
        plan = plan_submission("final", experiments={"ffnn": "ffnn-deep"})
    assert any("weights do not fit the config" in p for p in plan.problems), plan.problems
    # A genuinely 3-layer model: weights that fit, but over the limit.
    from ner_helpers.model_config import ModelConfig
    from ner_helpers.predictor import NERPredictor

    NERPredictor(ModelConfig.from_dict(config)).save(folder / "model")
    with inside(identified):
        plan = plan_submission("final", experiments={"ffnn": "ffnn-deep"})
    assert plan.problems == ["ffnn: the model has 3 layers; submitted models may have at most 2"]


def test_model_in_the_wrong_slot_and_wrong_vocabulary_are_refused(identified: Path,
                                                                   tmp_path: Path) -> None:
    with inside(identified):
        plan = plan_submission("final", experiments={"ffnn": "rnn"})
        assert any("holds a rnn model, not a ffnn model" in p for p in plan.problems)
        other = tmp_path / "tokenizer.json"
        from ner_helpers.tokenizer import Tokenizer

        Tokenizer().save(other)
        plan = plan_submission("final", tokenizer_path=other)
    assert any("vocab_size" in p and "was it trained with another tokenizer" in p
               for p in plan.problems)


def test_predictions_must_cover_the_test_split_exactly(identified: Path) -> None:
    folder = copy_experiment(identified, "rnn", "rnn-partial")
    path = folder / "test_predictions.json"
    rows = json.loads(path.read_text())
    missing_row = rows[1:]
    path.write_text(json.dumps(missing_row))
    with inside(identified):
        plan = plan_submission("final", experiments={"rnn": "rnn-partial"})
    assert any("test tokens have no prediction" in p for p in plan.problems), plan.problems
    path.write_text(json.dumps(rows + rows[:1]))
    with inside(identified):
        plan = plan_submission("final", experiments={"rnn": "rnn-partial"})
    assert any("predicted more than once" in p for p in plan.problems), plan.problems
    rows[0]["NER"][0] = "B-FOOD"
    path.write_text(json.dumps(rows))
    with inside(identified):
        plan = plan_submission("final", experiments={"rnn": "rnn-partial"})
    assert any("unknown tag 'B-FOOD'" in p for p in plan.problems), plan.problems


def test_coverage_problem_names_each_kind_of_mismatch() -> None:
    assert coverage_problem([0, 1, 2], [0, 1, 2]) is None
    problem = coverage_problem([0, 0, 5], [0, 1])
    assert "1 test tokens have no prediction (first: index 1)" in problem
    assert "1 predicted indices are not in the test split (first: 5)" in problem
    assert "1 indices are predicted more than once (first: 0)" in problem


def test_stubbed_todos_give_warnings_not_refusals(identified: Path, tmp_path: Path) -> None:
    package = tmp_path / "package"
    package.mkdir()
    for name in MILESTONE_FILES:
        (package / name).write_text(stubbed(name))
    with inside(identified):
        report = build_submission("milestone", package_dir=package, out_dir=tmp_path)
    assert any("TODO-1.1-1 not implemented yet" in w for w in report.warnings)


def test_submit_command_writes_and_reports(identified: Path, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    with inside(identified):
        code = kit_main(["submit", "milestone", "--out-dir", str(tmp_path)])
        assert code == 0
        assert "milestone-001.zip" in capsys.readouterr().out
        code = kit_main(["submit", "final", "--check", "--rnn", "nowhere"])
    captured = capsys.readouterr()
    assert code == 2
    assert captured.err.startswith("error: the final submission is not ready:")
    assert "Traceback" not in captured.err


def test_a_model_the_students_package_cannot_build_is_refused(identified: Path,
                                                               tmp_path: Path) -> None:
    """The student's own package builds the model: with TODO-4 still stubbed, ``ner-kit
    submit final`` (a real process importing the student's package) refuses."""
    student = tmp_path / "student"
    shutil_tree(REPO / "ner_helpers", student / "ner_helpers")
    (student / "ner_helpers" / "ffnn.py").write_text(stubbed("ffnn.py"))
    env = {**os.environ, "PYTHONPATH": str(student), "HF_DATASETS_OFFLINE": "1"}
    completed = subprocess.run(
        [sys.executable, "-c", "import sys; from ner_helpers.cli.main import main; "
         "sys.exit(main(sys.argv[1:]))", "submit", "final", "--check"],
        cwd=identified, env=env, capture_output=True, text=True, timeout=120)
    assert completed.returncode == 2, completed.stderr
    assert "ffnn: the model in" in completed.stderr
    assert "could not be built with your package: NotImplementedError: TODO-4-1" in \
        completed.stderr
    assert "Traceback" not in completed.stderr


def shutil_tree(source: Path, target: Path) -> None:
    import shutil

    shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))


# ---------------------------------------------------------------------------- the notebook
def answer_cell(number: int, text: str) -> dict:
    return {"cell_type": "markdown", "id": f"answer-{number}", "source": text,
            "metadata": {"nbgrader": {"solution": True, "grade": True, "points": 2,
                                      "grade_id": f"answer-{number}", "locked": False}}}


def small_notebook(*answers: str) -> str:
    cells = [{"cell_type": "markdown", "id": "intro", "metadata": {}, "source": "# Homework"},
             *(answer_cell(n, text) for n, text in enumerate(answers))]
    return json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5})


def test_the_notebook_travels_with_both_zips_and_the_grader_ignores_it(
        identified: Path, tmp_path: Path) -> None:
    """kit.yaml's submission.notebook goes into the milestone and the final zip as
    notebooks/assignment.ipynb (for manual grading); the grader skips it without a note."""
    from autograder.grader.settings import load_settings
    from autograder.grader.unpack import unpack_submission

    notebook = identified / "notebooks" / "assignment.ipynb"
    notebook.parent.mkdir(exist_ok=True)
    notebook.write_bytes((REPO / "notebooks" / "assignment.ipynb").read_bytes())
    try:
        with inside(identified):
            reports = [build_submission(kind, out_dir=tmp_path / kind)
                       for kind in ("milestone", "final")]
    finally:
        notebook.unlink()
    for report in reports:
        assert "notebooks/assignment.ipynb" in report.entries
        notebook_warnings = [w for w in report.warnings if "notebook" in w or "answers" in w]
        # the instructor's notebook was never run: only the run-order check speaks
        assert len(notebook_warnings) == 1, notebook_warnings
        assert "cell 7 (`# Run this cell first." in notebook_warnings[0]
        assert "was never run" in notebook_warnings[0]
        assert f"notebook: {notebook} as last saved" in report.summary()
        with zipfile.ZipFile(report.path) as archive:
            data = archive.read("notebooks/assignment.ipynb")
            manifest = json.loads(archive.read("submission.json"))
        assert data == (REPO / "notebooks" / "assignment.ipynb").read_bytes()
        assert manifest["files"]["notebooks/assignment.ipynb"] == hashlib.sha256(
            data).hexdigest()
        unpacked = unpack_submission(report.path, tmp_path / f"unpacked-{report.kind}",
                                     load_settings().unpack)
        assert unpacked.notes == [], "the grader skips the notebook without a note"
        assert not any(name.startswith("notebooks/") for name in unpacked.files)


def test_a_missing_notebook_is_a_warning_unless_named(identified: Path, tmp_path: Path) -> None:
    with inside(identified):
        report = build_submission("milestone", out_dir=tmp_path)
        assert not any(name.startswith("notebooks/") for name in report.entries)
        assert any("assignment.ipynb: notebook not found" in w and "hand it in as your course "
                   "says" in w for w in report.warnings), report.warnings
        assert "notebook:" not in report.summary()
        plan = plan_submission("milestone", notebook_path=tmp_path / "elsewhere.ipynb")
    assert any("elsewhere.ipynb: notebook not found" in p for p in plan.problems)


def test_empty_answers_and_broken_notebooks(identified: Path, tmp_path: Path) -> None:
    path = tmp_path / "answers.ipynb"
    path.write_text(small_notebook("YOUR ANSWER HERE", "YOUR ANSWER HERE"))
    with inside(identified):
        plan = plan_submission("milestone", notebook_path=path)
        assert not plan.problems
        assert plan.entries["notebooks/answers.ipynb"] == path.read_bytes()
        assert any("none of the 2 written answers is filled in yet" in w and "save it first" in w
                   for w in plan.warnings), plan.warnings

        path.write_text(small_notebook("Padding to the longest sentence wastes less.",
                                       "YOUR ANSWER HERE"))
        plan = plan_submission("milestone", notebook_path=path)
        assert any("1 of the 2 written answers are still empty" in w for w in plan.warnings)

        path.write_text('{"cells": [')
        plan = plan_submission("milestone", notebook_path=path)
    assert any("answers.ipynb: not a readable notebook" in p and "save it again" in p
               for p in plan.problems), plan.problems
    assert "notebooks/answers.ipynb" not in plan.entries


def test_submit_command_packs_the_notebook_it_is_given(identified: Path, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    """``ner-kit submit --notebook PATH`` packs that file as notebooks/<its name>; without
    the option kit.yaml's notebook goes in; a named notebook that is missing is refused."""
    given = tmp_path / "downloaded" / "assignment.ipynb"
    given.parent.mkdir()
    given.write_text(small_notebook("The mask marks the pads."))
    default = identified / "notebooks" / "assignment.ipynb"
    default.parent.mkdir(exist_ok=True)
    saved = small_notebook("An answer saved in the project.")
    default.write_text(saved)
    try:
        with inside(identified):
            code = kit_main(["submit", "milestone", "--notebook", str(given),
                             "--out-dir", str(tmp_path / "given")])
            printed = capsys.readouterr().out
            assert code == 0
            assert f"notebook: {given} as last saved" in printed
            code = kit_main(["submit", "milestone", "--out-dir", str(tmp_path / "default")])
            assert code == 0
            assert f"notebook: {default} as last saved" in capsys.readouterr().out
            code = kit_main(["submit", "milestone", "--check", "--notebook",
                             str(tmp_path / "nowhere.ipynb")])
    finally:
        default.unlink()
    captured = capsys.readouterr()
    assert code == 2
    assert "nowhere.ipynb: notebook not found" in captured.err
    assert "Traceback" not in captured.err
    with zipfile.ZipFile(tmp_path / "given" / "milestone-001.zip") as archive:
        assert archive.read("notebooks/assignment.ipynb") == given.read_bytes()
    with zipfile.ZipFile(tmp_path / "default" / "milestone-001.zip") as archive:
        assert archive.read("notebooks/assignment.ipynb") == saved.encode()
