"""The entity metric agrees with seqeval and is computed over the whole corpus."""

from __future__ import annotations

import random
import warnings
from pathlib import Path

import pytest
from seqeval.metrics import classification_report, f1_score
from seqeval.metrics.sequence_labeling import get_entities as seqeval_get_entities

from ner_helpers.constants import ENTITY_TYPES, NER_TAGS
from ner_helpers.errors import KitError
from ner_helpers.metric import entity_scores, format_scores, get_entities

TOLERANCE = 1e-12
SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
VAL_FILE = SHARED_DATA / "conll2003" / "val.conllu"


def seqeval_scores(true_tags: list[list[str]], pred_tags: list[list[str]]) -> dict:
    """seqeval's numbers in default (conlleval-compatible) mode, warnings silenced."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return {
            "weighted_f1": f1_score(true_tags, pred_tags, average="weighted"),
            "micro_f1": f1_score(true_tags, pred_tags, average="micro"),
            "report": classification_report(true_tags, pred_tags, output_dict=True),
        }


def assert_matches_seqeval(true_tags: list[list[str]], pred_tags: list[list[str]]) -> dict:
    ours = entity_scores(true_tags, pred_tags)
    theirs = seqeval_scores(true_tags, pred_tags)
    report = theirs["report"]
    assert ours["weighted_f1"] == pytest.approx(theirs["weighted_f1"], abs=TOLERANCE)
    assert ours["micro_f1"] == pytest.approx(theirs["micro_f1"], abs=TOLERANCE)
    assert ours["micro_precision"] == pytest.approx(report["micro avg"]["precision"], abs=TOLERANCE)
    assert ours["micro_recall"] == pytest.approx(report["micro avg"]["recall"], abs=TOLERANCE)
    assert ours["weighted_precision"] == pytest.approx(
        report["weighted avg"]["precision"], abs=TOLERANCE
    )
    assert ours["weighted_recall"] == pytest.approx(report["weighted avg"]["recall"], abs=TOLERANCE)
    their_types = {name for name in report if not name.endswith(" avg")}
    assert set(ours["per_type"]) == their_types
    for entity_type, row in ours["per_type"].items():
        theirs_row = report[entity_type]
        assert row["precision"] == pytest.approx(theirs_row["precision"], abs=TOLERANCE)
        assert row["recall"] == pytest.approx(theirs_row["recall"], abs=TOLERANCE)
        assert row["f1"] == pytest.approx(theirs_row["f1-score"], abs=TOLERANCE)
        assert row["support"] == theirs_row["support"]
    assert ours["num_sentences"] == len(true_tags)
    return ours


# ---------------------------------------------------------------------------
# Span reading
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        ([], []),
        (["O", "O"], []),
        (["B-PER", "I-PER", "O", "B-LOC"], [("PER", 0, 1), ("LOC", 3, 3)]),
        (["I-PER", "I-PER"], [("PER", 0, 1)]),  # a stray I- starts a span
        (["B-PER", "I-LOC", "I-LOC"], [("PER", 0, 0), ("LOC", 1, 2)]),
        (["B-PER", "B-PER", "I-PER"], [("PER", 0, 0), ("PER", 1, 2)]),
        (["O", "I-MISC", "O", "I-MISC"], [("MISC", 1, 1), ("MISC", 3, 3)]),
        (["B-ORG", "I-ORG", "I-ORG"], [("ORG", 0, 2)]),
    ],
)
def test_get_entities_reads_iob2_like_conlleval(tags, expected):
    assert get_entities(tags) == expected
    assert get_entities(tags) == seqeval_get_entities(list(tags))


def test_get_entities_matches_seqeval_on_random_sentences():
    rng = random.Random(1)
    for _ in range(2000):
        tags = random_sentence(rng, rng.randint(0, 12))
        assert get_entities(tags) == seqeval_get_entities(tags)


# ---------------------------------------------------------------------------
# Agreement with seqeval
# ---------------------------------------------------------------------------


def random_sentence(rng: random.Random, length: int) -> list[str]:
    """Tags drawn with plenty of O, stray I- tags and type changes."""
    weights = [6] + [1] * (len(NER_TAGS) - 1)
    return rng.choices(NER_TAGS, weights=weights, k=length)


def random_corpus(rng: random.Random) -> tuple[list[list[str]], list[list[str]]]:
    true_tags, pred_tags = [], []
    for _ in range(rng.randint(1, 8)):
        length = rng.randint(0, 10)
        gold = random_sentence(rng, length)
        style = rng.random()
        if style < 0.15:
            pred = ["O"] * length  # nothing predicted
        elif style < 0.3:
            pred = list(gold)  # perfect
        elif style < 0.6:
            pred = [tag if rng.random() < 0.7 else rng.choice(NER_TAGS) for tag in gold]
        else:
            pred = random_sentence(rng, length)
        if rng.random() < 0.1:
            gold = ["O"] * length  # an all-O gold sentence
        true_tags.append(gold)
        pred_tags.append(pred)
    return true_tags, pred_tags


def test_matches_seqeval_on_thousands_of_random_corpora():
    rng = random.Random(2024)
    for _ in range(3000):
        true_tags, pred_tags = random_corpus(rng)
        assert_matches_seqeval(true_tags, pred_tags)


def test_matches_seqeval_on_one_large_random_corpus():
    rng = random.Random(7)
    true_tags, pred_tags = [], []
    for _ in range(400):
        more_true, more_pred = random_corpus(rng)
        true_tags += more_true
        pred_tags += more_pred
    assert_matches_seqeval(true_tags, pred_tags)


@pytest.mark.parametrize(
    ("true_tags", "pred_tags"),
    [
        ([["O", "O"]], [["O", "O"]]),  # no entities anywhere
        ([[]], [[]]),  # one empty sentence
        ([["B-PER", "I-PER"]], [["O", "O"]]),  # empty prediction
        ([["O", "O"]], [["B-LOC", "I-LOC"]]),  # predicted but never gold
        ([["B-PER"], ["I-LOC"]], [["B-PER"], ["I-LOC"]]),  # perfect, with a stray I-
        ([["B-PER", "I-PER"]], [["B-PER", "B-PER"]]),  # split span
        ([["B-PER", "O"]], [["B-PER", "I-PER"]]),  # span too long
    ],
)
def test_matches_seqeval_on_edge_cases(true_tags, pred_tags):
    assert_matches_seqeval(true_tags, pred_tags)


def test_edge_case_values():
    assert entity_scores([["O"]], [["O"]])["weighted_f1"] == 0.0
    assert entity_scores([["O"]], [["O"]])["per_type"] == {}
    only_predicted = entity_scores([["O"]], [["B-LOC"]])
    assert only_predicted["per_type"]["LOC"] == {
        "precision": 0.0,
        "recall": 0.0,
        "f1": 0.0,
        "support": 0,
    }
    perfect = entity_scores([["B-PER", "I-PER", "O", "B-LOC"]], [["B-PER", "I-PER", "O", "B-LOC"]])
    assert perfect["weighted_f1"] == 1.0 and perfect["micro_f1"] == 1.0


def test_weighted_average_is_support_weighted():
    # PER: 3 gold, all found -> f1 1.0; LOC: 1 gold, missed -> f1 0.0.
    true_tags = [["B-PER", "O", "B-PER", "O", "B-PER", "B-LOC"]]
    pred_tags = [["B-PER", "O", "B-PER", "O", "B-PER", "O"]]
    scores = entity_scores(true_tags, pred_tags)
    assert scores["weighted_f1"] == pytest.approx(0.75)
    assert scores["micro_precision"] == 1.0
    assert scores["micro_recall"] == pytest.approx(0.75)


# ---------------------------------------------------------------------------
# A real corpus, with deterministic corruptions
# ---------------------------------------------------------------------------


def read_conll_tags(path: Path) -> list[list[str]]:
    """Tags per sentence of an ``index<TAB>token<TAB>tag`` file, without -DOCSTART-."""
    sentences: list[list[str]] = []
    tokens: list[str] = []
    tags: list[str] = []
    for line in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        if not line.strip():
            if tags and tokens != ["-DOCSTART-"]:
                sentences.append(tags)
            tokens, tags = [], []
            continue
        _, token, tag = line.split("\t")
        tokens.append(token)
        tags.append(tag)
    return sentences


def corrupt(gold: list[str], rng: random.Random) -> list[str]:
    """A plausible wrong prediction: types swapped, boundaries shifted, B- made I-, drops."""
    pred = list(gold)
    for start_type, start, end in get_entities(gold):
        roll = rng.random()
        if roll < 0.10:  # swap the type
            new_type = rng.choice([t for t in ENTITY_TYPES if t != start_type])
            pred[start] = f"B-{new_type}"
            for i in range(start + 1, end + 1):
                pred[i] = f"I-{new_type}"
        elif roll < 0.18 and end + 1 < len(pred):  # extend the span to the right
            pred[end + 1] = f"I-{start_type}"
        elif roll < 0.24 and end > start:  # cut the last token off
            pred[end] = "O"
        elif roll < 0.32:  # B- written as I- (still one span in conlleval reading)
            pred[start] = f"I-{start_type}"
        elif roll < 0.40:  # drop the entity
            for i in range(start, end + 1):
                pred[i] = "O"
    for i in range(len(pred)):  # a few spurious entities
        if pred[i] == "O" and rng.random() < 0.01:
            pred[i] = rng.choice(NER_TAGS[1:])
    return pred


@pytest.fixture(scope="module")
def val_tags() -> list[list[str]]:
    if not VAL_FILE.is_file():
        pytest.skip(f"the shared corpus is not at {SHARED_DATA}")
    return read_conll_tags(VAL_FILE)


def test_reader_finds_the_documented_sentence_count(val_tags):
    assert len(val_tags) == 3250
    assert sum(len(s) for s in val_tags) == 51362  # the README counts tokens without -DOCSTART-


@pytest.mark.parametrize("seed", [0, 1])
def test_matches_seqeval_on_the_real_corpus(val_tags, seed):
    rng = random.Random(seed)
    pred_tags = [corrupt(sentence, rng) for sentence in val_tags]
    scores = assert_matches_seqeval(val_tags, pred_tags)
    assert 0.3 < scores["weighted_f1"] < 0.95  # the corruptions are neither nil nor total
    assert set(scores["per_type"]) == set(ENTITY_TYPES)


def test_gold_against_itself_scores_one(val_tags):
    scores = entity_scores(val_tags, val_tags)
    assert scores["weighted_f1"] == 1.0
    assert scores["micro_f1"] == 1.0


def test_score_is_over_the_corpus_not_averaged_over_batches(val_tags):
    rng = random.Random(3)
    pred_tags = [corrupt(sentence, rng) for sentence in val_tags]
    whole = entity_scores(val_tags, pred_tags)
    for batch_size in (1, 7, 32, 1000):
        true_batches = [val_tags[i : i + batch_size] for i in range(0, len(val_tags), batch_size)]
        pred_batches = [pred_tags[i : i + batch_size] for i in range(0, len(pred_tags), batch_size)]
        joined_true = [sentence for batch in true_batches for sentence in batch]
        joined_pred = [sentence for batch in pred_batches for sentence in batch]
        assert entity_scores(joined_true, joined_pred) == whole
    # Averaging per-batch scores would give a different (wrong) number.
    batch_f1 = [
        entity_scores(val_tags[i : i + 7], pred_tags[i : i + 7])["weighted_f1"]
        for i in range(0, len(val_tags), 7)
    ]
    assert abs(sum(batch_f1) / len(batch_f1) - whole["weighted_f1"]) > 1e-3


# ---------------------------------------------------------------------------
# Errors and formatting
# ---------------------------------------------------------------------------


def test_different_number_of_sentences_is_an_error():
    with pytest.raises(KitError, match="2 sentences but pred_tags has 1"):
        entity_scores([["O"], ["O"]], [["O"]])


def test_different_sentence_length_names_the_sentence():
    with pytest.raises(KitError, match="sentence 1 has 2 true tags but 3 predicted"):
        entity_scores([["O"], ["O", "O"]], [["O"], ["O", "O", "O"]])


def test_flat_tag_list_is_an_error():
    with pytest.raises(KitError, match="list of sentences"):
        entity_scores(["B-PER", "O"], ["B-PER", "O"])


@pytest.mark.parametrize("bad_tag", ["<|pad|>", "PER", "B-", "E-PER", 3])
def test_non_iob2_tag_is_an_error(bad_tag):
    with pytest.raises(KitError, match="sentence 1.*position 1"):
        entity_scores([["O"], ["O", "O"]], [["O"], ["O", bad_tag]])


def test_format_scores_lists_types_and_averages():
    scores = entity_scores([["B-PER", "O", "B-LOC"]], [["B-PER", "O", "B-ORG"]])
    text = format_scores(scores)
    for word in ("LOC", "ORG", "PER", "micro", "weighted", "precision", "support"):
        assert word in text
    assert f"{scores['weighted_f1']:.4f}" in text
