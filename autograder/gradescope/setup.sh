#!/usr/bin/env bash
# Gradescope runs this once, as root, while it builds the autograder image.
# It installs Python, the CPU build of torch @TORCH@ and the course kit from the
# bundled source, then closes the source (reference solution, hidden tests,
# hidden labels) to everyone but root: student code runs as an unprivileged user.
set -euo pipefail

SOURCE=/autograder/source
VENV=/opt/ner-grader

export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends @PYTHON@ @PYTHON@-venv @PYTHON@-pip util-linux bubblewrap
@PYTHON@ -m venv "$VENV"
"$VENV/bin/pip" install --no-cache-dir --upgrade pip
"$VENV/bin/pip" install --no-cache-dir --index-url "@TORCH_INDEX@" "torch==@TORCH@"
"$VENV/bin/pip" install --no-cache-dir "$SOURCE" "pytest>=8"

chmod -R go-rwx "$SOURCE"
SITE=$("$VENV/bin/python" -c "import sysconfig; print(sysconfig.get_paths()['purelib'])")
chmod -R go-rwx "$SITE/ner_helpers" "$SITE/autograder"

cd "$SOURCE"
"$VENV/bin/python" -c "import torch, autograder.grader.engine; print('grader ready, torch', torch.__version__)"
