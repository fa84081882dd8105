"""The base class of the kit's layers: weight initialisation, a parameter
table, and forward hooks that record activations for plots.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager

import torch
from torch import nn


class Module(nn.Module):
    """``torch.nn.Module`` with the kit's conveniences."""

    def init_weights(self) -> None:
        """Xavier-normal weights for every linear and embedding layer, zero biases,
        and a zero row for the embedding's padding index.

        The layers are drawn in the order of their names, not the order ``__init__``
        created them: a model that creates the same layers in another order starts from
        the same weights (and so trains to the same scores) under the same seed.
        """
        for _, module in sorted(self.named_modules(), key=lambda item: item[0]):
            if isinstance(module, nn.Linear):
                nn.init.xavier_normal_(module.weight)
                if module.bias is not None:
                    nn.init.zeros_(module.bias)
            elif isinstance(module, nn.Embedding):
                nn.init.xavier_normal_(module.weight)
                if module.padding_idx is not None:
                    with torch.no_grad():
                        module.weight[module.padding_idx].zero_()

    def num_parameters(self, trainable_only: bool = True) -> int:
        """Number of scalar parameters."""
        return sum(p.numel() for p in self.parameters() if p.requires_grad or not trainable_only)

    def parameter_table(self) -> str:
        """A table of every parameter's name, shape and size, with the total."""
        rows = [(name, "x".join(map(str, p.shape)) or "scalar", p.numel())
                for name, p in self.named_parameters()]
        name_width = max([len("parameter"), *(len(r[0]) for r in rows)])
        shape_width = max([len("shape"), *(len(r[1]) for r in rows)])
        lines = [f"{'parameter':<{name_width}}  {'shape':<{shape_width}}  {'count':>10}"]
        lines += [f"{n:<{name_width}}  {s:<{shape_width}}  {c:>10,}" for n, s, c in rows]
        lines.append(f"{'total':<{name_width}}  {'':<{shape_width}}  {self.num_parameters():>10,}")
        return "\n".join(lines)

    @contextmanager
    def record_activations(self, module_names: Iterable[str]) -> Iterator[ActivationRecord]:
        """Record the outputs of the named sub-modules while the block runs.

        >>> with model.record_activations(["model.f.0"]) as record:
        ...     model(input_ids)
        >>> record["model.f.0"].shape  # [B, L, H]
        """
        modules = dict(self.named_modules())
        record = ActivationRecord()
        handles = [self.register_forward_pre_hook(record.positions_hook)]
        for name in module_names:
            if name not in modules:
                raise KeyError(f"no sub-module named {name!r}; try one of {sorted(modules)[:20]}")
            handles.append(modules[name].register_forward_hook(record.hook(name)))
        try:
            yield record
        finally:
            for handle in handles:
                handle.remove()


class NotRecorded(KeyError):
    """No output of a module was recorded: the forward pass never called it.

    In Jupyter it shows as one line (what was not recorded and why), not as a
    traceback through this package: the cause is in the model's ``forward``.
    """

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""

    def _render_traceback_(self) -> list[str]:
        """Called by IPython instead of printing the full traceback."""
        return [f"{type(self).__name__}: {self}"]


class ActivationRecord:
    """Outputs captured by forward hooks, one entry per module name, each as
    ``[B, L, H]`` (one vector per token), whatever layout the forward pass used.

    The batch's ``[B, L]`` is read from the first input of the recording module
    (input ids ``[B, L]`` or embeddings ``[B, L, D]``). A module called once per
    forward pass gives ``[B, L, H]``, or ``[B * L, H]`` when the forward flattens
    the tokens, which is reshaped back; a module called once per time step (an
    RNN nonlinearity) gives ``[B, H]`` per call, and the calls are stacked along
    time.
    """

    def __init__(self) -> None:
        self._outputs: dict[str, list[torch.Tensor]] = {}
        self.positions: tuple[int, int] | None = None

    def positions_hook(self, _module: nn.Module, inputs: tuple) -> None:
        """Forward pre-hook of the recording module: remember the batch's ``[B, L]``."""
        if inputs and isinstance(inputs[0], torch.Tensor) and inputs[0].dim() >= 2:
            self.positions = (int(inputs[0].shape[0]), int(inputs[0].shape[1]))

    def hook(self, name: str):
        def save(_module: nn.Module, _inputs: tuple, output: torch.Tensor) -> None:
            self._outputs.setdefault(name, []).append(output.detach().cpu())
        return save

    def __contains__(self, name: str) -> bool:
        return name in self._outputs

    def __getitem__(self, name: str) -> torch.Tensor:
        if name not in self._outputs:
            raise NotRecorded(f"no activations of {name} were recorded: the model's forward "
                              f"pass never called {name} (look at its forward method)")
        outputs = self._outputs[name]
        if len(outputs) == 1:
            value = outputs[0]
        elif outputs[0].dim() == 2:
            value = torch.stack(outputs, dim=1)
        else:
            value = torch.cat(outputs, dim=1)
        if self.positions is not None and tuple(value.shape[:2]) != self.positions:
            batch_size, seq_len = self.positions
            if value.numel() % max(1, batch_size * seq_len) == 0 and value.numel():
                value = value.reshape(batch_size, seq_len, -1)
        return value

    def keys(self) -> list[str]:
        return list(self._outputs)
