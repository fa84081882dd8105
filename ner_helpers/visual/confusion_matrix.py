"""Token-level confusion between true and predicted tags.

Entity F1 says how many entities were found; the confusion matrix says which tags
are mistaken for which: ``B-ORG`` read as ``B-LOC``, ``I-PER`` cut to ``O``, and so on.
Rows are true tags, columns predicted tags, counted over every token of every
sentence.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ner_helpers.constants import NER_TAGS
from ner_helpers.errors import KitError
from ner_helpers.metric import check_aligned
from ner_helpers.visual.entity_colors import tag_color


def tag_confusion_matrix(
    true_tags: Sequence[Sequence[str]],
    pred_tags: Sequence[Sequence[str]],
    labels: Sequence[str] = NER_TAGS,
) -> np.ndarray:
    """Count how often each true tag was predicted as each tag.

    Args:
        true_tags: gold tags, one list per sentence.
        pred_tags: predicted tags, one list per sentence, aligned with ``true_tags``.
        labels: the tags, in the order of the matrix's rows and columns.

    Returns:
        An int64 array ``[K, K]`` with ``K = len(labels)``: entry ``[i, j]`` is the
        number of tokens whose true tag is ``labels[i]`` and predicted tag ``labels[j]``.

    Raises:
        KitError: the two lists are not aligned, or a tag is not among ``labels``.
    """
    check_aligned(true_tags, pred_tags)
    index_of = {label: index for index, label in enumerate(labels)}
    if len(index_of) != len(labels):
        raise KitError("labels must not repeat a tag")
    matrix = np.zeros((len(labels), len(labels)), dtype=np.int64)
    for sentence, (gold, pred) in enumerate(zip(true_tags, pred_tags, strict=True)):
        for position, (true_tag, pred_tag) in enumerate(zip(gold, pred, strict=True)):
            for name, tag in (("true_tags", true_tag), ("pred_tags", pred_tag)):
                if tag not in index_of:
                    raise KitError(
                        f"{name}, sentence {sentence}, position {position}: tag {tag!r} is not "
                        "among the labels (remove padding positions first)"
                    )
            matrix[index_of[true_tag], index_of[pred_tag]] += 1
    return matrix


def confusion_matrix_plot(
    true_tags: Sequence[Sequence[str]],
    pred_tags: Sequence[Sequence[str]],
    labels: Sequence[str] = NER_TAGS,
    normalize: bool = True,
    ax: Axes | None = None,
    title: str | None = None,
) -> Figure:
    """Draw the tag confusion matrix with each cell's value written in it.

    Args:
        true_tags: gold tags, one list per sentence.
        pred_tags: predicted tags, one list per sentence, aligned with ``true_tags``.
        labels: the tags, in the order of rows and columns.
        normalize: show each row as rates summing to 1 (the share of a true tag's
            tokens given each prediction, so rare tags are as readable as ``O``);
            False shows raw counts. Row labels carry each true tag's token count.
        ax: draw into this axes instead of a new figure.
        title: the plot's title.

    Returns:
        The figure.

    Raises:
        KitError: as :func:`tag_confusion_matrix`.
    """
    counts = tag_confusion_matrix(true_tags, pred_tags, labels)
    row_totals = counts.sum(axis=1)
    if normalize:
        values = counts / np.maximum(row_totals, 1)[:, None]
        cell_text = [[f"{v:.2f}" if v else "0" for v in row] for row in values]
        colorbar_label = "share of the true tag's tokens"
    else:
        values = counts.astype(float)
        cell_text = [[str(v) for v in row] for row in counts]
        colorbar_label = "tokens"

    size = 1.5 + 0.75 * len(labels)
    if ax is None:
        fig, ax = plt.subplots(figsize=(size + 1.5, size), layout="constrained")
    else:
        fig = ax.figure
    image = ax.imshow(values, cmap="Blues", vmin=0, vmax=values.max() if values.size else 1)
    threshold = 0.6 * (values.max() if values.size and values.max() > 0 else 1)
    for i in range(len(labels)):
        for j in range(len(labels)):
            color = "white" if values[i, j] > threshold else "black"
            ax.text(j, i, cell_text[i][j], ha="center", va="center", color=color, fontsize=8)
    ax.set_xticks(range(len(labels)), labels, rotation=45, ha="right")
    ax.set_yticks(
        range(len(labels)),
        [f"{label} ({total})" for label, total in zip(labels, row_totals, strict=True)],
    )
    for tick_labels in (ax.get_xticklabels(), ax.get_yticklabels()):
        for tick_label, label in zip(tick_labels, labels, strict=True):
            tick_label.set_color(tag_color(label) or "black")
    ax.set_xlabel("predicted tag")
    ax.set_ylabel("true tag (tokens)")
    ax.set_title(title or ("tag confusion (row-normalised)" if normalize else "tag confusion"))
    fig.colorbar(image, ax=ax, label=colorbar_label, shrink=0.8)
    return fig
