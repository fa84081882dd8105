"""Run the instructor notebooks top to bottom in a real Jupyter kernel (nbclient).

setup.ipynb builds the dataset from a slice of ../shared/data/conll2003 and trains
the tokenizer; assignment.ipynb then runs in quick mode (NER_NOTEBOOK_QUICK=1)
through every section, both submissions and the bonus. Everything is written
into a temporary project folder. About a minute on two cores.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from test_notebook_support import ROOT, kernel_environment, make_project, register_kernel

from ner_helpers.checks import TODOS
from ner_helpers.submission import save_identity

# One worker runs the whole module, so the notebooks are executed once.
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("notebook_execution")]

SENTENCES_PER_SPLIT = 400
CELL_TIMEOUT = 300
PLOT_CELLS = ("vocabulary-plot", "length-plot", "training-curves", "ffnn-train",
              "ffnn-heatmaps", "ffnn-confusion", "rnn-train", "rnn-heatmaps", "rnn-confusion")


def execute(path: Path) -> nbformat.NotebookNode:
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(notebook, timeout=CELL_TIMEOUT, kernel_name="python3",
                            allow_errors=True, resources={"metadata": {"path": str(path.parent)}})
    client.execute()
    nbformat.write(notebook, path.with_suffix(".executed.ipynb"))
    return notebook


def errors(notebook: nbformat.NotebookNode) -> list[str]:
    return [f"{cell.id}: {output.ename}: {output.evalue}"
            for cell in notebook.cells if cell.cell_type == "code"
            for output in cell.outputs if output.output_type == "error"]


def text_of(notebook: nbformat.NotebookNode, cell_id: str) -> str:
    cell = next(c for c in notebook.cells if c.id == cell_id)
    return "".join(output.get("text", "") for output in cell.outputs)


def kinds_of(notebook: nbformat.NotebookNode, cell_id: str) -> set[str]:
    cell = next(c for c in notebook.cells if c.id == cell_id)
    return {kind for output in cell.outputs for kind in output.get("data", {})}


@pytest.fixture(scope="module")
def executed(tmp_path_factory, shared_data):
    project = make_project(tmp_path_factory.mktemp("project"))
    jupyter = register_kernel(tmp_path_factory.mktemp("jupyter"))
    dataset_before = sorted((ROOT / "dataset").rglob("*"))
    save_identity("s2071234", "Grace Hopper", path=project / "artefacts" / "identity.json")
    with pytest.MonkeyPatch.context() as patch:
        for name, value in kernel_environment(jupyter).items():
            patch.setenv(name, value)
        patch.setenv("NER_DATA_SOURCE", str(shared_data / "conll2003"))
        patch.setenv("NER_DATA_LIMIT", str(SENTENCES_PER_SPLIT))
        patch.setenv("NER_NOTEBOOK_QUICK", "1")
        setup = execute(project / "notebooks" / "setup.ipynb")
        assignment = execute(project / "notebooks" / "assignment.ipynb")
    assert sorted((ROOT / "dataset").rglob("*")) == dataset_before
    return project, setup, assignment


def test_setup_notebook_runs_and_prepares_data_and_tokenizer(executed):
    project, setup, _ = executed
    assert errors(setup) == []
    assert "running in a local Python (not Colab): nothing changed" in text_of(setup,
                                                                               "colab-setup")
    data = text_of(setup, "data")
    assert f"train:    {SENTENCES_PER_SPLIT} sentences" in data
    assert "conll2003" in data
    assert "saved to" in text_of(setup, "tokenizer")
    # the homework's ten TODOs and those of the optional sections the instructor's
    # package holds
    assert text_of(setup, "checks").count("PASS TODO-") == len(TODOS)
    for split in ("train", "val", "test"):
        assert (project / "dataset" / f"{split}.json").is_file()
    assert (project / "artefacts" / "tokenizer.json").is_file()


def test_assignment_notebook_runs_without_errors(executed):
    _, _, assignment = executed
    assert errors(assignment) == []
    assert "quick mode: on" in text_of(assignment, "settings")


def test_every_public_check_cell_passes(executed):
    _, _, assignment = executed
    for number in TODOS:
        output = text_of(assignment, "check-" + number.replace(".", "_"))
        assert output.startswith(f"PASS TODO-{number} "), output


def test_plots_tables_and_scores_are_shown(executed):
    _, _, assignment = executed
    for cell_id in PLOT_CELLS:
        assert "image/png" in kinds_of(assignment, cell_id), cell_id
    for cell_id in ("ffnn-prediction", "rnn-prediction"):
        assert "text/html" in kinds_of(assignment, cell_id)
    for cell_id in ("training-run", "ffnn-one-layer", "ffnn-train", "rnn-one-layer", "rnn-train",
                    "baseline"):
        assert "; the grade is the weighted f1)" in text_of(assignment, cell_id), cell_id
    assert text_of(assignment, "ffnn-sweep").count("\n") == 7  # header and six grid points
    assert "same logits for 'Bank' in both: True" in text_of(assignment, "bank")
    assert "bidirectional LSTM" in text_of(assignment, "bonus-train")


def test_the_notebook_run_in_a_real_kernel_passes_its_own_run_order_check(executed):
    """Run all, as a student does before submitting: the check finds nothing, for either
    kind. The submission cells packed the file as saved (never run), and said so."""
    from ner_helpers.notebook_run_order import check_run_order

    _, _, assignment = executed
    for kind in ("milestone", "final"):
        finding = check_run_order(assignment, kind)
        assert finding.in_order, finding.message()
        assert finding.checked_cells > 20
    final = text_of(assignment, "final-submit")
    assert "warning:" in final and "was never run" in final and "Restart Kernel" in final


def test_both_submissions_are_written_into_the_project(executed):
    project, _, assignment = executed
    assert "milestone submission written" in text_of(assignment, "milestone-submit")
    assert "final submission written" in text_of(assignment, "final-submit")
    submissions = project / "artefacts" / "submissions"
    with zipfile.ZipFile(submissions / "milestone-001.zip") as archive:
        assert "ner_helpers/trainer.py" in archive.namelist()
    with zipfile.ZipFile(submissions / "final-001.zip") as archive:
        names = archive.namelist()
    for model in ("ffnn", "rnn"):
        assert f"models/{model}/weights.pt" in names
        assert (project / "artefacts" / "experiments" / model / "model" / "weights.pt").is_file()
