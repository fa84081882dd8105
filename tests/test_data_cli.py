"""``ner-kit data`` run as a real command."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from ner_helpers.data import load_hidden_labels, load_split

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def ner_kit(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HF_DATASETS_OFFLINE": "1", "HF_HUB_OFFLINE": "1"}
    return subprocess.run(
        [sys.executable, "-m", "ner_helpers.cli.main", "data", *args],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_help_explains_sources_and_options() -> None:
    result = ner_kit("--help")
    assert result.returncode == 0
    for text in (
        "--source",
        "--hub",
        "--out",
        "--hidden-labels",
        "--limit",
        "--config",
        "-DOCSTART-",
    ):
        assert text in result.stdout


def test_builds_the_sample_and_prints_a_table(tmp_path: Path) -> None:
    out, hidden = tmp_path / "dataset", tmp_path / "hidden" / "test_labels.json"
    result = ner_kit("--out", str(out), "--hidden-labels", str(hidden), "--limit", "20")
    assert result.returncode == 0, result.stderr
    assert "split" in result.stdout and "sentences" in result.stdout
    assert "train" in result.stdout and "total" in result.stdout
    assert len(load_split(out / "train.json")) == 20
    assert "NER" not in load_split(out / "test.json")[0]
    assert len(load_hidden_labels(hidden)) == 20
    assert (out / "manifest.json").is_file()


def test_bad_input_prints_one_located_error_line(tmp_path: Path) -> None:
    source = tmp_path / "corpus"
    source.mkdir()
    (source / "train.conll").write_text("0\tA\tO\n\n0\tB\tB-WHO\n", encoding="utf-8")
    (source / "val.conll").write_text("0\tA\tO\n", encoding="utf-8")
    (source / "test.conll").write_text("0\tA\tO\n", encoding="utf-8")
    out = tmp_path / "dataset"
    result = ner_kit(
        "--source", str(source), "--out", str(out), "--hidden-labels", str(tmp_path / "h.json")
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert lines == [
        f"error: {source / 'train.conll'}:3: unknown tag 'B-WHO'; expected one of "
        "O, B-ORG, I-ORG, B-PER, I-PER, B-LOC, I-LOC, B-MISC, I-MISC"
    ]
    assert not out.exists()


def test_hub_source_through_the_command(tmp_path: Path) -> None:
    fixture = PROJECT_ROOT / "tests" / "fixtures" / "hub_wikineural"
    result = ner_kit(
        "--hub",
        str(fixture),
        "--out",
        str(tmp_path / "dataset"),
        "--hidden-labels",
        str(tmp_path / "h.json"),
        "--cache-dir",
        str(tmp_path / "cache"),
    )
    assert result.returncode == 0, result.stderr
    assert "ClassLabel" in result.stdout
    assert len(load_split(tmp_path / "dataset" / "train.json")) == 5
