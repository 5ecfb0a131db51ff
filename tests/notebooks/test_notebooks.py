"""Every notebook runs (jupytext percent files executed with nbclient on the venv's kernel) and
writes its figures. One test per notebook, so xdist spreads them over workers.

The notebooks run with their defaults (demo data made here with the default model and simulated
observers); only ``out`` is injected after the ``parameters`` cell, papermill-style. A first cell
records every saved figure (``testsupport.figures.record_savefig``: axes, titles, tick labels,
lines, images) so that each notebook's figures are checked for their axes and series, and the
aligned-vs-shuffled plot for its values against the Parquet it was drawn from.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[2]
TESTS = REPO / "tests"
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
    log = tmp_path / "figures.jsonl"
    nb.cells.insert(
        at + 1, nbformat.v4.new_code_cell(f"out = {str(out)!r}", metadata={"tags": ["injected-parameters"]})
    )
    # load the recorder by its file: tests/ on sys.path would shadow the package (tests/gazefusion)
    recorder = (
        "import importlib.util as _u\n"
        f"_s = _u.spec_from_file_location('_figures', {str(TESTS / 'testsupport' / 'figures.py')!r})\n"
        f"_m = _u.module_from_spec(_s); _s.loader.exec_module(_m); _m.record_savefig({str(log)!r})"
    )
    nb.cells.insert(0, nbformat.v4.new_code_cell(recorder, metadata={"tags": ["injected-recorder"]}))
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
    figures = {}
    for line in log.read_text().splitlines():
        entry = json.loads(line)
        figures[entry["stem"]] = entry
    CHECKS[path.stem](figures, out)


def _images(fig: dict) -> list[list[int]]:
    return [shape for ax in fig["axes"] for shape in ax["images"]]


def check_video_frames(figures: dict, out: Path) -> None:
    """Two rows of 3 frames (64 px, RGB): the frame, then its JET blend; titled by frame number."""
    fig = figures["video_frames"]
    assert len(fig["axes"]) == 6
    assert [ax["title"] for ax in fig["axes"][:3]] == ["frame 0", "frame 1", "frame 2"]  # row-major
    assert _images(fig) == [[64, 64, 3]] * 6 and not any(ax["axis_on"] for ax in fig["axes"])


def check_applications(figures: dict, out: Path) -> None:
    """One row per application (plain, suppression, each display), three panels: smap, image, blend."""
    fig = figures["applications"]
    n = len(fig["axes"])
    assert n >= 9 and n % 3 == 0
    assert all(len(ax["images"]) == 1 for ax in fig["axes"])
    assert all(ax["title"] for ax in fig["axes"])


def check_teaser_grids(figures: dict, out: Path) -> None:
    """One row per smap: the smap (grey, 2-D) then image and blend per prompt (RGB)."""
    fig = figures["teaser_grid"]
    assert len(fig["axes"]) == 3 * 5
    for row in range(3):
        axes = fig["axes"][5 * row : 5 * row + 5]
        assert len(axes[0]["images"][0]) == 2 and all(len(ax["images"][0]) == 3 for ax in axes[1:])
        assert axes[1]["title"].startswith("a purple star") and axes[3]["title"].startswith("a cyan triangle")


def check_model_based_analysis(figures: dict, out: Path) -> None:
    """The bench report's figures, and one panel per (metric, scorer) whose lines are exactly the
    (shuffled, aligned) value pairs of the GazeFusion rows of the Parquet."""
    import pandas as pd

    assert {"fig_means"} <= set(figures), sorted(figures)
    fig = figures["model_based_pairs"]
    df = pd.read_parquet(out / "bench" / "results.parquet")
    gf = df[df["condition"] == "gazefusion"]
    keys = sorted(gf.groupby(["metric", "scorer"]).groups)
    assert [ax["title"] for ax in fig["axes"]] == [f"{m}\n{s}" for m, s in keys]
    for ax, (metric, scorer) in zip(fig["axes"], keys, strict=True):
        assert ax["xticklabels"] == ["shuffled", "aligned"]
        sub = gf[(gf["metric"] == metric) & (gf["scorer"] == scorer)]
        wide = sub.pivot_table(
            index=["prompt_id", "smap", "seed", "control_scale"], columns="target", values="value"
        )
        expected = sorted(map(tuple, wide[["shuffled", "aligned"]].to_numpy().round(12)))
        drawn = sorted(tuple(np.round(line["y"], 12)) for line in ax["lines"])
        assert all(line["x"] == [0.0, 1.0] for line in ax["lines"])
        assert drawn == expected


def check_gaze_heatmaps(figures: dict, out: Path) -> None:
    """One row per stimulus: image, target smap, gaze map with the fixations scattered on it."""
    fig = figures["gaze_heatmaps"]
    assert len(fig["axes"]) % 3 == 0 and len(fig["axes"]) >= 6
    assert [ax["title"] for ax in fig["axes"][:3]] == ["image", "target smap", "gaze (fixation map)"]
    assert all(fig["axes"][k]["collections"] >= 1 for k in range(2, len(fig["axes"]), 3))


def check_alignment_controls(figures: dict, out: Path) -> None:
    """The study report's alignment figure (one panel per metric, bars with CIs) and heatmaps."""
    fig = figures["fig_alignment"]
    assert len(fig["axes"]) == 4  # the notebook's four metrics
    assert all(ax["bars"] or ax["errorbars"] for ax in fig["axes"])
    assert "fig_heatmaps" in figures


CHECKS = {
    "video_frames": check_video_frames,
    "applications": check_applications,
    "teaser_grids": check_teaser_grids,
    "model_based_analysis": check_model_based_analysis,
    "gaze_heatmaps": check_gaze_heatmaps,
    "alignment_controls": check_alignment_controls,
}


def test_every_notebook_has_a_figure_check():
    assert {p.stem for p in NOTEBOOKS} == set(CHECKS)
