"""The kit's data: the JSON split format, corpus readers and the dataset build.

Public API:

- :func:`load_split` / :func:`save_split`: one split file of the kit's format
  (rows ``{"text": [...], "NER": [...], "index": [...]}``, one per line);
- :func:`load_hidden_labels` / :func:`save_hidden_labels`: the instructor-only
  test labels (rows ``{"index": [...], "NER": [...]}``);
- :func:`build_dataset`: read a source (CoNLL directory, JSON directory, hub
  dataset, or the bundled sample), check it, write the split files, the hidden
  labels and a manifest, and return a :class:`BuildReport`;
- :func:`normalise_stray_inside`: the ``I-`` to ``B-`` repair the build applies.
"""

from ner_helpers.data.build import build_dataset
from ner_helpers.data.records import (
    load_hidden_labels,
    load_split,
    save_hidden_labels,
    save_split,
)
from ner_helpers.data.report import BuildReport, SplitReport
from ner_helpers.data.tags import normalise_stray_inside

__all__ = [
    "BuildReport",
    "SplitReport",
    "build_dataset",
    "load_hidden_labels",
    "load_split",
    "normalise_stray_inside",
    "save_hidden_labels",
    "save_split",
]
