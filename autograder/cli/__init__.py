"""The ``ner-instructor`` command."""
