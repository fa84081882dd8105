"""Sentence lengths, and what padding them costs.

Padding every sentence to the longest one (static padding) fills most positions
of a batch with pad tokens when a few sentences are much longer than the rest.
This histogram marks the longest length and some percentiles, and states the
share of positions that would be padding.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ner_helpers.errors import KitError

PERCENTILE_COLORS = ("#2e8b3d", "#e8710a", "#8e44ad", "#1f6fb4")


def sentence_length_plot(
    lengths: Sequence[int] | Sequence[Sequence[Any]],
    percentiles: Sequence[float] = (50, 90, 99),
    batch_size: int | None = None,
    bins: int = 40,
    ax: Axes | None = None,
) -> Figure:
    """Histogram of sentence lengths with the longest length and percentiles marked.

    Args:
        lengths: one length per sentence, or the sentences themselves (lists of
            tokens), whose lengths are taken.
        percentiles: the percentiles to mark with vertical lines.
        batch_size: when given, also report the padding share of dynamic padding:
            the sentences, in the given order, cut into batches of this size, each
            padded to its own longest sentence.
        bins: number of histogram bins.
        ax: draw into this axes instead of a new figure.

    Returns:
        The figure. Its title states the padding share of static padding to the
        longest sentence (and of dynamic padding when ``batch_size`` is given).

    Raises:
        KitError: no lengths, a negative length, or a string among the sentences.
    """
    values = _as_lengths(lengths)
    longest = int(values.max())
    static_waste = padding_share(values, batch_size=None)

    if ax is None:
        fig, ax = plt.subplots(figsize=(8, 4), layout="constrained")
    else:
        fig = ax.figure
    ax.hist(values, bins=min(bins, max(longest, 1)), color="#9ecae1", edgecolor="#4a7fa8")
    for index, percentile in enumerate(percentiles):
        value = float(np.percentile(values, percentile))
        ax.axvline(
            value,
            color=PERCENTILE_COLORS[index % len(PERCENTILE_COLORS)],
            linestyle="--",
            linewidth=1.2,
            label=f"{percentile:g}th percentile: {value:g}",
        )
    ax.axvline(longest, color="#d62728", linewidth=2, label=f"longest: {longest}")
    ax.set_xlabel("sentence length (tokens)")
    ax.set_ylabel("sentences")
    ax.legend(fontsize="small")
    title = (
        f"{len(values):,} sentences, mean length {values.mean():.1f}; "
        f"padding all to {longest}: {static_waste:.0%} of positions are padding"
    )
    if batch_size is not None:
        dynamic_waste = padding_share(values, batch_size=batch_size)
        title += f"\nbatches of {batch_size} padded to their own longest: {dynamic_waste:.0%}"
    ax.set_title(title, fontsize="medium")
    return fig


def padding_share(lengths: Sequence[int] | np.ndarray, batch_size: int | None = None) -> float:
    """Share of positions that are padding.

    Args:
        lengths: one length per sentence.
        batch_size: None pads every sentence to the longest of all (static
            padding); a number cuts the sentences, in order, into batches of that
            size and pads each to its own longest (dynamic padding).

    Returns:
        ``1 - real tokens / padded positions``, between 0 and 1.
    """
    values = np.asarray(lengths, dtype=np.int64)
    if values.size == 0:
        return 0.0
    if batch_size is None:
        padded = values.max() * values.size
    else:
        if batch_size < 1:
            raise KitError(f"batch_size must be at least 1, got {batch_size}")
        padded = sum(
            int(values[start : start + batch_size].max()) * len(values[start : start + batch_size])
            for start in range(0, values.size, batch_size)
        )
    return float(1.0 - values.sum() / padded) if padded else 0.0


def _as_lengths(lengths: Sequence[int] | Sequence[Sequence[Any]]) -> np.ndarray:
    if isinstance(lengths, str):
        raise KitError("lengths must be a list of numbers or of sentences, not a string")
    items = list(lengths.tolist() if hasattr(lengths, "tolist") else lengths)
    if not items:
        raise KitError("there are no sentence lengths to plot")
    values = []
    for index, item in enumerate(items):
        if isinstance(item, str):
            raise KitError(f"item {index} is a string; give lengths or lists of tokens")
        values.append(len(item) if hasattr(item, "__len__") else int(item))
    array = np.asarray(values, dtype=np.int64)
    if (array < 0).any():
        raise KitError("sentence lengths cannot be negative")
    return array
