"""The dataset files a release ships, checked before they are copied.

The release refuses to build when the dataset has not been built (``ner-kit
data``), when a split file is not in the kit's format, or when the hidden split
(``kit.yaml`` ``data.hidden_split``, the test split) carries ``NER`` labels.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from autograder.release.settings import ReleaseSettings
from ner_helpers.data.records import LABEL_KEY, load_split
from ner_helpers.errors import KitError

#: Where the dataset files go in the release.
RELEASE_DATASET_DIR = "dataset"


def dataset_release_files(dataset_dir: Path, settings: ReleaseSettings,
                          kit: dict[str, Any]) -> dict[str, Path]:
    """``release path -> source file`` of every dataset file, each checked."""
    hidden = f"{kit.get('data', {}).get('hidden_split', 'test')}.json"
    missing = [name for name in settings.dataset_files if not (dataset_dir / name).is_file()]
    if missing:
        raise KitError(
            f"{dataset_dir}: the dataset has not been built ({', '.join(missing)} missing); "
            f"build it first with `ner-kit data --source PATH`")
    files: dict[str, Path] = {}
    for name in settings.dataset_files:
        path = dataset_dir / name
        rows = load_split(path)
        if name == hidden:
            labelled = next((number for number, row in enumerate(rows, start=1)
                             if LABEL_KEY in row), None)
            if labelled is not None:
                raise KitError(f"{path}: row {labelled} carries {LABEL_KEY} labels; the "
                               f"{Path(hidden).stem} split must ship without them (rebuild "
                               f"the dataset with `ner-kit data`)")
        files[f"{RELEASE_DATASET_DIR}/{name}"] = path
    return files
