"""The analysis notebooks run from top to bottom on the demonstration data, so they never rot.

Each notebook in ``notebooks/`` is executed with nbclient in a kernel started from the
interpreter running the tests (``sys.executable``): the kernel spec is written to a temporary
folder and handed to the kernel manager directly, so neither a user-wide ``python3`` kernel nor
``ipykernel install --user`` is involved. IPython's and Jupyter's runtime files go to the same
temporary folder, and the kernel's working directory is a temporary folder too: a notebook that
relies on being started from the repository, or writes next to itself, fails here.

nbclient and ipykernel come with the ``test`` extra: a missing one fails the run rather than
skipping it, so that a notebook cannot rot unnoticed.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import nbclient
import nbformat
import pytest
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import AsyncKernelManager

NOTEBOOKS_DIR = Path(__file__).resolve().parents[1] / "notebooks"
NOTEBOOKS = sorted(NOTEBOOKS_DIR.glob("*.ipynb"))
KERNEL_NAME = "observatoire-tests"
CELL_TIMEOUT_S = 300


def _kernel_manager(folder: Path) -> AsyncKernelManager:
    """A kernel manager whose only kernel is this interpreter with ipykernel."""
    spec_dir = folder / "kernels" / KERNEL_NAME
    spec_dir.mkdir(parents=True)
    spec = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": f"Python ({sys.executable})",
        "language": "python",
        "env": {"IPYTHONDIR": str(folder / "ipython")},
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec), encoding="utf-8")
    specs = KernelSpecManager(kernel_dirs=[str(folder / "kernels")])
    return AsyncKernelManager(kernel_name=KERNEL_NAME, kernel_spec_manager=specs)


def test_there_is_at_least_one_notebook():
    assert NOTEBOOKS, f"aucun carnet dans {NOTEBOOKS_DIR}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_is_saved_without_outputs(path):
    """Outputs stay out of the repository: small files, readable diffs, no stale figures."""
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    dirty = [i for i, cell in enumerate(nb.cells) if cell.cell_type == "code"
             and (cell.outputs or cell.execution_count is not None)]
    assert not dirty, f"{path.name} : sorties non effacées dans les cellules {dirty}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs_without_error(path, tmp_path, monkeypatch):
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path / "runtime"))
    workdir = tmp_path / "cwd"
    workdir.mkdir()
    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        nb, km=_kernel_manager(tmp_path), timeout=CELL_TIMEOUT_S, startup_timeout=120,
        allow_errors=False, resources={"metadata": {"path": str(workdir)}})
    try:
        client.execute()
    except nbclient.exceptions.CellExecutionError as exc:
        pytest.fail(f"{path.name} : une cellule a échoué.\n{exc}", pytrace=False)
    code_cells = [cell for cell in nb.cells if cell.cell_type == "code"]
    assert all(cell.execution_count is not None for cell in code_cells)
    assert not list(workdir.iterdir()), "le carnet a écrit dans son dossier de travail"
