"""The ten TODOs of the assignment and the public check of each, and the TODOs of the
optional sections whose files this copy of the package holds."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ner_helpers.checks import (
    collator_checks,
    embedding_checks,
    ffnn_checks,
    rnn_checks,
    tokenizer_checks,
    trainer_checks,
)
from ner_helpers.checks.expect import Expect


@dataclass(frozen=True)
class Todo:
    """One TODO: its number, what it implements, where, and its check.

    ``requires`` lists TODOs that must pass before this one can be checked
    (the collator calls the tokenizer, a forward pass needs its ``__init__``).
    """

    number: str
    title: str
    file: str
    check: Callable[[Expect], None]
    requires: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return f"TODO-{self.number} {self.title}"


TODOS: dict[str, Todo] = {todo.number: todo for todo in (
    Todo("1.1-1", "Tokenizer.tokenize", "ner_helpers/tokenizer.py",
         tokenizer_checks.check_tokenize),
    Todo("1.2-1", "DataCollator.__call__", "ner_helpers/collator.py",
         collator_checks.check_collate, requires=("1.1-1",)),
    Todo("2-1", "TokenEmbedding.__init__", "ner_helpers/embedding.py",
         embedding_checks.check_embedding_init),
    Todo("2-2", "TokenEmbedding.forward", "ner_helpers/embedding.py",
         embedding_checks.check_embedding_forward, requires=("2-1",)),
    Todo("3-1", "Trainer._train_epoch", "ner_helpers/trainer.py",
         trainer_checks.check_train_epoch),
    Todo("3-2", "Trainer._eval_epoch", "ner_helpers/trainer.py",
         trainer_checks.check_eval_epoch),
    Todo("4-1", "FFNN.__init__", "ner_helpers/ffnn.py", ffnn_checks.check_ffnn_init),
    Todo("4-2", "FFNN.forward", "ner_helpers/ffnn.py", ffnn_checks.check_ffnn_forward,
         requires=("4-1",)),
    Todo("5-1", "RNN.__init__", "ner_helpers/rnn.py", rnn_checks.check_rnn_init),
    Todo("5-2", "RNN.forward", "ner_helpers/rnn.py", rnn_checks.check_rnn_forward,
         requires=("5-1",)),
)}

#: The graded TODOs of the optional sections: (number, title, file, check module, check
#: function, requires). Listed only when the package holds the section's files (a
#: release whose section is off has neither the file nor its check).
OPTIONAL_TODOS = (
    ("7-1", "CNNTagger.forward", "cnn", "cnn_checks", "check_cnn_forward", ()),
    ("7-2", "align_vectors", "vectors", "vectors_checks", "check_align_vectors", ()),
    ("8-1", "first_piece_labels", "encoder", "encoder_checks", "check_first_piece_labels", ()),
)


_CHECKS_DIR = Path(__file__).resolve().parent

for _number, _title, _file, _module, _function, _requires in OPTIONAL_TODOS:
    if (_CHECKS_DIR.parent / f"{_file}.py").is_file() and (_CHECKS_DIR / f"{_module}.py").is_file():
        _check = getattr(importlib.import_module(f"ner_helpers.checks.{_module}"), _function)
        TODOS[_number] = Todo(_number, _title, f"ner_helpers/{_file}.py", _check, _requires)

#: The TODOs the milestone submission covers (sections 1.1 to 3).
MILESTONE_TODOS = ("1.1-1", "1.2-1", "2-1", "2-2", "3-1", "3-2")
