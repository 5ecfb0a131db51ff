"""The benchmark runner with generator test doubles: rows, control logic, resume, shards, limit."""

import json

import numpy as np
import pandas as pd
import pytest

from gazefusion.bench.plan import BenchConfig, build_plan
from gazefusion.bench.prompts import load_prompts
from gazefusion.bench.results import COLUMNS, KEY_COLUMNS, finished_items, merge_results, read_results
from gazefusion.bench.runner import prepare_output, run_shard
from gazefusion.bench.smapset import load_smap_set
from gazefusion.errors import UserInputError

from .conftest import IdentityScorer, NoiseImage, SmapAsImage

METRICS = ("cc", "kld", "nss", "sim", "auc_judd", "auc_shuffled")


def setup(tmp_path, prompt_file, smap_dir, generator, seeds=(0,), scales=(1.0,), metrics=METRICS, **kw):
    prompts = load_prompts(prompt_file)
    smaps = load_smap_set([smap_dir])
    config = BenchConfig(
        prompts=tuple(prompts),
        smap_ids=tuple(s.smap_id for s in smaps),
        smap_sha256=("",) * len(smaps),
        size=(32, 32),
        seeds=seeds,
        model=generator.description,
        scorers=("identity",),
        metrics=metrics,
        control_scales=scales,
        steps=1,
        n_fixations=50,
        **kw,
    )
    out = tmp_path / "out"
    arrays = [s.smap for s in smaps]
    prepare_output(out, config, arrays)
    return config, out, arrays


def run(config, out, arrays, generator, **kw):
    return run_shard(config, out, generator, {"identity": IdentityScorer()}, arrays, **kw)


def test_rows_columns_and_files(tmp_path, prompt_file, smap_dir):
    config, out, arrays = setup(tmp_path, prompt_file, smap_dir, SmapAsImage())
    summary = run(config, out, arrays, SmapAsImage())
    assert (summary.planned, summary.done, summary.skipped) == (8, 8, 0)  # 2 prompts x (1 baseline + 3 smaps)
    merge_results(out)
    df = pd.read_parquet(out / "results.parquet")
    assert tuple(df.columns) == COLUMNS
    # baseline: 2 prompts x 3 smaps; gazefusion: 2 x 3 x (aligned + shuffled); x 6 metrics
    assert len(df) == (2 * 3 + 2 * 3 * 2) * len(METRICS)
    assert not df.duplicated(list(KEY_COLUMNS)).any()
    assert set(df["condition"]) == {"baseline", "gazefusion"}
    shuffled = df[df["target"] == "shuffled"]
    assert (shuffled["smap"] != shuffled["target_smap"]).all()
    assert (
        df.loc[df["target"] == "aligned", "smap"] == df.loc[df["target"] == "aligned", "target_smap"]
    ).all()
    for rel in set(df["image"]) | set(df["prediction"]):
        assert (out / rel).is_file()
    assert (out / df["image"].iloc[0]).with_suffix(".json").is_file()
    assert np.isfinite(df["value"]).all()


def test_aligned_beats_shuffled_by_far_when_images_are_their_smaps(tmp_path, prompt_file, smap_dir):
    config, out, arrays = setup(tmp_path, prompt_file, smap_dir, SmapAsImage())
    run(config, out, arrays, SmapAsImage())
    df = read_results(out)
    gf = df[df["condition"] == "gazefusion"].pivot_table(index="metric", columns="target", values="value")
    assert gf.loc["cc", "aligned"] > 0.99
    assert (gf.loc["cc", "aligned"] - gf.loc["cc", "shuffled"]) > 0.8
    assert (gf.loc["nss", "aligned"] - gf.loc["nss", "shuffled"]) > 2.0
    assert (gf.loc["auc_judd", "aligned"] - gf.loc["auc_judd", "shuffled"]) > 0.3
    assert (gf.loc["sim", "aligned"] - gf.loc["sim", "shuffled"]) > 0.5
    assert (gf.loc["kld", "shuffled"] - gf.loc["kld", "aligned"]) > 1.0
    # the baseline (noise) sits near chance
    base = df[df["condition"] == "baseline"].groupby("metric")["value"].mean()
    assert abs(base["cc"]) < 0.1 and abs(base["auc_judd"] - 0.5) < 0.1


def test_gap_is_near_zero_when_images_are_unrelated_noise(tmp_path, prompt_file, smap_dir):
    config, out, arrays = setup(
        tmp_path,
        prompt_file,
        smap_dir,
        NoiseImage(),
        seeds=(0, 1, 2),
        baseline=False,
        metrics=("cc", "nss", "auc_shuffled"),
    )
    run(config, out, arrays, NoiseImage())
    df = read_results(out)
    gf = df[df["condition"] == "gazefusion"]
    paired = gf.pivot_table(index=["prompt_id", "smap", "seed", "metric"], columns="target", values="value")
    gap = (paired["aligned"] - paired["shuffled"]).groupby("metric").mean()
    assert abs(gap["cc"]) < 0.05
    assert abs(gap["auc_shuffled"]) < 0.05
    assert abs(gap["nss"]) < 0.2


def test_resume_skips_finished_items_and_matches_a_single_run(tmp_path, prompt_file, smap_dir):
    stochastic = ("cc", "auc_judd", "auc_shuffled")  # seeded per row: a resume must reproduce them
    config, out, arrays = setup(tmp_path, prompt_file, smap_dir, SmapAsImage(), metrics=stochastic)
    first = run(config, out, arrays, SmapAsImage(), limit=3)
    assert first.done == 3 and len(finished_items(out)) == 3
    second = run(config, out, arrays, SmapAsImage())
    assert (second.skipped, second.done) == (3, 5)
    resumed = read_results(out)
    config2, out2, _ = setup(tmp_path / "b", prompt_file, smap_dir, SmapAsImage(), metrics=stochastic)
    run(config2, out2, arrays, SmapAsImage())
    pd.testing.assert_frame_equal(resumed, read_results(out2))


def test_shards_cover_the_plan_once(tmp_path, prompt_file, smap_dir):
    config, out, arrays = setup(tmp_path, prompt_file, smap_dir, SmapAsImage(), metrics=("cc",))
    done = [run(config, out, arrays, SmapAsImage(), rank=r, world=3).done for r in range(3)]
    assert sum(done) == len(build_plan(config))
    assert finished_items(out) == {it.key for it in build_plan(config)}


def test_resume_with_other_settings_is_refused(tmp_path, prompt_file, smap_dir):
    config, out, arrays = setup(tmp_path, prompt_file, smap_dir, SmapAsImage(), metrics=("cc",))
    run(config, out, arrays, SmapAsImage(), limit=1)
    other = BenchConfig.from_json({**config.to_json(), "n_fixations": 7})
    with pytest.raises(UserInputError, match="n_fixations 50 -> 7"):
        prepare_output(out, other, arrays)
    prepare_output(out, other, arrays, overwrite=True)  # --overwrite: the old results are removed
    assert finished_items(out) == set()
    assert json.loads((out / "bench.json").read_text())["n_fixations"] == 7


def test_a_run_that_never_started_does_not_block_the_next(tmp_path, prompt_file, smap_dir):
    config, out, arrays = setup(tmp_path, prompt_file, smap_dir, SmapAsImage(), metrics=("cc",))
    other = BenchConfig.from_json({**config.to_json(), "n_fixations": 7})
    prepare_output(out, other, arrays)  # no item finished under the first config: nothing is lost
    assert json.loads((out / "bench.json").read_text())["n_fixations"] == 7


def test_control_scale_sweep_rows(tmp_path, prompt_file, smap_dir):
    config, out, arrays = setup(
        tmp_path, prompt_file, smap_dir, SmapAsImage(), scales=(1.0, 0.5), shuffled=False, metrics=("cc",)
    )
    run(config, out, arrays, SmapAsImage())
    df = read_results(out)
    assert sorted(df.loc[df.condition == "gazefusion", "control_scale"].unique()) == [0.5, 1.0]
    assert set(df["target"]) == {"aligned"}
