"""Hostile and broken submissions, end to end through real submission zips.

Every case of ``tests/hostile_submissions/`` (one YAML file each: what the
submission does and what its grade must say) becomes a zip built from the
reference milestone or final zip of the test project. All of them, next to
the two good reference submissions, are graded in ONE batch with two workers
and short sandbox time limits. The tests then check that:

- every submission has a gradebook row, the batch ends in bounded time, and
  the good submissions get the same bytes in results.json and feedback.md as
  when graded alone;
- each case loses exactly the points it names, with its message in the
  feedback, and keeps the reference's points everywhere else;
- no secret (hidden labels, reference solution) and no marker of a payload
  reaches results.json, feedback.md or the gradebook; no marker file exists;
  the port the network case dials saw no connection; nothing was unpacked
  outside the submission's folder;
- nothing of the batch outlives it: no process of its sandboxes (found by the
  sandbox folders in their environment and working folder: the batch's
  workers get a temporary folder of their own), no SysV IPC object of the
  sandbox user made during the batch, no file left in that temporary folder
  or by the sandbox user in the host's shared temporary folders.

Cases can name the protections they need (``needs``); without them (no
bubblewrap, not root) they are left out of the batch and their tests skip.

A second, small batch grades the case that signals its parent with the
namespaces and the user change turned off (how the grader runs without root).

About 4 to 5 minutes on two busy cores: the batch of about 50 submissions takes
3 to 4 minutes (one case sleeps through its 40 s budget), plus the project, two
single gradings and the small second batch. The batch
runs once per session, also when xdist spreads this module over two workers
(the second waits for the first one's record).
"""

from __future__ import annotations

import csv
import fcntl
import hashlib
import io
import json
import os
import pwd
import socket
import tempfile
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import torch
import yaml
from test_grader_fixtures import REPO, hidden_labels, reference_submission, trained_project

from autograder.grader import grade_submission, load_settings, write_outputs
from autograder.grader.batch import grade_batch
from autograder.grader.settings import GradingSettings
from ner_helpers.model_config import ModelConfig
from ner_helpers.predictor import NERPredictor
from ner_helpers.submission import write_zip

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("grader_hostile")]

CASES_DIR = Path(__file__).resolve().parent / "hostile_submissions"
CASES = sorted(path.stem for path in CASES_DIR.glob("*.yaml"))
GOOD = {"good-milestone": "milestone", "good-final": "final"}
#: Short sandbox limits (the shipped ones are 10 s, 20 s and 300 s).
LIMITS = {"call_timeout_s": 5, "import_timeout_s": 5, "performance_timeout_s": 10,
          "submission_timeout_s": 40}
#: The whole batch must end within this many seconds per submission (it takes about
#: 3 s each on two idle cores; a busy machine takes a few times longer), plus the
#: budget of the case that sleeps through it.
SECONDS_PER_SUBMISSION = 10
BATCH_LIMIT_S = SECONDS_PER_SUBMISSION * (len(CASES) + len(GOOD)) + LIMITS["submission_timeout_s"]
PAYLOAD_WORDS = "hostile pickle payload ran"
ESCAPE_NAME = "hostile-escape.txt"
TODO_COLUMNS = list(load_settings().todos)
MODELS = tuple(load_settings().models)


def load_case(name: str) -> dict[str, Any]:
    return yaml.safe_load((CASES_DIR / f"{name}.yaml").read_text(encoding="utf-8"))


# ---------------------------------------------------------------------------- building zips
class _Payload:
    """Unpickling this runs ``code`` (what a hostile weights.pt would do)."""

    def __init__(self, code: str) -> None:
        self.code = code

    def __reduce__(self) -> tuple[Any, tuple[str]]:
        return exec, (self.code,)


def payload_weights(marker: Path) -> bytes:
    code = (f"try:\n    open({str(marker)!r}, 'w').write('ran')\nexcept OSError:\n    pass\n"
            f"raise RuntimeError({PAYLOAD_WORDS!r})\n")
    buffer = io.BytesIO()
    torch.save({"embedding.embedding.weight": _Payload(code)}, buffer)
    return buffer.getvalue()


def wrong_shape_weights(weights: bytes) -> bytes:
    state = torch.load(io.BytesIO(weights), weights_only=True)
    wrong = {name: torch.zeros(tensor.shape[0] + 1, *tensor.shape[1:]) if tensor.dim() else tensor
             for name, tensor in state.items()}
    buffer = io.BytesIO()
    torch.save(wrong, buffer)
    return buffer.getvalue()


def three_layer_model(config_bytes: bytes, folder: Path) -> tuple[bytes, bytes]:
    config = json.loads(config_bytes)
    config["num_layers"] = 3
    NERPredictor(ModelConfig.from_dict(config)).save(folder)
    return (folder / "config.json").read_bytes(), (folder / "weights.pt").read_bytes()


def nested_json(depth: int) -> bytes:
    """A JSON array nested ``depth`` levels deep."""
    return b"[" * depth + b"]" * depth


@dataclass
class Context:
    """What the cases' placeholders and weight makers need."""

    project: Path
    work: Path
    port: int
    libc_connect: bool
    marker: Path
    labels_copies: list[Path] = field(default_factory=list)

    def fill(self, text: str) -> str:
        values = {"@HIDDEN_LABELS@": str(hidden_labels(self.project)),
                  "@REFERENCE_SOURCE@": str(REPO / "ner_helpers" / "tokenizer.py"),
                  "@PORT@": str(self.port), "@LIBC_CONNECT@": str(self.libc_connect),
                  "@NOTEBOOK@": (REPO / "notebooks" / "assignment.ipynb").read_text("utf-8"),
                  "@LABELS_COPIES@": repr([str(path) for path in self.labels_copies])}
        for key, value in values.items():
            text = text.replace(key, value)
        return text


def build_case(name: str, case: dict[str, Any], base: Path, out: Path, context: Context) -> Path:
    with zipfile.ZipFile(base) as archive:
        entries = {item: archive.read(item) for item in archive.namelist()}
    for item in case.get("remove", []):
        assert item in entries, f"{name}: the base zip has no {item}"
        del entries[item]
    for item, text in (case.get("files") or {}).items():
        entries[item] = context.fill(text).encode("utf-8")
    for item, text in (case.get("append") or {}).items():
        assert item in entries, f"{name}: the base zip has no {item}"
        entries[item] += context.fill(text).encode("utf-8")
    for model, how in (case.get("weights") or {}).items():
        folder = f"models/{model}"
        if how == "pickle_payload":
            entries[f"{folder}/weights.pt"] = payload_weights(context.marker)
        elif how == "wrong_shapes":
            entries[f"{folder}/weights.pt"] = wrong_shape_weights(entries[f"{folder}/weights.pt"])
        elif how == "three_layers":
            entries[f"{folder}/config.json"], entries[f"{folder}/weights.pt"] = \
                three_layer_model(entries[f"{folder}/config.json"], context.work / name / model)
        elif how == "three_layer_weights":  # the config still says two layers
            _, entries[f"{folder}/weights.pt"] = \
                three_layer_model(entries[f"{folder}/config.json"], context.work / name / model)
        elif how == "not_torch":
            entries[f"{folder}/weights.pt"] = b"these bytes are not a torch file"
        else:
            raise AssertionError(f"{name}: unknown weights maker {how!r}")
    manifest = json.loads(entries["submission.json"])
    manifest["files"] = {item: hashlib.sha256(data).hexdigest()
                         for item, data in sorted(entries.items()) if item != "submission.json"}
    entries["submission.json"] = (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode()
    for item, depth in (case.get("nested_json") or {}).items():
        entries[item] = nested_json(int(depth))
    path = write_zip(entries, out)
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as archive:
        for item, text in (case.get("add_raw") or {}).items():
            archive.writestr(zipfile.ZipInfo(item), context.fill(text))
        for item, target in (case.get("add_links") or {}).items():
            info = zipfile.ZipInfo(item)
            info.create_system = 3
            info.external_attr = (0o120777) << 16
            archive.writestr(info, context.fill(target))
        for item, mib in (case.get("add_zeros") or {}).items():
            archive.writestr(item, bytes(int(mib) * 1024 * 1024))
    return path


# ---------------------------------------------------------------------------- the batch
def short_settings(**changes: Any) -> GradingSettings:
    return load_settings().with_sandbox(**LIMITS, **changes)


def grade_alone(path: Path, project: Path, settings: GradingSettings, out: Path):
    result = grade_submission(path, settings=settings, hidden_labels=hidden_labels(project),
                              test_split=project / "dataset" / "test.json",
                              submission_id=path.stem)
    write_outputs(result, out, settings.results)
    return result


@dataclass
class Batch:
    project: Path
    out: Path
    rows: dict[str, dict[str, str]]
    seconds: float
    alone: dict[str, Path]
    protections: list[str]
    connections: list[str] = field(default_factory=list)
    marker: Path | None = None
    leftovers: dict[str, list[str]] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps({"project": str(self.project), "out": str(self.out), "rows": self.rows,
                           "seconds": self.seconds,
                           "alone": {name: str(path) for name, path in self.alone.items()},
                           "protections": self.protections, "connections": self.connections,
                           "marker": str(self.marker), "leftovers": self.leftovers})

    @classmethod
    def from_json(cls, text: str) -> Batch:
        data = json.loads(text)
        return cls(Path(data["project"]), Path(data["out"]), data["rows"], data["seconds"],
                   {name: Path(path) for name, path in data["alone"].items()},
                   data["protections"], data["connections"], Path(data["marker"]),
                   data["leftovers"])


def graded_cases(protections: list[str]) -> list[str]:
    """The cases whose ``needs`` the sandbox has."""
    return [name for name in CASES
            if set(load_case(name).get("needs", [])) <= set(protections)]


def skip_unless_graded(batch: Batch, name: str) -> None:
    if name not in graded_cases(batch.protections):
        pytest.skip(f"{name} needs {load_case(name)['needs']}; this sandbox has "
                    f"{batch.protections}")


# ---------------------------------------------------------------------------- leftovers
SHARED_TEMP_FOLDERS = ("/tmp", "/var/tmp", "/dev/shm")


def _sandbox_uid() -> int | None:
    user = load_settings().sandbox.run_as
    try:
        return pwd.getpwnam(user).pw_uid if user else None
    except KeyError:
        return None


def leftover_processes(temp: Path) -> list[str]:
    """Processes whose HOME or working folder lies in the batch's temporary folder (a
    sandboxed child's HOME and working folder are its sandbox's ``work``; the grader's
    processes have the batch's folder only as TMPDIR)."""
    found = []
    needle = f"HOME={temp}/".encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            environ = (entry / "environ").read_bytes().split(b"\0")
            cwd = os.readlink(entry / "cwd")
        except OSError:
            continue
        if any(item.startswith(needle) for item in environ) or cwd.startswith(f"{temp}/"):
            found.append(f"{entry.name}: {(entry / 'cmdline').read_bytes()[:80]!r}")
    return found


def leftover_ipc_objects(since: float, uid: int | None) -> list[str]:
    """SysV IPC objects of the sandbox user changed since the batch began."""
    found = []
    for kind in ("shm", "msg", "sem"):
        rows = Path(f"/proc/sysvipc/{kind}").read_text().splitlines()
        header = rows[0].split()
        for row in rows[1:]:
            values = dict(zip(header, row.split(), strict=False))
            if int(values["uid"]) == uid and int(values["ctime"]) >= int(since):
                found.append(f"{kind}: {row.strip()}")
    return found


def leftover_files(temp: Path, since: float, uid: int | None) -> list[str]:
    """Files left in the batch's temporary folder, and files of the sandbox user made in
    the host's shared temporary folders since the batch began."""
    found = [str(path) for path in temp.rglob("*")]
    for folder in SHARED_TEMP_FOLDERS:
        for path in Path(folder).iterdir() if Path(folder).is_dir() else []:
            try:
                info = path.lstat()
            except OSError:
                continue
            if info.st_uid == uid and info.st_mtime >= since:
                found.append(str(path))
    return found


def labels_copies(project: Path) -> list[Path]:
    """World-readable copies of the hidden labels off the built-in path's masks."""
    copies = []
    for folder in (Path("/var/lib"), Path("/etc")):
        copy = folder / f"ner-hostile-copy-{os.getpid()}" / "test_labels.json"
        try:
            copy.parent.mkdir(mode=0o755, exist_ok=True)
            copy.write_bytes(hidden_labels(project).read_bytes())
            copy.chmod(0o644)
        except OSError:
            continue  # not root: the case compares with nothing readable
        copies.append(copy)
    return copies


def read_rows(gradebook: Path) -> dict[str, dict[str, str]]:
    with open(gradebook, newline="", encoding="utf-8") as handle:
        return {row["submission"]: row for row in csv.DictReader(handle)}


def pending_connections(listener: socket.socket) -> list[str]:
    """Connections the kernel accepted on the listener's behalf (none expected)."""
    listener.setblocking(False)
    found = []
    while True:
        try:
            connection, address = listener.accept()
        except BlockingIOError:
            return found
        found.append(f"{address[0]}:{address[1]}")
        connection.close()


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return trained_project(tmp_path_factory.mktemp("grading"))


@pytest.fixture(scope="module")
def bases(project: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("bases")
    return {kind: reference_submission(project, kind, folder / kind) for kind in GOOD.values()}


@pytest.fixture(scope="module")
def batch(project: Path, bases: dict[str, Path],
          tmp_path_factory: pytest.TempPathFactory) -> Batch:
    """The batch, graded once per test session: when the module's tests are spread over
    several xdist workers, the first one grades and the others wait and read its record."""
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    record = shared / "hostile-batch.json"
    with open(shared / "hostile-batch.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if record.is_file():
            return Batch.from_json(record.read_text(encoding="utf-8"))
        graded = grade_hostile_batch(project, bases, tmp_path_factory.mktemp("hostile"))
        record.write_text(graded.to_json(), encoding="utf-8")
    return graded


def grade_hostile_batch(project: Path, bases: dict[str, Path], work: Path) -> Batch:
    settings = short_settings()
    alone: dict[str, Path] = {}
    protections: list[str] = []
    folder = work / "submissions"
    folder.mkdir()
    for name, kind in GOOD.items():
        path = folder / f"{name}.zip"
        path.write_bytes(bases[kind].read_bytes())
        result = grade_alone(path, project, settings, work / "alone" / name)
        alone[name] = work / "alone" / name
        protections = result.protections
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    temp = work / "temp"  # the workers' temporary folder: sandboxes are made in it
    temp.mkdir(mode=0o755)
    previous_temp = os.environ.get("TMPDIR")
    copies = labels_copies(project)
    cases = graded_cases(protections)
    try:
        context = Context(project, work / "models", listener.getsockname()[1],
                          "network namespace" in protections, work / "pickle-marker.txt",
                          copies)
        for name in cases:
            case = load_case(name)
            build_case(name, case, bases[case["base"]], folder / f"{name}.zip", context)
        os.environ["TMPDIR"] = str(temp)
        began = time.time()
        started = time.monotonic()
        report = grade_batch(folder, work / "graded", workers=2, settings=settings,
                             hidden_labels=hidden_labels(project),
                             test_split=project / "dataset" / "test.json", progress=False)
        seconds = time.monotonic() - started
        uid = _sandbox_uid()
        leftovers = {"processes": leftover_processes(temp),
                     "ipc objects": leftover_ipc_objects(began, uid),
                     "files": leftover_files(temp, began, uid)}
        connections = pending_connections(listener)
    finally:
        if previous_temp is None:
            os.environ.pop("TMPDIR", None)
        else:
            os.environ["TMPDIR"] = previous_temp
        listener.close()
        for copy in copies:
            copy.unlink()
            copy.parent.rmdir()
    print(f"\nhostile batch: {len(cases) + len(GOOD)} submissions in {seconds:.1f} s")
    return Batch(project, report.out_dir, read_rows(report.gradebook), seconds, alone,
                 protections, connections, context.marker, leftovers)


# ---------------------------------------------------------------------------- the tests
def test_every_submission_has_a_row_and_the_batch_is_bounded(batch: Batch) -> None:
    assert sorted(batch.rows) == sorted([*graded_cases(batch.protections), *GOOD])
    assert batch.seconds < BATCH_LIMIT_S
    for name, row in batch.rows.items():
        assert not row["status"].startswith("error"), (name, row["status"])
        assert (batch.out / name / "results.json").is_file()
        assert (batch.out / name / "feedback.md").is_file()


@pytest.mark.parametrize("name", sorted(GOOD))
def test_good_submissions_score_as_when_graded_alone(batch: Batch, name: str) -> None:
    for file in ("results.json", "feedback.md"):
        assert (batch.out / name / file).read_bytes() == (batch.alone[name] / file).read_bytes()
    row = batch.rows[name]
    assert row["status"] == "graded"
    assert float(row["score"]) == json.loads(
        (batch.alone[name] / "results.json").read_text())["score"]
    assert float(row["score"]) == float(row["max_score"])


def points(row: dict[str, str]) -> dict[str, float | None]:
    columns = TODO_COLUMNS + [f"{model}_points" for model in MODELS]
    return {column.removesuffix("_points"): float(row[column]) if row[column] != "" else None
            for column in columns}


@pytest.mark.parametrize("name", CASES)
def test_each_case_loses_exactly_its_points_with_a_clear_message(batch: Batch,
                                                                  name: str) -> None:
    skip_unless_graded(batch, name)
    case = load_case(name)
    expect = case["expect"]
    row = batch.rows[name]
    feedback = (batch.out / name / "feedback.md").read_text(encoding="utf-8")
    results = json.loads((batch.out / name / "results.json").read_text(encoding="utf-8"))
    assert row["status"].startswith(expect["status"]), row["status"]
    assert float(row["score"]) == results["score"]
    for text in expect.get("feedback", []):
        assert text in feedback, f"{name}: {text!r} not in the feedback:\n{feedback}"
    for text in expect.get("absent", []):
        for where, output in (("feedback.md", feedback), ("results.json", json.dumps(
                results, ensure_ascii=False)), ("the gradebook", json.dumps(row))):
            assert text not in output, f"{name}: {text!r} is in {where}"
    for text in expect.get("feedback_absent", []):
        assert text not in feedback, f"{name}: {text!r} is in feedback.md"
    lines = feedback.splitlines()
    for start in expect.get("no_line_starts", []):
        forged = [line for line in lines if line.startswith(start)]
        assert not forged, f"{name}: feedback.md has the line {forged[0]!r}"
    for column, value in (expect.get("row") or {}).items():
        assert row[column] == value, f"{name}: gradebook {column} is {row[column]!r}"
    if "notes" in expect:
        assert "Notes:" not in feedback and "Note:" not in results["output"]
    reference = points(batch.rows[f"good-{case['base']}"])
    got = points(row)
    if expect["status"].startswith("rejected"):
        assert float(row["score"]) == 0
        assert all(value in (0.0, None) for value in got.values()), got
        return
    lost = set(expect.get("lost", []))
    partial = set(expect.get("partial", []))
    for column, value in got.items():
        wanted = 0.0 if column in lost and reference[column] is not None else reference[column]
        if column in partial:
            assert value is not None and 0 <= value <= wanted, f"{name}: {column} has {value}"
            continue
        assert value == wanted, f"{name}: {column} has {value}, expected {wanted}"
    assert float(row["score"]) == pytest.approx(sum(v for v in got.values() if v is not None))


def test_no_secret_or_marker_reaches_the_outputs(batch: Batch) -> None:
    labels = hidden_labels(batch.project).read_text(encoding="utf-8")
    first_row = labels.splitlines()[1]
    reference = (REPO / "ner_helpers" / "tokenizer.py").read_text(encoding="utf-8")
    solution = reference.split("### BEGIN SOLUTION\n", 1)[1].splitlines()[0].strip()
    secrets = [first_row[:60], '"NER": [', "### BEGIN SOLUTION", solution, PAYLOAD_WORDS,
               "written outside the submission folder"]
    outputs = sorted(batch.out.rglob("*.json")) + sorted(batch.out.rglob("*.md")) + \
        sorted(batch.out.rglob("*.csv"))
    assert len(outputs) >= 2 * len(graded_cases(batch.protections))
    for path in outputs:
        text = path.read_text(encoding="utf-8")
        for secret in secrets:
            assert secret not in text, f"{path} holds {secret!r}"
        assert "\x1b" not in text, f"{path} holds terminal styling codes"


def test_no_payload_ran_and_nothing_escaped(batch: Batch, tmp_path: Path) -> None:
    assert batch.marker is not None and not batch.marker.exists()
    assert not (Path(tempfile.gettempdir()) / ESCAPE_NAME).exists()
    assert not list(batch.out.parent.rglob(ESCAPE_NAME))
    assert not list(batch.out.parent.rglob(batch.marker.name))
    # The payload is live: loaded without weights_only, it runs and writes its marker.
    marker = tmp_path / "live-marker.txt"
    with pytest.raises(RuntimeError, match=PAYLOAD_WORDS):
        torch.load(io.BytesIO(payload_weights(marker)), weights_only=False)
    assert marker.read_text() == "ran"


def test_the_port_the_submission_dialled_saw_no_connection(batch: Batch) -> None:
    assert batch.connections == []
    feedback = (batch.out / "network" / "feedback.md").read_text(encoding="utf-8")
    assert "python socket: connected" not in feedback and "libc: connected" not in feedback
    if "network namespace" in batch.protections:
        assert "libc: connect() failed, errno" in feedback


@pytest.mark.parametrize("kind", ["processes", "ipc objects", "files"])
def test_nothing_of_the_batch_outlives_it(batch: Batch, kind: str) -> None:
    """Checked right after the batch: its daemons, shared memory and files are gone."""
    assert batch.leftovers[kind] == []


def test_the_protections_line_names_the_confinement_path(batch: Batch) -> None:
    assert batch.protections[0] in ("bubblewrap", "built-in confinement (no bubblewrap)")
    if os.geteuid() == 0:
        assert {"pid namespace", "ipc namespace", "private work tmpfs"} <= \
            set(batch.protections)


def test_a_grader_without_namespaces_survives_a_signal_to_its_parent(
        project: Path, bases: dict[str, Path], tmp_path: Path) -> None:
    """Without root there are no namespaces and no user change: the child's parent is the
    grading process itself, which the audit hook must keep out of reach of os.kill."""
    settings = short_settings(namespaces=False, run_as=None)
    folder = tmp_path / "submissions"
    folder.mkdir()
    (folder / "good-milestone.zip").write_bytes(bases["milestone"].read_bytes())
    context = Context(project, tmp_path / "models", 9, False, tmp_path / "marker.txt")
    build_case("kill_the_grader", load_case("kill_the_grader"), bases["milestone"],
               folder / "kill_the_grader.zip", context)
    report = grade_batch(folder, tmp_path / "graded", workers=2, settings=settings,
                         hidden_labels=hidden_labels(project),
                         test_split=project / "dataset" / "test.json", progress=False)
    rows = read_rows(report.gradebook)
    full = settings.max_score("milestone")
    assert rows["good-milestone"]["status"] == "graded"
    assert float(rows["good-milestone"]["score"]) == full
    assert rows["kill_the_grader"]["status"] == "graded"
    assert float(rows["kill_the_grader"]["score"]) == \
        full - settings.todos["TODO-1.1-1"].max_points
    feedback = (report.out_dir / "kill_the_grader" / "feedback.md").read_text()
    assert "PermissionError: not allowed while grading: os.kill" in feedback
    assert os.getpid() > 0  # this process is still here
