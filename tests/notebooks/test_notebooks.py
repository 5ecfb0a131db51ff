"""Every notebook runs (jupytext percent files executed with nbclient on the venv's kernel) and
writes its figures. One test per notebook, so xdist spreads them over workers.

The notebooks run with their defaults (demo data made here with the tiny model and simulated
observers); only ``out`` is injected after the ``parameters`` cell, papermill-style.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((REPO / "notebooks").glob("*.py"))
KERNEL = "gazefusion-venv"


def venv_kernel() -> str:
    """Name of a kernelspec that runs this interpreter; installed into sys.prefix if missing."""
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    def ours() -> bool:
        try:
            return (
                Path(KernelSpecManager().get_kernel_spec(KERNEL).argv[0]).resolve()
                == Path(sys.executable).resolve()
            )
        except NoSuchKernel:
            return False

    if not ours():
        from ipykernel.kernelspec import install

        try:
            install(kernel_name=KERNEL, display_name="Python (gazefusion venv)", prefix=sys.prefix)
        except OSError:  # another worker installed it at the same moment
            pass
    assert ours(), f"kernelspec {KERNEL!r} does not run {sys.executable}"
    return KERNEL


def test_there_are_notebooks_with_a_parameters_cell():
    import jupytext

    assert len(NOTEBOOKS) >= 6
    for path in NOTEBOOKS:
        tags = [c.metadata.get("tags", []) for c in jupytext.read(path).cells]
        assert sum("parameters" in t for t in tags) == 1, path.name


@pytest.mark.timeout(900)  # above the per-test 300 s: nbclient's own limit is 600 s per cell
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs(path, tmp_path):
    import jupytext
    import nbformat
    from nbclient import NotebookClient

    nb = jupytext.read(path)
    at = next(i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", []))
    out = tmp_path / "out"
    nb.cells.insert(
        at + 1, nbformat.v4.new_code_cell(f"out = {str(out)!r}", metadata={"tags": ["injected-parameters"]})
    )
    NotebookClient(
        nb,
        kernel_name=venv_kernel(),
        timeout=600,
        startup_timeout=120,
        resources={"metadata": {"path": str(tmp_path)}},
    ).execute()
    pngs = sorted(out.rglob("*.png"))
    pdfs = sorted(out.rglob("*.pdf"))
    assert pdfs and pngs, f"{path.name} wrote no figures to {out}"
