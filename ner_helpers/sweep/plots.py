"""A sweep's figures: the metric against each axis, and the learning curves of each
axis value overlaid."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from ner_helpers.sweep.report import TrialRow


def _axes_of(rows: list[TrialRow]) -> list[str]:
    return list(dict.fromkeys(key for row in rows for key in row.params))


def _label(value: object) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _ordered_values(rows: list[TrialRow], axis: str) -> list:
    values = list(dict.fromkeys(row.params[axis] for row in rows if axis in row.params))
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        return sorted(values)
    return values


def metric_by_axis(rows: list[TrialRow], metric_label: str = "validation entity F1") -> Figure:
    """One panel per axis: each trial's validation F1 (dots) at its axis value, and
    the mean per value (a line)."""
    axes = _axes_of(rows)
    fig, panels = plt.subplots(1, len(axes), figsize=(4.2 * len(axes), 3.6), squeeze=False)
    for panel, axis in zip(panels[0], axes):
        values = _ordered_values(rows, axis)
        positions = {value: index for index, value in enumerate(values)}
        per_value = defaultdict(list)
        for row in rows:
            if row.val_f1 is not None and axis in row.params:
                per_value[row.params[axis]].append(row.val_f1)
                panel.plot(positions[row.params[axis]], row.val_f1, "o", color="#1f77b4",
                           alpha=0.6)
        means = [sum(per_value[v]) / len(per_value[v]) if per_value[v] else float("nan")
                 for v in values]
        panel.plot(range(len(values)), means, "-", color="#ff7f0e", label="mean")
        panel.set_xticks(range(len(values)), [_label(v) for v in values], rotation=30)
        panel.set_xlabel(axis)
        panel.set_ylabel(metric_label)
        panel.grid(alpha=0.3)
        panel.legend(loc="lower right", fontsize="small")
    fig.tight_layout()
    return fig


def curves_by_axis(rows: list[TrialRow], metric: str = "weighted_f1") -> Figure:
    """One panel per axis: the validation F1 per epoch of every trial, coloured by the
    trial's value on that axis, so the curves of each value lie over each other."""
    axes = _axes_of(rows)
    fig, panels = plt.subplots(1, len(axes), figsize=(4.2 * len(axes), 3.6), squeeze=False)
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for panel, axis in zip(panels[0], axes):
        values = _ordered_values(rows, axis)
        for index, value in enumerate(values):
            colour = colours[index % len(colours)]
            labelled = False
            for row in rows:
                if row.params.get(axis) != value or not row.history:
                    continue
                epochs = [entry["epoch"] for entry in row.history]
                scores = [(entry["val"] or entry["train"])[metric] for entry in row.history]
                panel.plot(epochs, scores, "-o", color=colour, markersize=3, alpha=0.75,
                           label=None if labelled else _label(value))
                labelled = True
        panel.set_title(axis)
        panel.xaxis.set_major_locator(MaxNLocator(integer=True))
        panel.set_xlabel("epoch")
        panel.set_ylabel("validation entity F1")
        panel.grid(alpha=0.3)
        panel.legend(fontsize="small", title=axis.rsplit(".", 1)[-1])
    fig.tight_layout()
    return fig


def optimization_history(study) -> Figure:
    """Optuna's own plot: each finished trial's value in trial order, with the best so far."""
    import warnings

    import optuna
    from optuna.visualization.matplotlib import plot_optimization_history

    # Optuna's plots switch matplotlib to its own style for good: rc_context puts the
    # settings back afterwards, so that later figures keep the kit's look.
    with warnings.catch_warnings(), matplotlib.rc_context():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        axes = plot_optimization_history(study, target_name="validation entity F1")
        figure = axes.get_figure()
        figure.set_size_inches(6, 3.6)
        figure.tight_layout()
    return figure


def save_plots(rows: list[TrialRow], out_dir: Path, metric: str = "weighted_f1",
               study=None) -> dict:
    """Write ``metric_by_axis.png``, ``curves_by_axis.png`` and, given the study, Optuna's
    ``optimization_history.png``; return their paths."""
    written = {}
    if study is not None:
        figure = optimization_history(study)
        path = out_dir / "optimization_history.png"
        figure.savefig(path, dpi=110, metadata={"Software": None}, bbox_inches="tight")
        plt.close(figure)
        written["optimization_history"] = path
    for key, figure in (("metric_by_axis", metric_by_axis(rows)),
                        ("curves_by_axis", curves_by_axis(rows, metric))):
        path = out_dir / f"{key}.png"
        figure.savefig(path, dpi=110, metadata={"Software": None})
        plt.close(figure)
        written[key] = path
    return written
