"""Pretrained word vectors: reading GloVe, word2vec and fastText text files, every bad
file as one located error, the alignment to the vocabulary, the coverage report, and
training with the vectors (fine-tuned or frozen) through the kit's commands.

Every vector file is written by the test itself."""

from __future__ import annotations

import json
import tracemalloc
from pathlib import Path

import pytest
import torch

from ner_helpers.errors import KitError
from ner_helpers.experiment import build_predictor
from ner_helpers.tokenizer import Tokenizer
from ner_helpers.vectors import (
    EXACT,
    LOWERCASE,
    MISSING,
    SKIPPED,
    align_vectors,
    check_dimension,
    initial_table,
    load_pretrained_table,
    read_vectors,
    token_counts,
    vectors_path,
)

ROOT = Path(__file__).resolve().parents[1]
ROWS = ["the 0.1 0.2 0.3", "bank 1 2 3", "paris -1.5 0.0 2e-1"]


def write(tmp_path: Path, text: str | bytes, name: str = "vectors.txt") -> Path:
    path = tmp_path / name
    if isinstance(text, str):
        text = text.encode("utf-8")
    path.write_bytes(text)
    return path


@pytest.mark.parametrize("text,header", [
    ("\n".join(ROWS) + "\n", None),                                  # GloVe
    ("3 3\n" + "\n".join(ROWS) + "\n", (3, 3)),                      # word2vec text
    ("3 3\n" + "".join(row + " \n" for row in ROWS), (3, 3)),        # fastText .vec
    ("\ufeff" + "\r\n".join(ROWS) + "\r\n", None),                   # BOM and CRLF
    ("\n".join(ROWS), None),                                         # no final newline
])
def test_layouts_read_the_same_vectors(tmp_path, text, header):
    found = read_vectors(write(tmp_path, text))
    assert found.dim == 3 and found.rows == 3 and found.header == header
    assert sorted(found.vectors) == ["bank", "paris", "the"]
    assert found.vectors["paris"].tolist() == pytest.approx([-1.5, 0.0, 0.2])


def test_only_wanted_words_are_kept(tmp_path):
    found = read_vectors(write(tmp_path, "\n".join(ROWS)), wanted={"bank", "absent"})
    assert list(found.vectors) == ["bank"] and found.rows == 3


def test_duplicates_first_row_wins_and_is_reported(tmp_path):
    found = read_vectors(write(tmp_path, "\n".join(ROWS + ["bank 9 9 9", "bank 8 8 8"])))
    assert found.vectors["bank"].tolist() == [1, 2, 3]
    assert found.duplicates == 2 and found.first_duplicate == ("bank", 4)


@pytest.mark.parametrize("text,line,problem", [
    ("the 0.1 0.2 0.3\nbank 1 2\n", 2, "the row of 'bank' has 2 values, the first row (line 1) "
     "has 3"),
    ("the 0.1 0.2 0.3\nbank 1 2 3 4\n", 2, "has 4 values"),
    ("the 0.1 0.2 0.3\nbank 1 two 3\n", 2, "value 2 of 'bank' is not a number: 'two'"),
    ("the 0.1 nan 0.3\n", 1, "value 2 of 'the' is not finite"),
    ("2 4\nthe 0.1 0.2 0.3\nbank 1 2 3\n", 2, "has 3 values, the header (line 1) says 4"),
    ("5 3\nthe 0.1 0.2 0.3\nbank 1 2 3\n", 1, "the header says 5 words, the file has 2 rows"),
    ("the\n", 1, "no values"),
    ("the 1 2\n\xff 1 2\n", 2, "not valid UTF-8"),
    ("the  1 2\n", 1, "not a number"),
])
def test_bad_files_give_a_located_error(tmp_path, text, line, problem):
    path = write(tmp_path, text.encode("utf-8", "surrogateescape") if "\xff" not in text
                 else text.encode("latin-1"))
    with pytest.raises(KitError) as caught:
        read_vectors(path)
    assert str(caught.value).startswith(f"{path}:{line}: ")
    assert problem in str(caught.value)


@pytest.mark.parametrize("text", ["", "\n\n", "\ufeff"])
def test_an_empty_file_is_an_error(tmp_path, text):
    path = write(tmp_path, text)
    with pytest.raises(KitError, match=f"^{path}: empty vector file"):
        read_vectors(path)


def test_dimension_sets_or_must_equal_embedding_dim(tmp_path):
    found = read_vectors(write(tmp_path, "\n".join(ROWS)))
    assert check_dimension(found, None) == 3 and check_dimension(found, 3) == 3
    with pytest.raises(KitError) as caught:
        check_dimension(found, 300)
    assert "dimension 3" in str(caught.value) and "embedding_dim is 300" in str(caught.value)


def peak_memory_reading(path: Path, rows: int) -> int:
    """Peak bytes Python allocates while reading a file of ``rows`` rows for 2 words."""
    row = " ".join(["0.123456"] * 30)
    with path.open("w") as handle:
        for number in range(rows):
            handle.write(f"w{number} {row}\n")
    tracemalloc.start()
    found = read_vectors(path, wanted={"w1", f"w{rows - 1}", "absent"}, progress_min_bytes=1)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert found.rows == rows and sorted(found.vectors) == ["w1", f"w{rows - 1}"]
    return peak


def test_a_large_file_is_streamed_with_bounded_memory(tmp_path):
    """Memory follows the words kept, not the file: a file five times as long takes no
    more memory to read (a file read whole would take five times as much)."""
    short = peak_memory_reading(tmp_path / "short.txt", 2_000)
    long = peak_memory_reading(tmp_path / "long.txt", 10_000)
    assert long < 1.5 * short, (short, long)
    assert long < (tmp_path / "long.txt").stat().st_size / 10


def tokenizer_of(words: list[str]) -> Tokenizer:
    return Tokenizer().train([{"text": words}], min_freq=1, remove_frac=0.0)


def test_alignment_exact_then_lowercase_then_missing():
    tokenizer = tokenizer_of(["Bank", "the", "Paris", "Zzyzx"])
    vectors = {"bank": torch.tensor([1.0, 1.0]), "Bank": torch.tensor([2.0, 2.0]),
               "the": torch.tensor([3.0, 3.0]), "paris": torch.tensor([4.0, 4.0]),
               "<|unk|>": torch.tensor([9.0, 9.0])}
    table = torch.full((tokenizer.vocab_size, 2), -7.0)
    match = align_vectors(tokenizer.token2id, vectors, table, [0, 1])
    ids = tokenizer.token2id
    assert match[ids["Bank"]] == EXACT and table[ids["Bank"]].tolist() == [2.0, 2.0]
    assert match[ids["Paris"]] == LOWERCASE and table[ids["Paris"]].tolist() == [4.0, 4.0]
    assert match[ids["the"]] == EXACT
    assert match[ids["Zzyzx"]] == MISSING and table[ids["Zzyzx"]].tolist() == [-7.0, -7.0]
    assert match[:2].tolist() == [SKIPPED, SKIPPED] and table[1].tolist() == [-7.0, -7.0]
    assert match.dtype == torch.long and match.shape == (tokenizer.vocab_size,)


@pytest.mark.parametrize("how", ["zeros", "mean", "random"])
def test_missing_rows_start_as_configured(how):
    found = [torch.tensor([1.0, 3.0]), torch.tensor([3.0, 5.0])]
    table = initial_table(50, found, 2, how, torch.Generator().manual_seed(0))
    if how == "zeros":
        assert not table.any()
    elif how == "mean":
        assert table[7].tolist() == [2.0, 4.0]
    else:
        assert table.std() > 0.5 and abs(float(table.mean()) - 3.0) < 0.5


def test_coverage_by_token_and_by_occurrence(tmp_path):
    rows = [{"text": ["Bank", "the", "the", "the", "Zzyzx", "Paris"]}]
    tokenizer = Tokenizer().train(rows, min_freq=1, remove_frac=0.0)
    found = read_vectors(write(tmp_path, "\n".join(ROWS)))
    embedding = torch.nn.Embedding(tokenizer.vocab_size, 3, padding_idx=0)
    report = load_pretrained_table(embedding, tokenizer, found, "zeros",
                                   token_counts(rows, tokenizer))
    assert report.by_token == {"exact": 1, "lowercase": 2, "missing": 1}
    assert report.by_occurrence == {"exact": 3, "lowercase": 2, "missing": 1}
    assert report.top_missing == [("Zzyzx", 1)]
    assert embedding.weight[tokenizer.token2id["Bank"]].tolist() == [1.0, 2.0, 3.0]
    assert not embedding.weight[0].any()
    text = report.format()
    assert "exact" in text and "50.0%" in text and "Zzyzx (1)" in text
    report.save(tmp_path / "experiment")
    saved = json.loads((tmp_path / "experiment" / "vectors_coverage.json").read_text())
    assert saved["by_occurrence"]["exact"] == 3


def test_build_predictor_reads_before_building_and_freezes(tmp_path, capsys):
    rows = [{"text": ["Bank", "the", "Paris"]}]
    tokenizer = Tokenizer().train(rows, min_freq=1, remove_frac=0.0)
    path = write(tmp_path, "\n".join(ROWS))
    config = {"seed": 1, "model": {"model_type": "cnn", "hidden_dim": 4, "num_layers": 1,
                                   "pretrained_vectors": str(path), "freeze_embeddings": True}}
    predictor = build_predictor(config, tokenizer, rows, coverage_folder=tmp_path / "exp")
    assert predictor.config.embedding_dim == 3
    assert not predictor.embedding.embedding.weight.requires_grad
    assert (tmp_path / "exp" / "vectors_coverage.txt").exists()
    assert "vector coverage" in capsys.readouterr().out
    config["model"]["embedding_dim"] = 8
    with pytest.raises(KitError, match="dimension 3 but model.embedding_dim is 8"):
        build_predictor(config, tokenizer, rows)


def test_a_word2vec_binary_file_reads_through_gensim(tmp_path):
    from gensim.models import KeyedVectors

    keyed = KeyedVectors(3)
    keyed.add_vectors(["the", "bank"], torch.tensor([[0.1, 0.2, 0.3], [1.0, 2.0, 3.0]]).numpy())
    path = tmp_path / "vectors.bin"
    keyed.save_word2vec_format(str(path), binary=True)
    found = read_vectors(path, wanted={"bank"})
    assert found.dim == 3 and found.rows == 2 and list(found.vectors) == ["bank"]
    assert found.vectors["bank"].tolist() == pytest.approx([1.0, 2.0, 3.0])
    assert found.as_keyed_vectors().most_similar("bank", topn=1) == []
    broken = write(tmp_path, b"2 3\nthe \x00\x01", "broken.bin")
    with pytest.raises(KitError, match=f"^{broken}: not a word2vec binary file"):
        read_vectors(broken)


def test_a_hub_file_offline_is_one_error_line(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(KitError, match=r"^hub:owner/glove/vectors.txt: could not download"):
        vectors_path("hub:owner/glove/vectors.txt")
    with pytest.raises(KitError, match="hub:OWNER/NAME/FILE"):
        vectors_path("hub:owner/glove")
    assert vectors_path("/tmp/some.txt") == Path("/tmp/some.txt")
