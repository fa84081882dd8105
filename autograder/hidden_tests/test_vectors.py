"""Hidden tests of TODO-7-2 (``vectors.align_vectors``, the vector-file-to-vocabulary
alignment).

The child calls the student's ``align_vectors(token2id, vectors, table, skip_ids)``
on vocabularies, vectors and tables the grader chose, and returns what it returned
and the table after the call. The docstring states the contract: for every word
whose id is not skipped, its own vector if the file has it (code 1, EXACT), else the
vector of its lowercase form (code 2, LOWERCASE), else the row is left as it is
(code 0, MISSING); skipped ids get code -1 and keep their rows; the result is a
LongTensor[V]; the table is written in place. Every verdict compares with the
reference on the same inputs; the loop form and the order of the writes are free.
"""

from __future__ import annotations

from typing import Any

import pytest
import torch

from autograder.hidden_tests.support import (
    InternalError,
    expect_equal,
    expect_tensor,
    fail,
    ok,
    random_tensor,
    type_name,
)
from autograder.sandbox.child.ops import align_vectors_case
from ner_helpers.vectors import align_vectors

GROUP = "vectors"
DIM = 4
WORDS = ["<|pad|>", "<|unk|>", "the", "Bank", "Paris", "EU", "Zzyzx", "bank", "New-York"]
#: The file's words: "Bank" has its own row and a lowercase one; "Paris" and "EU" only
#: lowercase ones; "Zzyzx" and "New-York" none; "<|unk|>" has one (it must stay skipped).
FILE_WORDS = ["the", "Bank", "bank", "paris", "eu", "<|unk|>", "york"]


def vocabulary(words: list[str], shift: int = 0) -> dict[str, int]:
    """word -> id, ids in a shuffled order (an alignment must use the ids, not the order)."""
    ids = list(range(len(words)))
    ids = ids[:2] + ids[2:][shift:] + ids[2:][:shift]
    return dict(zip(words, ids, strict=True))


def case(token2id: dict[str, int], file_words: list[str], seed: int,
         skip_ids: list[int] | None = None) -> dict[str, Any]:
    """One call's inputs. ``token2id`` travels as (word, id) pairs, so that the child's
    dict keeps the order the test chose (a JSON object's keys would come back sorted)."""
    vectors = {word: random_tensor([DIM], seed=seed + k) for k, word in enumerate(file_words)}
    table = random_tensor([len(token2id), DIM], seed=seed + 100)
    return {"token2id": [[word, index] for word, index in token2id.items()], "vectors": vectors,
            "table": table, "skip_ids": [0, 1] if skip_ids is None else skip_ids}


def ids_of(item: dict[str, Any]) -> dict[str, int]:
    return {str(word): int(index) for word, index in item["token2id"]}


def reference(item: dict[str, Any]) -> dict[str, Any]:
    try:
        return align_vectors_case(align_vectors, item)
    except Exception as exc:  # noqa: BLE001 (a failing reference is a grader bug)
        raise InternalError(f"the reference failed: {exc}") from exc


def run(student: Any, cases: list[dict[str, Any]]) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(student result, reference result) per case."""
    found = student.call(GROUP, "align_vectors", cases=cases)
    return [(ok(item, "align_vectors(token2id, vectors, table, skip_ids)"), reference(c))
            for item, c in zip(found, cases, strict=True)]


def codes(result: dict[str, Any], size: int) -> torch.Tensor:
    value = result["returned"]
    if not isinstance(value, torch.Tensor):
        fail(f"align_vectors returned a {type_name(value)}, expected a LongTensor of "
             f"{size} match codes (one per row of the table)")
    return expect_tensor(value, "the match codes align_vectors returned", dtype=torch.long,
                         shape=[size])


BASIC = case(vocabulary(WORDS), FILE_WORDS, seed=500)
SHUFFLED = case(vocabulary(WORDS, shift=3), FILE_WORDS, seed=600)


@pytest.mark.todo("TODO-7-2")
def test_returns_match_codes(student: Any) -> None:
    (found, _), = run(student, [BASIC])
    codes(found, len(WORDS))


@pytest.mark.todo("TODO-7-2")
def test_exact_matches(student: Any) -> None:
    (found, wanted), = run(student, [BASIC])
    ids = ids_of(BASIC)
    for word in ("the", "Bank", "bank"):
        expect_equal(found["table"][ids[word]], wanted["table"][ids[word]],
                     f"row {ids[word]} ({word!r}) of the table", "a word the file has gets "
                     "its own vector; prefer it over the vector of its lowercase form")
    expect_equal(codes(found, len(WORDS))[[ids["the"], ids["Bank"]]],
                 wanted["returned"][[ids["the"], ids["Bank"]]],
                 "the codes of exactly matched words", "EXACT (1)")


@pytest.mark.todo("TODO-7-2")
def test_lowercase_fallback(student: Any) -> None:
    (found, wanted), = run(student, [BASIC])
    ids = ids_of(BASIC)
    for word in ("Paris", "EU"):
        expect_equal(found["table"][ids[word]], wanted["table"][ids[word]],
                     f"row {ids[word]} ({word!r}) of the table", "a word the file lacks gets "
                     "the vector of word.lower() when the file has that")
    expect_equal(codes(found, len(WORDS))[[ids["Paris"], ids["EU"]]],
                 wanted["returned"][[ids["Paris"], ids["EU"]]],
                 "the codes of words matched after lowercasing", "LOWERCASE (2)")


@pytest.mark.todo("TODO-7-2")
def test_missing_rows_unchanged(student: Any) -> None:
    (found, wanted), = run(student, [BASIC])
    ids = ids_of(BASIC)
    for word in ("Zzyzx", "New-York"):
        expect_equal(found["table"][ids[word]], wanted["table"][ids[word]],
                     f"row {ids[word]} ({word!r}) of the table", "a word neither the file nor "
                     "its lowercase form matches keeps its row as it was")
    expect_equal(codes(found, len(WORDS))[[ids["Zzyzx"], ids["New-York"]]],
                 wanted["returned"][[ids["Zzyzx"], ids["New-York"]]],
                 "the codes of missing words", "MISSING (0)")


@pytest.mark.todo("TODO-7-2")
def test_skipped_ids(student: Any) -> None:
    (found, wanted), = run(student, [BASIC])
    expect_equal(found["table"][:2], wanted["table"][:2], "the pad and unknown rows (ids 0, 1) "
                 "of the table", "ids in skip_ids are never filled, even when the file has "
                 "their word")
    expect_equal(codes(found, len(WORDS))[:2], wanted["returned"][:2],
                 "the codes of the skipped ids", "SKIPPED (-1)")


@pytest.mark.todo("TODO-7-2")
def test_rows_follow_the_ids(student: Any) -> None:
    (found, wanted), = run(student, [SHUFFLED])
    expect_equal(codes(found, len(WORDS)), wanted["returned"], "the match codes, for a "
                 "vocabulary whose ids do not follow its order", "row token2id[word] belongs "
                 "to word")
    expect_equal(found["table"], wanted["table"], "the table, for a vocabulary whose ids do "
                 "not follow its order", "row token2id[word] belongs to word", close=True)


@pytest.mark.todo("TODO-7-2")
def test_other_skip_ids_and_empty_file(student: Any) -> None:
    cases = [case(vocabulary(WORDS), FILE_WORDS, seed=700, skip_ids=[0, 3]),
             case(vocabulary(WORDS), [], seed=800)]
    for (found, wanted), item in zip(run(student, cases), cases, strict=True):
        what = f"skip_ids={item['skip_ids']}, {len(item['vectors'])} vectors"
        expect_equal(codes(found, len(WORDS)), wanted["returned"],
                     f"the match codes ({what})", "use the skip_ids given, not ids 0 and 1")
        expect_equal(found["table"], wanted["table"], f"the table ({what})",
                     "use the skip_ids given, not ids 0 and 1", close=True)
