"""nbgrader configuration of the NER course (copied into the course directory).

nbgrader reads this file from the folder it runs in. All values come from the
``nbgrader`` section of ``autograder/config/release.yaml``; see
:mod:`autograder.nbgrader.course_config` for what is set and why.
"""

from pathlib import Path

from autograder.nbgrader.course_config import configure

c = get_config()  # noqa: F821 (provided by nbgrader when it reads this file)
configure(c, Path(__file__).resolve().parent)
