"""Running the layers of TODOs 2, 4 and 5 (``TokenEmbedding``, ``FFNN``, ``RNN``).

Used by the child (with the student's classes) and by the grader (with the
reference classes), so both sides run exactly the same code around the class
under test. Nothing here knows the reference solution, and nothing a run
reports is trusted by the grader: it judges only the returned values (outputs,
gradients, the parameters' names, shapes and values) against values it
computes itself.

A run follows a *plan* (a dict) sent by the grader:

- ``ctor``: the constructor's keyword arguments.
- ``layers``: the grader's own layers for the forward TODOs. The student's
  class is built (when its ``__init__`` raises, an instance with only the
  provided attributes stands in), then ``embedding`` or ``W``, ``U``, ``V``
  and ``f`` are replaced by torch layers built here from the given values
  (:func:`build_layers`), so ``forward`` is judged on correct layers whatever
  ``__init__`` made.
- ``state``: values to load strictly, by name, into the student's own layers
  (the constructor TODOs); ``list_layers``: also report ``layers_in_order``
  (the sub-modules holding parameters, with their classes, in registration
  order); ``init_weights``: call ``init_weights()`` first and
  report the parameters after it.
- ``call``: ``"forward"`` (the student's ``forward``), ``"layers"`` (the
  layers made in ``__init__``, composed here by the formula of the TODO, without
  the student's ``forward``), or ``"embedding"`` (``self.embedding`` called
  directly).
- ``inputs``: ``[{"x": tensor, "h0": tensor or None}, ...]``; ``backward``:
  after each call, backpropagate ``sum(output * w)`` (fixed weights ``w``) and
  return the gradient of every parameter.

The report holds ``constructed``, ``state`` (the module's parameters and
buffers right after construction), ``after_init``, ``load`` and ``runs``
(per input ``{"ok": {"out", "grads"}}`` or ``{"error": ...}``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import torch
from torch import nn

Describe = Callable[[BaseException], dict]

#: The activations of the composed layers (:func:`compose_ffnn`, :func:`compose_rnn`).
ACTIVATIONS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "tanh": torch.tanh, "relu": torch.relu}


def outcome(action: Callable[[], Any], describe: Describe) -> dict:
    """``{"ok": result}`` or ``{"error": description}`` of one call into student code."""
    try:
        return {"ok": action()}
    except BaseException as exc:  # noqa: BLE001 (student code may raise anything, SystemExit too)
        return {"error": describe(exc)}


# ---------------------------------------------------------------------------- the grader's layers
def linear(spec: Mapping[str, Any]) -> nn.Linear:
    """``nn.Linear`` with ``spec["weight"]`` FloatTensor[out, in] and ``spec["bias"]``
    FloatTensor[out] (or None: no bias)."""
    weight, bias = spec["weight"], spec.get("bias")
    layer = nn.Linear(int(weight.shape[1]), int(weight.shape[0]), bias=bias is not None)
    with torch.no_grad():
        layer.weight.copy_(weight)
        if bias is not None:
            layer.bias.copy_(bias)
    return layer


def activation(spec: Mapping[str, Any]) -> nn.Module:
    """``{"type": "relu" | "tanh"}`` or ``{"type": "prelu", "weight": FloatTensor[1]}``."""
    kind = str(spec["type"])
    if kind == "relu":
        return nn.ReLU()
    if kind == "tanh":
        return nn.Tanh()
    if kind == "prelu":
        layer = nn.PReLU()
        with torch.no_grad():
            layer.weight.copy_(spec["weight"])
        return layer
    raise ValueError(f"unknown activation {kind!r}")


def build_layers(spec: Mapping[str, Any]) -> nn.ModuleDict:
    """The grader's layers: ``embedding`` (``{"weight": FloatTensor[V, D],
    "padding_idx": int}``), ``W``/``V`` (one linear spec, or ``W`` a list for the
    RNN), ``U`` (a list of linear specs) and ``f`` (a list of activation specs)."""
    layers = nn.ModuleDict()
    if "embedding" in spec:
        table = spec["embedding"]
        layers["embedding"] = nn.Embedding.from_pretrained(
            table["weight"].detach().clone(), freeze=False, padding_idx=int(table["padding_idx"]))
    for name in ("W", "U", "V"):
        if name not in spec:
            continue
        value = spec[name]
        if isinstance(value, (list, tuple)):
            layers[name] = nn.ModuleList([linear(item) for item in value])
        else:
            layers[name] = linear(value)
    if "f" in spec:
        layers["f"] = nn.ModuleList([activation(item) for item in spec["f"]])
    return layers


def stand_in(model_class: type, ctor: Mapping[str, Any]) -> nn.Module:
    """An instance of ``model_class`` without its ``__init__``: a bare torch module with
    the provided attributes (one per constructor argument)."""
    model = model_class.__new__(model_class)
    nn.Module.__init__(model)
    for name, value in ctor.items():
        setattr(model, name, value)
    return model


# ------------------------------------------------------------------ the constructors' layers
def attribute_names(model: nn.Module) -> list[str]:
    """The attributes a module has (plain ones and registered sub-modules)."""
    names = [name for name in vars(model) if not name.startswith("_") and name != "training"]
    return sorted(set(names) | set(getattr(model, "_modules", {})))


def layer(model: nn.Module, name: str) -> Any:
    """``model.<name>``, or an error that names the attributes the module does have."""
    if name not in attribute_names(model):
        raise AttributeError(f"{type(model).__name__} has no attribute {name!r} (its "
                             f"attributes: {', '.join(attribute_names(model)) or 'none'})")
    return getattr(model, name)


def compose_ffnn(model: nn.Module, x: torch.Tensor, nonlinearity: str = "relu") -> torch.Tensor:
    """``V(f(U[-1](... f(W x))))`` with the module's own W, U and V: [B, L, D] -> [B, L, O]."""
    act = ACTIVATIONS[nonlinearity]
    hidden = act(layer(model, "W")(x))
    for item in layer(model, "U"):
        hidden = act(item(hidden))
    return layer(model, "V")(hidden)


def compose_rnn(model: nn.Module, x: torch.Tensor, nonlinearity: str = "tanh") -> torch.Tensor:
    """``z[k, t] = f(W_k z[k-1, t] + U_k z[k, t-1])`` from zero states, logits ``V z[K, t]``,
    with the module's own W, U and V: [B, L, D] -> [B, L, O]."""
    act = ACTIVATIONS[nonlinearity]
    below = x
    w_layers, u_layers = list(layer(model, "W")), list(layer(model, "U"))
    for w_k, u_k in zip(w_layers, u_layers):
        hidden = x.new_zeros(x.shape[0], u_k.weight.shape[1])
        states = []
        for t in range(x.shape[1]):
            hidden = act(w_k(below[:, t]) + u_k(hidden))
            states.append(hidden)
        below = torch.stack(states, dim=1)
    return layer(model, "V")(below)


COMPOSITIONS = {"ffnn": compose_ffnn, "rnn": compose_rnn}


def layers_in_order(model: nn.Module) -> list[list[str]]:
    """``[path, class name]`` of every sub-module that holds parameters itself, in
    registration order (the order ``named_modules`` walks; a shared module once)."""
    return [[name, type(module).__name__] for name, module in model.named_modules()
            if any(True for _ in module.parameters(recurse=False))]


def state_of(model: nn.Module) -> dict[str, torch.Tensor]:
    return {name: tensor.detach().clone() for name, tensor in model.state_dict().items()}


# ---------------------------------------------------------------------------- runs
def run_module(model_class: type, plan: Mapping[str, Any], describe: Describe) -> dict[str, Any]:
    """Build ``model_class(**plan["ctor"])`` and run it as ``plan`` says (module docstring)."""
    ctor = dict(plan.get("ctor") or {})
    torch.manual_seed(int(plan.get("seed", 0)))
    built = outcome(lambda: model_class(**ctor), describe)
    report: dict[str, Any] = {"constructed": {"ok": True} if "ok" in built else built}
    grader_layers = None
    if plan.get("layers") is not None:
        model = built["ok"] if "ok" in built else stand_in(model_class, ctor)
        grader_layers = build_layers(plan["layers"])
        for name, module in grader_layers.items():
            setattr(model, name, module)
    elif "error" in built:
        return report
    else:
        model = built["ok"]
        report["state"] = outcome(lambda: state_of(model), describe)
        if plan.get("list_layers"):
            report["layers_in_order"] = outcome(lambda: layers_in_order(model), describe)
    if plan.get("init_weights"):
        report["init"] = outcome(lambda: _call_none(model.init_weights), describe)
        report["after_init"] = outcome(lambda: state_of(model), describe)
    if plan.get("state") is not None:
        report["load"] = outcome(
            lambda: _call_none(model.load_state_dict, dict(plan["state"]), strict=True), describe)
        if "error" in report["load"]:
            return report
    parameters = grader_layers if grader_layers is not None else model
    report["runs"] = [outcome(lambda item=item: _run(model, parameters, plan, item), describe)
                      for item in plan.get("inputs", [])]
    return report


def _call_none(function: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
    """Call ``function`` and drop its result (only success or failure is reported)."""
    function(*args, **kwargs)


def _run(model: nn.Module, parameters: nn.Module, plan: Mapping[str, Any],
         item: Mapping[str, Any]) -> dict[str, Any]:
    """One call of the plan on ``item``; the gradients are those of ``parameters``."""
    model.zero_grad(set_to_none=True)
    parameters.zero_grad(set_to_none=True)
    call = str(plan.get("call", "forward"))
    if call == "embedding":
        output = layer(model, "embedding")(item["x"])
    elif call == "layers":
        nonlinearity = str(plan.get("ctor", {}).get("nonlinearity",
                                                     "relu" if plan["kind"] == "ffnn" else "tanh"))
        output = COMPOSITIONS[str(plan["kind"])](model, item["x"], nonlinearity)
    else:
        args = [item["x"]]
        if item.get("h0") is not None:
            args.append(item["h0"])
        output = model(*args)
    result: dict[str, Any] = {"out": output}
    if plan.get("backward"):
        if not isinstance(output, torch.Tensor):
            raise TypeError(f"the call returned a {type(output).__name__}, not a tensor")
        # An output cut off from the parameters (computed under torch.no_grad(), or
        # detached) gets no backward pass: no gradient reaches any parameter.
        if output.requires_grad:
            weights = torch.linspace(0.5, 1.5, output.numel()).reshape(output.shape)
            (output * weights.to(output.dtype)).sum().backward()
        grads = {}
        for name, parameter in parameters.named_parameters():
            grad = parameter.grad
            if grad is not None and grad.is_sparse:
                raise TypeError(f"the gradient of {name} is sparse (nn.Embedding(sparse=True)); "
                                "the kit's optimizers need dense gradients")
            grads[name] = None if grad is None else grad.detach().clone()
        result["grads"] = grads
    return result


def layer_spec(state: Mapping[str, torch.Tensor], kind: str, activations: Sequence[Any] = (),
               padding_idx: int | None = None) -> dict[str, Any]:
    """The ``layers`` of a plan from a state dict with the TODO's names (``W.weight``,
    ``U.0.bias``, ``embedding.weight``...): what :func:`build_layers` reads.

    ``activations``: per layer ``"relu"``, ``"tanh"`` or a PReLU slope (a float).
    """
    if kind == "embedding":
        return {"embedding": {"weight": state["embedding.weight"], "padding_idx": padding_idx}}

    def one(prefix: str) -> dict[str, Any]:
        return {"weight": state[f"{prefix}.weight"], "bias": state.get(f"{prefix}.bias")}

    def many(name: str) -> list[dict[str, Any]]:
        count = len({key.split(".")[1] for key in state if key.startswith(f"{name}.")})
        return [one(f"{name}.{k}") for k in range(count)]

    spec: dict[str, Any] = {"W": many("W") if kind == "rnn" else one("W"), "U": many("U"),
                            "V": one("V")}
    spec["f"] = [{"type": "prelu", "weight": torch.tensor([float(item)])}
                 if isinstance(item, (int, float)) else {"type": str(item)}
                 for item in activations]
    return spec
