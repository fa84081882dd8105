"""The hub source, offline: datasets.load_dataset on a local folder in the hub's layout.

The fixture ``tests/fixtures/hub_wikineural`` holds invented records in the
WikiNEuRal format (splits train_en / val_en / test_en; tokens, integer
ner_tags, lang) with the tag names declared as a ClassLabel feature.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from ner_helpers.data import build_dataset, load_hidden_labels, load_split
from ner_helpers.errors import KitError

pytest.importorskip("datasets")

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "hub_wikineural"

#: The fixture's README without its dataset_info block: features are inferred.
README_WITHOUT_FEATURES = """\
---
configs:
- config_name: default
  data_files:
  - split: train_en
    path: data/train_en.jsonl
  - split: val_en
    path: data/val_en.jsonl
  - split: test_en
    path: data/test_en.jsonl
---
"""


def build_hub(dataset: Path, tmp_path: Path, **kwargs):
    return build_dataset(
        f"hub:{dataset}",
        tmp_path / "out",
        tmp_path / "hidden.json",
        cache_dir=tmp_path / "cache",
        **kwargs,
    )


def copy_without_features(tmp_path: Path) -> Path:
    copy = tmp_path / "plain_hub"
    shutil.copytree(FIXTURE / "data", copy / "data")
    (copy / "README.md").write_text(README_WITHOUT_FEATURES, encoding="utf-8")
    return copy


def test_hub_fixture_uses_the_classlabel_names(tmp_path: Path) -> None:
    report = build_hub(FIXTURE, tmp_path)
    assert report.source_kind == "hub"
    assert "ClassLabel" in (report.tag_names or "")
    assert {n: s.sentences for n, s in report.splits.items()} == {"train": 5, "val": 2, "test": 3}
    assert report.stray_inside_normalised == 1
    val = load_split(tmp_path / "out" / "val.json")
    assert val[0] == {
        "text": ["Marta", "Quell", "was", "born", "in", "Lower", "Fennick", "."],
        "NER": ["B-PER", "I-PER", "O", "O", "O", "B-LOC", "I-LOC", "O"],
        "index": [0, 1, 2, 3, 4, 5, 6, 7],
    }
    assert val[1]["NER"][1:3] == ["B-ORG", "I-ORG"]
    assert "NER" not in load_split(tmp_path / "out" / "test.json")[0]
    assert len(load_hidden_labels(tmp_path / "hidden.json")) == 3


def test_without_features_the_card_names_are_used(tmp_path: Path) -> None:
    report = build_hub(copy_without_features(tmp_path), tmp_path, limit=2)
    assert "data.hub.card_tag_names" in (report.tag_names or "")
    val = load_split(tmp_path / "out" / "val.json")
    assert val[0]["NER"] == ["B-PER", "I-PER", "O", "O", "O", "B-LOC", "I-LOC", "O"]
    assert report.splits["train"].sentences == 2


def test_out_of_range_tag_id_is_located(tmp_path: Path) -> None:
    source = copy_without_features(tmp_path)
    rows = (source / "data" / "val_en.jsonl").read_text(encoding="utf-8").splitlines()
    second = json.loads(rows[1])
    second["ner_tags"][0] = 12
    rows[1] = json.dumps(second)
    (source / "data" / "val_en.jsonl").write_text("\n".join(rows) + "\n", encoding="utf-8")
    with pytest.raises(KitError, match=r"/val_en:2: row 2: tag id 12 is out of range 0\.\.8"):
        build_hub(source, tmp_path)


def test_missing_split_is_reported(tmp_path: Path) -> None:
    source = tmp_path / "two_splits"
    shutil.copytree(FIXTURE / "data", source / "data")
    readme = README_WITHOUT_FEATURES.replace(
        "  - split: test_en\n    path: data/test_en.jsonl\n", ""
    )
    (source / "README.md").write_text(readme, encoding="utf-8")
    with pytest.raises(KitError, match="split 'test_en' \\(for test\\) is missing"):
        build_hub(source, tmp_path)


def test_unknown_tag_names_in_the_features_are_refused(tmp_path: Path) -> None:
    source = tmp_path / "odd_names"
    shutil.copytree(FIXTURE, source)
    readme = (source / "README.md").read_text(encoding="utf-8")
    (source / "README.md").write_text(readme.replace("B-MISC", "B-DATE"), encoding="utf-8")
    with pytest.raises(KitError, match="'B-DATE'"):
        build_hub(source, tmp_path)


def test_unreachable_dataset_gives_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(KitError, match="could not load the dataset"):
        build_dataset(
            "hub:no-such-owner/no-such-dataset",
            tmp_path / "out",
            tmp_path / "hidden.json",
            cache_dir=tmp_path / "cache",
        )
    assert not (tmp_path / "out").exists()
