"""The student project's own files, rendered from ``autograder/release/templates``.

Templates use ``{{ name }}`` placeholders. The values come from the release
settings, the instructor's ``pyproject.toml`` (version, Python version,
dependencies, package data), ``environment.yml`` (its name), ``kit.yaml``
(submission files, layer limit) and the TODO list read from the package.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml

from autograder.release.settings import ReleaseSettings
from autograder.release.todo_list import TodoEntry
from ner_helpers import colab
from ner_helpers.errors import KitError

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

PLACEHOLDER = re.compile(r"\{\{\s*(\w+)\s*\}\}")


def render(template: str, values: dict[str, str], where: str) -> str:
    """Fill every ``{{ name }}``; an unknown name is an error naming the template."""
    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            raise KitError(f"{where}: unknown placeholder {{{{ {name} }}}}; "
                           f"known: {', '.join(sorted(values))}")
        return values[name]

    return PLACEHOLDER.sub(fill, template)


def colab_url(settings: ReleaseSettings, notebook: str) -> str:
    """The Open-in-Colab address of ``notebook`` (a path in the release)."""
    try:
        return colab.colab_url(settings.colab_repository_url, settings.colab_branch, notebook)
    except ValueError as exc:
        raise KitError(f"{settings.source}: colab settings: {exc}") from None


def read_pyproject(root: Path) -> dict[str, Any]:
    path = root / "pyproject.toml"
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError:
        raise KitError(f"{path}: the instructor's pyproject.toml is missing") from None
    except tomllib.TOMLDecodeError as exc:
        raise KitError(f"{path}: not valid TOML ({exc})") from None


def read_environment(root: Path, settings: ReleaseSettings) -> dict[str, Any]:
    """The source tree's conda environment file (``release.environment_source``)."""
    path = root / settings.environment_source
    if not path.is_file():
        raise KitError(f"{path}: missing; the student environment.yml is made from it "
                       f"(release.environment_source in {settings.source})")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise KitError(f"{path}: not valid YAML ({exc})") from None
    if not isinstance(data, dict) or not isinstance(data.get("name"), str):
        raise KitError(f"{path}: needs a `name:` for the conda environment")
    return data


def environment_values(environment: dict[str, Any], where: Path) -> dict[str, str]:
    """Name, Python version and pinned pip packages (``-e`` lines dropped)."""
    python_version, pip_lines = None, []
    for entry in environment.get("dependencies", []) or []:
        if isinstance(entry, str) and re.match(r"^python\s*=", entry):
            python_version = entry.split("=", 1)[1].strip()
        elif isinstance(entry, dict) and isinstance(entry.get("pip"), list):
            pip_lines = [str(item) for item in entry["pip"]
                         if not str(item).startswith(("-e", "--editable"))]
    if python_version is None:
        raise KitError(f"{where}: needs a `python=X.Y` dependency")
    return {
        "environment_name": environment["name"],
        "python_version": python_version,
        "environment_pip": "\n".join(f"      - {line}" for line in pip_lines),
    }


def todo_table(todos: list[TodoEntry], milestone: set[str]) -> str:
    """The README's TODO table rows (markdown)."""
    rows = []
    for todo in todos:
        submission = "milestone and final" if Path(todo.file).name in milestone else "final"
        rows.append(f"| TODO-{todo.number} | `{todo.file}` | `{todo.where}` | "
                    f"{todo.section} | {submission} |")
    return "\n".join(rows)


def template_values(root: Path, settings: ReleaseSettings, kit: dict[str, Any],
                    todos: list[TodoEntry]) -> dict[str, str]:
    """Every value a template may use."""
    pyproject = read_pyproject(root)
    project = pyproject.get("project", {})
    package_data = (pyproject.get("tool", {}).get("setuptools", {}).get("package-data", {})
                    .get(settings.package, []))
    dependencies = project.get("dependencies", [])
    submission = kit.get("submission", {})
    milestone = [str(name) for name in submission.get("milestone_files", [])]
    final = [str(name) for name in submission.get("final_files", [])]
    return {
        "project_name": settings.project_name,
        "version": str(project.get("version", "0")),
        "requires_python": str(project.get("requires-python", ">=3.10")),
        "dependencies": "\n".join(f"    {json.dumps(dep)}," for dep in dependencies),
        "package": settings.package,
        "package_data": ", ".join(json.dumps(glob) for glob in package_data),
        "extras": "\n".join(
            f"{name} = [{', '.join(json.dumps(dep) for dep in deps)}]"
            for name, deps in settings.shipped_extras().items()),
        **environment_values(read_environment(root, settings),
                             root / settings.environment_source),
        "colab_url": colab_url(settings, f"{settings.notebooks_dir}/assignment.ipynb"),
        "repository_url": settings.colab_repository_url,
        "branch": settings.colab_branch,
        "todo_table": todo_table(todos, set(milestone)),
        "milestone_files": ", ".join(milestone),
        "final_files": ", ".join(final),
        "max_layers": str(submission.get("max_layers", 2)),
    }


def render_templates(root: Path, settings: ReleaseSettings,
                     values: dict[str, str]) -> dict[str, bytes]:
    """``release path -> rendered bytes`` of every template in ``release.templates``."""
    rendered: dict[str, bytes] = {}
    for template, target in settings.templates.items():
        path = root / template
        if not path.is_file():
            raise KitError(f"{path}: template not found (release.templates in {settings.source})")
        text = render(path.read_text(encoding="utf-8"), values, template)
        rendered[target] = text.encode("utf-8")
    return rendered
