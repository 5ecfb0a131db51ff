"""The toy model's effect numbers and model card, computed from a small benchmark on the tiny model.

The tiny random model shows no effect; these tests check the arithmetic and the files: the gap and
the paired differences equal a recomputation from the result table, the dose-response lists every
control scale, the suppression share is read from the maps, and the card's hash table is exact.
"""

import numpy as np
import pandas as pd
import pytest

from analysis.toy_effects import check_thresholds, effects_markdown, toy_effects

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def tiny_bench(tmp_path_factory):
    from gazefusion.bench.benchmark import BenchOptions, run_benchmark
    from gazefusion.bench.results import read_results

    out = tmp_path_factory.mktemp("toy_effects")
    prompts = out / "prompts.txt"
    prompts.write_text("a red disc\na blue star\na green ring\n")
    options = BenchOptions(
        prompts=prompts,
        smaps=["blob_left", "blob_right", "two_blobs", "suppress_center"],
        seeds=(0,),
        model="tiny",
        scorers=["spectral-residual", "centre-bias"],
        control_scales=(1.0, 0.5),
        steps=2,
        size=(32, 32),
    )
    run_benchmark(out / "bench", options, log=lambda _: None)
    return read_results(out / "bench"), out / "bench"


def test_effects_equal_a_recomputation_from_the_table(tiny_bench):
    df, bench = tiny_bench
    effects = toy_effects(df, bench)
    assert set(effects["scorers"]) == {"spectral-residual", "centre-bias"} and effects["n_prompts"] == 3
    cc = df[
        (df["metric"] == "cc") & (df["scorer"] == "spectral-residual") & (df["smap"] != "suppress_center")
    ]
    gf = cc[(cc["condition"] == "gazefusion") & (cc["control_scale"] == 1.0)]
    key = ["prompt_id", "smap", "seed"]
    aligned = gf[gf["target"] == "aligned"].set_index(key)["value"]
    shuffled = gf[gf["target"] == "shuffled"].set_index(key)["value"]
    gap = (aligned - shuffled).dropna()
    entry = effects["scorers"]["spectral-residual"]
    assert entry["gap_cc"]["mean"] == pytest.approx(gap.mean()) and entry["gap_cc"]["n"] == len(gap)
    base = cc[(cc["condition"] == "baseline") & (cc["target"] == "aligned")].set_index(key)["value"]
    versus = (aligned - base).dropna()
    assert entry["versus_cc"]["mean"] == pytest.approx(versus.mean())
    assert set(entry["dose_cc"]) == {"0", "0.5", "1"}
    assert entry["dose_cc"]["0"] == pytest.approx(base.mean())
    assert entry["dose_cc"]["0.5"] == pytest.approx(
        cc[(cc["condition"] == "gazefusion") & (cc["control_scale"] == 0.5) & (cc["target"] == "aligned")][
            "value"
        ].mean()
    )


def test_suppression_share_is_read_from_the_maps(tiny_bench):
    from gazefusion.utils.images import read_gray

    df, bench = tiny_bench
    effects = toy_effects(df, bench)
    s = effects["suppression"]["centre-bias"]
    # the centre-bias prediction is the same image-independent map for both conditions
    assert s["mean_diff"] == pytest.approx(0.0, abs=1e-6)
    region = read_gray(bench / "smaps" / "suppress_center.png") < 0.5
    row = df[
        (df["scorer"] == "centre-bias") & (df["smap"] == "suppress_center") & (df["condition"] == "baseline")
    ].iloc[0]
    pred = read_gray(bench / row["prediction"])
    assert s["baseline_inside"] == pytest.approx(pred[region].sum() / pred.sum(), rel=1e-5)
    assert 0 < s["baseline_inside"] < 1


def test_checks_fail_without_an_effect_and_markdown_lists_every_scorer(tiny_bench):
    df, bench = tiny_bench
    effects = toy_effects(df, bench)
    failures = check_thresholds(effects)
    assert any("aligned-minus-shuffled" in f for f in failures)
    md = effects_markdown(effects)
    assert md.count("| spectral-residual |") == 2 and "| centre-bias |" in md  # effect and suppression tables


def test_a_planted_effect_passes_the_checks(tiny_bench):
    df, bench = tiny_bench
    planted = df.copy()
    lift = {"cc": 0.5, "nss": 1.0, "auc_judd": 0.2}
    guided = (planted["condition"] == "gazefusion") & (planted["target"] == "aligned")
    for metric, amount in lift.items():
        rows = guided & (planted["metric"] == metric)
        rng = np.random.default_rng(0)
        planted.loc[rows, "value"] = (
            planted.loc[rows, "value"]
            + amount * planted.loc[rows, "control_scale"]
            + rng.normal(0, 0.01, rows.sum())
        )
    effects = toy_effects(planted, bench)
    failures = [f for f in check_thresholds(effects) if "suppressed" not in f]
    assert not failures, failures


def test_card_hashes_round_trip(tmp_path, tiny_bench):
    from analysis.toy_card import CARD, file_hashes, read_card_hashes, write_card

    df, bench = tiny_bench
    (tmp_path / "unet").mkdir()
    (tmp_path / "unet" / "diffusion_pytorch_model.safetensors").write_bytes(b"weights")
    (tmp_path / "model_index.json").write_text("{}")

    from gazefusion.toy.recipe import ToyRecipe

    card = write_card(
        tmp_path,
        recipe={**ToyRecipe().identity(), "held_out_pairs": [("purple", "star")]},
        losses={"autoencoder": [1.0, 0.5], "base": [0.3, 0.2], "controlnet": [0.2, 0.1]},
        stage_times={"base": 60.0},
        effects=toy_effects(df, bench),
        ceiling={"spectral-residual": 0.5},
        train_command="gazefusion train --data WORK/data",
        demo_command="gazefusion demo",
        failures=["x"],
        parameter_table=False,
    )
    assert card == tmp_path / CARD
    listed = read_card_hashes(card)
    assert listed == file_hashes(tmp_path)
    assert "unet/diffusion_pytorch_model.safetensors" in listed and "training_curves.png" in listed
    (tmp_path / "model_index.json").write_text("{ }")
    assert read_card_hashes(card) != file_hashes(tmp_path)
    assert pd.notna(listed["model_index.json"][0])
