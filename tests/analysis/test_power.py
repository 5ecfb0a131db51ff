"""Power analysis: the fast observer path equals the public API; power rises with the effect."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.power import (
    PowerSetup,
    observer_fixations,
    planned_test,
    power_curve,
    random_blob_smaps,
    smallest_designs,
)
from gazefusion.errors import UserInputError
from gazefusion.geometry import DEFAULT_LAB_DISPLAY
from study.observer import SimulatedObserver


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_fast_fixations_equal_the_observers_public_fixations(seed):
    smap = random_blob_smaps(1, 24, np.random.default_rng(seed))[0]
    kw = dict(stimulus_rect=(704.0, 284.0, 512.0, 512.0), seed=seed, accuracy_offset_deg=1.5)
    fast = observer_fixations(SimulatedObserver.planted(smap, DEFAULT_LAB_DISPLAY, **kw), 4.0)
    pub = SimulatedObserver.planted(smap, DEFAULT_LAB_DISPLAY, **kw).fixations(4.0).iloc[1:]
    pub = pub[(pub["x_img"] >= 0) & (pub["x_img"] < 24) & (pub["y_img"] >= 0) & (pub["y_img"] < 24)]
    np.testing.assert_allclose(fast, pub[["x_img", "y_img"]].to_numpy(), rtol=0, atol=1e-9)


def test_planned_test_is_a_paired_t_test():
    from scipy import stats

    rng = np.random.default_rng(0)
    t, s = rng.normal(1, 1, (7, 4)), rng.normal(0.5, 1, (7, 4))
    diff, dz, p = planned_test(t, s)
    ref = stats.ttest_rel(t.mean(axis=1), s.mean(axis=1))
    assert p == pytest.approx(ref.pvalue) and diff == pytest.approx((t - s).mean())


def test_power_rises_with_the_effect_and_designs_table():
    setup = PowerSetup(viewing_s=5.0, map_size=16)
    curve = power_curve([0.0, 1.0], participants=[1, 2], stimuli=[3, 5], sims=6, setup=setup)
    assert len(curve) == 8 and set(curve.columns) >= {"power", "power_ci_low", "power_ci_high", "mean_dz"}
    null = curve[curve["effect"] == 0.0]
    full = curve[(curve["effect"] == 1.0) & (curve["stimuli"] == 5) & (curve["participants"] == 2)]
    assert null["power"].max() <= 0.5 and full["power"].iloc[0] >= 0.8
    assert (curve["power_ci_low"] <= curve["power"]).all() and (
        curve["power"] <= curve["power_ci_high"]
    ).all()
    designs = smallest_designs(curve, 0.8)
    assert (
        designs.loc[(designs["effect"] == 1.0) & (designs["stimuli"] == 5), "participants_needed"].iloc[0]
        <= 2
    )
    assert designs.loc[designs["effect"] == 0.0, "participants_needed"].isna().all()


def test_smallest_designs_picks_the_fewest_participants():
    curve = pd.DataFrame(
        {"effect": 0.2, "stimuli": 10, "participants": [5, 10, 20], "power": [0.5, 0.85, 0.99]}
    )
    assert smallest_designs(curve)["participants_needed"].iloc[0] == 10


def test_bad_inputs():
    with pytest.raises(UserInputError, match="--metric"):
        PowerSetup(metric="cc")
    with pytest.raises(UserInputError, match="--stimuli"):
        power_curve([0.1], [2], [1], sims=1)


def test_report_files_when_power_is_one(tmp_path):
    """A Wilson bound a hair below 1 at power 1 must not break the figure (negative error bar)."""
    from analysis.power_report import write_power_files

    curve = pd.DataFrame(
        {
            "effect": 0.3,
            "participants": [5, 10],
            "stimuli": 20,
            "power": [0.9, 1.0],
            "power_ci_low": [0.8, 0.94],
            "power_ci_high": [0.95, 1.0 - 1e-12],
            "mean_diff": 0.5,
            "mean_dz": 1.2,
            "sims": 60,
        }
    )
    report = write_power_files(curve, tmp_path, PowerSetup())
    assert (tmp_path / "fig_power.png").is_file() and (tmp_path / "fig_power.pdf").is_file()
    assert pd.read_csv(tmp_path / "designs.csv")["participants_needed"].iloc[0] == 5
    assert "Fewest participants" in report.read_text()
