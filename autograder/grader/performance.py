"""Performance points: a submitted model's entity F1 on the hidden test labels.

The model is rebuilt in the sandboxed child from the student's own package,
its ``config.json`` and its ``weights.pt`` (``weights_only=True``), and tags
the test text (tokens only) with the student's ``tokenizer.json``. The grader
scores the tags against the hidden labels with
:func:`ner_helpers.metric.entity_scores` (support-weighted F1, matched by
token index): full points at or above the baseline, ``points * f1 /
baseline`` below it. The submitted ``test_predictions.json`` is not scored;
when it disagrees with what the model predicts, a note says so.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from autograder.grader.result import PerformanceResult
from autograder.grader.settings import GradingSettings, ModelSettings
from autograder.grader.student_code import StudentCode
from autograder.grader.unpack import UnpackedSubmission
from autograder.sandbox.failures import SandboxError
from ner_helpers.constants import NER_TAGS
from ner_helpers.errors import KitError
from ner_helpers.model_config import ModelConfig
from ner_helpers.predictions import load_predictions, score_predictions
from ner_helpers.submission import (
    MODEL_CONFIG_FILE,
    MODEL_PREDICTIONS_FILE,
    MODEL_WEIGHTS_FILE,
    MODELS_FOLDER,
    TOKENIZER_FILE,
)

FULL_GROUP = "full"


def performance_points(f1: float, model: ModelSettings, decimals: int) -> float:
    """Full points at or above the baseline, linear below it."""
    share = 1.0 if f1 >= model.baseline else max(f1, 0.0) / model.baseline
    return round(model.points * share, decimals)


def _zero(model: ModelSettings, message: str, notes: Sequence[str] = ()) -> PerformanceResult:
    return PerformanceResult(model.name, model.title, None, model.baseline, 0.0, model.points,
                             message, tuple(notes))


def model_files(model: str) -> dict[str, str]:
    """Submission path of each file the child needs, by its path under ``data/``."""
    folder = f"{MODELS_FOLDER}/{model}"
    return {f"{folder}/{MODEL_CONFIG_FILE}": f"{folder}/{MODEL_CONFIG_FILE}",
            f"{folder}/{MODEL_WEIGHTS_FILE}": f"{folder}/{MODEL_WEIGHTS_FILE}",
            TOKENIZER_FILE: TOKENIZER_FILE}


def _check_config(unpacked: UnpackedSubmission, model: str, max_layers: int) -> str | None:
    path = unpacked.files[f"{MODELS_FOLDER}/{model}/{MODEL_CONFIG_FILE}"]
    try:
        config = ModelConfig.from_dict(json.loads(path.read_text(encoding="utf-8")))
    except (ValueError, UnicodeDecodeError) as exc:
        return f"{MODELS_FOLDER}/{model}/{MODEL_CONFIG_FILE} is not valid JSON ({exc})"
    except (KitError, TypeError) as exc:
        return f"{MODELS_FOLDER}/{model}/{MODEL_CONFIG_FILE}: {exc}"
    if config.model_type != model:
        return f"the {model} slot holds a {config.model_type} model"
    if config.num_layers > max_layers:
        return (f"the model has {config.num_layers} layers; submitted models may have at most "
                f"{max_layers}, so it earns no performance points")
    return None


def _check_tags(tags: Any, sentences: Sequence[Sequence[str]]) -> str | None:
    if not isinstance(tags, list) or len(tags) != len(sentences):
        return "tagging did not give one list of tags per test sentence"
    valid = set(NER_TAGS)
    for number, (row, sentence) in enumerate(zip(tags, sentences)):
        if not isinstance(row, list) or len(row) != len(sentence):
            return (f"test sentence {number} has {len(sentence)} tokens but got "
                    f"{len(row) if isinstance(row, list) else 'no list of'} tags")
        bad = [tag for tag in row if tag not in valid]
        if bad:
            return f"test sentence {number} got the unknown tag {bad[0]!r}"
    return None


def _agreement_note(unpacked: UnpackedSubmission, model: str,
                    predicted: Mapping[int, str]) -> str | None:
    name = f"{MODELS_FOLDER}/{model}/{MODEL_PREDICTIONS_FILE}"
    if name not in unpacked.files:
        return f"{name} is missing (it is not scored, but the submission should hold it)"
    try:
        rows = load_predictions(unpacked.files[name])
    except KitError:
        return f"{name} could not be read (it is not scored)"
    submitted = {int(i): tag for row in rows for i, tag in zip(row["index"], row["NER"])}
    same = sum(1 for index, tag in predicted.items() if submitted.get(index) == tag)
    if same == len(predicted) and len(submitted) == len(predicted):
        return None
    share = 100.0 * same / max(len(predicted), 1)
    return (f"{name} agrees with what the submitted model predicts on {share:.1f}% of the test "
            "tokens (the grade uses the model)")


def grade_model(student: StudentCode, unpacked: UnpackedSubmission, model: ModelSettings,
                settings: GradingSettings, test_rows: Sequence[Mapping[str, Any]],
                gold_rows: Sequence[Mapping[str, Any]], max_layers: int,
                data_dir: str) -> PerformanceResult:
    """The performance result of one model."""
    missing = [name for name in model_files(model.name) if name not in unpacked.files]
    if missing:
        return _zero(model, f"not graded: the submission lacks {', '.join(missing)}")
    problem = _check_config(unpacked, model.name, max_layers)
    if problem:
        return _zero(model, f"not graded: {problem}")
    sentences = [list(row["text"]) for row in test_rows]
    try:
        answer = student.call(FULL_GROUP, "tag", timeout=settings.sandbox.performance_timeout_s,
                              model_dir=f"{data_dir}/{MODELS_FOLDER}/{model.name}",
                              tokenizer_path=f"{data_dir}/{TOKENIZER_FILE}", sentences=sentences,
                              batch_size=settings.tagging_batch_size)
    except SandboxError as error:
        return _zero(model, f"the model could not tag the test text: {error.student_message}")
    tags = answer.get("tags") if isinstance(answer, dict) else None
    problem = _check_tags(tags, sentences)
    if problem:
        return _zero(model, f"the model's predictions are unusable: {problem}")
    predicted_rows = [{"index": list(row["index"]), "NER": row_tags}
                      for row, row_tags in zip(test_rows, tags)]
    f1 = float(score_predictions(predicted_rows, gold_rows)["weighted_f1"])
    points = performance_points(f1, model, settings.results.decimals)
    message = (f"weighted entity F1 {f1:.4f} on the test set; baseline {model.baseline:.2f} "
               + ("(full points at or above it)" if f1 >= model.baseline
                  else f"(points scale as F1 / baseline = {f1 / model.baseline:.3f})"))
    predicted = {int(i): tag for row in predicted_rows for i, tag in zip(row["index"], row["NER"])}
    note = _agreement_note(unpacked, model.name, predicted)
    return PerformanceResult(model.name, model.title, f1, model.baseline, points, model.points,
                             message, (note,) if note else ())
