"""Reading corpus files as UTF-8 text, with located errors and a progress bar.

Corpus files must be UTF-8 (a leading byte-order mark is allowed). A byte
sequence that is not UTF-8 stops the build with the file, the line and the
offending byte, rather than a ``UnicodeDecodeError`` traceback.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from tqdm import tqdm

from ner_helpers.errors import located

BYTE_ORDER_MARK = "\ufeff"


def _encoding_problem(raw: bytes, start: int) -> str:
    return (
        f"not valid UTF-8 (byte 0x{raw[start]:02x} at column {start + 1}); save the file as UTF-8"
    )


def iter_lines(path: Path, progress_min_bytes: int | None = None) -> Iterator[tuple[int, str]]:
    """Yield ``(line_number, text)`` for each line of ``path``, without the line ending.

    Line numbers start at 1. A progress bar (on a terminal only) is shown when
    ``progress_min_bytes`` is set and the file is at least that large.
    """
    size = path.stat().st_size
    show = progress_min_bytes is not None and size >= progress_min_bytes
    with (
        path.open("rb") as handle,
        tqdm(
            total=size,
            unit="B",
            unit_scale=True,
            desc=f"reading {path.name}",
            disable=None if show else True,
            leave=False,
        ) as bar,
    ):
        for number, raw in enumerate(handle, start=1):
            bar.update(len(raw))
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise located(path, number, _encoding_problem(raw, exc.start)) from None
            if number == 1:
                text = text.removeprefix(BYTE_ORDER_MARK)
            yield number, text.rstrip("\r\n")


def read_text(path: Path) -> str:
    """The whole of ``path`` as text, with a located error for bytes that are not UTF-8."""
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line_start = raw.rfind(b"\n", 0, exc.start) + 1
        line = raw.count(b"\n", 0, exc.start) + 1
        problem = _encoding_problem(raw[line_start:], exc.start - line_start)
        raise located(path, line, problem) from None
    return text.removeprefix(BYTE_ORDER_MARK)
