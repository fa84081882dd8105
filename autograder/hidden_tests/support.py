"""Helpers of the hidden tests: failures with student-facing messages, tensor checks,
and reference runs through the same harness the child uses.

A hidden test fails by raising :class:`Failure` with a message that helps a
student without showing grader code, e.g. "labels at pad positions must be
the pad tag id (-100); found 0 at batch row 1, position 3".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NoReturn

import torch

from autograder.sandbox.child import module_harness
from autograder.sandbox.child.protocol import ForeignObject
from autograder.sandbox.failures import describe_error

ATOL = 1e-5
RTOL = 1e-4


class Failure(AssertionError):
    """A hidden test failed; the message is shown to the student."""


class InternalError(RuntimeError):
    """The reference side of a test failed: a grader bug, never the student's fault."""


def fail(message: str) -> NoReturn:
    raise Failure(message)


def check(condition: bool, message: str) -> None:
    if not condition:
        fail(message)


def show(value: Any) -> str:
    """A short, readable rendering of a value for messages."""
    if isinstance(value, torch.Tensor):
        value = value.tolist()
    text = repr(value)
    return text if len(text) <= 120 else text[:117] + "..."


def call_text(function: str, args: Sequence[Any], kwargs: Mapping[str, Any]) -> str:
    """``tokenize('The Bank', max_length=5)`` for messages."""
    parts = [show(arg) for arg in args] + [f"{key}={value!r}" for key, value in kwargs.items()]
    return f"{function}({', '.join(parts)})"


def ok(item: Mapping[str, Any], what: str) -> Any:
    """The value of an ``{"ok": ...}`` outcome, or a failure naming the exception."""
    if "error" in item:
        fail(f"{what} raised {describe_error(item['error'])}")
    return item["ok"]


def type_name(value: Any) -> str:
    if isinstance(value, ForeignObject):
        return value.type_name
    return type(value).__name__


def expect_mapping(value: Any, what: str, keys: Sequence[str]) -> Mapping[str, Any]:
    check(isinstance(value, Mapping), f"{what} returned a {type_name(value)}, expected a dict "
          f"with keys {', '.join(keys)}")
    missing = [key for key in keys if key not in value]
    check(not missing, f"{what} returned a dict without {', '.join(repr(k) for k in missing)} "
          f"(keys found: {', '.join(repr(k) for k in sorted(value)) or 'none'})")
    return value


def expect_tensor(value: Any, what: str, dtype: torch.dtype | None = None,
                  shape: Sequence[int] | None = None) -> torch.Tensor:
    check(isinstance(value, torch.Tensor), f"{what} is a {type_name(value)}, expected a tensor")
    if dtype is not None:
        check(value.dtype == dtype, f"{what} has dtype {str(value.dtype).replace('torch.', '')}"
              f", expected {str(dtype).replace('torch.', '')}")
    if shape is not None:
        check(list(value.shape) == list(shape),
              f"{what} has shape {list(value.shape)}, expected {list(shape)}")
    return value


def first_difference(actual: torch.Tensor, expected: torch.Tensor,
                     close: bool = False) -> tuple[tuple[int, ...], Any, Any] | None:
    """The first position where two same-shaped tensors differ, with both values."""
    if close:
        different = ~torch.isclose(actual.double(), expected.double(), atol=ATOL, rtol=RTOL)
        different |= torch.isnan(actual.double()) != torch.isnan(expected.double())
    else:
        different = actual != expected
    if not bool(different.any()):
        return None
    position = tuple(int(i) for i in different.nonzero()[0])
    return position, actual[position].item(), expected[position].item()


def expect_equal(actual: Any, expected: torch.Tensor, what: str, hint: str = "",
                 close: bool = False) -> None:
    """Fail unless ``actual`` is a tensor equal (or close) to ``expected``."""
    tensor = expect_tensor(actual, what, shape=list(expected.shape))
    if close:
        check(tensor.is_floating_point(), f"{what} has dtype "
              f"{str(tensor.dtype).replace('torch.', '')}, expected floating point values")
    difference = first_difference(tensor, expected.to(tensor.dtype) if not close else expected,
                                  close=close)
    if difference is not None:
        position, found, wanted = difference
        where = ", ".join(str(i) for i in position)
        value_text = (f"found {found:.6g}, expected {wanted:.6g}" if close
                      else f"found {found!r}, expected {wanted!r}")
        fail(f"{what} differs from the expected values at position ({where}): {value_text}"
             + (f" ({hint})" if hint else ""))


def reference_describe(exc: BaseException) -> dict[str, Any]:
    raise InternalError(f"the reference failed: {type(exc).__name__}: {exc}") from exc


# ---------------------------------------------------------------------------- modules
# The module tests (TODOs 2, 4, 5) judge only values: the outputs and gradients the
# child returns for inputs, weights and layers the grader chose, compared with the
# reference run here on the same; the parameters' names and shapes the child returns
# are confirmed by loading the grader's values into them and comparing outputs.


def reference_module_run(model_class: type, plan: Mapping[str, Any]) -> dict[str, Any]:
    """:func:`module_harness.run_module` with a reference class (failures are grader bugs)."""
    return module_harness.run_module(model_class, plan, reference_describe)


def random_state(model_class: type, ctor: Mapping[str, Any], seed: int,
                 scale: float = 0.5) -> dict[str, torch.Tensor]:
    """A reference module's state dict with every parameter drawn at random (biases
    included), so that a forgotten bias or a swapped weight shows in the outputs."""
    generator = torch.Generator().manual_seed(seed)
    model = model_class(**ctor)
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.copy_(torch.randn(parameter.shape, generator=generator) * scale)
    return {name: tensor.detach().clone() for name, tensor in model.state_dict().items()}


def random_tensor(shape: Sequence[int], seed: int) -> torch.Tensor:
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed))


def constructed(report: Mapping[str, Any], what: str) -> None:
    ok(report["constructed"], f"{what} construction")


def module_runs(report: Mapping[str, Any], what: str) -> list[dict[str, Any]]:
    """The per-input results of a module call (a failed load is a constructor problem,
    reported by :func:`check_structure`)."""
    if "load" in report and "error" in report["load"]:
        fail(f"the grader's values could not be loaded into {what}: "
             f"{describe_error(report['load']['error'])}")
    return [ok(run, f"{what}") for run in report.get("runs", [])]


def shapes(state: Mapping[str, Any]) -> dict[str, list[int]]:
    return {str(name): list(value.shape) if isinstance(value, torch.Tensor) else [-1]
            for name, value in state.items()}


def compare_names_and_shapes(found: Mapping[str, list[int]], expected: Mapping[str, list[int]],
                             what: str, hint: str = "") -> None:
    """The parameters (and buffers) a module has, in the student's terms."""
    suffix = f" ({hint})" if hint else ""
    listing = ", ".join(found) or "none"
    for name in expected:
        if name not in found:
            fail(f"{what} has no parameter {name} (parameters found: {listing}){suffix}")
    for name in found:
        if name not in expected:
            fail(f"{what} has a parameter {name} the reference does not have{suffix}")
    for name, shape in expected.items():
        if found[name] != shape:
            fail(f"{what}: {name} has shape {found[name]}, expected {shape}{suffix}")


def check_structure(report: Mapping[str, Any], reference: Mapping[str, Any], what: str,
                    hint: str = "", verify_outputs: bool = True) -> None:
    """The module built by the student's ``__init__`` has the reference's parameters, the
    grader's values load into them, and its layers then compute the reference's outputs
    (so the names and shapes the child reported are confirmed by values)."""
    constructed(report, what)
    state = ok(report["state"], f"listing the parameters of {what}")
    check(isinstance(state, Mapping), f"the parameters of {what} could not be read")
    expected = ok(reference["state"], "reference")
    compare_names_and_shapes(shapes(state), shapes(expected), what, hint)
    runs = module_runs(report, what)
    wanted = module_runs(reference, "reference")
    if not verify_outputs:
        return
    for run, expected_run in zip(runs, wanted, strict=True):
        found = expect_tensor(run["out"], f"{what}: the output of its layers",
                              shape=list(expected_run["out"].shape))
        if first_difference(found, expected_run["out"], close=True) is not None:
            fail(f"{what}: with the grader's values loaded into its parameters, its layers "
                 "do not compute what separate nn.Linear layers with those values compute "
                 "(is one layer shared between layers, or not an nn.Linear?)")


def reported_state(report: Mapping[str, Any], reference: Mapping[str, Any],
                   what: str) -> Mapping[str, Any]:
    """The parameters the child reported for ``what``, for tests that judge them by name.

    The report is the child's word, so it counts only where values do not contradict it:
    when the reported names and shapes are the reference's, the grader's values were loaded
    into them and the layers composed by the TODO's formula; if that composition does not
    give the reference's outputs, the report does not describe the module (a layer hidden
    from it, a layer shared), and the test fails here. When the names or shapes differ, no
    composition was possible and :func:`check_structure` judges them in its own test.
    """
    constructed(report, what)
    state = ok(report["state"], f"listing the parameters of {what}")
    check(isinstance(state, Mapping), f"the parameters of {what} could not be read")
    expected = ok(reference["state"], "reference")
    if shapes(state) != shapes(expected) or "runs" not in report:
        return state
    wanted = module_runs(reference, "reference")
    for run, expected_run in zip(module_runs(report, what), wanted, strict=True):
        found = run.get("out")
        if (not isinstance(found, torch.Tensor) or list(found.shape) != list(
                expected_run["out"].shape)
                or first_difference(found, expected_run["out"], close=True) is not None):
            fail(f"{what}: the parameters it lists are not what its layers compute with: with "
                 "the grader's values loaded into them, its layers do not compute what "
                 "separate nn.Linear layers with those values compute")
    return state


def compare_gradients(run: Mapping[str, Any], wanted: Mapping[str, Any], what: str,
                      hint: str) -> None:
    """The outputs of one run equal the reference's, and so does the gradient of every
    parameter after the backward pass of :func:`module_harness.run_module`.

    A forward pass with the right values can still cut the gradient's path (a
    ``detach()``, a copy out of the graph), so the model would not learn.
    """
    expect_tensor(run["out"], f"{what} output", shape=list(wanted["out"].shape))
    if first_difference(run["out"], wanted["out"], close=True) is not None:
        fail(f"{what}: the outputs differ from the expected values, so the gradients do too; "
             "fix the outputs first")
    grads = run.get("grads") or {}
    check(any(grads.get(name) is not None for name in wanted["grads"]),
          f"{what}: no gradient reached any parameter, so nothing is learned; do not compute "
          "the output under torch.no_grad() or detach it")
    for name, expected in wanted["grads"].items():
        if expected is None:
            continue
        found = grads.get(name)
        check(found is not None, f"{what}: no gradient reached parameter {name} ({hint})")
        expect_equal(found, expected, f"{what}: the gradient of parameter {name}", hint,
                     close=True)
