"""The module harness of the hidden tests (autograder/sandbox/child/module_harness.py),
run here in-process with the reference classes and small broken ones."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from autograder.hidden_tests.support import random_state
from autograder.sandbox.child.module_harness import layer_spec, run_module
from ner_helpers.embedding import TokenEmbedding
from ner_helpers.ffnn import FFNN
from ner_helpers.rnn import RNN

CTOR = {"embedding_dim": 4, "hidden_dim": 3, "output_dim": 2, "num_layers": 2}


def describe(exc: BaseException) -> dict[str, Any]:
    return {"type": type(exc).__name__, "message": str(exc)}


def test_the_graders_layers_reproduce_the_reference_module() -> None:
    x = torch.randn(2, 5, 4)
    for model_class, kind in ((FFNN, "ffnn"), (RNN, "rnn")):
        state = random_state(model_class, CTOR, seed=3)
        activations = ["relu" if kind == "ffnn" else "tanh"] * 2
        report = run_module(model_class, {"ctor": CTOR, "inputs": [{"x": x}],
                                          "layers": layer_spec(state, kind, activations)},
                            describe)
        reference = model_class(**CTOR)
        reference.load_state_dict(state)
        assert torch.allclose(report["runs"][0]["ok"]["out"], reference(x))


def test_forward_is_judged_even_when_init_raises() -> None:
    class Unfinished(FFNN):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            raise NotImplementedError("TODO-4-1")

    x = torch.randn(2, 3, 4)
    state = random_state(FFNN, CTOR, seed=4)
    plan = {"ctor": CTOR, "inputs": [{"x": x}], "backward": True,
            "layers": layer_spec(state, "ffnn", ["relu", "relu"])}
    report = run_module(Unfinished, plan, describe)
    assert report["constructed"]["error"]["type"] == "NotImplementedError"
    wanted = run_module(FFNN, plan, describe)
    found, expected = report["runs"][0]["ok"], wanted["runs"][0]["ok"]
    assert torch.allclose(found["out"], expected["out"])
    assert set(found["grads"]) == {"W.weight", "W.bias", "U.0.weight", "U.0.bias", "V.weight",
                                   "V.bias"}


def test_a_missing_layer_is_named_with_the_attributes_that_exist() -> None:
    class NoU(FFNN):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            del self.U

    report = run_module(NoU, {"kind": "ffnn", "ctor": CTOR, "call": "layers",
                              "inputs": [{"x": torch.randn(1, 2, 4)}]}, describe)
    message = report["runs"][0]["error"]["message"]
    assert message.startswith("NoU has no attribute 'U' (its attributes: V, W, embedding_dim")


def test_a_sparse_gradient_is_an_error_and_lookups_are_the_layers_own() -> None:
    class Sparse(TokenEmbedding):
        def __init__(self, vocab_size: int, embedding_dim: int, padding_idx: int = 0) -> None:
            super().__init__(vocab_size, embedding_dim, padding_idx)
            self.embedding = nn.Embedding(vocab_size, embedding_dim, padding_idx=padding_idx,
                                          sparse=True)

    ctor = {"vocab_size": 5, "embedding_dim": 2, "padding_idx": 0}
    plan = {"ctor": ctor, "call": "embedding", "inputs": [{"x": torch.tensor([[1, 0, 3]])}],
            "state": random_state(TokenEmbedding, ctor, seed=1)}
    lookups = run_module(Sparse, plan, describe)
    assert torch.equal(lookups["runs"][0]["ok"]["out"][0, 1], plan["state"]["embedding.weight"][0])
    gradients = run_module(Sparse, {**plan, "backward": True}, describe)
    assert "is sparse" in gradients["runs"][0]["error"]["message"]
