"""Trial plans: per-participant randomisation, Latin-square counterbalancing, expected duration.

The plan of a participant/session is a pure function of the config and the two IDs, so a resumed
session gets the same plan back (the plan is also stored with the session).

Counterbalancing (``design.counterbalance = "latin_square"``): stimuli are grouped by ``item``;
with ``k`` conditions (in order of first appearance) and items sorted by name, participant row
``r`` shows item ``j`` in condition ``(j + r) mod k``. The row is the participant's trailing
number (``"P07"`` -> 7, ``"3"`` -> 3) modulo ``k``; IDs without a number use a CRC32 of the ID.
Every condition is thus seen equally often by each participant (up to ``n_items mod k``) and
every item appears in each condition over any ``k`` consecutive participant numbers.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

import numpy as np

from gazefusion.errors import UserInputError
from gazefusion.utils.seeds import seed_sequence, stable_hash
from study.config import Stimulus, StudyConfig

#: Assumed durations (s) of the self-paced parts, for the duration estimate only.
ASSUMED_INSTRUCTIONS_S = 30.0
ASSUMED_BREAK_S = 30.0
ASSUMED_CALIBRATION_OVERHEAD_S = 30.0


@dataclass(frozen=True)
class TrialSpec:
    """One planned trial. ``index`` counts from 0 over practice and main trials together."""

    index: int
    stimulus_id: str
    image: str
    smap: str
    condition: str
    item: str
    practice: bool
    drift_check: bool
    break_after: bool

    def to_dict(self) -> dict:
        return asdict(self)


def participant_seed(seed: int, participant: str, session: str) -> np.random.SeedSequence:
    """Seed sequence of one participant's session (stable across runs and machines)."""
    return seed_sequence(seed & 0xFFFFFFFF, participant, session)


def latin_square_row(participant: str, k: int) -> int:
    """Latin-square row of ``participant`` among ``k`` conditions (see module docstring)."""
    m = re.search(r"(\d+)\D*$", participant)
    number = int(m.group(1)) if m else stable_hash(participant)
    return number % k


def conditions_of(stimuli: tuple[Stimulus, ...]) -> list[str]:
    """Condition labels in order of first appearance."""
    return list(dict.fromkeys(s.condition for s in stimuli))


def check_latin_square(stimuli: tuple[Stimulus, ...]) -> None:
    """Every item must exist in every condition exactly once."""
    conds = conditions_of(stimuli)
    if len(conds) < 2:
        raise UserInputError(f"[design] counterbalance='latin_square' needs >= 2 conditions, found {conds}")
    if any(not s.item for s in stimuli):
        missing = [s.id for s in stimuli if not s.item][:3]
        raise UserInputError(
            f"[design] counterbalance='latin_square' needs an 'item' on every stimulus; missing on {missing}"
        )
    cells: dict[tuple[str, str], int] = {}
    for s in stimuli:
        cells[(s.item, s.condition)] = cells.get((s.item, s.condition), 0) + 1
    for item in sorted({s.item for s in stimuli}):
        for c in conds:
            n = cells.get((item, c), 0)
            if n != 1:
                raise UserInputError(
                    f"[design] latin square: item {item!r} must have exactly one stimulus "
                    f"in condition {c!r}, found {n}"
                )


def _select(config: StudyConfig, participant: str) -> list[Stimulus]:
    if config.design.counterbalance == "none":
        return list(config.stimuli)
    check_latin_square(config.stimuli)
    conds = conditions_of(config.stimuli)
    row = latin_square_row(participant, len(conds))
    by_cell = {(s.item, s.condition): s for s in config.stimuli}
    items = sorted({s.item for s in config.stimuli})
    return [by_cell[(item, conds[(j + row) % len(conds)])] for j, item in enumerate(items)]


def plan_trials(config: StudyConfig, participant: str, session: str = "1") -> list[TrialSpec]:
    """The ordered trial list of one participant's session (practice first, in file order)."""
    rng = np.random.default_rng(participant_seed(config.design.seed, participant, session))
    main = _select(config, participant)
    if config.design.shuffle:
        main = [main[i] for i in rng.permutation(len(main))]
    every_drift = config.calibration.drift_check_every
    every_break = config.trials.break_every
    plan: list[TrialSpec] = []
    for i, (stim, practice) in enumerate([(s, True) for s in config.practice] + [(s, False) for s in main]):
        main_pos = i - len(config.practice)  # position among main trials (negative: practice)
        plan.append(
            TrialSpec(
                index=i,
                stimulus_id=stim.id,
                image=stim.image,
                smap=stim.smap,
                condition=stim.condition,
                item=stim.item,
                practice=practice,
                drift_check=bool(every_drift) and main_pos > 0 and main_pos % every_drift == 0,
                break_after=(
                    not practice
                    and bool(every_break)
                    and (main_pos + 1) % every_break == 0
                    and main_pos + 1 < len(main)
                ),
            )
        )
    return plan


def expected_duration_s(config: StudyConfig, plan: list[TrialSpec]) -> float:
    """Rough session length: timed parts exactly, self-paced parts with the ASSUMED_* values."""
    t = config.trials
    cal = config.calibration
    trial_s = t.fixation_s + t.stimulus_s + t.iti_s
    validation_s = cal.points * cal.point_s + ASSUMED_CALIBRATION_OVERHEAD_S
    n_breaks = sum(p.break_after for p in plan)
    n_drift = sum(p.drift_check for p in plan)
    return (
        ASSUMED_INSTRUCTIONS_S * (2 if config.practice else 1)
        + validation_s
        + len(plan) * trial_s
        + n_breaks * ASSUMED_BREAK_S
        + n_drift * cal.drift_check_s
    )
