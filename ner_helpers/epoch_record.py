"""Collecting one epoch's loss and predictions, and scoring them over the corpus."""

from __future__ import annotations

from typing import Any

import torch

from ner_helpers.constants import NER_DECODING_MAP, PAD_NER_TAG_ID
from ner_helpers.metric import entity_scores


class EpochRecord:
    """Accumulates batches; :meth:`summary` scores the whole epoch at once.

    The epoch loss is the mean of the batch losses weighted by each batch's
    number of labelled (non-pad) tokens. Entity F1 is computed once over all
    sentences of the epoch, never averaged over batches, so the batch size does
    not change it.
    """

    def __init__(self) -> None:
        self.loss_sum = 0.0
        self.num_tokens = 0
        self.num_correct = 0
        self.true_tags: list[list[str]] = []
        self.pred_tags: list[list[str]] = []

    def add_batch(self, loss: float, logits: torch.Tensor, labels: torch.Tensor) -> None:
        """Add one batch.

        Args:
            loss: the batch's mean loss (a float, e.g. ``loss.item()``).
            logits: FloatTensor[B, L, O] of the batch.
            labels: LongTensor[B, L] with the pad tag id at pad positions.
        """
        labels = labels.detach().cpu()
        predicted = logits.detach().argmax(dim=-1).cpu()
        labelled = labels != PAD_NER_TAG_ID
        num_tokens = int(labelled.sum())
        self.loss_sum += float(loss) * num_tokens
        self.num_tokens += num_tokens
        self.num_correct += int(((predicted == labels) & labelled).sum())
        for gold_row, pred_row, keep in zip(labels, predicted, labelled):
            self.true_tags.append([NER_DECODING_MAP[int(i)] for i in gold_row[keep]])
            self.pred_tags.append([NER_DECODING_MAP[int(i)] for i in pred_row[keep]])

    def summary(self) -> dict[str, Any]:
        """``loss``, ``token_accuracy`` and the entity scores of
        :func:`~ner_helpers.metric.entity_scores` (``weighted_f1``, ``micro_f1``, ...)."""
        denominator = max(self.num_tokens, 1)
        return {
            "loss": self.loss_sum / denominator,
            "token_accuracy": self.num_correct / denominator,
            **entity_scores(self.true_tags, self.pred_tags),
        }
