"""Study config files, validation and trial plans."""

from __future__ import annotations

import tomllib

import pytest
import yaml

from gazefusion.errors import UserInputError
from study.config import StudyConfig
from study.design import expected_duration_s, latin_square_row, plan_trials
from study.stimuli import check_stimuli
from study.trackers import check_tracker_name, get_tracker


def _edit(path, fn):
    data = tomllib.loads(path.read_text())
    fn(data)
    import tomli_w

    path.write_text(tomli_w.dumps(data))
    return path


def test_roundtrip_toml_and_yaml(make_study, tmp_path):
    path = make_study()
    cfg = StudyConfig.from_file(path)
    yml = path.with_suffix(".yaml")
    yml.write_text(yaml.safe_dump(cfg.to_json()))
    again = StudyConfig.from_file(yml)
    assert again.to_json() == cfg.to_json()
    assert again.stimuli == cfg.stimuli and again.display == cfg.display
    assert cfg.tracker.sampling_rate_hz == 1000.0 and cfg.calibration.points == 9  # field defaults


@pytest.mark.parametrize(
    ("edit", "match"),
    [
        pytest.param(
            lambda d: d["stimuli"][0].update(image="stimuli/missing.png"),
            "stimulus image not found",
            id="missing-stimulus",
        ),
        pytest.param(lambda d: d["display"].update(distance_cm=0.5), "distance_cm", id="impossible-distance"),
        pytest.param(lambda d: d["display"].update(width_cm=3000.0), "px/cm", id="impossible-width"),
        pytest.param(lambda d: d["trials"].update(stimulus_s=0), "stimulus_s", id="zero-duration"),
        pytest.param(lambda d: d["trials"].update(flavour=1), "unknown keys", id="unknown-key"),
        pytest.param(lambda d: d["stimuli"][0].update(smap="no_such_map"), "no such file", id="unknown-smap"),
        pytest.param(lambda d: d["stimuli"].pop(), "latin square", id="incomplete-latin-square"),
        pytest.param(
            lambda d: d["trials"].update(stimulus_size_px=[4000, 100]),
            "larger than the display",
            id="stimulus-too-large",
        ),
        pytest.param(lambda d: d["calibration"].update(points=7), "points", id="bad-points"),
    ],
)
def test_bad_configs_raise_clear_errors(make_study, edit, match):
    path = _edit(make_study(), edit)
    with pytest.raises(UserInputError, match=match):
        cfg = StudyConfig.from_file(path)
        check_stimuli(cfg)
        plan_trials(cfg, "01")


def test_unknown_tracker_lists_known_ones():
    with pytest.raises(UserInputError, match=r"unknown tracker 'eyelonk'; known: mouse, simulated"):
        check_tracker_name("eyelonk")
    with pytest.raises(UserInputError, match=r"pygaze\.\{eyelink,tobii"):
        get_tracker("pygaze.eyelonk")
    check_tracker_name("pygaze.eyelink")
    check_tracker_name("iohub.eyetracker.hw.sr_research.eyelink.EyeTracker")


def test_latin_square_balances_conditions_and_items(make_study):
    cfg = StudyConfig.from_file(make_study(items=("a", "b", "c", "d")))
    conds = ["blob_left", "blob_right"]
    seen = {}
    for p in range(1, 5):
        main = [t for t in plan_trials(cfg, f"P{p:02d}") if not t.practice]
        assert sorted(t.item for t in main) == ["a", "b", "c", "d"]  # every item exactly once
        assert sorted(t.condition for t in main) == sorted(conds * 2)  # conditions balanced
        for t in main:
            seen.setdefault(t.item, set()).add(t.condition)
        # independent construction: row r shows sorted item j in condition (j + r) mod k
        r = p % 2
        assert {t.item: t.condition for t in main} == {it: conds[(j + r) % 2] for j, it in enumerate("abcd")}
    assert all(v == set(conds) for v in seen.values())  # each item in each condition across participants
    assert latin_square_row("P07", 3) == 1 and latin_square_row("12", 5) == 2


def test_plan_is_seeded_per_participant(make_study):
    cfg = StudyConfig.from_file(make_study(items=tuple("abcdefgh")))
    a1, a2 = plan_trials(cfg, "P01"), plan_trials(cfg, "P01")
    b = plan_trials(cfg, "P03")  # same Latin-square row, other order
    assert a1 == a2
    assert [t.stimulus_id for t in a1] != [t.stimulus_id for t in b]
    assert sorted(t.stimulus_id for t in a1) == sorted(t.stimulus_id for t in b)
    assert a1[0].practice and not any(t.practice for t in a1[1:])
    # drift check every 2nd main trial (not the first)
    assert [t.drift_check for t in a1[1:]] == [i > 0 and i % 2 == 0 for i in range(8)]


def test_expected_duration_counts_timed_parts(make_study):
    cfg = StudyConfig.from_file(make_study(trials={"break_every": 2}))
    plan = plan_trials(cfg, "01")
    assert sum(t.break_after for t in plan) == 1  # after main trial 2 of 3
    timed = len(plan) * (0.1 + 0.3 + 0.1) + 9 * 0.1 + sum(t.drift_check for t in plan) * 0.1
    # instructions x2 (practice) + one break + calibration overhead are assumed at 30 s each
    assert expected_duration_s(cfg, plan) == pytest.approx(timed + 4 * 30.0)
