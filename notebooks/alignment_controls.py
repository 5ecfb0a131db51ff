# ruff: noqa: E402

# %% [markdown]
# # Gaze alignment with the target smaps vs controls
#
# The user-study finding: gaze (pooled across users) agrees with the intended attention
# distribution. Scores of gaze against the target smap are compared with a shuffled target
# (another stimulus' smap), a centre-bias model, gaze on unguided SD images of the same item, and
# the inter-observer ceiling (leave-one-participant-out); paired tests across stimuli and a
# mixed model with participant and stimulus random effects. Everything is written by
# `gazefusion analyze study` (`analysis/study_report.py`); this notebook shows it.
#
# **Parameters**: `data` = a study export or `.sqlite`; `None` makes a demo study here (the
# built-in toy GazeFusion's images, simulated observers who look at what the images show).

# %% tags=["parameters"]
data = None
out = None
model = None
participants = 4
metrics = ["cc", "kld", "nss", "auc_shuffled"]
sigma_deg = 1.0

# %%
import tempfile
from pathlib import Path

import pandas as pd
from IPython.display import Image, Markdown, display

from analysis.study_report import write_study_report

out = Path(out or tempfile.mkdtemp(prefix="alignment-"))
if data is None:
    from study.demo_data import load_pipeline, make_demo_study

    data = make_demo_study(
        out / "demo",
        participants=participants,
        smaps=["smap1", "smap2", "blob_left"],
        pipe=load_pipeline(model),
    )
report = write_study_report(data, out / "report", metrics=metrics, sigma_deg=sigma_deg, n_examples=3)

# %% [markdown]
# ## Summary (mean and 95% CI over stimuli) and tests

# %%
display(Markdown((out / "report" / "summary.md").read_text()))
tests = pd.read_csv(out / "report" / "tests.csv")
tests[["metric", "comparison", "n", "mean_diff", "ci_low", "ci_high", "p_t", "p_holm", "dz"]]

# %%
pd.read_csv(out / "report" / "mixed.csv")

# %%
display(Image(filename=str(out / "report" / "fig_alignment.png")))
