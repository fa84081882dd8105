"""Publishing a built release: the placeholder-address guard and the publish steps.

The kit ships with an example student repository address (``colab.repository_url``
of ``release.yaml``). A release built with it has badges, an install cell and
README links that point at a repository that is not the course's, so
``ner-instructor release`` refuses it unless asked for a dry run.
After a build, :func:`publish_steps` spells out how to push the release to the
student repository (docs/releasing.md, section 4).
"""

from __future__ import annotations

import shlex
from pathlib import Path

from autograder.release.settings import ReleaseSettings

#: The setting that holds the student repository's address.
REPOSITORY_SETTING = "colab.repository_url"
#: The command-line flag that lets a dry run use the placeholder address.
ALLOW_PLACEHOLDER_FLAG = "--allow-placeholder-url"


def normalised_url(url: str) -> str:
    """``url`` without case differences, a trailing slash or ``.git``."""
    text = url.strip().rstrip("/").lower()
    return text[:-4] if text.endswith(".git") else text


def is_placeholder_url(settings: ReleaseSettings) -> bool:
    """True when the configured repository is one of ``colab.placeholder_urls``."""
    placeholders = {normalised_url(url) for url in settings.colab_placeholder_urls}
    return normalised_url(settings.colab_repository_url) in placeholders


def placeholder_message(settings: ReleaseSettings) -> str:
    """Why a release with the placeholder address is refused, and what to do."""
    return (f"{REPOSITORY_SETTING} in {settings.source} is still the example address "
            f"{settings.colab_repository_url}: the students' Open-in-Colab badges, the "
            "notebooks' install cell and the README would point there. Create the student "
            f"repository on GitHub and put its address into {REPOSITORY_SETTING} (pass "
            f"{ALLOW_PLACEHOLDER_FLAG} for a dry run that is not published)")


def publish_steps(settings: ReleaseSettings, out_dir: Path, root: Path) -> str:
    """The commands that push the release at ``out_dir`` to the student repository."""
    try:
        shown = out_dir.relative_to(root)
    except ValueError:
        shown = out_dir
    release = shlex.quote(str(shown))
    publish = shlex.quote(str(shown.parent / "publish"))
    url = settings.colab_repository_url
    branch = settings.colab_branch
    lines = [
        f"to publish it to {url} (branch {branch}):",
        f"  git clone {shlex.quote(url + '.git')} {publish}     # once",
        f"  rsync -a --delete --exclude .git {release}/ {publish}/",
        f"  git -C {publish} add -A",
        f"  git -C {publish} status --short                # review what changes for students",
        f"  git -C {publish} commit -m \"Homework release\"",
        f"  git -C {publish} push origin {shlex.quote(branch)}",
        "then open the badge of notebooks/assignment.ipynb in the pushed README to try it "
        "in Colab (docs/releasing.md, section 4)",
    ]
    return "\n".join(lines)
