"""Command-line entry points of the kit (``ner-kit <command>``)."""
