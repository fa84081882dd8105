"""The CoNLL reader: column layouts, -DOCSTART- lines, and located errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from ner_helpers.data.conll_reader import read_conll_file
from ner_helpers.errors import KitError


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_indexed_tab_layout_with_docstarts(tmp_path: Path) -> None:
    path = write(
        tmp_path / "train.conllu",
        "0\t-DOCSTART-\tO\n\n"
        "0\tMira\tB-PER\n1\tOsei\tI-PER\n2\tspoke\tO\n\n"
        "0\t-DOCSTART-\tO\n\n"
        "0\t2024\tO\n1\tParis\tB-LOC\n",
    )
    split = read_conll_file(path, "train")
    assert [s.tokens for s in split.sentences] == [["Mira", "Osei", "spoke"], ["2024", "Paris"]]
    assert [s.tags for s in split.sentences] == [["B-PER", "I-PER", "O"], ["O", "B-LOC"]]
    assert [s.line for s in split.sentences] == [3, 9]
    assert split.docstarts_dropped == 2
    assert split.empty_docstarts == 0


def test_two_column_space_layout(tmp_path: Path) -> None:
    path = write(tmp_path / "a.txt", "Mira B-PER\nsaid O\n\n\n12 O\nmen O\n")
    split = read_conll_file(path, "val")
    assert [s.tokens for s in split.sentences] == [["Mira", "said"], ["12", "men"]]


def test_classic_four_column_layout_takes_first_and_last(tmp_path: Path) -> None:
    path = write(
        tmp_path / "eng.train",
        "-DOCSTART- -X- -X- O\n\nEU NNP B-NP I-ORG\nrejects VBZ B-VP O\n1996 CD I-NP O\n",
    )
    split = read_conll_file(path, "train")
    assert split.sentences[0].tokens == ["EU", "rejects", "1996"]
    assert split.sentences[0].tags == ["I-ORG", "O", "O"]  # repaired later, by the build
    assert split.docstarts_dropped == 1


def test_three_columns_without_integer_index_take_first_column(tmp_path: Path) -> None:
    path = write(tmp_path / "t.txt", "Lima NNP B-LOC\nfell VBD O\n")
    assert read_conll_file(path, "test").sentences[0].tokens == ["Lima", "fell"]


def test_crlf_and_byte_order_mark(tmp_path: Path) -> None:
    path = tmp_path / "t.conll"
    path.write_bytes("\ufeff0\tOslo\tB-LOC\r\n1\tgrew\tO\r\n".encode())
    assert read_conll_file(path, "test").sentences[0].tokens == ["Oslo", "grew"]


def test_marker_opening_no_document_is_counted_apart(tmp_path: Path) -> None:
    path = write(
        tmp_path / "val.conllu",
        "0\tA\tO\n\n0\t-DOCSTART-\tO\n\n0\tB\tO\n\n0\t-DOCSTART-\tO\n",
    )
    split = read_conll_file(path, "val")
    assert len(split.sentences) == 2
    assert split.docstarts_dropped == 1
    assert split.empty_docstarts == 1


def test_docstart_inside_a_sentence_ends_it(tmp_path: Path) -> None:
    path = write(tmp_path / "x.conll", "A O\nB O\n-DOCSTART- O\nC O\n")
    split = read_conll_file(path, "train")
    assert [s.tokens for s in split.sentences] == [["A", "B"], ["C"]]
    assert split.docstarts_dropped == 1


def test_limit_stops_reading(tmp_path: Path) -> None:
    body = "".join(f"0\tw{i}\tO\n\n" for i in range(10))
    path = write(tmp_path / "t.conll", body + "this line is never read\n")
    split = read_conll_file(path, "train", limit=3)
    assert [s.tokens for s in split.sentences] == [["w0"], ["w1"], ["w2"]]


@pytest.mark.parametrize(
    ("text", "line", "problem"),
    [
        (
            "0\tA\tO\n1\tB\n",
            2,
            "expected 3 columns (index, token, tag) as on the first line, found 2",
        ),
        ("A O\nB NNP O\n", 2, "expected 2 columns (token, tag) as on the first line, found 3"),
        ("A\n", 1, "expected at least 2 columns (token and tag), found 1"),
        ("0\tA\tO\n\n0\tB\tB-DATE\n", 3, "unknown tag 'B-DATE'"),
        ("0\tA\tO\nx\tB\tO\n", 2, "expected an integer token index in column 1, found 'x'"),
        ("0\tA\tO\n1\t \tO\n", 2, "empty token"),
        ("", 1, "file is empty"),
        ("\n\n", 2, "no sentences in file"),
        ("0\t-DOCSTART-\tO\n\n", 2, "no sentences in file"),
    ],
)
def test_malformed_input_names_file_line_and_problem(
    tmp_path: Path, text: str, line: int, problem: str
) -> None:
    path = write(tmp_path / "bad.conll", text)
    with pytest.raises(KitError) as caught:
        read_conll_file(path, "train")
    message = str(caught.value)
    assert message.startswith(f"{path}:{line}: ")
    assert problem in message


def test_bad_encoding_names_line_and_byte(tmp_path: Path) -> None:
    path = tmp_path / "latin1.conll"
    path.write_bytes("0\tA\tO\n1\tZ\u00fcrich\tB-LOC\n".encode("latin-1"))
    with pytest.raises(KitError) as caught:
        read_conll_file(path, "train")
    message = str(caught.value)
    assert message.startswith(f"{path}:2: ")
    assert "not valid UTF-8" in message
    assert "0xfc" in message
