"""The code that runs inside the sandboxed child process.

The grader copies this package into each sandbox (as ``_grading_child``) and
starts ``launch.main`` with a clean environment. Modules here import only the
standard library, numpy and torch, and use relative imports, so the same
files also serve the grader itself (``autograder.sandbox.child``).
"""
