"""The Gradescope autograder bundle: its setup.sh and run_autograder templates,
the builder (:mod:`.bundle`) and the per-submission entry point (:mod:`.run`)."""
