"""Performance points: a submitted model's entity F1 on the hidden test labels.

Before the child runs, the grader reads the model's ``config.json`` (bounded
JSON) and its ``weights.pt`` (tensors only) itself and refuses a model with
more than ``submission.max_layers`` layers, counted in the config, in the
weights and in the child's report of the model it built (see
:mod:`autograder.grader.model_layers`). The model is rebuilt in the sandboxed
child from the student's own package, its ``config.json`` and its
``weights.pt`` (``weights_only=True``), and tags the test text (tokens only)
with the student's ``tokenizer.json``. The grader
scores the tags against the hidden labels with
:func:`ner_helpers.metric.entity_scores` (support-weighted F1, matched by
token index): full points at or above the baseline, ``points * f1 /
baseline`` below it. The submitted ``test_predictions.json`` is not scored;
when it disagrees with what the model predicts, a note says so.

An encoder model (the optional encoder section) is checked by
:mod:`autograder.grader.encoder_model` instead of the layer rule: the parent
refuses one larger than its budget before the child loads it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from autograder.grader.model_layers import (
    WeightsProblem,
    count_layers,
    layers_from_matrices,
    load_state_dict,
)
from autograder.grader.result import PerformanceResult
from autograder.grader.safe_text import one_line
from autograder.grader.settings import GradingSettings, InputLimits, ModelSettings
from autograder.grader.student_code import StudentCode
from autograder.grader.unpack import UnpackedSubmission
from autograder.sandbox.failures import SandboxError
from ner_helpers.constants import NER_TAGS
from ner_helpers.errors import KitError
from ner_helpers.json_limits import JsonLimitError, read_json
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
#: Said of every problem in a submitted file, so a student knows whose fault it is.
SUBMISSION_FAULT = "a problem in the submission"


def performance_points(f1: float, model: ModelSettings, decimals: int) -> float:
    """Full points at or above the baseline, linear below it."""
    share = 1.0 if f1 >= model.baseline else max(f1, 0.0) / model.baseline
    return round(model.points * share, decimals)


def _zero(model: ModelSettings, message: str, notes: Sequence[str] = ()) -> PerformanceResult:
    return PerformanceResult(model.name, model.title, None, model.baseline, 0.0, model.points,
                             message, tuple(notes))


#: The model slot of the encoder section (see :mod:`autograder.grader.encoder_model`).
ENCODER_MODEL = "encoder"


def model_files(model: str) -> dict[str, str]:
    """Submission path of each file the child needs, by its path under ``data/``."""
    folder = f"{MODELS_FOLDER}/{model}"
    if model == ENCODER_MODEL:
        from autograder.grader.encoder_model import encoder_files

        return {f"{folder}/{name}": f"{folder}/{name}" for name in encoder_files()}
    return {f"{folder}/{MODEL_CONFIG_FILE}": f"{folder}/{MODEL_CONFIG_FILE}",
            f"{folder}/{MODEL_WEIGHTS_FILE}": f"{folder}/{MODEL_WEIGHTS_FILE}",
            TOKENIZER_FILE: TOKENIZER_FILE}


def _check_config(unpacked: UnpackedSubmission, model: str, max_layers: int,
                  limits: InputLimits) -> str | None:
    """Why the model's config.json and weights.pt break the rules (``None`` when they do
    not): unreadable, another model type, or more layers than allowed, counted in the
    config and in the weights (see :mod:`autograder.grader.model_layers`)."""
    config_name = f"{MODELS_FOLDER}/{model}/{MODEL_CONFIG_FILE}"
    weights_name = f"{MODELS_FOLDER}/{model}/{MODEL_WEIGHTS_FILE}"
    try:
        data = read_json(unpacked.files[config_name], limits.json(limits.model_config_bytes),
                         config_name)
        config = ModelConfig.from_dict(data)
    except JsonLimitError as exc:
        return f"{exc} ({SUBMISSION_FAULT})"
    except (KitError, TypeError) as exc:
        return f"{config_name}: {exc} ({SUBMISSION_FAULT})"
    if config.model_type != model:
        return f"the {model} slot holds a {config.model_type} model"
    if config.num_layers > max_layers:
        return (f"the model has {config.num_layers} layers; submitted models may have at most "
                f"{max_layers}, so it earns no performance points")
    try:
        counted = count_layers(load_state_dict(unpacked.files[weights_name], limits), model)
    except WeightsProblem as exc:
        return f"{weights_name}: {exc} ({SUBMISSION_FAULT})"
    if counted.layers > max_layers:
        return (f"{weights_name} holds a model with {counted.layers} layers "
                f"({counted.matrices} weight matrices), although {MODEL_CONFIG_FILE} says "
                f"{config.num_layers}; submitted models may have at most {max_layers} layers, "
                "so it earns no performance points")
    return None


def _check_tags(tags: Any, sentences: Sequence[Sequence[str]]) -> str | None:
    if not isinstance(tags, list) or len(tags) != len(sentences):
        return "tagging did not give one list of tags per test sentence"
    valid = set(NER_TAGS)
    for number, (row, sentence) in enumerate(zip(tags, sentences)):
        if not isinstance(row, list) or len(row) != len(sentence):
            return (f"test sentence {number} has {len(sentence)} tokens but got "
                    f"{len(row) if isinstance(row, list) else 'no list of'} tags")
        bad = [tag for tag in row if not isinstance(tag, str) or tag not in valid]
        if bad:
            shown = repr(bad[0])[:40] if isinstance(bad[0], str) else type(bad[0]).__name__
            return f"test sentence {number} got the unknown tag {shown}"
    return None


def _check_built(answer: Any, model: str, max_layers: int) -> str | None:
    """The child's report of the model it built (its weight matrices), when it says the
    model has more layers than allowed."""
    built = answer.get("built") if isinstance(answer, dict) else None
    matrices = built.get("matrices") if isinstance(built, dict) else None
    if type(matrices) is not int or matrices < 0:
        return None
    layers = layers_from_matrices(model, matrices)
    if layers > max_layers:
        return (f"the model built from the submission has {layers} layers ({matrices} weight "
                f"matrices); submitted models may have at most {max_layers} layers, so it "
                "earns no performance points")
    return None


def _agreement_note(unpacked: UnpackedSubmission, model: str, predicted: Mapping[int, str],
                    limits: InputLimits) -> str | None:
    name = f"{MODELS_FOLDER}/{model}/{MODEL_PREDICTIONS_FILE}"
    if name not in unpacked.files:
        return f"{name} is missing (it is not scored, but the submission should hold it)"
    try:
        rows = load_predictions(unpacked.files[name], limits.json(limits.predictions_bytes),
                                max_index=max(predicted, default=0))
    except KitError as exc:
        problem = one_line(str(exc).replace(str(unpacked.files[name]), name))
        return f"{name} could not be read (it is not scored): {problem}"
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
    if model.section is not None and len(missing) == len(model_files(model.name)):
        return _zero(model, f"no {model.name} model in the submission (it is optional)")
    if missing:
        return _zero(model, f"not graded: the submission lacks {', '.join(missing)}")
    if model.name == ENCODER_MODEL:
        from autograder.grader.encoder_model import check_encoder

        problem = check_encoder(unpacked, settings)
    else:
        problem = _check_config(unpacked, model.name, max_layers, settings.inputs)
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
    problem = _check_built(answer, model.name, max_layers)
    if problem:
        return _zero(model, f"not graded: {problem}")
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
    note = _agreement_note(unpacked, model.name, predicted, settings.inputs)
    return PerformanceResult(model.name, model.title, f1, model.baseline, points, model.points,
                             message, (note,) if note else ())
