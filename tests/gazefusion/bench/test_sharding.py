"""A sharded ``gazefusion bench run`` under torchrun (2 CPU processes, gloo) equals a 1-process run.

torchrun starts this file as a script in every process (see the bottom): it records the keys of
the work items its process runs, then runs the real CLI, exactly as ``python -m gazefusion`` does.
The 1-process reference runs the same CLI in the test process.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch.distributed as dist

WORLD = 2
RECORD_ENV = "GAZEFUSION_TEST_RECORD_DIR"
KEYS = ["prompt_id", "smap", "seed", "condition", "control_scale", "target", "scorer", "metric"]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not (dist.is_available() and dist.is_gloo_available()),
        reason="torch.distributed with the gloo backend is not available in this torch build",
    ),
]


def write_inputs(folder: Path) -> tuple[Path, Path]:
    """3 prompts and 2 smaps (32x32): with 1 seed, 3 x (1 baseline + 2 smaps) = 9 work items."""
    from testsupport import write_bench_inputs  # not at the top: torchrun also runs this file as a script

    return write_bench_inputs(
        folder, ["a sailboat on the sea", "a red bus in a street", "a dog on the grass"]
    )


def bench_args(prompts: Path, smaps: Path, out: Path) -> list[str]:
    from testsupport import bench_run_args  # not at the top, as above

    return bench_run_args(
        prompts,
        smaps,
        out,
        steps=2,
        scorers="spectral-residual,centre-bias",
        metrics="cc,nss,auc_shuffled",  # a density, a location and a seeded stochastic metric
        extra=("--device", "cpu"),  # both runs on the CPU, also on a GPU machine
    )


def test_two_process_run_equals_one_process_run(tmp_path, torchrun):
    from gazefusion.bench.plan import BenchConfig, build_plan
    from gazefusion.cli import main
    from gazefusion.utils.images import read_rgb

    prompts, smaps = write_inputs(tmp_path)
    single, sharded, records = tmp_path / "single", tmp_path / "sharded", tmp_path / "records"
    records.mkdir()

    with pytest.raises(SystemExit) as info:
        main(bench_args(prompts, smaps, single))
    assert info.value.code == 0

    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "OMP_NUM_THREADS": "1",
        "CUDA_VISIBLE_DEVICES": "",
        RECORD_ENV: str(records),
    }
    done = torchrun([__file__, *bench_args(prompts, smaps, sharded)], env)
    assert "by process 1 of 2" in " ".join(done.stdout.split())

    # each process ran exactly its interleaved share of the plan, in plan order
    config = BenchConfig.from_json(json.loads((sharded / "bench.json").read_text()))
    plan = [item.key for item in build_plan(config)]
    assert len(plan) == 9
    shares = [(records / f"rank{r}.txt").read_text().split() for r in range(WORLD)]
    for rank, share in enumerate(shares):
        assert share == plan[rank::WORLD], f"rank {rank} ran {share}"
    assert set(shares[0]).isdisjoint(shares[1])
    assert sorted(p.stem for p in (sharded / "parts").glob("*.parquet")) == sorted(plan)

    # the main process merged every part: the same table as the 1-process run
    expected = pd.read_parquet(single / "results.parquet")
    merged = pd.read_parquet(sharded / "results.parquet")
    # baseline: 3 prompts x 2 smaps; gazefusion: 3 x 2 smaps x (aligned, shuffled); x 2 scorers x 3 metrics
    assert len(merged) == (3 * 2 + 3 * 2 * 2) * 2 * 3
    assert not merged.duplicated(KEYS).any()
    pd.testing.assert_frame_equal(
        merged.sort_values(KEYS).reset_index(drop=True),
        expected.sort_values(KEYS).reset_index(drop=True),
        check_exact=False,
        rtol=1e-6,
    )
    for rel in sorted(set(merged["image"]) | set(merged["prediction"])):
        a, b = read_rgb(sharded / rel), read_rgb(single / rel)
        np.testing.assert_array_equal(a, b, err_msg=rel)


def record_items_then_run(argv: list[str]) -> None:
    """Entry point of each torchrun process: log every work item this process runs, then run the CLI."""
    import gazefusion.bench.runner as runner
    from gazefusion.cli import main

    log = Path(os.environ[RECORD_ENV]) / f"rank{os.environ.get('RANK', '0')}.txt"
    run_item = runner.run_item

    def recording_run_item(item, *args, **kwargs):
        run_item(item, *args, **kwargs)
        with open(log, "a") as fh:
            fh.write(item.key + "\n")

    runner.run_item = recording_run_item
    main(argv)


if __name__ == "__main__":
    record_items_then_run(sys.argv[1:])
