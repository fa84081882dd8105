"""The course's week around the grader: late submissions and the learning-management system.

Everything here works on gradebook rows after grading (never inside the
grader's per-submission verdicts):

- :mod:`.late_policy`: the ``late:`` block of grading.yaml and what it makes
  of one submission's lateness;
- :mod:`.times`: reading times, and submission times from Gradescope's
  ``submission_metadata``, nbgrader's ``timestamp.txt`` files or a CSV;
- :mod:`.extensions`: per-student due dates from a CSV;
- :mod:`.ledger`: the course-wide late-day ledger (CSV);
- :mod:`.late_days`: the step that applies all of it to a batch's rows;
- :mod:`.canvas`, :mod:`.moodle`: the grade files those systems import.
"""
