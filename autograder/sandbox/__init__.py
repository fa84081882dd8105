"""Running student code in a confined child process.

- :mod:`.workspace` builds the sandbox folder: the student release of the
  package with the submitted files put in, one package root per file;
- :mod:`.client` starts the child, sends it calls and enforces time limits;
- :mod:`.failures` names what can go wrong and how it reads in feedback;
- :mod:`.child` is the code that runs inside the child.
"""
