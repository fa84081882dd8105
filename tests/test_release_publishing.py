"""Publishing a release: the example repository address is refused, a real one ends
with the publish steps; what the student README and setup notebook say about
installing and submitting (three release builds from a copy of the source tree,
about 20 s)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import tomllib
from test_release_support import copy_source_tree

from autograder.cli.main import main as instructor_main
from autograder.release.publishing import is_placeholder_url, normalised_url
from autograder.release.settings import DEFAULT_SETTINGS_PATH, load_release_settings

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("release")]

PLACEHOLDER = "https://github.com/your-course/ner-homework"
COURSE_URL = "https://github.com/uni-nlp/ner-2025"
CPU_INDEX = "--index-url https://download.pytorch.org/whl/cpu"


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_source_tree(tmp_path_factory.mktemp("source") / "kit")


def course_settings(folder: Path) -> Path:
    """release.yaml with the course's own repository and branch."""
    text = DEFAULT_SETTINGS_PATH.read_text()
    assert f"repository_url: {PLACEHOLDER}\n  branch: main" in text
    path = folder / "release.yaml"
    path.write_text(text.replace(f"repository_url: {PLACEHOLDER}\n  branch: main",
                                 f"repository_url: {COURSE_URL}\n  branch: spring"))
    return path


def release(source: Path, out: Path, *extra: str) -> int:
    return instructor_main(["release", "--root", str(source), "--out", str(out),
                            "--course-dir", str(out.parent / "course"), *extra])


@pytest.fixture(scope="module")
def published(source: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    folder = tmp_path_factory.mktemp("published")
    config = course_settings(folder)
    with pytest.MonkeyPatch.context() as patch:
        printed: list[str] = []
        patch.setattr("builtins.print", lambda *a, **k: printed.append(" ".join(map(str, a))))
        assert release(source, folder / "student", "--config", str(config)) == 0
    return folder / "student", "\n".join(printed)


def test_the_placeholder_is_recognised_in_its_usual_spellings() -> None:
    settings = load_release_settings()
    assert is_placeholder_url(settings)
    assert normalised_url(PLACEHOLDER.upper() + ".git/") == normalised_url(PLACEHOLDER)


def test_release_refuses_the_example_repository_address(
        source: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert release(source, tmp_path / "student") == 2
    error = capsys.readouterr().err
    assert error.startswith("error: colab.repository_url in ") and "release.yaml" in error
    assert PLACEHOLDER in error and "--allow-placeholder-url" in error
    assert "Traceback" not in error
    assert not (tmp_path / "student").exists() and not (tmp_path / "course").exists()


def test_a_dry_run_with_the_flag_builds_but_says_not_to_publish(
        source: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert release(source, tmp_path / "student", "--allow-placeholder-url") == 0
    printed = capsys.readouterr().out
    assert "dry run" in printed and "do not publish this release" in printed
    assert "git push" not in printed
    assert (tmp_path / "student" / "README.md").is_file()


def test_a_release_ends_with_the_publish_steps(published: tuple[Path, str]) -> None:
    out, printed = published
    assert "leak check passed" in printed
    steps = printed[printed.index(f"to publish it to {COURSE_URL} (branch spring)"):]
    assert f"git clone {COURSE_URL}.git" in steps
    assert f"rsync -a --delete --exclude .git {out}/" in steps
    assert steps.index("add -A") < steps.index("commit") < steps.index("push origin spring")
    readme = (out / "README.md").read_text()
    assert COURSE_URL in readme and PLACEHOLDER not in readme


def test_student_readme_says_identity_terminal_commands_and_cpu_torch(
        published: tuple[Path, str]) -> None:
    readme = (published[0] / "README.md").read_text()
    assert "artefacts/identity.json" in readme
    assert 'ner-kit submit milestone --student-id 12345678 --name "Ada Lovelace"' in readme
    assert "File > New > Terminal" in readme
    for command in ("ner-kit submit final --check", "ner-kit submit --help", "ner-kit check"):
        assert command in readme, command
    assert f"python -m pip install torch {CPU_INDEX}" in readme
    assert "Linux" in readme


def test_notebook_extra_brings_ipywidgets(published: tuple[Path, str]) -> None:
    project = tomllib.loads((published[0] / "pyproject.toml").read_text())
    assert any(dep.startswith("ipywidgets") for dep in
               project["project"]["optional-dependencies"]["notebook"])


def test_setup_notebook_install_lines_match_the_readme(published: tuple[Path, str]) -> None:
    out = published[0]
    readme = (out / "README.md").read_text()
    environment = (out / "environment.yml").read_text()
    name = next(line.split(":", 1)[1].strip() for line in environment.splitlines()
                if line.startswith("name:"))
    assert name == "ner-kit"
    setup = json.loads((out / "notebooks" / "setup.ipynb").read_text())
    title = "".join(next(c for c in setup["cells"] if c.get("id") == "title")["source"])
    assert f"conda activate {name}" in title and f"conda activate {name}" in readme
    assert "ner-homework" not in title
    commands = [line.split("#")[0].strip() for line in title.splitlines()
                if line.startswith(("conda ", "python -m", "source ", "make ", "jupyter "))]
    assert len(commands) >= 7, commands
    for command in commands:
        assert command in readme, command
    assert f"python -m pip install torch {CPU_INDEX}" in title
