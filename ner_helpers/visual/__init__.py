"""Plots and tables for looking at data, training runs and predictions.

Every function returns its figure (or table object) and never calls
``plt.show()``: in a notebook, end the line with ``;`` or assign the result to
keep a figure from being shown twice, and save it with ``fig.savefig(path)``.

* :func:`prediction_table`: one sentence's tokens, unknown-token flags,
  predicted and true tags, colour-coded by entity type.
* :func:`activation_heatmap`: a layer's activations ``[L, H]`` over a sentence.
* :func:`learning_curves`: train and validation metrics per epoch.
* :func:`confusion_matrix_plot` / :func:`tag_confusion_matrix`: which tags are
  mistaken for which.
* :func:`vocabulary_size_plot`: vocabulary size against the pruning settings.
* :func:`sentence_length_plot`: sentence lengths and the cost of static padding.
* ``tagger_comparison_plot`` (optional section 7, in
  :mod:`ner_helpers.visual.tagger_comparison`): F1 and epoch time per tagger.
"""

from ner_helpers.visual.activation_heatmap import activation_heatmap
from ner_helpers.visual.confusion_matrix import confusion_matrix_plot, tag_confusion_matrix
from ner_helpers.visual.entity_colors import ENTITY_COLORS, tag_color
from ner_helpers.visual.learning_curves import learning_curves, read_metrics_log
from ner_helpers.visual.prediction_table import PredictionTable, prediction_table
from ner_helpers.visual.sentence_length_plot import padding_share, sentence_length_plot
from ner_helpers.visual.vocabulary_size_plot import vocabulary_size_plot

__all__ = [
    "ENTITY_COLORS",
    "PredictionTable",
    "activation_heatmap",
    "confusion_matrix_plot",
    "learning_curves",
    "padding_share",
    "prediction_table",
    "read_metrics_log",
    "sentence_length_plot",
    "tag_color",
    "tag_confusion_matrix",
    "vocabulary_size_plot",
]
