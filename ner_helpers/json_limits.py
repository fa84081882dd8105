"""Reading JSON that someone else wrote, with bounds.

``json.loads`` alone trusts its input: a document nested 100,000 levels deep
ends it with a ``RecursionError``, and a document of a few megabytes can hold
millions of values. :func:`read_json` and :func:`parse_json` bound the size in
bytes, the nesting depth and the number of values, and turn every way a file
can be broken (not UTF-8, not JSON, too deep, too large, a number too long to
convert) into one :class:`JsonLimitError` whose message names the file.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ner_helpers.errors import KitError


class JsonLimitError(KitError):
    """A JSON file that cannot be read within its bounds; the message names the file."""


@dataclass(frozen=True)
class JsonLimits:
    """Bounds on one JSON document.

    Attributes:
        max_bytes: the longest file, in bytes.
        max_depth: the deepest nesting of arrays and objects (a flat array is depth 1).
        max_values: the most values in all (every array, object, string, number, ...).
    """

    max_bytes: int
    max_depth: int
    max_values: int


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not a JSON number")


def check_shape(data: Any, limits: JsonLimits, where: str) -> None:
    """Walk ``data`` without recursion; raise when it is deeper or larger than allowed."""
    stack: list[tuple[Any, int]] = [(data, 0)]
    values = 0
    while stack:
        node, depth = stack.pop()
        values += 1
        if values > limits.max_values:
            raise JsonLimitError(f"{where}: holds more than {limits.max_values} values")
        if isinstance(node, (list, dict)):
            if depth + 1 > limits.max_depth:
                raise JsonLimitError(f"{where}: nested deeper than {limits.max_depth} levels")
            children = node.values() if isinstance(node, dict) else node
            stack.extend((child, depth + 1) for child in children)
        elif isinstance(node, float) and not math.isfinite(node):
            raise JsonLimitError(f"{where}: holds a number that is not finite")


def parse_json(data: bytes | str, limits: JsonLimits, where: str) -> Any:
    """Parse one JSON document within ``limits``.

    Raises:
        JsonLimitError: the text is too long, not UTF-8, not JSON (``NaN`` and
            ``Infinity`` included), nested too deeply or holds too many values.
    """
    size = len(data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data)
    if size > limits.max_bytes:
        raise JsonLimitError(f"{where}: {size} bytes, more than the limit of "
                             f"{limits.max_bytes}")
    try:
        text = data.decode("utf-8") if isinstance(data, bytes) else data
        parsed = json.loads(text, parse_constant=_reject_constant)
    except UnicodeDecodeError as exc:
        raise JsonLimitError(f"{where}: not UTF-8 text ({exc.reason} at byte "
                             f"{exc.start})") from None
    except RecursionError:
        raise JsonLimitError(f"{where}: nested deeper than {limits.max_depth} levels") from None
    except ValueError as exc:  # JSONDecodeError, and integers too long to convert
        raise JsonLimitError(f"{where}: not valid JSON ({str(exc)[:200]})") from None
    check_shape(parsed, limits, where)
    return parsed


def read_json(path: str | Path, limits: JsonLimits, where: str | None = None) -> Any:
    """Read and parse a JSON file within ``limits`` (at most ``max_bytes + 1`` bytes are
    read, so a huge file costs no memory); ``where`` names it in messages (default: the
    path)."""
    path = Path(path)
    name = where or str(path)
    try:
        with open(path, "rb") as handle:
            data = handle.read(limits.max_bytes + 1)
    except OSError as exc:
        raise JsonLimitError(f"{name}: cannot be read ({exc.strerror or exc})") from None
    if len(data) > limits.max_bytes:
        raise JsonLimitError(f"{name}: larger than the limit of {limits.max_bytes} bytes")
    return parse_json(data, limits, name)
