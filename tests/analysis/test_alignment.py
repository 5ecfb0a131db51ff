"""Planted effect: observers drawn from the target maps align with them; centre-bias-only observers
do not (false-positive rate near alpha over repeated seeds)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.alignment import per_stimulus, score_alignment, shuffled_assignment
from analysis.power import observer_fixations, random_blob_smaps
from analysis.stats import paired_test
from gazefusion.geometry import DisplayGeometry
from study.observer import SimulatedObserver

GEOMETRY = DisplayGeometry(width_px=800, height_px=600, width_cm=40.0, distance_cm=60.0)
SIZE = 32
RECT = (272.0, 172.0, 256.0, 256.0)  # a 32x32 map shown at 256x256 screen px


def simulate_fixations(
    density_maps: np.ndarray,
    n_participants: int,
    seed: int,
    centre_bias_weight: float,
    viewing_s: float = 3.0,
) -> pd.DataFrame:
    rows = []
    for s, dmap in enumerate(density_maps):
        for p in range(n_participants):
            obs = SimulatedObserver.planted(
                dmap,
                GEOMETRY,
                centre_bias_weight=centre_bias_weight,
                stimulus_rect=RECT,
                blink_rate_hz=0.0,
                seed=np.random.SeedSequence([seed, s, p]),
            )
            for x, y in observer_fixations(obs, viewing_s):
                rows.append(
                    {
                        "participant": f"p{p}",
                        "stimulus_id": f"s{s:02d}",
                        "condition": "",
                        "item": "",
                        "x_img": x,
                        "y_img": y,
                        "stim_width": RECT[2],
                        "duration_s": 0.25,
                    }
                )
    return pd.DataFrame(rows)


def target_vs_shuffled(fix: pd.DataFrame, targets: dict, level: str, metric: str = "nss"):
    scores = score_alignment(
        fix, targets, GEOMETRY, metrics=(metric,), predictors=("target", "shuffled"), level=level, seed=1
    )
    wide = per_stimulus(scores).pivot(index="stimulus_id", columns="predictor", values="value")
    return paired_test(wide["target"], wide["shuffled"])


def test_planted_effect_is_detected():
    rng = np.random.default_rng(0)
    maps = random_blob_smaps(8, SIZE, rng)
    targets = {f"s{s:02d}": maps[s] for s in range(8)}
    fix = simulate_fixations(maps, n_participants=3, seed=0, centre_bias_weight=0.3)
    res = target_vs_shuffled(fix, targets, level="participant")
    assert res.mean_diff > 0.3 and res.p_t < 0.01 and res.ci_low > 0
    # the same through every predictor and the density metrics: target beats shuffled, ceiling exists
    scores = score_alignment(fix, targets, GEOMETRY, metrics=("cc", "sim", "kld"), seed=1)
    means = scores.groupby(["metric", "predictor"])["value"].mean().unstack()
    assert (means.loc[["cc", "sim"], "target"] > means.loc[["cc", "sim"], "shuffled"]).all()
    assert means.loc["kld", "target"] < means.loc["kld", "shuffled"]
    assert set(scores["predictor"]) == {"target", "shuffled", "centre", "ceiling"}


def test_centre_bias_only_observers_give_no_effect_at_alpha():
    """120 simulated studies under the null: the paired test is significant in <= 10% of them
    (at alpha = 5%, more than 12 of 120 has probability ~1% for a calibrated test)."""
    n_sig = 0
    for rep in range(120):
        rng = np.random.default_rng(1000 + rep)
        maps = random_blob_smaps(6, SIZE, rng)
        targets = {f"s{s:02d}": maps[s] for s in range(6)}
        # observers who only follow the centre bias (their "smap" is irrelevant at weight 1)
        fix = simulate_fixations(maps, n_participants=2, seed=rep, centre_bias_weight=1.0, viewing_s=2.0)
        n_sig += target_vs_shuffled(fix, targets, level="pooled").p_t < 0.05
    assert n_sig / 120 <= 0.1


def test_shuffled_assignment_avoids_the_same_smap():
    smap_of = {"a": "m1", "b": "m1", "c": "m2", "d": "m3"}
    out = shuffled_assignment(list(smap_of), smap_of, seed=0)
    assert all(smap_of[out[k]] != smap_of[k] for k in smap_of)
    assert shuffled_assignment(["x", "y"], {"x": "m", "y": "m"})["x"] is None


def test_unknown_metric_is_a_user_error():
    from gazefusion.errors import UserInputError

    with pytest.raises(UserInputError, match="--metrics"):
        score_alignment(pd.DataFrame(columns=["stimulus_id"]), {}, GEOMETRY, metrics=("nope",))
