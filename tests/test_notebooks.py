"""Every tutorial notebook in examples/notebooks/ runs top to bottom in a real Jupyter kernel
(nbclient), in its quick mode (MINIGRAD_QUICK=1: smaller sizes, same code), with no error;
and each one is committed with the outputs of a full run, which the docs show."""

from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

NOTEBOOKS = sorted(
    (Path(__file__).resolve().parent.parent / "examples" / "notebooks").glob("*.ipynb")
)


def test_the_tutorial_notebooks_are_numbered_in_reading_order():
    assert [p.stem[:3] for p in NOTEBOOKS] == ["01_", "02_", "03_", "04_"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_without_error_in_a_kernel(path, monkeypatch, tmp_path):
    monkeypatch.setenv("MINIGRAD_QUICK", "1")
    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(  # run in tmp_path: the run folders go there
        nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute()  # raises CellExecutionError naming the cell on any error
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.output_type == "error"]
    assert errors == []


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_is_saved_with_the_outputs_of_a_full_run(path):
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# ")
    assert all(c.execution_count for c in code), "run every cell before saving"
    counts = [c.execution_count for c in code]
    assert counts == list(range(1, len(code) + 1)), "saved from one top-to-bottom run"
    assert not any(o.output_type == "error" for c in code for o in c.outputs)
