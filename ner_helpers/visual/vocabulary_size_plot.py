"""How vocabulary pruning shrinks the vocabulary.

The tokenizer keeps tokens seen at least ``min_freq`` times, then drops the rarest
``remove_frac`` of what is left. This plot shows the vocabulary size for a range
of each setting, to help choose them. Compute the sizes first, for example::

    sizes_by_min_freq = {}
    for min_freq in (1, 2, 3, 5, 10, 20):
        tokenizer = Tokenizer(PAD_TOKEN, UNK_TOKEN)
        tokenizer.train(train_data, min_freq=min_freq, remove_frac=0.0)
        sizes_by_min_freq[min_freq] = tokenizer.vocab_size

    sizes_by_remove_frac = {}
    for remove_frac in (0.0, 0.1, 0.2, 0.3, 0.5, 0.7):
        tokenizer = Tokenizer(PAD_TOKEN, UNK_TOKEN)
        tokenizer.train(train_data, min_freq=2, remove_frac=remove_frac)
        sizes_by_remove_frac[remove_frac] = tokenizer.vocab_size

    vocabulary_size_plot(sizes_by_min_freq, sizes_by_remove_frac,
                         chosen_min_freq=2, chosen_remove_frac=0.3)
"""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ner_helpers.errors import KitError


def vocabulary_size_plot(
    sizes_by_min_freq: Mapping[int, int] | None = None,
    sizes_by_remove_frac: Mapping[float, int] | None = None,
    chosen_min_freq: int | None = None,
    chosen_remove_frac: float | None = None,
) -> Figure:
    """Plot vocabulary size against ``min_freq`` and against ``remove_frac``.

    Args:
        sizes_by_min_freq: ``{min_freq: vocabulary size}``, measured with the other
            setting held fixed; None to leave this panel out.
        sizes_by_remove_frac: ``{remove_frac: vocabulary size}``, likewise; None to
            leave this panel out.
        chosen_min_freq: a value to mark on the first panel (e.g. the one you chose).
        chosen_remove_frac: a value to mark on the second panel.

    Returns:
        The figure, with one axes per mapping given (one or two).

    Raises:
        KitError: neither mapping is given, or one is empty.
    """
    panels = []
    if sizes_by_min_freq is not None:
        panels.append(
            ("min_freq", "minimum token frequency (min_freq)", sizes_by_min_freq, chosen_min_freq)
        )
    if sizes_by_remove_frac is not None:
        panels.append(
            (
                "remove_frac",
                "fraction of rarest tokens removed (remove_frac)",
                sizes_by_remove_frac,
                chosen_remove_frac,
            )
        )
    if not panels:
        raise KitError("give sizes_by_min_freq, sizes_by_remove_frac, or both")

    fig, axes = plt.subplots(
        1, len(panels), figsize=(5.2 * len(panels), 3.8), layout="constrained", squeeze=False
    )
    for ax, (name, xlabel, sizes, chosen) in zip(axes[0], panels, strict=True):
        _draw_panel(ax, name, xlabel, sizes, chosen)
    return fig


def _draw_panel(
    ax: Axes, name: str, xlabel: str, sizes: Mapping[float, int], chosen: float | None
) -> None:
    if not sizes:
        raise KitError(f"the sizes for {name} are empty")
    settings = sorted(sizes)
    vocab_sizes = [sizes[setting] for setting in settings]
    ax.plot(settings, vocab_sizes, "o-", color="#1f6fb4")
    for setting, size in zip(settings, vocab_sizes, strict=True):
        ax.annotate(
            f"{size:,}",
            (setting, size),
            textcoords="offset points",
            xytext=(0, 6),
            ha="center",
            fontsize=8,
        )
    if chosen is not None:
        ax.axvline(chosen, color="#d62728", linestyle="--", linewidth=1, label=f"{name}={chosen}")
        ax.legend(fontsize="small")
    if len(settings) <= 12:
        ax.set_xticks(settings, [f"{setting:g}" for setting in settings])
    ax.set_xlabel(xlabel)
    ax.set_ylabel("vocabulary size")
    ax.set_title(f"vocabulary size vs {name}")
    ax.set_ylim(0, max(vocab_sizes) * 1.15 or 1)
    ax.grid(alpha=0.3)
