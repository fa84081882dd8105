"""The sandbox: a child that sleeps, allocates, prints, exits or crashes is stopped and
reported, and the grader carries on; the child cannot reach the network, the
hidden labels or the reference solution; student prints cannot corrupt the
protocol. One hostile tokenizer reacts to its input, so a single sandbox
serves every case (about 20 s, child restarts included).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch
from test_grader_fixtures import REPO, patched

from autograder.grader.settings import load_settings
from autograder.grader.student_code import StudentCode
from autograder.sandbox.child import protocol
from autograder.sandbox.client import SandboxClient, child_user
from autograder.sandbox.failures import (
    ChildFailure,
    GroupUnavailable,
    SandboxStartError,
    StudentError,
)
from autograder.sandbox.workspace import build_workspace
from ner_helpers.constants import PAD_TOKEN, UNK_TOKEN

pytestmark = pytest.mark.slow

HOSTILE = '''
        text = input_seq if isinstance(input_seq, str) else " ".join(input_seq)
        if text == "sleep":
            import time
            time.sleep(1000)
        if text == "spin":
            while True:
                pass
        if text == "alloc":
            blob = bytearray(8 * 1024 ** 3)
        if text == "tensor":
            blob = torch.ones(2 * 1024 ** 3)
        if text == "print":
            while True:
                print("x" * 10000)
        if text == "chatty":
            print("a line a student printed", flush=True)
        if text == "exit":
            import os
            os._exit(3)
        if text == "sysexit":
            import sys
            sys.exit(1)
        if text == "segv":
            import ctypes
            ctypes.string_at(0)
        if text == "net":
            import socket
            socket.create_connection(("10.1.2.3", 80), timeout=1)
        if text.startswith("read "):
            raise RuntimeError(open(text[5:]).read(120))
        if text.startswith("list "):
            import os
            raise RuntimeError(repr(sorted(os.listdir(text[5:]))))
'''


def hostile_tokenizer() -> str:
    return patched("tokenizer.py", "        ### BEGIN SOLUTION\n",
                   "        ### BEGIN SOLUTION\n" + HOSTILE)


@pytest.fixture(scope="module")
def secret(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("hidden") / "test_labels.json"
    path.write_text('[{"index": [0], "NER": ["B-PER"]}]')
    return path


def start(tmp_path: Path, secret: Path, **changes) -> tuple[SandboxClient, StudentCode]:
    settings = load_settings().with_sandbox(call_timeout_s=3, memory_bytes=2 * 1024 ** 3,
                                            output_bytes=64 * 1024, **changes)
    source = tmp_path / "tokenizer.py"
    source.write_text(hostile_tokenizer())
    workspace = build_workspace({"tokenizer.py": source}, ["tokenizer"], {},
                                child_user(settings.sandbox), parent=tmp_path)
    client = SandboxClient(workspace, settings.sandbox, secret_files=[secret])
    return client, StudentCode(client, settings.sandbox)


def tokenize(student: StudentCode, text: str) -> dict:
    answers = student.call("tokenizer", "tokenize", vocab=[PAD_TOKEN, UNK_TOKEN, "ok"],
                           pad_token=PAD_TOKEN, unk_token=UNK_TOKEN, lowercase=False,
                           cases=[{"input": text, "kwargs": {}}])
    return answers[0]


def assert_alive(student: StudentCode) -> None:
    answer = tokenize(student, "ok")
    assert answer["ok"]["input_ids"].tolist() == [2]


def test_limits_stop_the_child_and_the_grader_carries_on(tmp_path: Path, secret: Path) -> None:
    client, student = start(tmp_path, secret, max_failures_per_group=100)
    try:
        assert_alive(student)
        first_pid_starts = client.starts
        for text, kind, words in [("sleep", "timeout", "did not finish within 3 s"),
                                  ("spin", "timeout", "did not finish within 3 s"),
                                  ("exit", "exit", "exit code 3"),
                                  ("segv", "crash", "crashed (SIGSEGV)")]:
            with pytest.raises(ChildFailure) as caught:
                tokenize(student, text)
            assert caught.value.kind == kind
            assert words in caught.value.student_message
            assert_alive(student)
        assert client.starts == first_pid_starts + 4, "the child restarts after each death"

        for text, words in [("alloc", "MemoryError"), ("tensor", "can't allocate memory"),
                            ("print", "printed more than 64 KiB of output"),
                            ("sysexit", "sys.exit(1) was called"),
                            ("net", "not allowed while grading: socket")]:
            error = tokenize(student, text)["error"]
            assert words in f"{error['type']}: {error['message']}", error
            assert error["where"].startswith("ner_helpers/tokenizer.py, line ")
            assert_alive(student)
    finally:
        client.close()
    assert not client.alive()


def process_tree(pid: int) -> list[int]:
    """``pid`` and its descendants, from the host's /proc."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    tree = [pid]
    for member in tree:
        tree += sorted(child for child, parent in parents.items() if parent == member)
    return tree


@pytest.mark.skipif(not Path("/proc/self/oom_score_adj").exists(),
                    reason="no /proc/PID/oom_score_adj on this system")
def test_the_child_is_the_first_choice_of_the_oom_killer(tmp_path: Path, secret: Path) -> None:
    """oom_score_adj 1000 in the child (read by the child itself and from outside, for the
    launcher and every process under it), the grader's own value unchanged."""
    own = Path("/proc/self/oom_score_adj").read_text().strip()
    client, student = start(tmp_path, secret)
    try:
        assert_alive(student)
        inside = tokenize(student, "read /proc/self/oom_score_adj")["error"]["message"]
        assert inside.strip() == "1000"
        launcher = client._process.pid
        tree = process_tree(launcher)
        assert len(tree) >= 1
        for pid in tree:
            assert Path(f"/proc/{pid}/oom_score_adj").read_text().strip() == "1000", pid
    finally:
        client.close()
    assert Path("/proc/self/oom_score_adj").read_text().strip() == own


def test_prints_do_not_corrupt_the_protocol(tmp_path: Path, secret: Path) -> None:
    client, student = start(tmp_path, secret)
    try:
        for _ in range(3):
            answer = tokenize(student, "chatty")
            assert answer["ok"]["input_ids"].tolist() == [1]
        stdout = sorted(client.workspace.output.glob("stdout-*.txt"))[-1].read_text()
        assert "a line a student printed" in stdout
    finally:
        client.close()


def test_a_group_that_keeps_failing_is_skipped(tmp_path: Path, secret: Path) -> None:
    client, student = start(tmp_path, secret, max_failures_per_group=2)
    try:
        for _ in range(2):
            with pytest.raises(ChildFailure):
                tokenize(student, "exit")
        with pytest.raises(GroupUnavailable, match="stopped the grading process in 2 earlier"):
            tokenize(student, "ok")
    finally:
        client.close()


def secret_reads(student: StudentCode, secret: Path) -> list[str]:
    messages = []
    for path in (secret, REPO / "ner_helpers" / "tokenizer.py",
                 REPO / "autograder" / "hidden_tests" / "support.py"):
        answer = tokenize(student, f"read {path}")
        assert "error" in answer
        messages.append(answer["error"]["message"])
    return messages


def test_secrets_stay_out_of_reach(tmp_path: Path, secret: Path) -> None:
    client, student = start(tmp_path, secret)
    try:
        for message in secret_reads(student, secret):
            assert "B-PER" not in message and "BEGIN SOLUTION" not in message
            assert "import" not in message
            assert "No such file" in message or "not allowed while grading" in message \
                or "Permission denied" in message
        if os.geteuid() == 0:
            hiding = "allow-list file system" if "bubblewrap" in client.protections \
                else "masked paths"
            assert {"network namespace", hiding, "user nobody"} <= set(client.protections)
            listing = tokenize(student, f"list {REPO}")["error"]["message"]
            assert "ner_helpers" not in listing and "autograder" not in listing
    finally:
        client.close()


def test_without_namespaces_the_audit_hook_still_guards(tmp_path: Path, secret: Path) -> None:
    """The fallback when the grader is not root (simulated: no namespaces, no user change)."""
    client, student = start(tmp_path, secret, namespaces=False, run_as=None)
    try:
        for message in secret_reads(student, secret):
            assert "not allowed while grading: opening" in message
        error = tokenize(student, "net")["error"]
        assert "not allowed while grading: socket" in error["message"]
        assert "user nobody" not in client.protections and "audit hook" in client.protections
    finally:
        client.close()


def test_tensors_travel_as_typed_bytes_without_pickle() -> None:
    tensors = {"a": torch.arange(6, dtype=torch.int64).reshape(2, 3),
               "b": torch.randn(2, 2, dtype=torch.float32), "c": torch.tensor([True, False]),
               "d": torch.ones(2, dtype=torch.bfloat16), "e": [1, "x", None, 2.5]}
    wire = protocol.to_wire(tensors)
    assert wire["a"]["__tensor__"]["dtype"] == "int64"
    assert wire["a"]["__tensor__"]["shape"] == [2, 3]
    back = protocol.from_wire(protocol.decode_body(protocol.encode_frame(wire)[8:]))
    for key in "abcd":
        assert back[key].dtype == tensors[key].dtype
        assert torch.equal(back[key], tensors[key])
    assert back["e"] == [1, "x", None, 2.5]
    assert protocol.to_wire(object())["__object__"] == "object"
    with pytest.raises(protocol.ProtocolError, match="has 3 bytes"):
        protocol.from_wire({"__tensor__": {"dtype": "float32", "shape": [2], "data": "AAAA"}})


def test_student_errors_name_the_place(tmp_path: Path, secret: Path) -> None:
    client, student = start(tmp_path, secret)
    try:
        with pytest.raises(StudentError) as caught:
            student.call("tokenizer", "import_modules", modules=["no_such_module"])
        assert "ModuleNotFoundError" in caught.value.student_message
    finally:
        client.close()


def test_messages_do_not_depend_on_the_sandbox_folder() -> None:
    from autograder.sandbox.child.packages import clean_text

    roots = "/tmp/ner-sandbox-abc123/roots"
    text = (f"cannot open {roots}/collator/ner_helpers/x.json or "
            f"/tmp/ner-sandbox-abc123/data/tokenizer.json at 0x7f3a2b1c")
    assert clean_text(text, roots) == ("cannot open ner_helpers/x.json or "
                                       "<sandbox>/data/tokenizer.json at 0x...")


@pytest.mark.skipif(os.geteuid() != 0, reason="the user change happens only as root")
def test_without_namespaces_an_unusable_user_stops_grading(tmp_path: Path,
                                                           secret: Path) -> None:
    """As root without namespaces the child must be able to drop to nobody: a user that
    cannot read the Python installation stops grading (it never runs as root instead)."""
    import sys

    from autograder.sandbox.child.confine import _open_to_others

    client, student = start(tmp_path, secret, namespaces=False)
    try:
        if _open_to_others(sys.base_prefix) and _open_to_others(sys.prefix):
            assert_alive(student)
            assert "user nobody" in client.protections
        else:
            with pytest.raises(SandboxStartError, match="the user 'nobody' cannot read"):
                assert_alive(student)
    finally:
        client.close()


@pytest.mark.skipif(os.geteuid() != 0, reason="the user change happens only as root")
@pytest.mark.parametrize("user", ["no-such-user-here", "root"])
def test_a_missing_or_root_run_as_user_stops_grading(tmp_path: Path, secret: Path,
                                                      user: str) -> None:
    settings = load_settings().with_sandbox(run_as=user)
    with pytest.raises(SandboxStartError, match=f"sandbox.run_as: .*{user}"):
        child_user(settings.sandbox)
    with pytest.raises(SandboxStartError, match="sandbox.run_as"):
        start(tmp_path, secret, run_as=user)
