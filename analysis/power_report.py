"""The power-analysis report: ``power.csv/.md``, ``designs.csv/.md``, ``fig_power.png/.pdf``,
``report.md`` (assumptions, tables, figure) and ``setup.json``."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from analysis.figures import plot_power, write_table
from analysis.power import OBSERVER_MODE, PowerSetup, power_curve, setup_dict, smallest_designs
from gazefusion.progress import NO_PROGRESS, Progress


def write_power_report(
    out_dir: str | os.PathLike,
    effects: Sequence[float],
    participants: Sequence[int],
    stimuli: Sequence[int],
    sims: int = 100,
    setup: PowerSetup | None = None,
    target_power: float = 0.8,
    progress: Progress = NO_PROGRESS,
) -> Path:
    """Run :func:`analysis.power.power_curve` and write the report folder; returns ``report.md``.

    ``progress`` gets ``power_curve``'s ``simulating studies``."""
    setup = setup or PowerSetup()
    curve = power_curve(effects, participants, stimuli, sims, setup, progress=progress)
    return write_power_files(curve, out_dir, setup, target_power)


def write_power_files(
    curve, out_dir: str | os.PathLike, setup: PowerSetup, target_power: float = 0.8
) -> Path:
    """Write the tables, figure and ``report.md`` of a :func:`analysis.power.power_curve` table."""
    from gazefusion.utils.atomic import atomic_write_json, atomic_write_text

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    effects = sorted(curve["effect"].unique())
    participants = sorted(curve["participants"].unique())
    stimuli = sorted(curve["stimuli"].unique())
    sims = int(curve["sims"].iloc[0])
    designs = smallest_designs(curve, target_power)
    write_table(curve, out / "power")
    write_table(designs, out / "designs")
    plot_power(curve, out / "fig_power", target_power)
    atomic_write_json(
        out / "setup.json",
        {
            **setup_dict(setup),
            "effects": list(map(float, effects)),
            "participants": list(map(int, participants)),
            "stimuli": list(map(int, stimuli)),
            "sims": sims,
            "target_power": target_power,
        },
    )
    g = setup.geometry
    md = [
        "# Power analysis: gaze alignment with the target smaps",
        "",
        "Monte-Carlo simulation with the study's simulated observers (`study.observer.SimulatedObserver`) "
        f"in their **{OBSERVER_MODE}** mode: each observer looks at a map made from the target (the effect is "
        "planted on purpose), not at generated images. These are assumptions, not the paper's values (unknown):",
        "",
        f"- effect = share of each image's saliency that follows its target smap (the rest follows an "
        f"unrelated random map); effects {', '.join(f'{e:g}' for e in effects)}",
        f"- target smaps: 1-3 random Gaussian blobs at {setup.map_size}x{setup.map_size}; image shown at "
        f"{setup.stimulus_px}x{setup.stimulus_px} px on a {g.width_px}x{g.height_px} px, {g.width_cm:g} cm display "
        f"at {g.distance_cm:g} cm ({g.px_per_deg:.1f} px/deg)",
        f"- observers: {setup.viewing_s:g} s free viewing, centre-bias weight {setup.centre_bias_weight:g}, "
        f"accuracy offset {setup.accuracy_offset_deg:g} deg, first fixation (on the cross) dropped",
        f"- planned test: per stimulus, participant-mean {setup.metric.upper()} of the target minus a shuffled "
        f"target; two-sided paired t-test across stimuli at alpha {setup.alpha:g}",
        f"- {sims} simulated studies per cell (nested designs share simulations); 95% Wilson CIs",
        "",
        "## Power",
        "",
        curve.to_markdown(index=False, floatfmt=".3g"),
        "",
        f"## Fewest participants for power >= {target_power:g}",
        "",
        designs.to_markdown(index=False, floatfmt=".3g"),
        "",
        "![power](fig_power.png)",
        "",
    ]
    atomic_write_text(out / "report.md", "\n".join(md))
    return out / "report.md"
