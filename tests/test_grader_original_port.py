"""A solution written for the original course kit, ported with renames only, gets 100/100.

The collator and the trainer are where literal ports used to lose points: the
original collator's parameter is ``data_instances`` (the kit's was
``instances``: a NameError, 0/11 on TODO-1.2-1), and the original
``_eval_epoch`` carried ``@torch.no_grad()`` as provided code (a port without a
``no_grad`` of its own lost ``no_gradients``). The kit now has both, so the
catalogue's ``*-original-kit-port`` alternatives, put together into one final
submission with the trained models of the test project, get full marks: every
hidden test, and full performance points with baselines at the reference
models' own F1 (the ported package must tag exactly as the reference does).
One grading run, about 10 s.
"""

from __future__ import annotations

import pytest
from test_grader_broken_implementations import (
    ALTERNATIVES_DIR,
    SETTINGS,
    apply_variant,
    load_variants,
)
from test_grader_fixtures import (
    experiment_f1,
    hidden_labels,
    inside,
    reference_submission,
    trained_project,
    variant_submission,
)

from autograder.grader import grade_submission
from autograder.grader.settings import load_settings

PORTS = [variant for variant in load_variants(ALTERNATIVES_DIR)
         if variant.name.endswith("-original-kit-port")]


def test_the_catalogue_has_ports_of_the_trap_files() -> None:
    assert {variant.file for variant in PORTS} >= {"collator.py", "trainer.py"}
    assert {"TODO-1.2-1", "TODO-3-1", "TODO-3-2"} <= {t for v in PORTS for t in v.todos}
    collator = next(v for v in PORTS if v.file == "collator.py")
    assert "data_instances" in collator.solutions["TODO-1.2-1"]
    trainer = next(v for v in PORTS if v.file == "trainer.py")
    assert "no_grad" not in trainer.solutions["TODO-3-2"]


@pytest.mark.slow
def test_an_original_kit_port_gets_full_marks(tmp_path_factory: pytest.TempPathFactory) -> None:
    root = tmp_path_factory.mktemp("original-port")
    project = trained_project(root / "project-root")
    base = reference_submission(project, "final", root / "base")
    submission = variant_submission(base, root / "original-port.zip", {
        f"ner_helpers/{variant.file}": apply_variant(variant) for variant in PORTS})
    baselines = {model: experiment_f1(project, model) for model in ("ffnn", "rnn")}
    settings = load_settings().with_baselines(baselines)
    with inside(project):
        result = grade_submission(submission, kind="final", settings=settings,
                                  hidden_labels=hidden_labels(project))
    failed = {(test.todo, test.name): test.message for test in result.tests if not test.passed}
    assert failed == {}
    assert [(item.model, item.points) for item in result.performance] == [
        ("ffnn", 15.0), ("rnn", 15.0)], [item.message for item in result.performance]
    assert (result.score, result.max_score) == (100.0, 100.0)
    assert SETTINGS.kind("final").models == ()  # the catalogue's settings leave the models out


def test_an_undefined_name_of_a_port_gets_a_note() -> None:
    from autograder.grader.porting_hints import with_porting_hint

    message = ("DataCollator(default settings) raised NameError: name 'instances' is not "
               "defined (ner_helpers/collator.py, line 97)")
    hinted = with_porting_hint(message)
    assert hinted.startswith(message)
    assert "porting note: the batch parameter of DataCollator.__call__ is data_instances" \
        in hinted
    assert with_porting_hint(message.replace("'instances'", "'batch'")) == \
        message.replace("'instances'", "'batch'")
    assert "loop over self.train_loader" in with_porting_hint(
        "the epoch raised NameError: name 'dataloader' is not defined")
