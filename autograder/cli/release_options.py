"""Options shared by the commands that read the release settings (release, leak-check,
nbgrader-collect, gradebook-merge)."""

from __future__ import annotations

import argparse
from pathlib import Path

from autograder.release.settings import ReleaseSettings, load_release_settings


def add_release_config_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", type=Path, default=None,
                        help="release settings file (default: autograder/config/release.yaml)")


def release_settings(args: argparse.Namespace) -> ReleaseSettings:
    return load_release_settings(args.config)
