"""A heatmap of a layer's activations over one sentence.

Rows are the sentence's tokens, columns the layer's hidden units. The colour map
is diverging and centred at 0 (blue negative, white zero, red positive), with the
same limit on both sides, so the sign and size of every activation can be read
and two heatmaps drawn with the same ``limit`` can be compared.

Example (activations captured by a forward hook, for sentence 0 of a batch)::

    acts = hooked["rnn.layer1"][0, :length]          # [L, H]
    fig = activation_heatmap(acts, tokens[:length], title="RNN layer 1")
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ner_helpers.errors import KitError
from ner_helpers.visual.inputs import as_token_list

DIVERGING_CMAP = "RdBu_r"


def activation_heatmap(
    activations: Any,
    tokens: str | Sequence[str],
    title: str | None = None,
    ax: Axes | None = None,
    max_units: int | None = None,
    limit: float | None = None,
) -> Figure:
    """Draw the activations of one sentence as a token-by-unit heatmap.

    Args:
        activations: ``[L, H]`` values for one sentence, a torch tensor (any device,
            gradients allowed) or a numpy array; ``L`` must equal ``len(tokens)``.
        tokens: the ``L`` tokens, drawn as row labels.
        title: the plot's title.
        ax: draw into this axes instead of a new figure.
        max_units: show only the first ``max_units`` hidden units (None: all).
        limit: the colour scale runs from ``-limit`` to ``+limit``; by default the
            largest absolute value shown.

    Returns:
        The figure (one heatmap axes plus its colour bar axes).

    Raises:
        KitError: activations are not 2-dimensional, or their first dimension is
            not the number of tokens.
    """
    values = _as_matrix(activations)
    token_list = as_token_list(tokens)
    num_tokens, num_units = values.shape
    if num_tokens != len(token_list):
        raise KitError(
            f"activations have {num_tokens} rows but there are {len(token_list)} tokens; "
            "pass [L, H] for the sentence's own tokens (drop padding positions)"
        )
    if max_units is not None:
        if max_units < 1:
            raise KitError(f"max_units must be at least 1, got {max_units}")
        values = values[:, :max_units]
    shown_units = values.shape[1]

    if limit is None:
        limit = float(np.abs(values).max()) if values.size else 0.0
    if not limit > 0:
        limit = 1.0

    if ax is None:
        height = min(2.0 + 0.28 * num_tokens, 40.0)
        width = min(4.0 + 0.12 * shown_units, 16.0)
        fig, ax = plt.subplots(figsize=(max(width, 6.0), height), layout="constrained")
    else:
        fig = ax.figure
    image = ax.imshow(
        values, cmap=DIVERGING_CMAP, vmin=-limit, vmax=limit, aspect="auto", interpolation="nearest"
    )
    ax.set_yticks(range(num_tokens), token_list)
    unit_label = "hidden unit"
    if shown_units < num_units:
        unit_label += f" (first {shown_units} of {num_units})"
    ax.set_xlabel(unit_label)
    ax.set_ylabel("token")
    if title:
        ax.set_title(title)
    fig.colorbar(image, ax=ax, label="activation", shrink=0.9)
    return fig


def _as_matrix(activations: Any) -> np.ndarray:
    """A torch tensor or array-like as a float numpy array of shape ``[L, H]``."""
    if hasattr(activations, "detach"):  # a torch tensor
        activations = activations.detach().float().cpu().numpy()
    try:
        values = np.asarray(activations, dtype=float)
    except (TypeError, ValueError):
        raise KitError("activations must be a tensor or array of numbers") from None
    if values.ndim != 2:
        hint = " (for a batch, pass one sentence, e.g. activations[0])" if values.ndim == 3 else ""
        raise KitError(
            f"activations must have shape [L, H] (2 dimensions), got shape "
            f"{list(values.shape)}{hint}"
        )
    return values
