"""The cells of notebooks/setup.ipynb: install, data, tokenizer, environment check."""

from __future__ import annotations

from pathlib import Path

import yaml
from cells import code, colab_badge, colab_setup, markdown

#: The conda environment file whose name the install lines use (the release ships it too).
ENVIRONMENT_FILE = Path(__file__).resolve().parents[2] / "environment.yml"
#: The index of PyTorch's CPU-only wheels (a small download; no CUDA libraries).
TORCH_CPU_INDEX = "https://download.pytorch.org/whl/cpu"


def environment_name() -> str:
    """The conda environment's name, read from environment.yml."""
    return str(yaml.safe_load(ENVIRONMENT_FILE.read_text(encoding="utf-8"))["name"])


def cells(repository_url: str, branch: str, badge: str) -> list[dict]:
    from cell_times import notebook_minutes  # here: keeps the import block as it was
    return [
        colab_badge(badge),
        markdown("title", """
            # Setup: install, data, tokenizer, checks

            Run this notebook once before the assignment, in Google Colab (open it with the
            badge above) or in JupyterLab on your own machine. It

            1. installs the kit (in Colab) or reports your local installation,
            2. checks the environment (Python, PyTorch, GPU, the `ner-kit` command),
            3. makes sure the dataset is in `dataset/` (and can rebuild it from a corpus),
            4. trains and saves the tokenizer,
            5. runs the public checks, to show which TODOs are still open.

            **Locally**, install first, from the project folder (as the README says), with
            conda:

            ```
            conda env create -f environment.yml
            conda activate {ENVIRONMENT}
            make setup
            jupyter lab
            ```

            or with a plain virtual environment:

            ```
            python -m venv .venv
            source .venv/bin/activate        # Windows: .venv\\Scripts\\activate
            make setup                       # or: python -m pip install -e ".[notebook]"
            jupyter lab
            ```

            The editable install (`-e`) makes your edits of `ner_helpers/` take effect. On a
            Linux laptop without an NVIDIA GPU, install the small CPU build of PyTorch
            before `make setup`: `python -m pip install torch --index-url {TORCH_CPU_INDEX}`
            (otherwise pip downloads the CUDA build, several GB).
            """.replace("{ENVIRONMENT}", environment_name())
                 .replace("{TORCH_CPU_INDEX}", TORCH_CPU_INDEX)),
        markdown("install-title", """
            ## 1. Install

            In Colab this cell installs the kit from the course repository, clones your working
            copy and makes Python import the package from it: edit the TODO files of that copy
            (the folder icon on the left, then the `ner_helpers` folder of the working copy).
            Set `USE_DRIVE = True` to keep the working copy in Google Drive; otherwise it is
            lost when the Colab session ends (download your files or your submission zip
            before that).
            """),
        colab_setup(repository_url, branch),
        markdown("environment-title", "## 2. The environment"),
        markdown("gpu-runtime", f"""
            **A GPU in Colab.** Colab's default runtime has two CPU cores, like a laptop. On a
            2-core machine the whole assignment notebook, run top to bottom, took
            {notebook_minutes()} (each training cell says how long it takes); Colab's CPUs may
            be slower, and a machine busy with other programs is. To train on a GPU, choose
            *Runtime > Change runtime type*, pick a GPU (*T4 GPU* in the free tier) and
            *Save*. The runtime restarts on a new machine, so run this notebook again from the
            top (with `USE_DRIVE = True` your working copy is still there). The next cell then
            prints the GPU's name, and the training cells use it by themselves (`device: auto`
            in `ffnn.yaml` and `rnn.yaml`). Expect the RNN and the bonus LSTM to gain the most;
            the FFNN is small and gains less. The free tier limits GPU time per day and
            disconnects idle sessions: use it for the long training runs.
            """),
        code("environment", """
            import os
            import platform
            import shutil

            import torch

            from ner_helpers.colab import package_dir
            from ner_helpers.config import kit_config, project_root, resolve_path

            print(f"Python {platform.python_version()}, PyTorch {torch.__version__}")
            if torch.cuda.is_available():
                print(f"GPU: {torch.cuda.get_device_name(0)}")
            else:
                print("GPU: none (the FFNN trains fine on a CPU; the RNN is slow there)")
            print(f"ner_helpers imported from {package_dir()}")
            print(f"project folder: {project_root()}")
            print(f"`ner-kit` command: {shutil.which('ner-kit') or 'not found on PATH'}")
            KIT = kit_config()
            """),
        markdown("data-title", """
            ## 3. The data

            The dataset lives in `dataset/` as `train.json`, `val.json` and `test.json` (the test
            split has no tags: the grader keeps them). The course repository ships them. To
            build them again from a corpus, set `DATA_SOURCE` below: a folder of CoNLL files, or
            `"hub:Babelscape/wikineural"` for a Hugging Face dataset (needs the `datasets`
            package and a network). From a terminal the same is `ner-kit data --source ...`.
            The environment variables `NER_DATA_SOURCE` and `NER_DATA_LIMIT` set the two
            values without editing the cell.
            """),
        code("data", """
            from ner_helpers.data import build_dataset, load_split

            DATA_SOURCE = os.environ.get("NER_DATA_SOURCE") or None  # None: the shipped dataset
            DATA_LIMIT = int(os.environ.get("NER_DATA_LIMIT", "0")) or None  # sentences per split

            dataset_dir = resolve_path(KIT["paths"]["dataset_dir"])
            if DATA_SOURCE is not None or not (dataset_dir / "train.json").is_file():
                report = build_dataset(DATA_SOURCE, limit=DATA_LIMIT, progress=True)
                print(report.format())
            for split in KIT["data"]["splits"]:
                rows = load_split(dataset_dir / f"{split}.json")
                print(f"{split:>5}: {len(rows):6,} sentences in {dataset_dir / (split + '.json')}")
            """),
        markdown("tokenizer-title", """
            ## 4. The tokenizer

            Trains the vocabulary on the training split with the settings of `kit.yaml`
            (section 1.1 of the assignment explores them) and saves it to
            `artefacts/tokenizer.json`. The same from a terminal: `ner-kit tokenizer`.
            """),
        code("tokenizer", """
            from ner_helpers.tokenizer import Tokenizer

            settings = KIT["tokenizer"]
            tokenizer = Tokenizer(lowercase=settings["lowercase"])
            tokenizer.train(load_split(dataset_dir / "train.json"), min_freq=settings["min_freq"],
                            remove_frac=settings["remove_frac"])
            tokenizer_path = resolve_path(KIT["paths"]["tokenizer"])
            tokenizer.save(tokenizer_path)
            print(f"vocabulary: {tokenizer.vocab_size:,} ids, saved to {tokenizer_path}")
            """),
        markdown("checks-title", """
            ## 5. The public checks

            One line per TODO. Before you start, every TODO says *not implemented yet*; that is
            expected. Run this cell again (or `ner-kit check` in a terminal) as you go.
            """),
        code("checks", """
            from ner_helpers.checks import CheckFailed, check_all

            try:
                check_all()
            except CheckFailed as failure:
                print(f"\\n{failure}")
            """),
        markdown("next", """
            Next: open `notebooks/assignment.ipynb` and start with section 1.1.
            """),
    ]
