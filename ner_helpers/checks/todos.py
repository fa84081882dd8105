"""The ten TODOs of the assignment and the public check of each."""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable
from dataclasses import dataclass

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

def _section_todos() -> tuple[Todo, ...]:
    """The TODOs of the optional sections this copy of the kit holds (a section that is
    off in a release leaves its files, and so its TODOs, out)."""
    name = "ner_helpers.checks.encoder_checks"
    if importlib.util.find_spec(name) is None:
        return ()
    encoder_checks = importlib.import_module(name)
    return (Todo("8-1", "first_piece_labels", "ner_helpers/encoder.py",
                 encoder_checks.check_first_piece_labels),)


TODOS.update({todo.number: todo for todo in _section_todos()})

#: The TODOs the milestone submission covers (sections 1.1 to 3).
MILESTONE_TODOS = ("1.1-1", "1.2-1", "2-1", "2-2", "3-1", "3-2")
