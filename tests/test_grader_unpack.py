"""Safe unpacking of submissions: hostile paths, links, sizes, zip bombs (under 1 s)."""

from __future__ import annotations

import os
import stat
import zipfile
from pathlib import Path

import pytest

from autograder.grader.settings import UnpackLimits
from autograder.grader.unpack import SubmissionRejected, unpack_submission

LIMITS = UnpackLimits(max_entries=20, max_file_bytes=200_000, max_total_bytes=300_000,
                      max_ratio=50, ratio_min_bytes=10_000)
GOOD = {"identity.json": b'{"student_id": "s1", "name": "Ada"}',
        "ner_helpers/tokenizer.py": b"print('hello')\n"}


def make_zip(path: Path, entries: dict[str, bytes], links: dict[str, str] | None = None,
             compress: bool = True) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED) \
            as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
        for name, target in (links or {}).items():
            info = zipfile.ZipInfo(name)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            archive.writestr(info, target)
    return path


def test_expected_files_are_extracted_and_others_ignored_with_a_note(tmp_path: Path) -> None:
    source = make_zip(tmp_path / "s.zip", {**GOOD, "notes.txt": b"hi", "__MACOSX/._x": b"",
                                           "ner_helpers/extra.py": b"x = 1"})
    unpacked = unpack_submission(source, tmp_path / "out", LIMITS)
    assert sorted(unpacked.files) == sorted(GOOD)
    assert (tmp_path / "out" / "ner_helpers" / "tokenizer.py").read_bytes() == \
        GOOD["ner_helpers/tokenizer.py"]
    assert unpacked.notes == ["ignored unexpected file 'ner_helpers/extra.py'",
                              "ignored unexpected file 'notes.txt'"]
    assert not (tmp_path / "out" / "notes.txt").exists()


def test_the_original_course_layout_gets_one_message_naming_each_file(tmp_path: Path) -> None:
    original = {"hw2/ner/nn/models/ffnn.py": b"x = 1",
                "hw2/ner/data_processing/data_collator.py": b"x = 1",
                "hw2/ner/trainers/trainer.py": b"x = 1", "hw2/ner/utils/metrics.py": b"x = 1"}
    source = make_zip(tmp_path / "s.zip", {**GOOD, **original})
    unpacked = unpack_submission(source, tmp_path / "out", LIMITS)
    assert sorted(unpacked.files) == sorted(GOOD)
    layout = [note for note in unpacked.notes if "original course's ner/ package" in note]
    assert len(layout) == 1
    for name, target in (("hw2/ner/nn/models/ffnn.py", "ner_helpers/ffnn.py"),
                         ("hw2/ner/data_processing/data_collator.py", "ner_helpers/collator.py"),
                         ("hw2/ner/trainers/trainer.py", "ner_helpers/trainer.py")):
        assert f"{name} belongs in {target}" in layout[0]
    assert "ignored unexpected file 'hw2/ner/utils/metrics.py'" in unpacked.notes
    assert not any("ignored unexpected file 'hw2/ner/nn" in note for note in unpacked.notes)


def test_a_zipped_folder_is_read_inside_its_folder(tmp_path: Path) -> None:
    source = make_zip(tmp_path / "s.zip", {f"final/{name}": data for name, data in GOOD.items()})
    unpacked = unpack_submission(source, tmp_path / "out", LIMITS)
    assert sorted(unpacked.files) == sorted(GOOD)
    assert unpacked.notes == ["read the files inside the folder 'final' of the zip"]


@pytest.mark.parametrize("name, reason", [
    ("../evil.py", "points outside"),
    ("ner_helpers/../../evil.py", "points outside"),
    ("/etc/passwd", "absolute path"),
    ("C:/Windows/evil.py", "absolute path"),
    ("..\\evil.py", "points outside"),
])
def test_paths_leaving_the_folder_are_rejected(tmp_path: Path, name: str, reason: str) -> None:
    source = make_zip(tmp_path / "s.zip", {**GOOD, name: b"x"})
    with pytest.raises(SubmissionRejected, match=reason):
        unpack_submission(source, tmp_path / "out", LIMITS)
    assert not (tmp_path / "evil.py").exists()


def test_symbolic_links_are_rejected(tmp_path: Path) -> None:
    source = make_zip(tmp_path / "s.zip", GOOD, links={"tokenizer.json": "/etc/shadow"})
    with pytest.raises(SubmissionRejected, match="symbolic link"):
        unpack_submission(source, tmp_path / "out", LIMITS)


def test_large_entries_and_totals_are_rejected(tmp_path: Path) -> None:
    big = os.urandom(250_000)
    with pytest.raises(SubmissionRejected, match="larger than"):
        unpack_submission(make_zip(tmp_path / "a.zip", {**GOOD, "tokenizer.json": big}),
                          tmp_path / "a", LIMITS)
    chunks = {f"models/{m}/{n}": os.urandom(120_000) for m in ("ffnn", "rnn")
              for n in ("weights.pt",)}
    chunks["tokenizer.json"] = os.urandom(120_000)
    with pytest.raises(SubmissionRejected, match="together are larger"):
        unpack_submission(make_zip(tmp_path / "b.zip", {**GOOD, **chunks}), tmp_path / "b",
                          LIMITS)


def test_zip_bombs_are_rejected(tmp_path: Path) -> None:
    source = make_zip(tmp_path / "bomb.zip", {**GOOD, "tokenizer.json": bytes(150_000)})
    with pytest.raises(SubmissionRejected, match="expands more than"):
        unpack_submission(source, tmp_path / "out", LIMITS)


def test_too_many_entries_duplicates_and_garbage_are_rejected(tmp_path: Path) -> None:
    many = {f"junk/{i}.txt": b"x" for i in range(30)}
    with pytest.raises(SubmissionRejected, match="entries, more than 20"):
        unpack_submission(make_zip(tmp_path / "m.zip", {**GOOD, **many}), tmp_path / "m", LIMITS)
    with zipfile.ZipFile(tmp_path / "d.zip", "w") as archive:
        archive.writestr("identity.json", b"{}")
        archive.writestr("./identity.json", b"{}")
    with pytest.raises(SubmissionRejected, match="appears twice"):
        unpack_submission(tmp_path / "d.zip", tmp_path / "d", LIMITS)
    (tmp_path / "g.zip").write_bytes(b"this is not a zip file")
    with pytest.raises(SubmissionRejected, match="not a readable zip file"):
        unpack_submission(tmp_path / "g.zip", tmp_path / "g", LIMITS)


def test_encrypted_entries_are_rejected(tmp_path: Path) -> None:
    path = make_zip(tmp_path / "e.zip", GOOD, compress=False)
    data = bytearray(path.read_bytes())
    # Set the "encrypted" flag bit in every central directory record.
    offset = data.find(b"PK\x01\x02")
    while offset != -1:
        data[offset + 8] |= 0x01
        offset = data.find(b"PK\x01\x02", offset + 4)
    path.write_bytes(bytes(data))
    with pytest.raises(SubmissionRejected, match="encrypted"):
        unpack_submission(path, tmp_path / "out", LIMITS)


def test_folders_are_copied_safely(tmp_path: Path) -> None:
    folder = tmp_path / "upload"
    (folder / "ner_helpers").mkdir(parents=True)
    for name, data in GOOD.items():
        (folder / name).write_bytes(data)
    (folder / "readme.txt").write_text("hi")
    unpacked = unpack_submission(folder, tmp_path / "out", LIMITS)
    assert sorted(unpacked.files) == sorted(GOOD)
    assert unpacked.notes == ["ignored unexpected file 'readme.txt'"]
    (folder / "tokenizer.json").symlink_to("/etc/passwd")
    with pytest.raises(SubmissionRejected, match="symbolic link"):
        unpack_submission(folder, tmp_path / "out2", LIMITS)


def test_a_folder_holding_one_zip_is_read_as_that_zip(tmp_path: Path) -> None:
    folder = tmp_path / "upload"
    folder.mkdir()
    make_zip(folder / "final-003.zip", GOOD)
    unpacked = unpack_submission(folder, tmp_path / "out", LIMITS)
    assert sorted(unpacked.files) == sorted(GOOD)
    make_zip(folder / "final-004.zip", GOOD)
    with pytest.raises(SubmissionRejected, match="holds 2 zip files"):
        unpack_submission(folder, tmp_path / "out2", LIMITS)


def test_an_entry_larger_than_it_declares_is_cut_off(tmp_path: Path) -> None:
    path = make_zip(tmp_path / "lie.zip", {**GOOD, "tokenizer.json": b"A" * 5000},
                    compress=False)
    data = bytearray(path.read_bytes())
    # Shrink the declared size of tokenizer.json in the central directory to 10 bytes.
    with zipfile.ZipFile(path) as archive:
        names = [info.filename for info in archive.infolist()]
    offset = data.find(b"PK\x01\x02")
    while offset != -1:
        name_length = int.from_bytes(data[offset + 28:offset + 30], "little")
        name = bytes(data[offset + 46:offset + 46 + name_length]).decode()
        if name == "tokenizer.json":
            data[offset + 24:offset + 28] = (10).to_bytes(4, "little")
        offset = data.find(b"PK\x01\x02", offset + 4)
    path.write_bytes(bytes(data))
    assert "tokenizer.json" in names
    with pytest.raises(SubmissionRejected, match="tokenizer.json"):
        unpack_submission(path, tmp_path / "out", LIMITS)
