"""Similarity of the code students wrote inside each TODO region.

Course plagiarism checkers compare whole files, most of which is provided code.
This package compares only the student-written part of each TODO (from the
release's hint to the end of the method, the release's stub and provided lines
left out), pairwise across the class and against known public solutions, and
writes an offline HTML report and a CSV. Student code is parsed, never
imported or run.

Modules: :mod:`.settings` (the ``similarity:`` block of grading.yaml),
:mod:`.regions` (where each TODO's student code is), :mod:`.fingerprints`
(normalised tokens and winnowed k-gram hashes), :mod:`.sources` (reading a
submissions folder and a folder of known solutions), :mod:`.compare` (the pair
scores), :mod:`.report` (HTML and CSV).
"""
