"""The study report: gaze vs target smaps, controls, statistics, heat maps.

:func:`write_study_report` loads a study (:mod:`analysis.study_data`), takes fixations
(:mod:`analysis.fixations`), scores them (:mod:`analysis.alignment`) and writes to a folder:

- ``scores.csv`` (participant x stimulus x predictor x metric) and ``pooled.csv`` (fixations of all
  participants pooled per stimulus, summarised in ``pooled_summary.csv/.md``), ``fixations.csv``;
- ``summary.csv/.md``: mean and bootstrap 95% CI over stimuli of the participant-averaged scores;
- ``tests.csv/.md``: paired tests across stimuli (target vs shuffled target, target vs centre
  bias, ceiling vs target; guided vs unguided images paired by item) with Holm-adjusted p,
  Cohen's d_z and rank-biserial (:mod:`analysis.stats`);
- ``mixed.csv/.md``: target vs shuffled with crossed random intercepts for participants and
  stimuli (:mod:`analysis.mixed`);
- ``fig_alignment`` and ``fig_heatmaps`` (PNG + PDF), ``report.md``.

*Guided* stimuli have their own smap; *unguided* ones (e.g. plain SD images) have none and are
scored against the smap of their ``item``.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.alignment import DEFAULT_METRICS, per_stimulus, score_alignment
from analysis.figures import PREDICTOR_LABELS, plot_alignment, plot_heatmaps, write_table
from analysis.maps import DEFAULT_SIGMA_DEG, sigma_image_px, stimulus_maps
from analysis.stats import holm, paired_by_group, summarize
from gazefusion.progress import NO_PROGRESS, Progress
from gazefusion.utils.atomic import atomic_write_text

TEST_COLUMNS = [
    "metric",
    "comparison",
    "n",
    "mean_a",
    "mean_b",
    "mean_diff",
    "ci_low",
    "ci_high",
    "t",
    "p_t",
    "p_holm",
    "p_wilcoxon",
    "dz",
    "rank_biserial",
]


def label_rows(scores: pd.DataFrame, guided: set[str]) -> pd.Series:
    """``target smap``, ``shuffled target``, ... for guided stimuli; ``unguided: target smap`` etc."""
    names = scores["predictor"].map(PREDICTOR_LABELS)
    return names.where(scores["stimulus_id"].isin(guided), "unguided: " + names)


def alignment_tests(per_stim: pd.DataFrame, guided: set[str]) -> pd.DataFrame:
    """Paired tests across stimuli on participant-averaged scores (see the module docstring)."""
    g = per_stim[per_stim["stimulus_id"].isin(guided)]
    out = []
    for a, b in (("target", "shuffled"), ("target", "centre"), ("ceiling", "target")):
        res = paired_by_group(g, "predictor", a, b, pair_on=["stimulus_id"], by=["metric"])
        out.append(res.assign(comparison=f"{PREDICTOR_LABELS[a]} - {PREDICTOR_LABELS[b]}"))
    tgt = per_stim[(per_stim["predictor"] == "target") & (per_stim["item"] != "")]
    tgt = tgt.assign(kind=np.where(tgt["stimulus_id"].isin(guided), "guided", "unguided"))
    if tgt["kind"].nunique() == 2:
        res = paired_by_group(tgt, "kind", "guided", "unguided", pair_on=["item"], by=["metric"])
        out.append(res.assign(comparison="guided - unguided image (target smap, by item)"))
    tests = pd.concat(out, ignore_index=True)
    tests["p_holm"] = holm(tests["p_t"].to_numpy()) if len(tests) else []
    return tests[TEST_COLUMNS]


def mixed_tests(scores: pd.DataFrame, guided: set[str]) -> pd.DataFrame:
    """Target vs shuffled per metric, participant-level scores of guided stimuli, crossed random effects."""
    from analysis.mixed import mixed_effects

    g = scores[scores["stimulus_id"].isin(guided)]
    rows = [
        {
            "metric": m,
            "comparison": "target smap - shuffled target",
            **asdict(mixed_effects(sub, "predictor", "target", "shuffled")),
        }
        for m, sub in g.groupby("metric", sort=False)
    ]
    return pd.DataFrame(rows)


def write_study_report(
    data: str | os.PathLike,
    out_dir: str | os.PathLike,
    *,
    fixations: str = "tracker",
    sigma_deg: float = DEFAULT_SIGMA_DEG,
    metrics: Sequence[str] = DEFAULT_METRICS,
    stimulus_dir: str | os.PathLike | None = None,
    n_examples: int = 4,
    seed: int = 0,
    mixed: bool = True,
    progress: Progress = NO_PROGRESS,
) -> Path:
    """Analyse study ``data`` (export folder or .sqlite) into ``out_dir``; returns ``report.md``.

    ``fixations``: ``tracker`` (the tracker's events), ``ivt`` or ``idt`` (pymovements).
    ``progress`` gets :func:`~analysis.alignment.score_alignment`'s ``scoring (participant)``
    (participant x stimulus units) and ``scoring (pooled)`` (stimuli).
    """
    from analysis.fixations import fixations_on_stimuli, study_fixations
    from analysis.study_data import image_sizes, load_study, target_smaps
    from gazefusion.errors import UserInputError

    study = load_study(data, stimulus_dir=stimulus_dir)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    sizes = image_sizes(study)
    targets = target_smaps(study, sizes)
    if not targets:
        raise UserInputError(
            "DATA: no stimulus has a target smap (the study config's 'smap' of each stimulus)"
        )
    fix = fixations_on_stimuli(study_fixations(study, fixations), study.trials, sizes)
    if fix.empty:
        raise UserInputError("DATA: no fixations fall on the stimuli")
    atomic_write_text(out / "fixations.csv", fix.to_csv(index=False))
    guided = {r.stimulus_id for r in study.trials.itertuples() if r.smap}
    scores = score_alignment(
        fix, targets, study.geometry, metrics=metrics, sigma_deg=sigma_deg, seed=seed, progress=progress
    )
    pooled = score_alignment(
        fix,
        targets,
        study.geometry,
        metrics=metrics,
        sigma_deg=sigma_deg,
        seed=seed,
        level="pooled",
        predictors=("target", "shuffled", "centre"),
        progress=progress,
    )
    atomic_write_text(out / "scores.csv", scores.to_csv(index=False))
    atomic_write_text(out / "pooled.csv", pooled.to_csv(index=False))

    pooled_summary = summarize(pooled.assign(label=label_rows(pooled, guided)), ["metric", "label"])
    write_table(pooled_summary, out / "pooled_summary")
    per_stim = per_stimulus(scores)
    per_stim["label"] = label_rows(per_stim, guided)
    summary = summarize(per_stim, ["metric", "label"])
    write_table(summary, out / "summary")
    tests = alignment_tests(per_stim, guided)
    write_table(tests, out / "tests")
    mixed_df = mixed_tests(scores, guided) if mixed else pd.DataFrame()
    if mixed:
        write_table(mixed_df, out / "mixed")
    plot_alignment(summary, out / "fig_alignment")
    examples = _heatmap_rows(study, fix, targets, sizes, sigma_deg, n_examples)
    if examples:
        plot_heatmaps([r[:4] for r in examples], out / "fig_heatmaps", points=[r[4] for r in examples])

    g = study.geometry
    md = [
        "# Eye-tracking study: gaze alignment with the target smaps",
        "",
        f"- data: `{study.root}`; {len(study.participants)} participants, {len(study.stimuli)} stimuli "
        f"({len(guided)} guided, {len(set(study.stimuli) - guided)} without own smap)",
        f"- display {g.width_px}x{g.height_px} px, {g.width_cm:g} cm at {g.distance_cm:g} cm "
        f"({g.px_per_deg:.1f} px/deg); fixations: {fixations}; first fixation (on the cross) dropped",
        f"- fixation maps: Gaussian sigma {sigma_deg:g} deg; metrics {', '.join(metrics)} (MIT conventions; "
        "kld lower is better)",
        "- scores per participant x stimulus, averaged over participants; CIs: bootstrap over stimuli",
        "",
        "## Mean and 95% CI over stimuli",
        "",
        summary.to_markdown(index=False, floatfmt=".3g"),
        "",
        "## Pooled over participants (the fixations of all participants per stimulus)",
        "",
        pooled_summary.to_markdown(index=False, floatfmt=".3g"),
        "",
        "## Paired tests across stimuli (two-sided; Holm over the table)",
        "",
        tests.to_markdown(index=False, floatfmt=".3g"),
        "",
    ]
    if mixed:
        md += [
            "## Mixed-effects model (random intercepts: participant, stimulus)",
            "",
            mixed_df.to_markdown(index=False, floatfmt=".3g"),
            "",
        ]
    md += ["## Figures", "", "![alignment](fig_alignment.png)", ""]
    if examples:
        md += ["![heatmaps](fig_heatmaps.png)", ""]
    atomic_write_text(out / "report.md", "\n".join(md))
    return out / "report.md"


def _heatmap_rows(study, fix: pd.DataFrame, targets: dict, sizes: dict, sigma_deg: float, n: int) -> list:
    from gazefusion.utils.images import read_rgb

    rows = []
    for sid in sorted(fix["stimulus_id"].unique())[:n]:
        sub = fix[fix["stimulus_id"] == sid]
        path = study.image_path(sub["stim_file"].iloc[0])
        w, h = sizes[sid]
        image = read_rgb(path) if path.is_file() else np.full((h, w, 3), 128, np.uint8)
        density = stimulus_maps(sub, {sid: (h, w)}, study.geometry, sigma_deg)[sid]
        title = (
            f"{sid} ({sub['participant'].nunique()} participants, {len(sub)} fixations, "
            f"sigma {sigma_image_px(study.geometry, sigma_deg, w, float(sub['stim_width'].iloc[0])):.1f} px)"
        )
        rows.append((title, image, targets.get(sid), density, sub[["x_img", "y_img"]].to_numpy()))
    return rows
