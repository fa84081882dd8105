"""The public checks (ner_helpers.checks): they pass on the reference solution,
name the TODO and the problem for broken code, and report stubs briefly.

Broken student code is simulated by replacing one method with a faulty version
(monkeypatch), so each test shows which mistake a check catches.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import torch
from torch import nn

from autograder.release.markers import solution_lines
from ner_helpers import collator, embedding, ffnn, rnn, tokenizer, trainer
from ner_helpers.checks import (
    MILESTONE_TODOS,
    TODOS,
    CheckFailed,
    NotImplementedYet,
    UnknownTodo,
    check,
    check_all,
    run_check,
)
from ner_helpers.cli.main import main as ner_kit
from ner_helpers.epoch_record import EpochRecord

PACKAGE = Path(__file__).resolve().parents[1] / "ner_helpers"
CHECKS = PACKAGE / "checks"


def stub(todo: str):
    """A replacement that behaves like the released stub of ``todo``."""
    def raise_stub(*args, **kwargs):
        raise NotImplementedError(f"{todo}: not implemented yet (see the hint above)")
    return raise_stub


def failure_of(number: str) -> CheckFailed:
    result = run_check(number)
    assert result.failure is not None, f"TODO-{number} passed but should fail"
    return result.failure


# ---------------------------------------------------------------------- the reference passes
def test_every_check_passes_on_the_reference_solution(capsys):
    results = check_all()
    out = capsys.readouterr().out
    assert [r.todo.number for r in results] == list(TODOS)
    assert all(r.passed and r.passed_assertions >= 5 for r in results)
    assert len(re.findall(r"^PASS TODO-", out, re.MULTILINE)) == len(TODOS)
    assert f"all {len(TODOS)} TODOs pass their public checks" in out


def test_there_is_one_check_per_todo_of_the_spec():
    core = ["1.1-1", "1.2-1", "2-1", "2-2", "3-1", "3-2", "4-1", "4-2", "5-1", "5-2"]
    sections = ["7-1", "7-2", "8-1"]  # the optional sections' TODOs this source tree holds
    assert list(TODOS) == core + sections
    assert MILESTONE_TODOS == ("1.1-1", "1.2-1", "2-1", "2-2", "3-1", "3-2")
    for todo in TODOS.values():
        source = (PACKAGE.parent / todo.file).read_text()
        assert f"TODO-{todo.number} hint" in source


def test_check_prints_a_pass_line_and_accepts_todo_prefixes(capsys):
    check("TODO-1.1-1", "4-1")
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("PASS TODO-1.1-1 Tokenizer.tokenize:")
    assert lines[1].startswith("PASS TODO-4-1 FFNN.__init__:")


def test_unknown_todo_names_the_known_ones():
    with pytest.raises(UnknownTodo, match="unknown TODO '6-1'; the TODOs are 1.1-1, 1.2-1"):
        check("6-1")
    with pytest.raises(UnknownTodo):
        check()


def test_checks_leave_the_global_random_state_alone_and_are_repeatable():
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    first = [r.passed_assertions for r in check_all()]
    assert torch.equal(torch.rand(3), expected)
    assert [r.passed_assertions for r in check_all()] == first


# ---------------------------------------------------------------------- stubs
@pytest.mark.parametrize("number, owner, attribute", [
    ("1.1-1", tokenizer.Tokenizer, "tokenize"),
    ("1.2-1", collator.DataCollator, "__call__"),
    ("2-1", embedding.TokenEmbedding, "__init__"),
    ("3-1", trainer.Trainer, "_train_epoch"),
    ("3-2", trainer.Trainer, "_eval_epoch"),
    ("4-1", ffnn.FFNN, "__init__"),
    ("5-2", rnn.RNN, "forward"),
])
def test_a_stub_reports_not_implemented_yet(monkeypatch, number, owner, attribute):
    monkeypatch.setattr(owner, attribute, stub(f"TODO-{number}"))
    with pytest.raises(NotImplementedYet) as caught:
        check(number)
    assert isinstance(caught.value, AssertionError)
    assert str(caught.value).startswith(f"TODO-{number}: not implemented yet (")
    assert caught.value._render_traceback_() == [str(caught.value)]


def test_a_check_that_needs_an_unfinished_todo_names_it(monkeypatch):
    monkeypatch.setattr(tokenizer.Tokenizer, "tokenize", stub("TODO-1.1-1"))
    failure = failure_of("1.2-1")
    assert isinstance(failure, NotImplementedYet)
    assert str(failure) == ("TODO-1.2-1: cannot be checked until TODO-1.1-1 is implemented "
                            "(it raises NotImplementedError)")


def test_check_all_lists_every_todo_then_fails(monkeypatch, capsys):
    monkeypatch.setattr(ffnn.FFNN, "__init__", stub("TODO-4-1"))
    with pytest.raises(CheckFailed, match=rf"2 of {len(TODOS)} TODOs do not pass yet: "
                       r"TODO-4-1, TODO-4-2"):
        check_all()
    out = capsys.readouterr().out
    assert "TODO-4-1: not implemented yet (FFNN.__init__ in ner_helpers/ffnn.py)" in out
    assert out.count("PASS TODO-") == len(TODOS) - 2


# ---------------------------------------------------------------------- broken code
def test_collator_pad_labels_message(monkeypatch):
    original = collator.DataCollator.__call__

    def pads_labelled_zero(self, data_instances):
        batch = original(self, data_instances)
        if "labels" in batch:
            batch["labels"] = batch["labels"].masked_fill(batch["labels"] == -100, 0)
        return batch

    monkeypatch.setattr(collator.DataCollator, "__call__", pads_labelled_zero)
    assert str(failure_of("1.2-1")) == (
        "TODO-1.2-1: labels at pad positions should be -100 (the pad tag id), found 0")


def test_collator_truncating_labels_on_the_wrong_side(monkeypatch):
    original = collator.DataCollator.__call__

    def labels_cut_on_the_right(self, data_instances):
        batch = original(self, data_instances)
        if self.truncation_side == "left" and "labels" in batch:
            batch["labels"] = original(self.__class__(self.tokenizer, max_length=self.max_length),
                                       data_instances)["labels"]
        return batch

    monkeypatch.setattr(collator.DataCollator, "__call__", labels_cut_on_the_right)
    message = str(failure_of("1.2-1"))
    assert message.startswith("TODO-1.2-1: labels with max_length=2, truncation_side='left' "
                              "should be [[3, 0], [5, 6]], found [[0, 3], [5, 6]]")


def test_tokenizer_mask_inverted(monkeypatch):
    original = tokenizer.Tokenizer.tokenize

    def inverted_mask(self, *args, **kwargs):
        out = original(self, *args, **kwargs)
        return {"input_ids": out["input_ids"], "padding_mask": 1 - out["padding_mask"]}

    monkeypatch.setattr(tokenizer.Tokenizer, "tokenize", inverted_mask)
    assert str(failure_of("1.1-1")) == ("TODO-1.1-1: padding_mask without padding should be "
                                        "[0, 0, 0], found [1, 1, 1]")


def test_tokenizer_ignoring_the_truncation_side(monkeypatch):
    original = tokenizer.Tokenizer.tokenize

    def always_right(self, input_seq, max_length=None, padding_side="right",
                     truncation_side="right"):
        return original(self, input_seq, max_length, padding_side, "right")

    monkeypatch.setattr(tokenizer.Tokenizer, "tokenize", always_right)
    assert "truncation_side='left' (keep the end) should be [6, 5], found [2, 3]" in str(
        failure_of("1.1-1"))


def test_tokenizer_returning_int32(monkeypatch):
    original = tokenizer.Tokenizer.tokenize

    def int32(self, *args, **kwargs):
        return {key: value.int() for key, value in original(self, *args, **kwargs).items()}

    monkeypatch.setattr(tokenizer.Tokenizer, "tokenize", int32)
    assert str(failure_of("1.1-1")) == ("TODO-1.1-1: input_ids should have dtype torch.int64, "
                                        "found torch.int32")


def test_an_unexpected_error_names_the_step(monkeypatch):
    def crash(self, *args, **kwargs):
        return [][0]

    monkeypatch.setattr(tokenizer.Tokenizer, "tokenize", crash)
    failure = failure_of("1.1-1")
    assert str(failure) == ("TODO-1.1-1: IndexError: list index out of range (while checking "
                            "tokenizer.tokenize('the cat sat'))")
    assert isinstance(failure.cause, IndexError)


def test_embedding_without_padding_idx(monkeypatch):
    def no_padding(self, vocab_size, embedding_dim, padding_idx=0):
        nn.Module.__init__(self)
        self.embedding = nn.Embedding(vocab_size, embedding_dim)

    monkeypatch.setattr(embedding.TokenEmbedding, "__init__", no_padding)
    assert str(failure_of("2-1")) == ("TODO-2-1: self.embedding.padding_idx should be 0, "
                                      "found None")
    assert str(failure_of("2-2")).startswith("TODO-2-2: cannot be checked until TODO-2-1 passes")


def test_train_epoch_without_clipping(monkeypatch):
    monkeypatch.setattr(nn.utils, "clip_grad_norm_", lambda *args, **kwargs: None)
    message = str(failure_of("3-1"))
    assert message.startswith("TODO-3-1: one step moved the parameters by a norm of")
    assert "more than the clipping limit 0.001" in message


def test_train_epoch_without_zeroing_gradients(monkeypatch):
    monkeypatch.setattr(torch.optim.Optimizer, "zero_grad", lambda self, set_to_none=True: None)
    message = str(failure_of("3-1"))
    assert "gradients left over from before the batch were used" in message


def test_eval_epoch_tracking_gradients(monkeypatch):
    def eval_with_gradients(self):
        record = EpochRecord()
        self.model.eval()
        for batch in self.val_loader:
            logits = self.model(batch["input_ids"])
            loss = self.loss_fn(logits.flatten(0, 1), batch["labels"].flatten())
            record.add_batch(loss.item(), logits, batch["labels"])
        return record.summary()

    monkeypatch.setattr(trainer.Trainer, "_eval_epoch", eval_with_gradients)
    assert str(failure_of("3-2")) == ("TODO-3-2: gradients should not be tracked during "
                                      "_eval_epoch (torch.no_grad())")


def test_eval_epoch_in_training_mode(monkeypatch):
    monkeypatch.setattr(nn.Module, "eval", lambda self: self)
    assert str(failure_of("3-2")) == ("TODO-3-2: the model should be in evaluation mode during "
                                      "_eval_epoch (model.eval())")


def test_ffnn_with_one_hidden_layer_too_many(monkeypatch):
    original = ffnn.FFNN.__init__

    def extra_layer(self, embedding_dim, hidden_dim, output_dim, num_layers=1):
        original(self, embedding_dim, hidden_dim, output_dim, num_layers)
        self.U.append(nn.Linear(hidden_dim, hidden_dim))

    monkeypatch.setattr(ffnn.FFNN, "__init__", extra_layer)
    assert str(failure_of("4-1")) == "TODO-4-1: len(self.U) with num_layers=5 should be 4, found 5"


def test_ffnn_without_relu(monkeypatch):
    monkeypatch.setattr(nn.ReLU, "forward", lambda self, x: x)
    message = str(failure_of("4-2"))
    assert message.startswith("TODO-4-2: the logits for inputs [1.0, 0.2] (ReLU after W; no "
                              "softmax after V) should be [3.5, 0.5], found [3.5, -1.3]")


def test_ffnn_with_softmax(monkeypatch):
    original = ffnn.FFNN.forward
    monkeypatch.setattr(ffnn.FFNN, "forward", lambda self, x: original(self, x).softmax(-1))
    assert "no softmax" in str(failure_of("4-2"))


def test_rnn_reading_right_to_left(monkeypatch):
    original = rnn.RNN.forward
    monkeypatch.setattr(rnn.RNN, "forward",
                        lambda self, x, h0=None: original(self, x.flip(1), h0).flip(1))
    assert "a left-to-right RNN cannot see later tokens" in str(failure_of("5-2"))


def test_rnn_sharing_weights_across_layers(monkeypatch):
    original = rnn.RNN.__init__

    def shared(self, *args, **kwargs):
        original(self, *args, **kwargs)
        for k in range(1, self.num_layers):
            self.U[k] = self.U[1]

    monkeypatch.setattr(rnn.RNN, "__init__", shared)
    assert "TODO-5-1: the number of parameters" in str(failure_of("5-1"))


def test_rnn_ignoring_h0(monkeypatch):
    original = rnn.RNN.forward
    monkeypatch.setattr(rnn.RNN, "forward", lambda self, x, h0=None: original(self, x))
    assert "did not change with a non-zero h0" in str(failure_of("5-2"))


# ---------------------------------------------------------------------- the command
def test_ner_kit_check_passes_on_the_reference(capsys):
    assert ner_kit(["check", "1.2-1", "TODO-5-2"]) == 0
    out = capsys.readouterr().out
    assert "PASS TODO-1.2-1" in out and "PASS TODO-5-2" in out
    assert "all 2 TODOs checked pass" in out


def test_ner_kit_check_milestone_and_failures(monkeypatch, capsys):
    monkeypatch.setattr(trainer.Trainer, "_eval_epoch", stub("TODO-3-2"))
    assert ner_kit(["check", "--milestone"]) == 1
    out = capsys.readouterr().out
    assert out.count("PASS") == 5
    assert "TODO-3-2: not implemented yet (Trainer._eval_epoch in ner_helpers/trainer.py)" in out
    assert "1 of 6 TODOs do not pass yet" in out


def test_ner_kit_check_unknown_todo(capsys):
    assert ner_kit(["check", "7"]) == 2
    assert "error: unknown TODO '7'" in capsys.readouterr().err


# ---------------------------------------------------------------------- no solutions inside
def test_the_checks_contain_no_line_of_a_reference_solution():
    secret = set()
    for path in PACKAGE.glob("*.py"):
        secret.update(line for line in solution_lines(path.read_text(), str(path))
                      if len(line) >= 10)
    assert len(secret) > 30
    for path in CHECKS.glob("*.py"):
        shared = secret & {line.strip() for line in path.read_text().splitlines()}
        assert not shared, f"{path.name} repeats solution lines: {sorted(shared)}"


def test_a_missing_layer_is_named_as_missing_with_the_attributes_that_exist(monkeypatch):
    original = ffnn.FFNN.__init__

    def without_u(self, *args, **kwargs):
        original(self, *args, **kwargs)
        del self.U

    monkeypatch.setattr(ffnn.FFNN, "__init__", without_u)
    message = str(failure_of("4-1"))
    assert message.startswith("TODO-4-1: self.U does not exist; the attributes set in "
                              "__init__ are: V, W, embedding_dim, f, hidden_dim"), message
