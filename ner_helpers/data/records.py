"""The kit's JSON format for one split, and the hidden test labels.

A split file is a JSON array of rows, written one row per line so that files
diff well::

    [
    {"text": ["Mira", "Osei", "joined", "Talvik"], "NER": ["B-PER", "I-PER", "O", "B-ORG"], ...
    {"text": ["It", "rained", "."], "NER": ["O", "O", "O"], "index": [4, 5, 6]}
    ]

``text`` holds the tokens, ``NER`` their IOB2 tags (absent from the students'
``test.json``), ``index`` the running token indices of the split: the first
token of the split is 0 and the count continues across sentences, so that a
prediction file can be matched to the labels token by token.

The hidden test labels (instructor-only) are rows ``{"index": [...], "NER": [...]}``
in the same order and layout.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from ner_helpers.data.corpus import Sentence, check_tokens
from ner_helpers.data.staging import write_all_or_nothing
from ner_helpers.data.tags import is_known_tag, unknown_tag_problem
from ner_helpers.data.text_files import read_text
from ner_helpers.errors import KitError, located

TEXT_KEY = "text"
LABEL_KEY = "NER"
INDEX_KEY = "index"


# --- reading JSON with line numbers -------------------------------------------------------------


def _skip_space(text: str, position: int) -> int:
    while position < len(text) and text[position] in " \t\r\n":
        position += 1
    return position


def parse_json_rows(path: str | Path) -> list[tuple[int, Any]]:
    """Parse a JSON array (or JSON Lines) file into ``(line, value)`` pairs.

    Each value is one element of the array (one line of a JSON Lines file);
    ``line`` is the 1-based line on which it starts, for error messages.
    """
    path = Path(path)
    if not path.is_file():
        raise located(path, None, "file not found")
    text = read_text(path)
    decoder = json.JSONDecoder()
    rows: list[tuple[int, Any]] = []
    line, counted_to = 1, 0

    def line_at(position: int) -> int:
        nonlocal line, counted_to
        line += text.count("\n", counted_to, position)
        counted_to = position
        return line

    def decode(position: int) -> tuple[Any, int]:
        try:
            return decoder.raw_decode(text, position)
        except json.JSONDecodeError as exc:
            problem = f"not valid JSON: {exc.msg} (column {exc.colno})"
            raise located(path, exc.lineno, problem) from None

    position = _skip_space(text, 0)
    if position == len(text):
        raise located(path, 1, "file is empty: no rows")
    if text[position] == "[":
        position = _skip_space(text, position + 1)
        closed = position < len(text) and text[position] == "]"
        if closed:
            position = _skip_space(text, position + 1)
        while not closed:
            if position == len(text):
                raise located(path, line_at(position), "not valid JSON: the array is not closed")
            start = line_at(position)
            value, position = decode(position)
            rows.append((start, value))
            position = _skip_space(text, position)
            if position < len(text) and text[position] == ",":
                position = _skip_space(text, position + 1)
                continue
            if position < len(text) and text[position] == "]":
                position = _skip_space(text, position + 1)
                closed = True
                continue
            if position == len(text):
                raise located(path, line_at(position), "not valid JSON: the array is not closed")
            raise located(
                path, line_at(position), "not valid JSON: expected ',' or ']' after a row"
            )
        if position != len(text):
            raise located(path, line_at(position), "not valid JSON: extra text after the array")
        return rows
    while position < len(text):
        start = line_at(position)
        value, position = decode(position)
        rows.append((start, value))
        position = _skip_space(text, position)
    return rows


# --- validating rows ------------------------------------------------------------------------------


def _row_problem(path: Path, line: int, number: int, problem: str) -> KitError:
    return located(path, line, f"row {number}: {problem}")


def _check_string_list(value: Any, path: Path, line: int, number: int, key: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise _row_problem(path, line, number, f"{key!r} must be a list of strings")
    return value


def check_labels(tags: Sequence[str], size: int, path: Path, line: int, number: int) -> None:
    """Check a row's tags: as many as tokens, each one of the nine IOB2 tags."""
    if len(tags) != size:
        raise _row_problem(
            path,
            line,
            number,
            f"{size} tokens but {len(tags)} {LABEL_KEY} tags (counts must match)",
        )
    for tag in tags:
        if not is_known_tag(tag):
            raise _row_problem(path, line, number, unknown_tag_problem(tag))


def check_index(
    index: Any, size: int, expected_start: int, path: Path, line: int, number: int
) -> None:
    """Check a row's running token indices: ``expected_start``, ``expected_start + 1``, ..."""
    if not isinstance(index, list) or not all(
        isinstance(item, int) and not isinstance(item, bool) for item in index
    ):
        raise _row_problem(path, line, number, f"{INDEX_KEY!r} must be a list of integers")
    if len(index) != size:
        raise _row_problem(
            path,
            line,
            number,
            f"{size} tokens but {len(index)} {INDEX_KEY} entries (counts must match)",
        )
    expected = list(range(expected_start, expected_start + size))
    if index != expected:
        raise _row_problem(
            path,
            line,
            number,
            f"{INDEX_KEY!r} must continue the running token count: expected "
            f"{expected_start}..{expected_start + size - 1}, found {index[0]}..{index[-1]}",
        )


def _validate_split(
    pairs: Iterable[tuple[int, Any]], path: Path, require_labels: bool
) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    labelled: bool | None = None
    next_index = 0
    for number, (line, row) in enumerate(pairs, start=1):
        if not isinstance(row, Mapping):
            raise _row_problem(
                path, line, number, f"expected an object, found {type(row).__name__}"
            )
        if TEXT_KEY not in row and LABEL_KEY in row:
            raise _row_problem(
                path,
                line,
                number,
                f"missing key {TEXT_KEY!r}: this looks like a hidden labels file "
                "(read it with load_hidden_labels)",
            )
        for key in (TEXT_KEY, INDEX_KEY):
            if key not in row:
                raise _row_problem(path, line, number, f"missing key {key!r}")
        tokens = _check_string_list(row[TEXT_KEY], path, line, number, TEXT_KEY)
        if not tokens:
            raise _row_problem(path, line, number, "sentence has no tokens")
        check_tokens(tokens, str(path), line, f"row {number}")
        has_labels = LABEL_KEY in row
        if require_labels and not has_labels:
            raise _row_problem(path, line, number, f"missing key {LABEL_KEY!r} (labels required)")
        if labelled is not None and has_labels != labelled:
            state = "have" if labelled else "lack"
            raise _row_problem(
                path, line, number, f"earlier rows {state} {LABEL_KEY!r} but this one does not"
            )
        labelled = has_labels
        if has_labels:
            tags = _check_string_list(row[LABEL_KEY], path, line, number, LABEL_KEY)
            check_labels(tags, len(tokens), path, line, number)
        check_index(row[INDEX_KEY], len(tokens), next_index, path, line, number)
        next_index += len(tokens)
        rows.append(dict(row))
    if not rows:
        raise located(path, 1, "no rows: the split is empty")
    return rows


def _validate_hidden(pairs: Iterable[tuple[int, Any]], path: Path) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    next_index = 0
    for number, (line, row) in enumerate(pairs, start=1):
        if not isinstance(row, Mapping):
            raise _row_problem(
                path, line, number, f"expected an object, found {type(row).__name__}"
            )
        for key in (INDEX_KEY, LABEL_KEY):
            if key not in row:
                raise _row_problem(path, line, number, f"missing key {key!r}")
        tags = _check_string_list(row[LABEL_KEY], path, line, number, LABEL_KEY)
        if not tags:
            raise _row_problem(path, line, number, "sentence has no tags")
        check_labels(tags, len(tags), path, line, number)
        check_index(row[INDEX_KEY], len(tags), next_index, path, line, number)
        next_index += len(tags)
        rows.append(dict(row))
    if not rows:
        raise located(path, 1, "no rows: the label file is empty")
    return rows


def _as_written(rows: Iterable[Any]) -> list[tuple[int, Any]]:
    """Pair rows with the line each will have in a file written by :func:`dump_rows`."""
    return [(number + 2, row) for number, row in enumerate(rows)]


def load_split(path: str | Path, *, require_labels: bool = False) -> list[dict[str, Any]]:
    """Load and validate one split file of the kit's format.

    Every row needs ``text`` (non-empty tokens) and ``index`` (the running
    token count); ``NER``, when present, must be on every row, match the
    tokens one to one and use the nine IOB2 tags. ``require_labels`` makes
    ``NER`` mandatory. Problems raise a :class:`KitError` naming file and line.
    """
    path = Path(path)
    return _validate_split(parse_json_rows(path), path, require_labels)


def load_hidden_labels(path: str | Path) -> list[dict[str, Any]]:
    """Load and validate the hidden test labels: rows ``{"index": [...], "NER": [...]}``."""
    path = Path(path)
    return _validate_hidden(parse_json_rows(path), path)


# --- writing rows ---------------------------------------------------------------------------------


def dump_rows(rows: Iterable[Mapping[str, Any]]) -> str:
    """The text of a split file: a JSON array with one row per line."""
    lines = [json.dumps(row, ensure_ascii=False) for row in rows]
    if not lines:
        return "[]\n"
    return "[\n" + ",\n".join(lines) + "\n]\n"


def rows_from_sentences(
    sentences: Iterable[Sentence], *, with_labels: bool
) -> list[dict[str, Any]]:
    """Rows of the kit's format, with running token indices starting at 0."""
    rows: list[dict[str, Any]] = []
    next_index = 0
    for sentence in sentences:
        row: dict[str, Any] = {TEXT_KEY: list(sentence.tokens)}
        if with_labels:
            row[LABEL_KEY] = list(sentence.tags)
        row[INDEX_KEY] = list(range(next_index, next_index + len(sentence.tokens)))
        next_index += len(sentence.tokens)
        rows.append(row)
    return rows


def hidden_label_rows(rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The ``{"index", "NER"}`` part of labelled rows, for the hidden test labels."""
    return [{INDEX_KEY: list(row[INDEX_KEY]), LABEL_KEY: list(row[LABEL_KEY])} for row in rows]


def save_split(rows: Sequence[Mapping[str, Any]], path: str | Path) -> Path:
    """Write rows of the kit's format to ``path`` (one row per line), replacing it atomically.

    The rows are validated as :func:`load_split` would, so a file written here
    always loads.
    """
    path = Path(path)
    _validate_split(_as_written(rows), path, require_labels=False)
    write_all_or_nothing({path: dump_rows(rows)})
    return path


def save_hidden_labels(rows: Sequence[Mapping[str, Any]], path: str | Path) -> Path:
    """Write hidden label rows to ``path`` (one row per line), replacing it atomically."""
    path = Path(path)
    _validate_hidden(_as_written(rows), path)
    write_all_or_nothing({path: dump_rows(rows)})
    return path
