"""Learning curves: train and validation metrics per epoch.

The input is a metrics log, one record per epoch, each shaped like::

    {"epoch": 3,
     "train": {"loss": 0.21, "weighted_f1": 0.61},
     "val":   {"loss": 0.27, "weighted_f1": 0.55}}

either as a list of such dicts or as the path of a JSONL file with one record per
line. Each metric gets its own subplot with a train line and a validation line,
and the best validation epoch is marked on every subplot.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from ner_helpers.errors import KitError, located

SPLIT_STYLES = {"train": ("o-", "#1f77b4"), "val": ("s-", "#ff7f0e")}
SPLIT_NAMES = {"train": "train", "val": "validation"}
#: Up to this many epochs every epoch gets its own tick; beyond, integer ticks are spaced out.
MAX_EPOCH_TICKS = 12


def learning_curves(
    records: Sequence[Mapping[str, Any]] | str | Path,
    metrics: Sequence[str] = ("loss", "weighted_f1"),
    select_by: str = "weighted_f1",
) -> Figure:
    """Plot per-epoch metrics of the training and validation splits.

    Args:
        records: the per-epoch records of a metrics log, or the path of a JSONL
            file holding them (one JSON object per line).
        metrics: the metrics to plot, one subplot each.
        select_by: the validation metric that picks the best epoch (the highest
            value wins, or the lowest when the name contains "loss"); no epoch is
            marked when the log has no validation values for it.

    Returns:
        The figure, with one axes per metric.

    Raises:
        KitError: the log is empty or malformed, or a metric is absent from it.
    """
    if isinstance(records, (str, Path)):
        records = read_metrics_log(records)
    records = list(records)
    if not records:
        raise KitError("the metrics log has no records")
    if not metrics:
        raise KitError("give at least one metric to plot")
    epochs = [_epoch_of(record, index) for index, record in enumerate(records)]

    best_epoch = _best_epoch(records, epochs, select_by)
    fig, axes = plt.subplots(
        1, len(metrics), figsize=(4.8 * len(metrics), 3.6), layout="constrained", squeeze=False
    )
    for ax, metric in zip(axes[0], metrics, strict=True):
        plotted = False
        for split, (style, color) in SPLIT_STYLES.items():
            points = _series(records, epochs, split, metric)
            if not points:
                continue
            xs, ys = zip(*points, strict=True)
            ax.plot(xs, ys, style, color=color, label=SPLIT_NAMES[split], markersize=4)
            plotted = True
        if not plotted:
            raise KitError(
                f"metric {metric!r} is not in the metrics log; it has {_available(records)}"
            )
        if best_epoch is not None:
            ax.axvline(best_epoch, color="#555555", linestyle="--", linewidth=1)
            best_value = dict(_series(records, epochs, "val", metric)).get(best_epoch)
            if best_value is not None:
                ax.plot(
                    [best_epoch],
                    [best_value],
                    marker="*",
                    markersize=14,
                    color="#d62728",
                    linestyle="none",
                    label=f"best val epoch ({best_epoch})",
                )
        ax.set_title(metric)
        ax.set_xlabel("epoch")
        _epoch_ticks(ax, epochs)
        ax.grid(alpha=0.3)
        ax.legend(fontsize="small")
    return fig


def _epoch_ticks(ax: plt.Axes, epochs: Sequence[float]) -> None:
    """Whole-number epoch ticks only, also for a run of one epoch (whose autoscaled
    axis would otherwise be labelled 0.945, 0.960, ...)."""
    distinct = sorted(set(epochs))
    if len(distinct) <= MAX_EPOCH_TICKS:
        ax.set_xticks(distinct)
        ax.set_xticklabels([f"{epoch:g}" for epoch in distinct])
    else:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    if len(distinct) == 1:
        ax.set_xlim(distinct[0] - 0.5, distinct[0] + 0.5)


def read_metrics_log(path: str | Path) -> list[dict[str, Any]]:
    """Read a JSONL metrics log: one JSON object per non-blank line."""
    path = Path(path)
    if not path.is_file():
        raise KitError(f"{path}: no such metrics log")
    records = []
    for line_number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise located(path, line_number, f"not valid JSON ({error.msg})") from None
        if not isinstance(record, dict):
            raise located(path, line_number, "each line must be a JSON object")
        records.append(record)
    return records


def _epoch_of(record: Mapping[str, Any], index: int) -> int:
    if not isinstance(record, Mapping):
        raise KitError(f"record {index} of the metrics log is not a dict")
    return int(record.get("epoch", index + 1))


def _series(
    records: Sequence[Mapping[str, Any]], epochs: Sequence[int], split: str, metric: str
) -> list[tuple[int, float]]:
    """``(epoch, value)`` pairs of one split's metric, skipping epochs without it."""
    points = []
    for epoch, record in zip(epochs, records, strict=True):
        values = record.get(split)
        if isinstance(values, Mapping) and values.get(metric) is not None:
            points.append((epoch, float(values[metric])))
    return points


def _best_epoch(
    records: Sequence[Mapping[str, Any]], epochs: Sequence[int], select_by: str
) -> int | None:
    points = _series(records, epochs, "val", select_by)
    if not points:
        return None
    lower_is_better = "loss" in select_by
    key = (lambda point: point[1]) if lower_is_better else (lambda point: -point[1])
    return min(points, key=key)[0]  # the first epoch among equals


def _available(records: Sequence[Mapping[str, Any]]) -> str:
    names = sorted(
        {
            name
            for record in records
            for split in SPLIT_STYLES
            if isinstance(record.get(split), Mapping)
            for name in record[split]
        }
    )
    return ", ".join(names) if names else "no train or val values"
