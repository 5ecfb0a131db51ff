"""Mixed-effects comparison of two conditions with crossed random intercepts for participants and
stimuli (statsmodels ``MixedLM`` with variance components).

Model, fitted by REML on the rows of levels ``a`` and ``b`` of ``condition``::

    value ~ 1 + is_a + (1 | participant) + (1 | stimulus)

Crossed random effects are expressed the statsmodels way: one group holding every row and two
variance components (``0 + C(participant)``, ``0 + C(stimulus)``). ``effect`` is the fixed
effect of ``a`` over ``b`` (same units as ``value``), tested with its Wald z.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class MixedResult:
    """Fixed effect of ``a`` minus ``b`` with SE, Wald z, p and 95% CI; variance components."""

    effect: float
    se: float
    z: float
    p: float
    ci_low: float
    ci_high: float
    var_participant: float
    var_stimulus: float
    var_residual: float
    n_obs: int
    n_participants: int
    n_stimuli: int
    converged: bool


def mixed_effects(
    df: pd.DataFrame,
    condition: str,
    a: object,
    b: object,
    value: str = "value",
    participant: str = "participant",
    stimulus: str = "stimulus_id",
) -> MixedResult:
    """Fit the model of the module docstring; NaN result if fewer than 2 participants or stimuli."""
    import statsmodels.formula.api as smf
    from statsmodels.tools.sm_exceptions import ConvergenceWarning

    d = df[df[condition].isin([a, b])].dropna(subset=[value])
    d = pd.DataFrame(
        {
            "y": d[value].astype(float).to_numpy(),
            "is_a": (d[condition] == a).astype(float).to_numpy(),
            "participant": d[participant].astype(str).to_numpy(),
            "stimulus": d[stimulus].astype(str).to_numpy(),
            "all": 1,
        }
    )
    n_p, n_s = d["participant"].nunique(), d["stimulus"].nunique()
    nan = float("nan")
    if n_p < 2 or n_s < 2 or d["is_a"].nunique() < 2:
        return MixedResult(nan, nan, nan, nan, nan, nan, nan, nan, nan, len(d), n_p, n_s, False)
    model = smf.mixedlm(
        "y ~ is_a",
        d,
        groups="all",
        re_formula="0",
        vc_formula={"participant": "0 + C(participant)", "stimulus": "0 + C(stimulus)"},
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        warnings.simplefilter("ignore", UserWarning)
        fit = model.fit(reml=True, method=["lbfgs", "powell"])
    effect, se = float(fit.fe_params["is_a"]), float(fit.bse_fe["is_a"])
    z = effect / se if se > 0 else nan
    from scipy import stats

    p = float(2 * stats.norm.sf(abs(z))) if np.isfinite(z) else nan
    vc = dict(zip(model.exog_vc.names, np.atleast_1d(fit.vcomp), strict=True))
    return MixedResult(
        effect,
        se,
        z,
        p,
        effect - 1.959963984540054 * se,
        effect + 1.959963984540054 * se,
        float(vc.get("participant", nan)),
        float(vc.get("stimulus", nan)),
        float(fit.scale),
        len(d),
        n_p,
        n_s,
        bool(fit.converged),
    )
