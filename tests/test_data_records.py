"""The kit's JSON split format: round trips, one row per line, located errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ner_helpers.data import load_hidden_labels, load_split, save_hidden_labels, save_split
from ner_helpers.data.records import parse_json_rows
from ner_helpers.errors import KitError

ROWS = [
    {"text": ["Mira", "Osei", "spoke"], "NER": ["B-PER", "I-PER", "O"], "index": [0, 1, 2]},
    {"text": ["in", "Lima", "."], "NER": ["O", "B-LOC", "O"], "index": [3, 4, 5]},
]


def test_save_and_load_round_trip_one_row_per_line(tmp_path: Path) -> None:
    path = save_split(ROWS, tmp_path / "train.json")
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "[" and lines[-1] == "]"
    assert len(lines) == len(ROWS) + 2
    assert json.loads(lines[1].rstrip(",")) == ROWS[0]
    assert load_split(path) == ROWS
    assert json.loads(path.read_text(encoding="utf-8")) == ROWS


def test_unlabelled_rows_load(tmp_path: Path) -> None:
    rows = [{"text": r["text"], "index": r["index"]} for r in ROWS]
    path = save_split(rows, tmp_path / "test.json")
    assert load_split(path) == rows
    with pytest.raises(KitError, match="missing key 'NER'"):
        load_split(path, require_labels=True)


def test_hidden_labels_round_trip(tmp_path: Path) -> None:
    rows = [{"index": r["index"], "NER": r["NER"]} for r in ROWS]
    path = save_hidden_labels(rows, tmp_path / "hidden" / "test_labels.json")
    assert load_hidden_labels(path) == rows


def test_save_split_refuses_bad_rows_and_keeps_the_old_file(tmp_path: Path) -> None:
    path = save_split(ROWS, tmp_path / "train.json")
    before = path.read_bytes()
    bad = [dict(ROWS[0], NER=["B-PER", "I-PER"])]
    with pytest.raises(KitError, match="3 tokens but 2 NER tags"):
        save_split(bad, path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["train.json"]


def row_line(row: dict) -> str:
    return json.dumps(row)


@pytest.mark.parametrize(
    ("second_row", "problem"),
    [
        ({"text": ["a", "b"], "NER": ["O"], "index": [3, 4]}, "row 2: 2 tokens but 1 NER tags"),
        ({"text": ["a"], "NER": ["B-DATE"], "index": [3]}, "row 2: unknown tag 'B-DATE'"),
        ({"text": ["a", ""], "NER": ["O", "O"], "index": [3, 4]}, "row 2: token 1 is empty"),
        ({"text": ["a"], "NER": ["O"], "index": [7]}, "row 2: 'index' must continue"),
        ({"text": ["a"], "NER": ["O"]}, "row 2: missing key 'index'"),
        ({"text": ["a"], "index": [3]}, "row 2: earlier rows have 'NER' but this one does not"),
        ({"text": [], "NER": [], "index": []}, "row 2: sentence has no tokens"),
        ({"text": "a b", "NER": ["O"], "index": [3]}, "row 2: 'text' must be a list of strings"),
        ({"index": [3], "NER": ["O"]}, "looks like a hidden labels file"),
    ],
)
def test_load_split_errors_name_file_and_line(
    tmp_path: Path, second_row: dict, problem: str
) -> None:
    path = tmp_path / "val.json"
    path.write_text(f"[\n{row_line(ROWS[0])},\n{row_line(second_row)}\n]\n", encoding="utf-8")
    with pytest.raises(KitError) as caught:
        load_split(path)
    assert str(caught.value).startswith(f"{path}:3: ")
    assert problem in str(caught.value)


@pytest.mark.parametrize(
    ("text", "line", "problem"),
    [
        ("", 1, "file is empty"),
        ("[\n" + json.dumps(ROWS[0]) + ",\n{oops}\n]\n", 3, "not valid JSON"),
        ("[\n" + json.dumps(ROWS[0]) + "\n", 3, "the array is not closed"),
        ("[\n" + json.dumps(ROWS[0]) + "\n] x", 3, "extra text after the array"),
        ("[]", 1, "the split is empty"),
        ("[\n[1, 2]\n]", 2, "row 1: expected an object, found list"),
    ],
)
def test_malformed_json_is_located(tmp_path: Path, text: str, line: int, problem: str) -> None:
    path = tmp_path / "train.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(KitError) as caught:
        load_split(path)
    assert str(caught.value).startswith(f"{path}:{line}: ")
    assert problem in str(caught.value)


def test_bad_encoding_in_json_is_located(tmp_path: Path) -> None:
    path = tmp_path / "train.json"
    path.write_bytes(b'[\n{"text": ["caf\xe9"], "index": [0]}\n]\n')
    with pytest.raises(KitError, match=r":2: not valid UTF-8 \(byte 0xe9"):
        load_split(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(KitError, match="file not found"):
        load_split(tmp_path / "nope.json")


def test_json_lines_and_pretty_printed_arrays_give_row_lines(tmp_path: Path) -> None:
    lines_file = tmp_path / "rows.jsonl"
    lines_file.write_text("\n".join(json.dumps(r) for r in ROWS) + "\n", encoding="utf-8")
    assert [line for line, _ in parse_json_rows(lines_file)] == [1, 2]
    pretty = tmp_path / "pretty.json"
    pretty.write_text(json.dumps(ROWS, indent=2), encoding="utf-8")
    starts = [line for line, _ in parse_json_rows(pretty)]
    assert starts[0] == 2 and starts[1] > starts[0]
    assert load_split(pretty) == ROWS


def test_hidden_labels_errors(tmp_path: Path) -> None:
    path = tmp_path / "labels.json"
    path.write_text('[\n{"index": [0, 1], "NER": ["O", "X"]}\n]\n', encoding="utf-8")
    with pytest.raises(KitError, match=r"labels.json:2: row 1: unknown tag 'X'"):
        load_hidden_labels(path)
