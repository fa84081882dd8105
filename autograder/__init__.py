"""Instructor-only tooling: release builder, leak check, grader, hidden tests.

Nothing in this package is ever shipped to students.
"""
