"""Choosing where tensors live."""

from __future__ import annotations

import torch

from ner_helpers.errors import KitError


def resolve_device(name: str | torch.device = "auto") -> torch.device:
    """``"auto"`` picks CUDA when a GPU is present, else the CPU; other names are
    checked so that asking for a missing GPU fails with a clear message."""
    if isinstance(name, torch.device):
        return name
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(name)
    except RuntimeError:
        raise KitError(f"unknown device {name!r}; use auto, cpu, cuda or cuda:N") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise KitError(f"device {name!r} asked for, but no CUDA GPU is available here")
    return device
