"""``gazefusion prepare`` under torchrun (2 CPU processes, gloo) gives the 1-process dataset.

Same manifest, byte-identical crop and smap files, each process's journals hold a disjoint share,
and the main process's report sums both processes' work (an unreadable image lands in rank 1's share).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch.distributed as dist
from PIL import Image

WORLD = 2
SIZES = [(40, 30), (30, 40), (50, 32), (64, 48)]  # 4 images, 2 crops each at 32 px
BROKEN = "img0_broken.jpg"  # sorts second: index 1, rank 1's share

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not (dist.is_available() and dist.is_gloo_available()),
        reason="torch.distributed with the gloo backend is not available in this torch build",
    ),
]


def write_raw(folder: Path) -> tuple[Path, Path]:
    """Smooth random images, one unreadable file and a CSV of captions."""
    raw = folder / "raw"
    raw.mkdir()
    rng = np.random.default_rng(1)
    for i, (w, h) in enumerate(SIZES):
        y, x = np.mgrid[0:h, 0:w]
        wave = np.sin(x[..., None] / rng.uniform(2, 6)) * np.cos(y[..., None] / rng.uniform(2, 6))
        Image.fromarray(np.clip(rng.integers(0, 256, 3) + 60 * wave, 0, 255).astype(np.uint8)).save(
            raw / f"img{i}.png"
        )
    (raw / BROKEN).write_bytes(b"\xff\xd8\xff\xe0 truncated")
    captions = folder / "captions.csv"
    captions.write_text("file,caption\n" + "".join(f"img{i}.png,picture {i}\n" for i in range(len(SIZES))))
    return raw, captions


def prepare_args(raw: Path, captions: Path, out: Path) -> list[str]:
    return [
        "prepare",
        str(raw),
        "--out",
        str(out),
        "--resolution",
        "32",
        "--saliency-model",
        "spectral-residual",
        "--captions",
        str(captions),
        "--device",
        "cpu",  # both runs on the CPU, also on a GPU machine
    ]


def journal_keys(state: Path, stage: str, rank: int, key: str) -> list[str]:
    lines = (state / f"{stage}-rank{rank}.jsonl").read_text().splitlines()
    return [json.loads(line)[key] for line in lines]


def test_two_process_prepare_equals_one_process(tmp_path, torchrun):
    from gazefusion.cli import main
    from gazefusion.data.prepare import REPORT_NAME, STATE_DIR
    from gazefusion.utils.images import list_images

    raw, captions = write_raw(tmp_path)
    sources = [p.name for p in list_images(raw)]
    assert sources.index(BROKEN) % WORLD == 1  # the unreadable image is rank 1's: its report must be gathered
    single, sharded = tmp_path / "single", tmp_path / "sharded"

    with pytest.raises(SystemExit) as info:
        main(prepare_args(raw, captions, single))
    assert info.value.code == 0
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1", "CUDA_VISIBLE_DEVICES": ""}
    torchrun(["-m", "gazefusion", *prepare_args(raw, captions, sharded)], env)

    expected = pd.read_parquet(single / "manifest.parquet")
    manifest = pd.read_parquet(sharded / "manifest.parquet")
    assert len(expected) == 2 * len(SIZES)
    pd.testing.assert_frame_equal(manifest, expected)
    for row in manifest.itertuples():
        for rel in (row.image, row.smap):
            assert (sharded / rel).read_bytes() == (single / rel).read_bytes(), rel

    # every stage was split: rank r took the r-th interleaved share, the two shares are disjoint
    state = sharded / STATE_DIR
    good = [s for s in sources if s != BROKEN]
    crop_shares = [journal_keys(state, "crop", r, "source") for r in range(WORLD)]
    assert crop_shares == [[s for s in sources[r::WORLD] if s != BROKEN] for r in range(WORLD)]
    assert sorted(crop_shares[0] + crop_shares[1]) == good
    for stage in ("saliency", "caption"):
        shares = [journal_keys(state, stage, r, "id") for r in range(WORLD)]
        assert all(shares) and set(shares[0]).isdisjoint(shares[1]), stage
        assert sorted(shares[0] + shares[1]) == sorted(manifest["id"]), stage

    # the main process's report sums both processes' work
    report = json.loads((sharded / REPORT_NAME).read_text())["last_run"]
    reference = json.loads((single / REPORT_NAME).read_text())["last_run"]
    assert report == reference
    assert [name for name, _ in report["corrupt"]] == [BROKEN]
    assert report["new_smaps"] == report["new_captions"] == report["manifest_rows"] == len(manifest)
