# ruff: noqa: E402

# %% [markdown]
# # Model-based analysis: saliency models on generated images vs the target smaps
#
# The paper's large-scale model-based evaluation: saliency models predict where people would look
# in each generated image, and the predictions are compared with the target smaps (metrics with
# MIT conventions), for GazeFusion, for unguided SD images (control strength 0) and against a
# shuffled target (chance). The table and plots come from `analysis/bench_report.py`.
#
# **Parameters**: `results` = a `gazefusion bench run` output folder (or its `results.parquet`).
# Left `None`, a small benchmark is run here on the built-in toy GazeFusion (64x64 synthetic scenes).

# %% tags=["parameters"]
results = None
out = None
model = None
smaps = ["smap1", "smap2", "blob_left", "blob_top_right"]
prompts = ["a purple star on a green background", "a pink disc on a striped grey background"]
scorers = "spectral-residual,centre-bias"
metrics = "cc,nss,auc_shuffled"
size = 64
steps = 20

# %%
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import Markdown, display

from analysis.bench_report import write_bench_report
from analysis.figures import save_figure
from analysis.stats import summarize

out = Path(out or tempfile.mkdtemp(prefix="model-based-"))
if results is None:
    from gazefusion.cli import main
    from gazefusion.smaps import resolve_smap, save_smap

    for name in smaps:
        save_smap(out / "smaps" / f"{name}.png", resolve_smap(name, size=(size, size))[0])
    (out / "prompts.txt").write_text("\n".join(prompts) + "\n")
    args = [
        "bench",
        "run",
        "--prompts",
        str(out / "prompts.txt"),
        "--smaps",
        str(out / "smaps"),
        "--steps",
        str(steps),
        "--seeds",
        "0",
        "--scorers",
        scorers,
        "--metrics",
        metrics,
        "--out",
        str(out / "bench"),
    ]
    if model:
        args += ["--model", str(model)]
    try:
        main(args)
    except SystemExit as exc:
        assert exc.code == 0, f"bench run failed with exit code {exc.code}"
    results = out / "bench"

# %%
report = write_bench_report(results, out / "report")
df = pd.read_parquet(Path(results) / "results.parquet" if Path(results).is_dir() else results)
print(f"{len(df)} rows; scorers {sorted(df['scorer'].unique())}; metrics {sorted(df['metric'].unique())}")
display(Markdown((out / "report" / "report.md").read_text()))

# %% [markdown]
# ## Table: mean per metric x scorer x condition

# %%
df["label"] = df["condition"] + " / " + df["target"]
table = summarize(df, ["metric", "scorer", "label"])
wide = table.pivot_table(index=["metric", "scorer"], columns="label", values="mean")
wide.to_csv(out / "model_based_table.csv")
(out / "model_based_table.md").write_text(wide.reset_index().to_markdown(index=False, floatfmt=".3f"))
display(wide)

# %% [markdown]
# ## Plot: aligned vs shuffled target, per image (each line one image)

# %%
gf = df[df["condition"] == "gazefusion"]
pairs = gf.pivot_table(
    index=["metric", "scorer", "prompt_id", "smap", "seed", "control_scale"], columns="target", values="value"
).reset_index()
panels = list(pairs.groupby(["metric", "scorer"]))
fig, axes = plt.subplots(1, len(panels), figsize=(2.2 * len(panels), 2.6), squeeze=False)
for ax, ((metric, scorer), grp) in zip(axes[0], panels, strict=True):
    for _, r in grp.iterrows():
        ax.plot([0, 1], [r["shuffled"], r["aligned"]], color="tab:blue", alpha=0.6, marker="o", ms=3)
    ax.set_xticks([0, 1], ["shuffled", "aligned"], fontsize=7)
    ax.set_title(f"{metric}\n{scorer}", fontsize=7)
fig.tight_layout()
print("wrote", *save_figure(fig, out / "model_based_pairs"))
