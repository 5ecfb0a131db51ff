"""``gazefusion demo``: the main job on an embedded default (no downloads)."""

from __future__ import annotations

from pathlib import Path

import typer

from gazefusion.cli._common import console


def demo(out: Path = typer.Option(Path("out/demo"), "--out", "-o", help="Output folder.")) -> None:
    """Run the main job on the embedded default: a small metrics demonstration for now."""
    import numpy as np

    from metrics import cc, kld, nss, sim

    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:480, 0:640]
    target = np.exp(-((xx - 400) ** 2 + (yy - 240) ** 2) / (2 * 60.0**2))
    pred = np.exp(-((xx - 380) ** 2 + (yy - 250) ** 2) / (2 * 80.0**2)) + 0.05 * rng.random((480, 640))
    fix = np.zeros((480, 640))
    pts = rng.multivariate_normal([240, 400], np.diag([60.0**2, 60.0**2]), size=50).round().astype(int)
    pts = pts[(pts[:, 0] >= 0) & (pts[:, 0] < 480) & (pts[:, 1] >= 0) & (pts[:, 1] < 640)]
    fix[pts[:, 0], pts[:, 1]] = 1
    console.print(f"cc={cc(pred, target):.4f} kld={kld(pred, target):.4f} "
                  f"sim={sim(pred, target):.4f} nss={nss(pred, fix):.4f}")
    out.mkdir(parents=True, exist_ok=True)


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
