"""The nbgrader course configuration of the kit and the course directory tooling.

``nbgrader_config.py`` (copied into every course directory) applies
:func:`autograder.nbgrader.course_config.configure`, which reads the
``nbgrader`` section of ``autograder/config/release.yaml``.
"""
