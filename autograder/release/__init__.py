"""Building the student release from the instructor's source tree."""
