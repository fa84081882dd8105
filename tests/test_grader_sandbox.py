"""The sandbox: a child that sleeps, allocates, prints, exits or crashes is stopped and
reported, and the grader carries on; the child cannot reach the network, the
hidden labels or the reference solution; student prints cannot corrupt the
protocol. One hostile tokenizer reacts to its input, so a single sandbox
serves every case (about 20 s, child restarts included).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
import torch
from test_grader_fixtures import REPO, patched

from autograder.grader.settings import load_settings
from autograder.grader.student_code import StudentCode
from autograder.sandbox.bubblewrap import find_bubblewrap
from autograder.sandbox.child import protocol
from autograder.sandbox.client import SandboxClient, child_user
from autograder.sandbox.failures import (
    BudgetExhausted,
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
        if text.startswith("nap "):
            import time
            time.sleep(float(text[4:]))
        if text == "daemon":
            import ctypes, os, time
            libc = ctypes.CDLL(None)
            if libc.fork() == 0:
                os.setsid()
                libc.prctl(1, 0, 0, 0, 0)
                for _ in range(3):
                    if libc.fork() == 0:
                        break
                while True:
                    time.sleep(1)
        if text.startswith("shm "):
            import ctypes
            libc = ctypes.CDLL(None, use_errno=True)
            libc.shmat.restype = ctypes.c_void_p
            message = b"left by an earlier submission"
            if text == "shm put":
                ident = libc.shmget(0x4E455231, 1 << 20, 0o1000 | 0o666)
                address = libc.shmat(ident, None, 0)
                ctypes.memmove(address, message, len(message))
            else:
                ident = libc.shmget(0x4E455231, 0, 0)
                if ident < 0:
                    raise RuntimeError("no shared memory")
                address = libc.shmat(ident, None, 0)
                raise RuntimeError(ctypes.string_at(address, len(message)).decode())
        if text == "fill":
            written = 0
            try:
                while True:
                    with open(f"fill-{written}.bin", "wb") as handle:
                        handle.write(bytes(1 << 15))
                    written += 1
            except OSError as exc:
                raise RuntimeError(f"{exc.strerror} after {written // 32} MiB") from None
        if text.startswith("header "):
            import fcntl, os, stat, struct, time
            for fd in range(3, 64):
                try:
                    pipe = stat.S_ISFIFO(os.fstat(fd).st_mode)
                    writes = fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_ACCMODE == os.O_WRONLY
                except OSError:
                    continue
                if pipe and writes:
                    os.write(fd, struct.pack(">Q", int(text[7:])))
            time.sleep(1000)
        if text.startswith("big "):
            return {"input_ids": "x" * int(text[4:])}
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


# ---------------------------------------------------------------------------- containment
PATHS = ["auto", "never"]


def start_on(path: str, tmp_path: Path, secret: Path, needs: str,
             **changes) -> tuple[SandboxClient, StudentCode]:
    """A sandbox on bubblewrap (``auto``) or the built-in path (``never``), started; the
    test skips where it cannot run or lacks the protection the test is about (the
    built-in path without root has namespaces only where unprivileged ones are allowed)."""
    if path == "auto" and find_bubblewrap() is None:
        pytest.skip("bubblewrap is not installed or cannot make a sandbox here")
    client, student = start(tmp_path, secret, bubblewrap=path, **changes)
    assert_alive(student)
    if needs not in client.protections:
        client.close()
        pytest.skip(f"no {needs} here: {client.protections}")
    return client, student


def processes_with(marker: str) -> list[int]:
    """Processes whose environment holds ``marker`` (the child's HOME names its sandbox)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            try:
                if marker.encode() in (entry / "environ").read_bytes().split(b"\0"):
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


@pytest.mark.parametrize("path", PATHS)
def test_a_daemon_with_setsid_and_no_parent_death_signal_ends_with_grading(
        tmp_path: Path, secret: Path, path: str) -> None:
    client, student = start_on(path, tmp_path, secret, "pid namespace")
    marker = f"HOME={client.workspace.work}"
    try:
        assert_alive(student)
        assert tokenize(student, "daemon")["ok"]["input_ids"].tolist() == [1]
        deadline = time.monotonic() + 10
        while len(processes_with(marker)) < 5 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(processes_with(marker)) >= 5, "the child, its daemon and three forks"
        assert_alive(student)
    finally:
        client.close()
    deadline = time.monotonic() + 5
    while processes_with(marker) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert processes_with(marker) == []


@pytest.mark.parametrize("path", PATHS)
def test_shared_memory_does_not_outlive_a_submission(tmp_path: Path, secret: Path,
                                                     path: str) -> None:
    (tmp_path / "first").mkdir()
    (tmp_path / "second").mkdir()
    first, student = start_on(path, tmp_path / "first", secret, "ipc namespace")
    try:
        assert tokenize(student, "shm put")["ok"]["input_ids"].tolist() == [1, 1]
        assert tokenize(student, "shm get")["error"]["message"] == \
            "left by an earlier submission"  # it is real, and visible within a submission
    finally:
        first.close()
    host_keys = Path("/proc/sysvipc/shm").read_text().split("\n")[1:]
    assert not [row for row in host_keys if row.split()[:1] == [str(0x4E455231)]]
    second, student = start_on(path, tmp_path / "second", secret, "ipc namespace")
    try:
        assert tokenize(student, "shm get")["error"]["message"] == "no shared memory"
        assert "ipc namespace" in second.protections
    finally:
        second.close()


@pytest.mark.parametrize("path", PATHS)
def test_a_full_work_folder_stays_private(tmp_path: Path, secret: Path, path: str) -> None:
    client, student = start_on(path, tmp_path, secret, "private work tmpfs",
                               work_bytes=8 * 1024 * 1024)
    try:
        message = tokenize(student, "fill")["error"]["message"]
        assert message.startswith("No space left on device after ")
        assert int(message.split()[-2]) <= 8
        assert "private work tmpfs" in client.protections
        assert list(client.workspace.work.iterdir()) == []  # nothing reached the host's disk
        assert_alive(student)
    finally:
        client.close()


@pytest.mark.skipif(find_bubblewrap() is None, reason="bubblewrap is not installed")
def test_bubblewrap_shows_nothing_off_its_allow_list(tmp_path: Path, secret: Path) -> None:
    """World-readable copies of the hidden labels where the old masks did not reach."""
    copies = []
    for folder in (Path("/var/lib"), Path("/etc"), REPO.parent, tmp_path):
        copy = folder / f"ner-hostile-copy-{os.getpid()}" / "test_labels.json"
        try:
            copy.parent.mkdir(mode=0o755)
        except PermissionError:
            continue  # not root
        copy.write_text(secret.read_text())
        copy.chmod(0o644)
        copies.append(copy)
    client, student = start_on("auto", tmp_path, secret, "allow-list file system")
    try:
        for copy in copies:
            message = tokenize(student, f"read {copy}")["error"]["message"]
            # Under /tmp (pytest's folder, or a checkout there) the audit hook refuses too.
            under_tmp = copy.is_relative_to("/tmp") or copy.parent.parent == tmp_path
            refused = ("No such file", "not allowed while grading") if under_tmp else (
                "No such file",)
            assert message.startswith(refused) or any(r in message for r in refused), message
        listing = tokenize(student, "list /")["error"]["message"]
        for absent in ("home", "var", "srv", "opt", "mnt", "autograder"):
            assert f"'{absent}'" not in listing, listing
        assert tokenize(student, "list /etc")["error"]["message"] == "['ld.so.cache']"
        assert client.protections[0] == "bubblewrap"
        assert "allow-list file system" in client.protections
    finally:
        client.close()
        for copy in copies:
            copy.unlink()
            copy.parent.rmdir()


@pytest.mark.parametrize("path", PATHS)
def test_all_calls_together_get_one_time_budget(tmp_path: Path, secret: Path,
                                                path: str) -> None:
    """A submission that sleeps just under every per-call limit runs out of its budget."""
    client, student = start_on(path, tmp_path, secret, "resource limits",
                               submission_timeout_s=12, max_failures_per_group=100)
    try:
        answers = 0
        with pytest.raises(BudgetExhausted) as caught:
            for _ in range(10):
                tokenize(student, "nap 2.5")
                answers += 1
        assert answers <= 4
        assert "used up the 12 s that all its calls together may take" in \
            caught.value.student_message
        began = time.monotonic()
        with pytest.raises(BudgetExhausted, match="^not run: your code used up"):
            tokenize(student, "ok")
        assert time.monotonic() - began < 1
    finally:
        client.close()


@pytest.mark.parametrize("path", PATHS)
def test_replies_are_capped_and_read_in_linear_time(tmp_path: Path, secret: Path,
                                                    path: str) -> None:
    client, student = start_on(path, tmp_path, secret, "resource limits",
                               max_failures_per_group=100)
    limit = client.limits.max_message_bytes
    assert limit == 16 * 1024 * 1024
    try:
        began = time.monotonic()
        big = tokenize(student, f"big {limit - 1024 * 1024}")["ok"]["input_ids"]
        assert len(big) == limit - 1024 * 1024
        assert time.monotonic() - began < 10
        with pytest.raises(StudentError, match="ResultTooLarge"):
            tokenize(student, f"big {limit}")
        with pytest.raises(ChildFailure, match="larger than the limit") as caught:
            tokenize(student, f"header {2 ** 40}")
        assert caught.value.kind == "protocol"
        assert_alive(student)
    finally:
        client.close()
