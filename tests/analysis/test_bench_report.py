"""The bench report: tables against independent computations, files, figures, the sweep."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analysis.bench_report import condition_labels, paired_tables, write_bench_report
from gazefusion.bench.results import COLUMNS


def synthetic_results(scales=(1.0,), effect=0.3, seed=0):
    """A result table as ``bench run`` writes it: 6 prompts x 3 smaps x 1 seed, one scorer, cc and kld."""
    rng = np.random.default_rng(seed)
    rows = []
    smaps = ["a", "b", "c"]
    for p in range(6):
        for s_i, smap in enumerate(smaps):
            base = rng.normal(0.2, 0.1)
            for metric, sign in (("cc", 1), ("kld", -1)):
                common = {
                    "prompt_id": f"p{p}",
                    "prompt": f"prompt {p}",
                    "smap": smap,
                    "seed": 0,
                    "scorer": "m",
                    "metric": metric,
                    "image": "",
                    "prediction": "",
                }
                rows.append(
                    {
                        **common,
                        "condition": "baseline",
                        "control_scale": 0.0,
                        "target": "aligned",
                        "target_smap": smap,
                        "value": sign * base,
                        "item": f"p{p}_b",
                    }
                )
                for c in scales:
                    value = base + effect * c + rng.normal(0, 0.05)
                    item = f"p{p}_{smap}_{c}"
                    rows.append(
                        {
                            **common,
                            "condition": "gazefusion",
                            "control_scale": c,
                            "target": "aligned",
                            "target_smap": smap,
                            "value": sign * value,
                            "item": item,
                        }
                    )
                    rows.append(
                        {
                            **common,
                            "condition": "gazefusion",
                            "control_scale": c,
                            "target": "shuffled",
                            "target_smap": smaps[(s_i + 1) % 3],
                            "value": sign * (base + rng.normal(0, 0.05)),
                            "item": item,
                        }
                    )
    return pd.DataFrame(rows, columns=list(COLUMNS))


def test_paired_tables_match_scipy():
    df = synthetic_results()
    versus, gap = paired_tables(df, 1.0)
    assert list(versus["metric"]) == ["cc", "kld"] and (versus["n"] == 18).all()
    key = ["prompt_id", "smap", "seed"]
    sel = df[df.metric == "cc"]
    gf = sel[(sel.condition == "gazefusion") & (sel.target == "aligned")].set_index(key)["value"]
    base = sel[sel.condition == "baseline"].set_index(key)["value"].reindex(gf.index)
    ref = stats.ttest_rel(gf, base)
    row = versus[versus.metric == "cc"].iloc[0]
    assert row["t"] == pytest.approx(ref.statistic) and row["p_t"] == pytest.approx(ref.pvalue)
    assert row["mean_diff"] == pytest.approx((gf - base).mean())
    assert row["mean_diff"] == pytest.approx(0.3, abs=0.05)
    shuffled = sel[sel.target == "shuffled"].set_index(key)["value"].reindex(gf.index)
    assert gap[gap.metric == "cc"].iloc[0]["mean_diff"] == pytest.approx((gf - shuffled).mean())
    assert versus[versus.metric == "kld"].iloc[0]["mean_diff"] < 0  # kld: lower is better, sign kept


def test_condition_labels():
    df = pd.DataFrame(
        {
            "condition": ["baseline", "gazefusion", "gazefusion"],
            "control_scale": [0.0, 1.0, 0.5],
            "target": ["aligned", "aligned", "shuffled"],
        }
    )
    assert list(condition_labels(df)) == ["baseline", "GazeFusion (c=1)", "shuffled target (c=0.5)"]


def test_report_files_from_a_table(tmp_path):
    df = synthetic_results(scales=(1.0, 0.5, 1.5))
    md_path = write_bench_report(df, tmp_path / "r")
    names = {p.name for p in (tmp_path / "r").iterdir()}
    assert {
        "report.md",
        "report.html",
        "fig_means.png",
        "fig_sweep.png",
        "summary.csv",
        "paired.csv",
        "gap.csv",
    } <= names
    assert "examples.png" not in names  # no bench folder, no images
    md = md_path.read_text()
    assert "except kld (lower is better)" in md
    assert "<table>" in (tmp_path / "r" / "report.html").read_text()
    summary = pd.read_csv(tmp_path / "r" / "summary.csv")
    row = summary[(summary.metric == "cc") & (summary.label == "baseline")].iloc[0]
    assert row["mean"] == pytest.approx(
        df[(df.metric == "cc") & (df.condition == "baseline")]["value"].mean()
    )
    assert row["ci_low"] < row["mean"] < row["ci_high"] and row["n"] == 18


def test_report_with_images_has_example_grid(tmp_path):
    from gazefusion.bench.plan import BenchConfig
    from gazefusion.bench.prompts import Prompt
    from gazefusion.bench.runner import prepare_output, run_shard

    from ..gazefusion.bench.conftest import IdentityScorer, SmapAsImage, blob

    smaps = [blob(16, 4, 8, 3.0), blob(16, 12, 8, 3.0)]
    config = BenchConfig(
        prompts=(Prompt("p0", "a boat"),),
        smap_ids=("l", "r"),
        smap_sha256=("", ""),
        size=(16, 16),
        seeds=(0,),
        model="test double",
        scorers=("identity",),
        metrics=("cc",),
        steps=1,
    )
    prepare_output(tmp_path / "bench", config, smaps)
    run_shard(config, tmp_path / "bench", SmapAsImage(), {"identity": IdentityScorer()}, smaps)
    write_bench_report(tmp_path / "bench", tmp_path / "r", n_examples=2)
    assert (tmp_path / "r" / "examples.png").is_file()
    md = (tmp_path / "r" / "report.md").read_text()
    assert "model: test double" in md and "![examples](examples.png)" in md
