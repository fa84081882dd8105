"""Entity-level precision, recall and F1: the number the course grades.

A model is scored on *entities*, not on single tags. Each sentence's IOB2 tags are
read into spans ``(type, start, end)``; a predicted span is correct only when its
type, first token and last token all equal those of a gold span.

Spans are read the way conlleval (and seqeval's default mode) reads them:

* ``B-X`` always starts a new ``X`` span;
* ``I-X`` continues the span before it when that span has type ``X``, and
  otherwise (after ``O`` or after a span of another type) starts a new ``X`` span;
* ``O`` ends any open span.

All counts are summed over the whole corpus before any division, so the score of
a validation set does not depend on how it was cut into batches. The grade is
the support-weighted mean of the per-type F1 scores (seqeval's
``f1_score(average="weighted")``); micro-averaged scores are reported too.
A division by zero gives 0.0, as in seqeval.

Example::

    >>> gold = [["B-PER", "I-PER", "O", "B-LOC"]]
    >>> pred = [["B-PER", "I-PER", "O", "B-ORG"]]
    >>> round(entity_scores(gold, pred)["weighted_f1"], 3)
    0.5
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from ner_helpers.errors import KitError

#: One entity span: (type, first token index, last token index), both ends inclusive.
Entity = tuple[str, int, int]


def get_entities(tags: Sequence[str]) -> list[Entity]:
    """Read the entity spans of one sentence from its IOB2 tags.

    Args:
        tags: the sentence's tags, e.g. ``["B-PER", "I-PER", "O", "I-LOC"]``.

    Returns:
        The spans in order, as ``(type, start, end)`` with ``end`` inclusive,
        e.g. ``[("PER", 0, 1), ("LOC", 3, 3)]`` (a stray ``I-`` tag starts a span).

    Raises:
        KitError: a tag is not ``O``, ``B-<type>`` or ``I-<type>``.
    """
    entities: list[Entity] = []
    open_type: str | None = None  # type of the span being read, None outside spans
    open_start = 0
    for position, tag in enumerate(tags):
        prefix, entity_type = _split_tag(tag, position)
        continues_open_span = prefix == "I" and entity_type == open_type
        if continues_open_span:
            continue
        if open_type is not None:
            entities.append((open_type, open_start, position - 1))
        if prefix == "O":
            open_type = None
        else:
            open_type, open_start = entity_type, position
    if open_type is not None:
        entities.append((open_type, open_start, len(tags) - 1))
    return entities


def entity_scores(
    true_tags: Sequence[Sequence[str]], pred_tags: Sequence[Sequence[str]]
) -> dict[str, Any]:
    """Score predicted tags against gold tags over a whole corpus.

    Args:
        true_tags: gold tags, one list of tag strings per sentence.
        pred_tags: predicted tags, same number of sentences, and each sentence
            as long as its gold counterpart (remove padding positions first).

    Returns:
        A dict with

        * ``weighted_f1``: per-type F1 averaged with weights equal to each type's
          number of gold spans; this is the grade;
        * ``weighted_precision``, ``weighted_recall``: the same average of
          precision and recall;
        * ``micro_f1``, ``micro_precision``, ``micro_recall``: computed from the
          span counts summed over all types;
        * ``per_type``: ``{type: {"precision", "recall", "f1", "support"}}`` for
          every type that has a gold or a predicted span (``support`` is the
          number of gold spans; a type only ever predicted has support 0);
        * ``num_sentences``: how many sentences were scored.

    Raises:
        KitError: the two corpora differ in number of sentences, a sentence's
            two tag lists differ in length, or a tag is not an IOB2 tag.
    """
    check_aligned(true_tags, pred_tags)

    gold_count: Counter[str] = Counter()
    pred_count: Counter[str] = Counter()
    correct_count: Counter[str] = Counter()
    for index, (gold_sentence, pred_sentence) in enumerate(zip(true_tags, pred_tags, strict=True)):
        gold_spans = set(_sentence_entities(gold_sentence, index, "true_tags"))
        pred_spans = set(_sentence_entities(pred_sentence, index, "pred_tags"))
        gold_count.update(entity_type for entity_type, _, _ in gold_spans)
        pred_count.update(entity_type for entity_type, _, _ in pred_spans)
        correct_count.update(entity_type for entity_type, _, _ in gold_spans & pred_spans)

    per_type: dict[str, dict[str, float | int]] = {}
    for entity_type in sorted(set(gold_count) | set(pred_count)):
        precision, recall, f1 = _precision_recall_f1(
            correct_count[entity_type], pred_count[entity_type], gold_count[entity_type]
        )
        per_type[entity_type] = {
            "precision": precision,
            "recall": recall,
            "f1": f1,
            "support": gold_count[entity_type],
        }

    micro_precision, micro_recall, micro_f1 = _precision_recall_f1(
        sum(correct_count.values()), sum(pred_count.values()), sum(gold_count.values())
    )
    return {
        "weighted_f1": _support_weighted_mean(per_type, "f1"),
        "weighted_precision": _support_weighted_mean(per_type, "precision"),
        "weighted_recall": _support_weighted_mean(per_type, "recall"),
        "micro_f1": micro_f1,
        "micro_precision": micro_precision,
        "micro_recall": micro_recall,
        "per_type": per_type,
        "num_sentences": len(true_tags),
    }


def format_scores(scores: dict[str, Any]) -> str:
    """Lay out the result of :func:`entity_scores` as a small text table.

    Example output::

        type      precision  recall      f1  support
        LOC          0.8123  0.7901  0.8010     1837
        ...
        micro        0.7012  0.6843  0.6926     5942
        weighted     0.7050  0.6843  0.6912     5942
    """
    header = f"{'type':<9}{'precision':>10}{'recall':>8}{'f1':>8}{'support':>9}"
    lines = [header]
    total_support = 0
    for entity_type, row in scores["per_type"].items():
        total_support += row["support"]
        lines.append(
            _score_line(entity_type, row["precision"], row["recall"], row["f1"], row["support"])
        )
    lines.append("-" * len(header))
    lines.append(
        _score_line(
            "micro",
            scores["micro_precision"],
            scores["micro_recall"],
            scores["micro_f1"],
            total_support,
        )
    )
    lines.append(
        _score_line(
            "weighted",
            scores.get("weighted_precision", float("nan")),
            scores.get("weighted_recall", float("nan")),
            scores["weighted_f1"],
            total_support,
        )
    )
    lines.append(f"({scores['num_sentences']} sentences; the grade is the weighted f1)")
    return "\n".join(lines)


def check_aligned(true_tags: Sequence[Sequence[str]], pred_tags: Sequence[Sequence[str]]) -> None:
    """Check that two corpora of tags have the same shape.

    Both must be lists of sentences (each a list of tags), with the same number
    of sentences and, sentence by sentence, the same number of tags.

    Raises:
        KitError: naming the first sentence index where the shapes differ.
    """
    for name, corpus in (("true_tags", true_tags), ("pred_tags", pred_tags)):
        if isinstance(corpus, str) or (len(corpus) > 0 and isinstance(corpus[0], str)):
            raise KitError(
                f"{name} must be a list of sentences, each a list of tags; "
                "to score one sentence, wrap it as [tags]"
            )
    if len(true_tags) != len(pred_tags):
        raise KitError(
            f"true_tags has {len(true_tags)} sentences but pred_tags has {len(pred_tags)}"
        )
    for index, (gold_sentence, pred_sentence) in enumerate(zip(true_tags, pred_tags, strict=True)):
        if isinstance(gold_sentence, str) or isinstance(pred_sentence, str):
            raise KitError(f"sentence {index} is a string; it must be a list of tags")
        if len(gold_sentence) != len(pred_sentence):
            raise KitError(
                f"sentence {index} has {len(gold_sentence)} true tags but "
                f"{len(pred_sentence)} predicted tags (were padding positions removed?)"
            )


def _split_tag(tag: str, position: int) -> tuple[str, str]:
    """Split ``"B-PER"`` into ``("B", "PER")``; ``"O"`` gives ``("O", "")``."""
    if tag == "O":
        return "O", ""
    if isinstance(tag, str) and tag[:2] in ("B-", "I-") and len(tag) > 2:
        return tag[0], tag[2:]
    raise KitError(
        f"tag {tag!r} at position {position} is not an IOB2 tag "
        "(expected 'O', 'B-<type>' or 'I-<type>'; padding must be removed before scoring)"
    )


def _sentence_entities(tags: Sequence[str], index: int, name: str) -> list[Entity]:
    """:func:`get_entities` with the sentence index added to any error message."""
    try:
        return get_entities(tags)
    except KitError as error:
        raise KitError(f"{name}, sentence {index}: {error}") from None


def _precision_recall_f1(correct: int, predicted: int, gold: int) -> tuple[float, float, float]:
    """Precision, recall and F1 from span counts, with 0.0 for any division by zero."""
    precision = correct / predicted if predicted else 0.0
    recall = correct / gold if gold else 0.0
    denominator = precision + recall
    f1 = 2 * precision * recall / denominator if denominator else 0.0
    return precision, recall, f1


def _support_weighted_mean(per_type: dict[str, dict[str, float | int]], key: str) -> float:
    """Mean of ``per_type[t][key]`` weighted by support; 0.0 when there are no gold spans."""
    total_support = sum(row["support"] for row in per_type.values())
    if total_support == 0:
        return 0.0
    return sum(row[key] * row["support"] for row in per_type.values()) / total_support


def _score_line(name: str, precision: float, recall: float, f1: float, support: int) -> str:
    return f"{name:<9}{precision:>10.4f}{recall:>8.4f}{f1:>8.4f}{support:>9d}"
