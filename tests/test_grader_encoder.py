"""Grading the encoder section: TODO-8-1 and the optional encoder model of a final
submission, graded only while release.yaml turns the section on; a model too large for
the grader's budget is refused by the parent before the child loads it."""

from __future__ import annotations

import dataclasses
import json
import shutil
import zipfile
from pathlib import Path

import pytest
import yaml

pytest.importorskip("transformers")

from test_grader_fixtures import (  # noqa: E402
    REPO,
    experiment_f1,
    hidden_labels,
    inside,
    reference_submission,
    trained_project,
    variant_submission,
)

from autograder.grader.engine import grade_submission  # noqa: E402
from autograder.grader.settings import load_settings  # noqa: E402
from ner_helpers.data import load_split  # noqa: E402
from ner_helpers.experiment import run_experiment  # noqa: E402
from ner_helpers.word_pieces import train_word_pieces  # noqa: E402

ENCODER_CONFIG = {
    "name": "encoder", "seed": 13, "device": "cpu",
    "model": {"model_type": "encoder", "encoder": "tiny:artefacts/pieces",
              "tiny_hidden_size": 32, "tiny_layers": 1, "tiny_heads": 2, "tiny_max_length": 64,
              "gru_hidden_dim": 16, "window_context": 4},
    "training": {"epochs": 2, "batch_size": 16, "optimizer": "adamw", "lr": 0.005,
                 "encoder_lr": 0.001, "warmup_steps": 5, "grad_clip_max_norm": 1.0}}


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    """The grader tests' project, copied, with a tiny encoder experiment added."""
    shared = trained_project(tmp_path_factory.mktemp("shared"))
    project = tmp_path_factory.mktemp("encoder") / "project"
    shutil.copytree(shared, project)
    with inside(project):
        rows = load_split(project / "dataset" / "train.json")
        folder = project / "artefacts" / "pieces"
        folder.mkdir(parents=True)
        train_word_pieces((row["text"] for row in rows), 600).save(str(folder / "tokenizer.json"))
        run_experiment(ENCODER_CONFIG, show_progress=False)
    return project


@pytest.fixture(scope="module")
def final_zip(project, tmp_path_factory) -> Path:
    return reference_submission(project, "final", tmp_path_factory.mktemp("final"))


def settings_with_section(tmp_path: Path, enabled: bool, **inputs):
    """The bundled grading settings with the encoder section on or off, graded on
    TODO-8-1 and the encoder model only (the other TODOs have tests of their own)."""
    release = yaml.safe_load((REPO / "autograder" / "config" / "release.yaml").read_text())
    release["optional_sections"]["encoder"]["enabled"] = enabled
    path = tmp_path / f"release-{enabled}.yaml"
    path.write_text(yaml.safe_dump(release))
    settings = load_settings(release_path=path)
    final = settings.kinds["final"]
    if enabled:
        assert "TODO-8-1" in final.todos and "encoder" in final.models
        final = dataclasses.replace(final, todos=("TODO-8-1",), models=("encoder",))
    else:
        assert "TODO-8-1" not in final.todos and "encoder" not in final.models
    return dataclasses.replace(settings, kinds={**settings.kinds, "final": final},
                               inputs=dataclasses.replace(settings.inputs, **inputs))


def grade(path: Path, project: Path, settings):
    return grade_submission(path, settings=settings, hidden_labels=hidden_labels(project),
                            test_split=project / "dataset" / "test.json")


@pytest.mark.slow
def test_the_encoder_and_its_todo_are_graded_while_the_section_is_on(project, final_zip,
                                                                       tmp_path):
    names = zipfile.ZipFile(final_zip).namelist()
    assert "ner_helpers/encoder.py" in names
    assert {f"models/encoder/{n}" for n in ("config.json", "weights.pt", "encoder_config.json",
                                            "pieces.json", "test_predictions.json")} <= set(names)
    result = grade(final_zip, project, settings_with_section(tmp_path, True))
    assert [(t.todo, t.passed) for t in result.tests] == [("TODO-8-1", True)] * 9
    (encoder,) = result.performance
    assert encoder.model == "encoder" and encoder.f1 is not None
    # Scored on the words every model is scored on: the grader's F1 of the model
    # rebuilt in the sandbox is the F1 of the experiment's own test predictions.
    assert encoder.f1 == pytest.approx(experiment_f1(project, "encoder"))
    assert encoder.notes == () and not result.internal_errors


@pytest.mark.slow
def test_a_model_too_large_for_the_budget_is_refused_before_loading(project, final_zip,
                                                                      tmp_path):
    settings = settings_with_section(tmp_path, True, encoder_weights_bytes=64 * 1024)
    result = grade(final_zip, project, settings)
    (encoder,) = result.performance
    assert encoder.f1 is None and encoder.points == 0
    assert "too large for this grader" in encoder.message
    assert "inputs.encoder_weights_mb" in encoder.message
    assert all(t.passed for t in result.tests) and not result.internal_errors


@pytest.mark.slow
def test_an_encoder_config_that_disagrees_with_the_declared_sizes_is_refused(project, final_zip,
                                                                            tmp_path):
    with zipfile.ZipFile(final_zip) as archive:
        data = json.loads(archive.read("models/encoder/encoder_config.json"))
    data["hidden_size"] = 4096
    variant = variant_submission(final_zip, tmp_path / "variant.zip",
                                 {"models/encoder/encoder_config.json": json.dumps(data)})
    result = grade(variant, project, settings_with_section(tmp_path, True))
    (encoder,) = result.performance
    assert encoder.f1 is None and "hidden_size = 4096" in encoder.message


@pytest.mark.slow
def test_the_section_off_grades_neither_its_todo_nor_its_model(project, final_zip, tmp_path):
    settings = settings_with_section(tmp_path, False)
    assert settings.kinds["final"].models == ("ffnn", "rnn")
    # A zip that holds the section's files is still graded as usual (one TODO here).
    final = dataclasses.replace(settings.kinds["final"], todos=("TODO-1.1-1",), models=())
    result = grade(final_zip, project, dataclasses.replace(
        settings, kinds={**settings.kinds, "final": final}))
    assert {t.todo for t in result.tests} == {"TODO-1.1-1"} and all(t.passed for t in result.tests)
    assert result.performance == [] and result.notes == [] and not result.internal_errors
