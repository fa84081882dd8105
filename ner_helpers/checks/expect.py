"""Small assertion helpers used by every public check.

A check receives an :class:`Expect` for its TODO and states what must hold::

    expect.step("tokenize('the cat') without max_length")
    out = tokenizer.tokenize("the cat")
    expect.tensor(out["input_ids"], "input_ids", shape=[2], dtype=torch.long)
    expect.values(out["padding_mask"], [0, 0], "padding_mask (no padding asked for)")

The first thing that does not hold raises :class:`CheckFailed` with a message
naming the TODO, what was expected and what was found.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NoReturn

import torch

from ner_helpers.checks.failures import CheckFailed


class Expect:
    """Collects the assertions of one TODO's check.

    Attributes:
        todo: the TODO number, e.g. ``"1.1-1"``.
        passed: how many assertions held so far.
        current_step: what the check is doing now; named in the message when the
            student's code raises an unexpected error.
    """

    def __init__(self, todo: str) -> None:
        self.todo = todo
        self.passed = 0
        self.current_step = ""

    def step(self, description: str) -> None:
        """Say what the check does next (used in error messages)."""
        self.current_step = description

    def fail(self, problem: str) -> NoReturn:
        raise CheckFailed(self.todo, problem)

    def true(self, condition: bool, problem: str) -> None:
        """Fail with ``problem`` unless ``condition`` holds."""
        if not condition:
            self.fail(problem)
        self.passed += 1

    def equal(self, actual: Any, expected: Any, what: str) -> None:
        """``actual == expected``; the message shows both."""
        self.true(actual == expected, f"{what} should be {expected!r}, found {actual!r}")

    def keys(self, mapping: Any, expected: set[str], what: str) -> None:
        """``mapping`` is a dict whose keys are exactly ``expected``."""
        if not isinstance(mapping, Mapping):
            self.fail(f"{what} should be a dict, found {type(mapping).__name__}")
        found = set(mapping)
        if found != expected:
            missing, extra = sorted(expected - found), sorted(found - expected)
            details = []
            if missing:
                details.append(f"missing {missing}")
            if extra:
                details.append(f"unexpected {extra}")
            self.fail(f"{what} should have the keys {sorted(expected)}: {', '.join(details)}")
        self.passed += 1

    def tensor(self, value: Any, what: str, shape: Sequence[int] | None = None,
               dtype: torch.dtype | None = None) -> None:
        """``value`` is a tensor, with the given shape and dtype when those are given."""
        if not isinstance(value, torch.Tensor):
            self.fail(f"{what} should be a torch.Tensor, found {type(value).__name__}")
        if dtype is not None and value.dtype != dtype:
            self.fail(f"{what} should have dtype {dtype}, found {value.dtype}")
        if shape is not None and list(value.shape) != list(shape):
            self.fail(f"{what} should have shape {list(shape)}, found {list(value.shape)}")
        self.passed += 1

    def values(self, value: torch.Tensor, expected: list, what: str) -> None:
        """The tensor's values, as nested lists, equal ``expected`` exactly."""
        found = value.tolist()
        self.true(found == expected, f"{what} should be {expected}, found {found}")

    def close(self, value: torch.Tensor | float, expected: torch.Tensor | float, what: str,
              atol: float = 1e-5) -> None:
        """Numbers (or tensors of the same shape) agree within ``atol``."""
        value_t = torch.as_tensor(value, dtype=torch.float64)
        expected_t = torch.as_tensor(expected, dtype=torch.float64)
        if value_t.shape != expected_t.shape:
            self.fail(f"{what} should have shape {list(expected_t.shape)}, "
                      f"found {list(value_t.shape)}")
        if not torch.allclose(value_t, expected_t, atol=atol, rtol=0.0):
            self.fail(f"{what} should be {_short(expected_t)}, found {_short(value_t)}")
        self.passed += 1

    def attribute(self, owner: Any, name: str, kind: type) -> Any:
        """``owner.<name>`` exists and is a ``kind``; a missing attribute is named as
        missing, with the attributes ``owner`` does have."""
        found = attribute_names(owner)
        if name not in found:
            self.fail(f"self.{name} does not exist; the attributes set in __init__ are: "
                      f"{', '.join(found) or 'none'}")
        value = getattr(owner, name)
        self.instance(value, kind, f"self.{name}")
        return value

    def instance(self, value: Any, kind: type, what: str) -> None:
        """``value`` is an instance of ``kind``."""
        self.true(isinstance(value, kind),
                  f"{what} should be a {kind.__module__}.{kind.__qualname__}, "
                  f"found {type(value).__name__}")


def attribute_names(owner: Any) -> list[str]:
    """The public attributes of an object, a torch module's layers and parameters included."""
    names = {name for name in vars(owner) if not name.startswith("_")} - {"training"}
    for registry in ("_modules", "_parameters", "_buffers"):
        names |= set(getattr(owner, registry, {}) or {})
    return sorted(names)


def _short(value: torch.Tensor) -> str:
    """A tensor as a short string with 4 decimals."""
    if value.dim() == 0:
        return f"{float(value):.4f}"
    return str([round(x, 4) for x in value.flatten().tolist()][:12]) + (
        " ..." if value.numel() > 12 else "")
