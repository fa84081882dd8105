"""Taggers side by side: validation F1 and training time per model.

The input maps a label (``"CNN, frozen GloVe"``) to ``(seconds per epoch, F1)``.
The left axes show the F1 of each model as bars; the right axes place each model
by its epoch time and its F1, so that the cheap and good ones stand out at the top
left.
"""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from ner_helpers.errors import KitError


def tagger_comparison_plot(results: Mapping[str, tuple[float, float]],
                           metric: str = "validation weighted F1") -> Figure:
    """Bars of F1 per model and a scatter of epoch seconds against F1."""
    if not results:
        raise KitError("tagger_comparison_plot needs at least one model")
    names = list(results)
    seconds = [float(results[name][0]) for name in names]
    scores = [float(results[name][1]) for name in names]
    fig, (bars, scatter) = plt.subplots(1, 2, figsize=(12, 0.5 + 0.45 * len(names) + 3),
                                        layout="constrained")
    positions = range(len(names))
    bars.barh(list(positions), scores, color="#4c72b0")
    bars.set_yticks(list(positions), names)
    bars.invert_yaxis()
    bars.set_xlim(0, 1)
    bars.set_xlabel(metric)
    for y, score in zip(positions, scores):
        bars.text(score + 0.01, y, f"{score:.3f}", va="center")
    scatter.scatter(seconds, scores, color="#dd8452")
    for name, x, y in zip(names, seconds, scores):
        scatter.annotate(name, (x, y), textcoords="offset points", xytext=(5, 5))
    scatter.set_xlabel("seconds per epoch")
    scatter.set_ylabel(metric)
    scatter.set_xlim(left=0)
    return fig
