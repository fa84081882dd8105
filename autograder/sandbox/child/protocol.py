"""The wire format between the grader and the child that runs student code.

Messages are JSON documents, each sent as one frame: an 8-byte big-endian
length followed by that many bytes of UTF-8 JSON. They travel over a pair of
dedicated pipes, never over stdout or stderr, so whatever student code prints
cannot corrupt them. Nothing is ever pickled in either direction.

Values that JSON cannot hold are tagged:

- a tensor becomes ``{"__tensor__": {"dtype": "float32", "shape": [2, 3],
  "data": "<base64 of the raw little-endian bytes>"}}``;
- an object of any other type becomes ``{"__object__": "<type name>"}``
  (the receiver learns what came back without running anything);
- a mapping with keys other than strings becomes ``{"__object__": "dict"}``.

This module is used on both sides; the child copy imports only the standard
library, numpy and torch.
"""

from __future__ import annotations

import base64
import json
import math
import os
import struct
from typing import Any

HEADER = struct.Struct(">Q")
TENSOR_KEY = "__tensor__"
OBJECT_KEY = "__object__"
MAX_DEPTH = 32
#: A whole frame: the value plus its envelope (``{"id": .., "ok": value}``, error items).
FRAME_DEPTH = MAX_DEPTH + 4
#: Bounds on the tensors of one frame, checked before anything is allocated: the
#: dimensions of one tensor, the elements of one dimension, and the elements of all
#: tensors of a frame together (an empty tensor of shape [0, 2**62] counts its
#: non-zero dimensions, so it cannot pass for small).
MAX_DIMS = 8
MAX_ELEMENTS = 1 << 28
#: The longest type name an ``__object__`` item may carry.
MAX_TYPE_NAME = 200

#: dtypes sent as their own bytes; any other dtype is sent as float64 and
#: rebuilt with its original dtype by the receiver when torch knows it.
NUMPY_DTYPES = ("float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8",
                "bool")


class ProtocolError(Exception):
    """A frame or a value that does not follow the wire format."""


# ---------------------------------------------------------------------------- frames
def encode_frame(message: Any) -> bytes:
    body = json.dumps(message, sort_keys=True, separators=(",", ":"), allow_nan=True)
    data = body.encode("utf-8")
    return HEADER.pack(len(data)) + data


def decode_body(data: bytes) -> Any:
    """The JSON document of a frame body; anything else (not UTF-8, not JSON, nested
    past the interpreter's recursion limit) raises :class:`ProtocolError`."""
    try:
        message = json.loads(data.decode("utf-8"))
    except RecursionError:
        raise ProtocolError("a frame is nested too deeply") from None
    except (UnicodeDecodeError, ValueError) as exc:
        raise ProtocolError(f"a frame is not valid JSON ({str(exc)[:200]})") from None
    check_depth(message, FRAME_DEPTH)
    return message


def check_depth(value: Any, limit: int) -> None:
    """Raise :class:`ProtocolError` when ``value`` nests lists and mappings deeper than
    ``limit`` (walked without recursion, so that later code may recurse safely)."""
    stack = [(value, 0)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, (list, dict)):
            if depth >= limit:
                raise ProtocolError("a frame is nested too deeply")
            stack.extend((child, depth + 1)
                         for child in (node.values() if isinstance(node, dict) else node))


def write_all(fd: int, data: bytes) -> None:
    """Blocking write of all of ``data`` (the child's side of the pipe)."""
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def read_exact(fd: int, size: int) -> bytes | None:
    """Blocking read of exactly ``size`` bytes; ``None`` at end of file."""
    chunks = []
    remaining = size
    while remaining:
        chunk = os.read(fd, min(remaining, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def read_frame(fd: int, max_bytes: int) -> Any:
    """Blocking read of one frame; ``None`` at end of file."""
    header = read_exact(fd, HEADER.size)
    if header is None:
        return None
    (size,) = HEADER.unpack(header)
    if size > max_bytes:
        raise ProtocolError(f"a frame of {size} bytes is larger than the limit of {max_bytes}")
    body = read_exact(fd, size)
    if body is None:
        return None
    return decode_body(body)


# ---------------------------------------------------------------------------- values
def to_wire(value: Any, depth: int = 0) -> Any:
    """Turn a result into JSON-ready data (tensors tagged, unknown objects named)."""
    import torch  # local: the launcher imports this module before torch

    if depth > MAX_DEPTH:
        return {OBJECT_KEY: "nested too deeply"}
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return value if abs(value) < 2**63 else {OBJECT_KEY: "int (too large)"}
    if isinstance(value, float):
        return value
    if isinstance(value, torch.Tensor):
        return encode_tensor(value)
    if isinstance(value, (list, tuple)):
        return [to_wire(item, depth + 1) for item in value]
    if isinstance(value, dict):
        if not all(isinstance(key, str) for key in value):
            return {OBJECT_KEY: "dict"}
        if TENSOR_KEY in value or OBJECT_KEY in value:
            return {OBJECT_KEY: "dict"}
        return {key: to_wire(item, depth + 1) for key, item in value.items()}
    return {OBJECT_KEY: type(value).__name__}


def encode_tensor(tensor: Any) -> dict[str, Any]:
    import torch

    tensor = torch.Tensor.detach(tensor).cpu()
    if type(tensor) is not torch.Tensor:  # a subclass: keep only the data
        tensor = tensor.as_subclass(torch.Tensor)
    dtype = str(tensor.dtype).replace("torch.", "")
    sent = tensor if dtype in NUMPY_DTYPES else tensor.to(torch.float64)
    array = sent.contiguous().numpy()
    return {TENSOR_KEY: {"dtype": dtype, "shape": list(array.shape),
                         "data": base64.b64encode(array.tobytes()).decode("ascii")}}


class ElementBudget:
    """The tensor elements a frame may still hold (see :data:`MAX_ELEMENTS`)."""

    def __init__(self, elements: int = MAX_ELEMENTS) -> None:
        self.left = elements

    def spend(self, elements: int) -> None:
        self.left -= elements
        if self.left < 0:
            raise ProtocolError(f"a frame holds tensors of more than {MAX_ELEMENTS} elements "
                                "in all")


def from_wire(value: Any, depth: int = 0, budget: ElementBudget | None = None) -> Any:
    """Rebuild tensors in received data; everything else stays plain JSON data.

    Raises:
        ProtocolError: nested deeper than :data:`MAX_DEPTH`, or a tensor description
            that is malformed or past the bounds (checked before any allocation).
    """
    budget = budget if budget is not None else ElementBudget()
    if depth > MAX_DEPTH:
        raise ProtocolError("a value is nested too deeply")
    if isinstance(value, list):
        return [from_wire(item, depth + 1, budget) for item in value]
    if isinstance(value, dict):
        if TENSOR_KEY in value:
            return decode_tensor(value[TENSOR_KEY], budget)
        if OBJECT_KEY in value:
            name = value[OBJECT_KEY]
            if not isinstance(name, str):
                raise ProtocolError("an object item does not name a type")
            return ForeignObject(name[:MAX_TYPE_NAME])
        return {key: from_wire(item, depth + 1, budget) for key, item in value.items()}
    return value


class ForeignObject:
    """Stands for an object the child could not send (only its type name came back)."""

    def __init__(self, type_name: str) -> None:
        self.type_name = type_name

    def __repr__(self) -> str:
        return f"<{self.type_name} object>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ForeignObject) and other.type_name == self.type_name

    def __hash__(self) -> int:
        return hash(self.type_name)


def _torch_dtype(name: str) -> Any:
    import torch

    target = getattr(torch, name, None) if name.isidentifier() else None
    return target if isinstance(target, torch.dtype) else None


def decode_tensor(spec: Any, budget: ElementBudget | None = None) -> Any:
    """A tensor from its description; its dtype, shape, element count and data length
    are checked before anything is decoded or allocated."""
    import numpy as np
    import torch

    if not isinstance(spec, dict):
        raise ProtocolError("a tensor description is not a mapping")
    dtype, shape, data = spec.get("dtype"), spec.get("shape"), spec.get("data")
    if not isinstance(dtype, str) or not isinstance(data, str) or not isinstance(shape, list):
        raise ProtocolError("a tensor description lacks dtype, shape or data")
    if dtype not in NUMPY_DTYPES and _torch_dtype(dtype) is None:
        raise ProtocolError(f"a tensor has the unknown dtype {dtype[:40]!r}")
    if len(shape) > MAX_DIMS:
        raise ProtocolError(f"a tensor has {len(shape)} dimensions, more than {MAX_DIMS}")
    if not all(type(n) is int and 0 <= n <= MAX_ELEMENTS for n in shape):
        raise ProtocolError(f"a tensor has an invalid shape {str(shape)[:80]}")
    count = math.prod(shape)
    (budget or ElementBudget()).spend(max(count, math.prod(n for n in shape if n)))
    sent_dtype = dtype if dtype in NUMPY_DTYPES else "float64"
    item_size = np.dtype(sent_dtype).itemsize
    if len(data) % 4:
        raise ProtocolError("a tensor's data is not base64")
    size = len(data) // 4 * 3 - data[-2:].count("=")
    if size != count * item_size:
        raise ProtocolError(f"a tensor of shape {shape} and dtype {dtype} has {size} bytes")
    try:
        raw = base64.b64decode(data.encode("ascii"), validate=True)
    except (ValueError, UnicodeEncodeError):
        raise ProtocolError("a tensor's data is not base64") from None
    if count * item_size != len(raw):
        raise ProtocolError(f"a tensor of shape {shape} and dtype {dtype} has {len(raw)} bytes")
    array = np.frombuffer(raw, dtype=sent_dtype).reshape(shape).copy()
    tensor = torch.from_numpy(array)
    if sent_dtype != dtype:
        try:
            tensor = tensor.to(_torch_dtype(dtype))
        except (RuntimeError, TypeError):
            raise ProtocolError(f"a tensor cannot be made of dtype {dtype[:40]!r}") from None
    return tensor
