"""Autograding preprocessors of the kit.

While autograding, a notebook's kernel runs in the submission's folder, so
``import ner_helpers`` finds the student's package submitted beside the
notebook. Without that folder it would find the package installed in the
grading environment (the instructor's, with solutions) and grade the reference
instead of the student: :class:`RequireSubmittedPackage` refuses to execute
such a submission.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Unicode


class RequireSubmittedPackage(NbGraderPreprocessor):
    """Fail the notebook when its folder has no ``<package>/__init__.py``."""

    package = Unicode("ner_helpers", help="The package a submission must carry.").tag(
        config=True)

    def preprocess(self, nb: Any, resources: Any) -> tuple[Any, Any]:
        folder = Path(resources.get("metadata", {}).get("path") or ".")
        if not (folder / self.package / "__init__.py").is_file():
            raise RuntimeError(
                f"{folder}: the submission has no {self.package}/ folder beside the notebook; "
                f"grading it would import the installed {self.package} instead of the "
                f"student's. Put the student's {self.package}/ into the submitted folder.")
        return nb, resources
