"""Mixed model with crossed random intercepts: recovers a planted effect and the variance components."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.mixed import mixed_effects


def planted(
    effect: float,
    n_p: int = 15,
    n_s: int = 12,
    sd_p: float = 0.5,
    sd_s: float = 0.8,
    sd_e: float = 0.3,
    seed: int = 0,
) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    u, v = rng.normal(0, sd_p, n_p), rng.normal(0, sd_s, n_s)
    rows = [
        {
            "participant": f"p{p}",
            "stimulus_id": f"s{s}",
            "predictor": cond,
            "value": u[p] + v[s] + (effect if cond == "target" else 0.0) + rng.normal(0, sd_e),
        }
        for p in range(n_p)
        for s in range(n_s)
        for cond in ("target", "shuffled")
    ]
    return pd.DataFrame(rows)


def test_balanced_design_effect_equals_the_mean_difference_and_components_are_recovered():
    df = planted(0.4)
    res = mixed_effects(df, "predictor", "target", "shuffled")
    means = df.groupby("predictor")["value"].mean()
    # balanced, complete design: the GLS fixed effect is the difference of the condition means
    assert res.effect == pytest.approx(means["target"] - means["shuffled"], abs=1e-6)
    # its SE is that of a paired difference with residual variance sigma_e^2: sqrt(2 s^2 / N)
    assert res.se == pytest.approx(np.sqrt(2 * res.var_residual / (15 * 12)), rel=1e-3)
    assert res.p < 1e-10 and res.converged
    assert res.var_participant == pytest.approx(0.25, rel=0.8)
    assert res.var_stimulus == pytest.approx(0.64, rel=0.8)
    assert res.var_residual == pytest.approx(0.09, rel=0.3)
    assert (res.n_participants, res.n_stimuli, res.n_obs) == (15, 12, 360)


def test_no_effect_and_degenerate_inputs():
    res = mixed_effects(planted(0.0, seed=3), "predictor", "target", "shuffled")
    assert res.ci_low < 0 < res.ci_high
    one = planted(0.3, n_p=1)
    assert np.isnan(mixed_effects(one, "predictor", "target", "shuffled").effect)
