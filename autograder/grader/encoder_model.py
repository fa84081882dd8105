"""The grader's own checks of a submitted encoder model (the encoder section), before
the child loads it.

The parent decides from what it can read itself, never from the child: the model's
``config.json`` (bounded JSON) with the encoder sizes it declares, the encoder's
``encoder_config.json`` (bounded JSON) that must declare the same sizes (the child
builds the encoder from it and loads the weights strictly, so weights of any other
shape fail there), and the size of ``weights.pt`` on disk. A model larger than
``inputs.encoder_weights_mb`` in either its file or its declared parameter count
is refused with a message, before the child is asked to load anything; the child
itself stays under the sandbox's memory and time limits whatever it is given.
"""

from __future__ import annotations

from typing import Any

from autograder.grader.settings import GradingSettings
from autograder.grader.unpack import UnpackedSubmission
from ner_helpers.encoder_config import DECLARED_SIZES, EncoderConfig
from ner_helpers.errors import KitError
from ner_helpers.json_limits import JsonLimitError, read_json
from ner_helpers.submission import MODEL_CONFIG_FILE, MODEL_WEIGHTS_FILE, MODELS_FOLDER

ENCODER = "encoder"
ENCODER_CONFIG_FILE = "encoder_config.json"
PIECES_FILE = "pieces.json"
FAULT = "a problem in the submission"
MIB = 1024 * 1024
BYTES_PER_PARAMETER = 4  # float32


def encoder_files() -> tuple[str, ...]:
    """The files of ``models/encoder/`` the child needs."""
    return (MODEL_CONFIG_FILE, MODEL_WEIGHTS_FILE, ENCODER_CONFIG_FILE, PIECES_FILE)


def _name(file: str) -> str:
    return f"{MODELS_FOLDER}/{ENCODER}/{file}"


def check_encoder(unpacked: UnpackedSubmission, settings: GradingSettings) -> str | None:
    """Why the submitted encoder may not be loaded (``None`` when it may)."""
    limits = settings.inputs
    try:
        data = read_json(unpacked.files[_name(MODEL_CONFIG_FILE)],
                         limits.json(limits.model_config_bytes), _name(MODEL_CONFIG_FILE))
        config = EncoderConfig.from_dict(data)
    except JsonLimitError as exc:
        return f"{exc} ({FAULT})"
    except (KitError, TypeError) as exc:
        return f"{_name(MODEL_CONFIG_FILE)}: {exc} ({FAULT})"
    if not config.is_built:
        return (f"{_name(MODEL_CONFIG_FILE)} does not declare the encoder's sizes (save the "
                f"model with EncoderPredictor.save) ({FAULT})")
    try:
        encoder: Any = read_json(unpacked.files[_name(ENCODER_CONFIG_FILE)],
                                 limits.json(limits.encoder_files_bytes),
                                 _name(ENCODER_CONFIG_FILE))
    except JsonLimitError as exc:
        return f"{exc} ({FAULT})"
    except KitError as exc:
        return f"{exc} ({FAULT})"
    if not isinstance(encoder, dict):
        return f"{_name(ENCODER_CONFIG_FILE)} is not a JSON object ({FAULT})"
    for size in DECLARED_SIZES:
        if encoder.get(size) != getattr(config, size):
            return (f"{_name(ENCODER_CONFIG_FILE)} gives {size} = {encoder.get(size)!r} but "
                    f"{_name(MODEL_CONFIG_FILE)} declares {getattr(config, size)} ({FAULT})")
    pieces_size = unpacked.files[_name(PIECES_FILE)].stat().st_size
    if pieces_size > limits.encoder_files_bytes:
        return (f"{_name(PIECES_FILE)} is {pieces_size / MIB:.1f} MiB; the grader reads at most "
                f"{limits.encoder_files_bytes / MIB:.0f} MiB ({FAULT})")
    budget = limits.encoder_weights_bytes
    weights = unpacked.files[_name(MODEL_WEIGHTS_FILE)].stat().st_size
    declared = config.parameter_estimate() * BYTES_PER_PARAMETER
    if weights > budget or declared > budget:
        return (f"the encoder model is too large for this grader: {_name(MODEL_WEIGHTS_FILE)} "
                f"is {weights / MIB:.0f} MiB and its config declares about "
                f"{config.parameter_estimate() / 1e6:.1f} million parameters "
                f"({declared / MIB:.0f} MiB), while the grader loads encoder models of at "
                f"most {budget / MIB:.0f} MiB (inputs.encoder_weights_mb); submit a smaller "
                "encoder or ask the course staff")
    return None
