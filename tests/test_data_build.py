"""The dataset build: outputs, counts, sources, and all-or-nothing writing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ner_helpers.config import kit_config
from ner_helpers.data import build_dataset, load_hidden_labels, load_split
from ner_helpers.errors import KitError

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SAMPLE = PROJECT_ROOT / "dataset" / "sample"


def build(source, tmp_path: Path, **kwargs):
    return build_dataset(source, tmp_path / "out", tmp_path / "hidden" / "labels.json", **kwargs)


def write_conll_dir(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


GOOD = {
    "train.conll": "0\tMira\tB-PER\n1\tOsei\tI-PER\n\n0\tin\tO\n1\tLima\tI-LOC\n",
    "val.conll": "0\tOslo\tB-LOC\n1\tgrew\tO\n",
    "test.conll": "0\tNorvane\tB-ORG\n1\tBank\tI-ORG\n\n0\tfell\tO\n",
}


def test_sample_is_the_default_source(tmp_path: Path) -> None:
    report = build(None, tmp_path)
    assert report.source_kind == "conll"
    assert Path(report.source.split(" in ", 1)[1]) == SAMPLE.resolve()
    counts = {name: split.sentences for name, split in report.splits.items()}
    assert counts == {"train": 300, "val": 60, "test": 60}
    assert report.splits["train"].stray_inside_normalised == 1
    assert report.stray_inside_normalised == 1
    assert [s.docstarts_dropped for s in report.splits.values()] == [2, 1, 1]
    types = {
        tag[2:]
        for row in load_split(tmp_path / "out" / "train.json")
        for tag in row["NER"]
        if tag != "O"
    }
    assert types == {"PER", "ORG", "LOC", "MISC"}


def test_outputs_follow_the_kit_format(tmp_path: Path) -> None:
    report = build(write_conll_dir(tmp_path / "src", GOOD), tmp_path)
    out = tmp_path / "out"
    train = load_split(out / "train.json", require_labels=True)
    assert train == [
        {"text": ["Mira", "Osei"], "NER": ["B-PER", "I-PER"], "index": [0, 1]},
        {"text": ["in", "Lima"], "NER": ["O", "B-LOC"], "index": [2, 3]},  # stray I- repaired
    ]
    test = load_split(out / "test.json")
    assert all("NER" not in row for row in test)
    assert [row["index"] for row in test] == [[0, 1], [2]]
    hidden = load_hidden_labels(tmp_path / "hidden" / "labels.json")
    assert hidden == [{"index": [0, 1], "NER": ["B-ORG", "I-ORG"]}, {"index": [2], "NER": ["O"]}]
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["source"] == report.source
    assert manifest["splits"]["train"]["sentences"] == 2
    assert manifest["splits"]["train"]["tokens"] == 4
    assert manifest["splits"]["train"]["stray_inside_normalised"] == 1
    assert manifest["totals"]["sentences"] == 5
    assert sorted(p.name for p in out.iterdir()) == [
        "manifest.json",
        "test.json",
        "train.json",
        "val.json",
    ]
    text = report.format()
    assert "stray I- -> B-" in text and "train" in text and "total" in text
    assert str(report) == text


def test_limit_keeps_the_first_sentences(tmp_path: Path) -> None:
    report = build(None, tmp_path, limit=7)
    assert {name: split.sentences for name, split in report.splits.items()} == {
        "train": 7,
        "val": 7,
        "test": 7,
    }
    assert len(load_split(tmp_path / "out" / "val.json")) == 7
    assert json.loads((tmp_path / "out" / "manifest.json").read_text())["limit"] == 7
    with pytest.raises(KitError, match="positive number"):
        build(None, tmp_path, limit=0)


def test_json_source(tmp_path: Path) -> None:
    source = tmp_path / "json_src"
    source.mkdir()
    for split in ("train", "val", "test"):
        rows = [{"text": ["Ada", "Quell", "won"], "NER": ["I-PER", "I-PER", "O"]}]
        (source / f"{split}.json").write_text(json.dumps(rows), encoding="utf-8")
    report = build(source, tmp_path)
    assert report.source_kind == "json"
    assert report.stray_inside_normalised == 3
    assert load_split(tmp_path / "out" / "train.json")[0]["NER"] == ["B-PER", "I-PER", "O"]


def test_json_source_needs_labels_for_the_test_split(tmp_path: Path) -> None:
    source = tmp_path / "json_src"
    source.mkdir()
    labelled = '[\n{"text": ["a"], "NER": ["O"]}\n]\n'
    (source / "train.json").write_text(labelled, encoding="utf-8")
    (source / "val.json").write_text(labelled, encoding="utf-8")
    (source / "test.json").write_text('[\n{"text": ["a"], "index": [0]}\n]\n', encoding="utf-8")
    with pytest.raises(KitError) as caught:
        build(source, tmp_path)
    assert str(caught.value).startswith(f"{source / 'test.json'}:2: row 1: missing key 'NER'")


def test_json_source_token_tag_mismatch_is_located(tmp_path: Path) -> None:
    source = tmp_path / "json_src"
    source.mkdir()
    good = '[\n{"text": ["a"], "NER": ["O"]}\n]\n'
    bad = '[\n{"text": ["a"], "NER": ["O"]},\n{"text": ["a", "b"], "NER": ["O"]}\n]\n'
    for split, text in (("train", good), ("val", bad), ("test", good)):
        (source / f"{split}.json").write_text(text, encoding="utf-8")
    with pytest.raises(KitError) as caught:
        build(source, tmp_path)
    message = str(caught.value)
    assert message.startswith(f"{source / 'val.json'}:3: row 2: ")
    assert "2 tokens but 1 tags" in message


@pytest.mark.parametrize(
    ("files", "problem"),
    [
        ({"train.conll": GOOD["train.conll"], "val.conll": GOOD["val.conll"]}, "split 'test'"),
        ({**GOOD, "val.conll": "0\tOslo\tB-TOWN\n"}, "val.conll:1: unknown tag 'B-TOWN'"),
        ({**GOOD, "test.conll": ""}, "test.conll:1: file is empty"),
        ({**GOOD, "train.conll": "0\tA\tO\n1\tB\n"}, "train.conll:2: expected 3 columns"),
    ],
)
def test_failed_build_leaves_earlier_outputs_intact(
    tmp_path: Path, files: dict[str, str], problem: str
) -> None:
    build(None, tmp_path, limit=5)
    out = tmp_path / "out"
    hidden = tmp_path / "hidden" / "labels.json"
    before = {p: p.read_bytes() for p in [*out.iterdir(), hidden]}
    source = write_conll_dir(tmp_path / "broken", files)
    with pytest.raises(KitError, match=problem):
        build(source, tmp_path)
    after = {p: p.read_bytes() for p in [*out.iterdir(), hidden]}
    assert after == before
    assert not any(p.name.endswith(".partial") for p in [*out.iterdir(), *hidden.parent.iterdir()])


def test_source_errors(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    with pytest.raises(KitError, match=f"^{missing}: source directory not found"):
        build(missing, tmp_path)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(KitError, match="no split files found"):
        build(empty, tmp_path)
    both = write_conll_dir(tmp_path / "both", {**GOOD, "train.json": "[]"})
    with pytest.raises(KitError, match="both CoNLL and JSON"):
        build(both, tmp_path)
    assert build(both, tmp_path, source_format="conll").source_kind == "conll"
    with pytest.raises(KitError, match="give a dataset id"):
        build("hub:", tmp_path)


def test_default_paths_come_from_the_config(tmp_path: Path) -> None:
    config = kit_config()
    config["paths"]["dataset_dir"] = str(tmp_path / "ds")
    config["paths"]["hidden_labels"] = str(tmp_path / "secret" / "labels.json")
    report = build_dataset(limit=3, config=config)
    assert (tmp_path / "ds" / "train.json").is_file()
    assert (tmp_path / "secret" / "labels.json").is_file()
    assert report.outputs["hidden labels"] == str(tmp_path / "secret" / "labels.json")


def test_real_conll2003_counts(shared_data: Path, tmp_path: Path) -> None:
    source = shared_data / "conll2003"
    if not source.is_dir():
        pytest.skip("CoNLL-2003 copy not found")
    report = build(source, tmp_path)
    splits = report.splits
    assert [splits[s].sentences for s in ("train", "val", "test")] == [14_041, 3_250, 3_453]
    assert [splits[s].tokens for s in ("train", "val", "test")] == [203_621, 51_362, 46_435]
    assert [splits[s].docstarts_dropped for s in ("train", "val", "test")] == [946, 215, 230]
    assert report.stray_inside_normalised == 173
    assert splits["train"].stray_inside_normalised == 173
    train = load_split(tmp_path / "out" / "train.json")
    assert train[0]["text"][:3] == ["EU", "rejects", "German"]
    assert train[-1]["index"][-1] == 203_621 - 1
    assert len(load_hidden_labels(tmp_path / "hidden" / "labels.json")) == 3_453
