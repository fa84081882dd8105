"""Malformed submission files and child frames never make the grader raise (about 40 s).

Hypothesis generates, and mutates real files of, 1,550 broken inputs (3 x
150 sets of submission files, 2 x 150 zips, 300 reply values, 200 raw
frames): identity.json, submission.json, a model's config.json and
test_predictions.json, weights.pt, whole zips (random entries, flipped bytes
of a real submission zip), and reply frames of the child (raw bytes, deep
nesting, tensor descriptions with hostile dtypes, shapes and data). They go
through the parent-side path a submission takes without a child: unpacking,
the bounded loaders, the layer check on the weights, and the output writers;
frames go through the client's decoding (``decode_body`` and ``from_wire``).
The only exceptions allowed are the documented refusals
(:class:`SubmissionRejected` from unpacking, :class:`ProtocolError` from
decoding); every output file must be free of control characters.

A handful of such zips also go through the whole grader, child included
(marked slow, about 20 s), and the full grader sees such files next to student
code in the hostile batch (tests/hostile_submissions/deep_*.yaml,
*_frame.yaml and others).
"""

from __future__ import annotations

import io
import json
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from autograder.grader import engine, feedback, results_json
from autograder.grader.gradebook import result_row, write_gradebook
from autograder.grader.performance import _agreement_note, _check_config
from autograder.grader.result import GradingResult, PerformanceResult, TestResult
from autograder.grader.settings import load_settings
from autograder.grader.unpack import SubmissionRejected, unpack_submission
from autograder.sandbox.child import protocol
from ner_helpers.model_config import ModelConfig
from ner_helpers.predictor import NERPredictor
from ner_helpers.submission import write_zip

pytestmark = pytest.mark.filterwarnings("ignore:Duplicate name:UserWarning")
SETTINGS = load_settings()
FUZZ = settings(max_examples=150, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
MODEL_ENTRIES = ("config.json", "weights.pt", "test_predictions.json")
#: Token indices of the tiny test split the predictions refer to.
PREDICTED = {index: "O" for index in range(12)}


def tiny_weights(layers: int = 2, model_type: str = "ffnn") -> tuple[bytes, bytes]:
    config = ModelConfig(model_type, vocab_size=20, embedding_dim=4, hidden_dim=4,
                         num_layers=layers)
    buffer = io.BytesIO()
    torch.save(NERPredictor(config).state_dict(), buffer)
    return json.dumps(config.to_dict()).encode(), buffer.getvalue()


def base_entries() -> dict[str, bytes]:
    """A real, well-formed final submission without the code (the loaders never run it)."""
    config, weights = tiny_weights()
    predictions = [{"index": list(range(0, 6)), "NER": ["O"] * 6},
                   {"index": list(range(6, 12)), "NER": ["B-PER", "I-PER"] + ["O"] * 4}]
    entries = {"identity.json": json.dumps({"student_id": "s1", "name": "Ada"}).encode(),
               "submission.json": json.dumps({"kind": "final", "files": {}}).encode(),
               "tokenizer.json": b"{}"}
    for model in ("ffnn", "rnn"):
        model_config, model_weights = (config, weights) if model == "ffnn" else \
            tiny_weights(model_type="rnn")
        entries[f"models/{model}/config.json"] = model_config
        entries[f"models/{model}/weights.pt"] = model_weights
        entries[f"models/{model}/test_predictions.json"] = json.dumps(predictions).encode()
    return entries


BASE = base_entries()


def control_free(text: str) -> bool:
    return all(char in "\n" or (ord(char) >= 32 and not 0x7f <= ord(char) <= 0x9f)
               and char not in "\u202e\u202d\u2066\u2067\u2068\u2069" for char in text)


def grade_parent_side(zip_path: Path, work: Path) -> GradingResult | None:
    """Everything the grader does with a submission's files before and around the child;
    ``None`` when unpacking rejects it."""
    try:
        unpacked = unpack_submission(zip_path, work / "unpacked", SETTINGS.unpack)
    except SubmissionRejected as rejection:
        result = engine._rejected_result("fuzz", "final", str(rejection), SETTINGS)
        write_outputs(result, work)
        return None
    notes = list(unpacked.notes)
    identity = engine.read_identity(unpacked, notes, SETTINGS.inputs)
    manifest = engine.read_manifest(unpacked, notes, SETTINGS.inputs)
    kind = engine.resolve_kind("auto", unpacked, notes, manifest)
    engine.check_manifest(unpacked, notes, manifest)
    result = GradingResult("fuzz", kind, identity, notes=notes)
    for model in ("ffnn", "rnn"):
        if all(f"models/{model}/{name}" in unpacked.files for name in MODEL_ENTRIES):
            problem = _check_config(unpacked, model, 2, SETTINGS.inputs)
            note = _agreement_note(unpacked, model, PREDICTED, SETTINGS.inputs)
            result.performance.append(PerformanceResult(
                model, model, None, 0.5, 0.0, 1.0, problem or "ok", (note,) if note else ()))
    result.tests.append(TestResult("TODO-1.1-1", "Tokenizer", "fuzz", 0.0, 1.0, False,
                                   "\n".join(notes)))
    write_outputs(result, work)
    return result


def write_outputs(result: GradingResult, work: Path) -> None:
    texts = [feedback.render(result, SETTINGS.results),
             results_json.render(result, SETTINGS.results)]
    gradebook = write_gradebook([result_row(result)], work / "gradebook.csv", SETTINGS)
    texts.append(gradebook.read_text(encoding="utf-8"))
    for text in texts:
        assert control_free(text), text


def run_entries(entries: dict[str, bytes]) -> GradingResult | None:
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        path = write_zip(entries, work / "submission.zip")
        return grade_parent_side(path, work)


# ---------------------------------------------------------------------------- strategies
JSON_SCALARS = (st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False)
                | st.text(max_size=30))
JSON_VALUES = st.recursive(JSON_SCALARS, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(st.text(max_size=8), inner, max_size=4),
                           max_leaves=20)


@st.composite
def deep_json(draw: st.DrawFn) -> bytes:
    depth = draw(st.sampled_from([33, 500, 5_000, 100_000]))
    opener, closer = draw(st.sampled_from([("[", "]"), ('{"a":', "}")]))
    return (opener * depth + "1" + closer * depth).encode()


def mutated(data: bytes) -> st.SearchStrategy[bytes]:
    """``data`` with a few bytes replaced, cut short, or doubled."""
    @st.composite
    def build(draw: st.DrawFn) -> bytes:
        out = bytearray(data)
        for _ in range(draw(st.integers(1, 6))):
            if not out:
                break
            position = draw(st.integers(0, len(out) - 1))
            out[position] = draw(st.integers(0, 255))
        how = draw(st.sampled_from(["keep", "cut", "double"]))
        if how == "cut":
            out = out[: draw(st.integers(0, len(out)))]
        elif how == "double":
            out = out + out
        return bytes(out)
    return build()


def json_file(base: bytes) -> st.SearchStrategy[bytes]:
    text_values = JSON_VALUES.map(lambda value: json.dumps(value).encode())
    raw = st.binary(max_size=200)
    return st.one_of(text_values, raw, deep_json(), mutated(base))


HOSTILE_TEXT = st.lists(st.sampled_from(
    list("Ada =+-@`#\n\r\t") + ["\x1b[31m", "\x1b]8;;http://x\x07", "\u202e", "\u2066", "\x00",
                                "\x9b", "\uff1d", "\ufe63", "\u2028", "\ud800", "Score: 100"]),
    max_size=12).map("".join)


@st.composite
def identity_file(draw: st.DrawFn) -> bytes:
    if draw(st.booleans()):
        return draw(json_file(BASE["identity.json"]))
    value = {"student_id": draw(HOSTILE_TEXT | JSON_VALUES), "name": draw(HOSTILE_TEXT)}
    return json.dumps(value).encode("utf-8", "surrogatepass")


INDEX = st.one_of(st.integers(-5, 20), st.text(max_size=3), st.floats(), st.booleans(),
                  st.none(), st.lists(st.integers(), max_size=2), st.integers(2**60, 2**70))


@st.composite
def predictions_file(draw: st.DrawFn) -> bytes:
    if draw(st.booleans()):
        return draw(json_file(BASE["models/ffnn/test_predictions.json"]))
    rows = draw(st.lists(st.fixed_dictionaries(
        {"index": st.lists(INDEX, max_size=6),
         "NER": st.lists(st.sampled_from(["O", "B-PER", "X", 3, None]) | JSON_VALUES,
                         max_size=6)}), max_size=4))
    return json.dumps(rows).encode()


@st.composite
def config_file(draw: st.DrawFn) -> bytes:
    if draw(st.booleans()):
        return draw(json_file(BASE["models/ffnn/config.json"]))
    config = json.loads(BASE["models/ffnn/config.json"])
    key = draw(st.sampled_from(sorted(config) + ["extra"]))
    config[key] = draw(JSON_VALUES)
    return json.dumps(config).encode()


@st.composite
def weights_file(draw: st.DrawFn) -> bytes:
    choice = draw(st.sampled_from(["mutated", "three_layers", "not_a_dict", "raw"]))
    if choice == "mutated":
        return draw(mutated(BASE["models/ffnn/weights.pt"]))
    if choice == "three_layers":
        return tiny_weights(layers=3)[1]
    if choice == "not_a_dict":
        buffer = io.BytesIO()
        torch.save(draw(st.sampled_from([[torch.zeros(2)], torch.zeros(3), {"a": 1},
                                         {"model.W.weight": torch.zeros(*([1] * 9))}])),
                   buffer)
        return buffer.getvalue()
    return draw(st.binary(max_size=300))


# ---------------------------------------------------------------------------- file fuzzing
@FUZZ
@given(data=identity_file(), manifest=json_file(BASE["submission.json"]))
def test_identity_and_manifest_files_never_crash_the_loaders(data: bytes,
                                                             manifest: bytes) -> None:
    result = run_entries({**BASE, "identity.json": data, "submission.json": manifest})
    assert result is not None
    if result.identity:
        assert all(control_free(value) and "\n" not in value
                   for value in result.identity.values())


@FUZZ
@given(config=config_file(), weights=weights_file())
def test_model_configs_and_weights_never_crash_the_loaders(config: bytes,
                                                           weights: bytes) -> None:
    result = run_entries({**BASE, "models/ffnn/config.json": config,
                          "models/ffnn/weights.pt": weights})
    assert result is not None and len(result.performance) == 2


@FUZZ
@given(predictions=predictions_file())
def test_prediction_files_never_crash_the_loaders(predictions: bytes) -> None:
    result = run_entries({**BASE, "models/ffnn/test_predictions.json": predictions})
    assert result is not None


@pytest.mark.parametrize("depth", [100_000, 5_000])
def test_a_deeply_nested_file_is_named_as_the_submissions_fault(depth: int) -> None:
    deep = b"[" * depth + b"]" * depth
    result = run_entries({**BASE, "identity.json": deep, "models/ffnn/config.json": deep,
                          "models/rnn/test_predictions.json": deep})
    assert result is not None and result.identity is None
    problem = ("nested deeper than 32 levels" if depth == 5_000 else
               "larger than the limit of 16384 bytes")
    assert any(note.startswith(f"identity.json: {problem}") and
               note.endswith("(a problem in the submission; graded without a name)")
               for note in result.notes), result.notes
    ffnn, rnn = result.performance
    assert ffnn.message.startswith(f"models/ffnn/config.json: {problem}")
    assert ffnn.message.endswith("(a problem in the submission)")
    assert rnn.notes[0].startswith("models/rnn/test_predictions.json could not be read (it is "
                                   "not scored): models/rnn/test_predictions.json: nested "
                                   "deeper than 32 levels")


def test_string_indices_in_predictions_are_named_not_raised() -> None:
    rows = [{"index": ["a", "b"], "NER": ["O", "O"]}]
    result = run_entries({**BASE, "models/ffnn/test_predictions.json": json.dumps(rows).encode()})
    assert result is not None
    assert result.performance[0].notes == (
        "models/ffnn/test_predictions.json could not be read (it is not scored): "
        "models/ffnn/test_predictions.json: row 0 has the index 'a'; token indices are "
        "integers from 0 up to 11",)


# ---------------------------------------------------------------------------- zip fuzzing
def real_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in sorted(BASE.items()):
            archive.writestr(name, data)
    return buffer.getvalue()


REAL_ZIP = real_zip()
ENTRY_NAMES = st.sampled_from(sorted(BASE) + ["../x", "/abs", "a\x00b", "identity.json",
                                              "models/ffnn/../../x", "C:/x", "dir/",
                                              "\u202eevil.py", "ner_helpers/\x1b[2J.py"])


@FUZZ
@given(data=mutated(REAL_ZIP))
def test_damaged_zips_are_rejected_or_read_never_raised(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        path = work / "submission.zip"
        path.write_bytes(data)
        grade_parent_side(path, work)


@FUZZ
@given(entries=st.lists(st.tuples(ENTRY_NAMES | st.text(max_size=20), st.binary(max_size=50)),
                        max_size=8),
       utf8_flag=st.booleans())
def test_zips_with_hostile_entries_are_rejected_or_read_never_raised(
        entries: list[tuple[str, bytes]], utf8_flag: bool) -> None:
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        path = work / "submission.zip"
        with zipfile.ZipFile(path, "w") as archive:
            for number, (name, data) in enumerate(entries):
                info = zipfile.ZipInfo(name or f"entry{number}")
                if utf8_flag:
                    info.flag_bits |= 0x800
                archive.writestr(info, data)
        raw = path.read_bytes()
        if utf8_flag and entries:  # make one name invalid UTF-8 under the UTF-8 flag
            raw = raw.replace(b"identity", b"identit\xff", 1)
        path.write_bytes(raw)
        grade_parent_side(path, work)


# ---------------------------------------------------------------------------- frame fuzzing
DTYPES = st.sampled_from(["float32", "int64", "bool", "bfloat16", "qint8", "load", "__class__",
                          "float64", "complex64", "", "x" * 300])
SHAPES = st.lists(st.integers(-2, 2**62) | st.sampled_from([0, 1, 2, 16, 2**31]) | JSON_SCALARS,
                  max_size=10)


@st.composite
def tensor_items(draw: st.DrawFn) -> dict[str, Any]:
    spec: Any = {"dtype": draw(DTYPES | JSON_SCALARS), "shape": draw(SHAPES),
                 "data": draw(st.sampled_from(["", "AAAA", "AAAAAAAAAAA=", "!!!!", "\u00e9"])
                              | st.text(max_size=20))}
    if draw(st.integers(0, 9)) == 0:
        spec = draw(JSON_VALUES)
    return {protocol.TENSOR_KEY: spec}


FRAME_VALUES = st.recursive(JSON_SCALARS | tensor_items()
                            | st.builds(lambda name: {protocol.OBJECT_KEY: name}, JSON_VALUES),
                            lambda inner: st.lists(inner, max_size=4)
                            | st.dictionaries(st.text(max_size=8), inner, max_size=4),
                            max_leaves=15)


def decode(body: bytes) -> None:
    try:
        protocol.from_wire(protocol.decode_body(body))
    except protocol.ProtocolError:
        pass


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(value=FRAME_VALUES)
def test_reply_values_decode_or_raise_protocol_errors(value: Any) -> None:
    decode(json.dumps({"id": 1, "ok": value}).encode())


@settings(max_examples=200, deadline=None, derandomize=True, database=None)
@given(body=st.binary(max_size=200) | deep_json()
       | mutated(protocol.encode_frame({"id": 1, "ok": {"__tensor__": {
           "dtype": "float32", "shape": [2], "data": "AAAAAAAAAAA="}}})[8:]))
def test_raw_frame_bodies_decode_or_raise_protocol_errors(body: bytes) -> None:
    decode(body)


@pytest.mark.parametrize("spec, problem", [
    ({"dtype": "float32", "shape": [0, 2**62, 16], "data": ""}, "invalid shape"),
    ({"dtype": "float32", "shape": [0] + [1] * 20, "data": ""}, "dimensions"),
    ({"dtype": "float32", "shape": [0, 1 << 20, 1 << 20], "data": ""}, "elements in all"),
    ({"dtype": "float32", "shape": [4], "data": "A" * 1000}, "has 750 bytes"),
    ({"dtype": "__class__", "shape": [1], "data": "AAAA"}, "unknown dtype"),
])
def test_hostile_tensor_descriptions_are_refused_before_allocation(spec: dict[str, Any],
                                                                    problem: str) -> None:
    with pytest.raises(protocol.ProtocolError, match=problem):
        protocol.from_wire({"value": {protocol.TENSOR_KEY: spec}})


def test_a_frame_nested_100000_deep_is_a_protocol_error() -> None:
    with pytest.raises(protocol.ProtocolError, match="nested too deeply"):
        protocol.decode_body(b"[" * 100_000 + b"]" * 100_000)
    nested: Any = 1
    for _ in range(protocol.MAX_DEPTH + 2):
        nested = [nested]
    with pytest.raises(protocol.ProtocolError, match="nested too deeply"):
        protocol.from_wire(nested)


def test_many_tensors_share_one_element_budget() -> None:
    side = 1 << 14
    spec = {"dtype": "float32", "shape": [0, side, side], "data": ""}
    protocol.from_wire([{protocol.TENSOR_KEY: spec}])  # one is within the budget
    with pytest.raises(protocol.ProtocolError, match="elements in all"):
        protocol.from_wire([{protocol.TENSOR_KEY: spec}] * 2)


def test_an_error_item_nested_past_the_frame_depth_is_a_protocol_error() -> None:
    """``str()`` of a value nested ~1,000 deep would recurse past the limit later."""
    nested: Any = "x"
    for _ in range(900):
        nested = [nested]
    with pytest.raises(protocol.ProtocolError, match="nested too deeply"):
        protocol.decode_body(json.dumps({"id": 1, "error": {"type": nested}}).encode())


@pytest.mark.slow
def test_a_handful_of_broken_zips_through_the_whole_grader(tmp_path: Path) -> None:
    """The same kind of files through :func:`grade_submission` (child included; no student
    file is in them, so no student code runs): each ends as a result, never a raise."""
    deep = b"[" * 100_000 + b"]" * 100_000
    variants = {
        "deep-identity": {**BASE, "identity.json": b"[" * 5_000 + b"]" * 5_000},
        "deep-manifest": {**BASE, "submission.json": deep},
        "hostile-name": {**BASE, "identity.json": json.dumps(
            {"name": "\x1b[2J\u202eAda\ud800", "student_id": "\uff1d1"}).encode(
                "utf-8", "surrogatepass")},
        "not-utf8": {**BASE, "identity.json": b"\xff\xfe{}", "submission.json": b"\x00"},
    }
    for name, entries in variants.items():
        path = write_zip(entries, tmp_path / f"{name}.zip")
        result = engine.grade_submission(path, kind="milestone", settings=SETTINGS)
        assert result.grader_error is None and result.rejected is None, name
        write_outputs(result, tmp_path / name)
    damaged = bytearray(REAL_ZIP)
    damaged[len(damaged) // 2:] = bytes(len(damaged) - len(damaged) // 2)
    (tmp_path / "damaged.zip").write_bytes(bytes(damaged))
    result = engine.grade_submission(tmp_path / "damaged.zip", kind="milestone",
                                     settings=SETTINGS)
    assert result.rejected and result.grader_error is None
