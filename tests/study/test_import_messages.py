"""The `[messages]` patterns of the study config: the documented defaults match the runner's and
the usual EyeLink messages; a bad override is one clear config error."""

from __future__ import annotations

import pytest

from gazefusion.errors import UserInputError
from study.config import MessageConfig, StudyConfig


@pytest.mark.parametrize(
    ("text", "key", "groups"),
    [
        ("TRIALID 3", "trial", {"trial": "3"}),
        ("TRIALID 0 b_blob_left", "trial", {"trial": "0"}),
        ("STIM_ONSET b_blob_left", "stimulus", {"stimulus": "b_blob_left"}),
        ("!V IMGLOAD CENTER stimuli/img.png 960 540", "stimulus", {"stimulus": "stimuli/img.png"}),
        ("show stim=img01.jpg", "stimulus", {"stimulus": "img01.jpg"}),
        ("SYNCTIME", "stimulus_onset", {}),
        ("STIM_OFFSET b", "stimulus_offset", {}),
        ("FIXATION_ONSET", "fixation_onset", {}),
        ("TRIAL_RESULT 0", "trial_end", {}),
        ("TRIAL_END", "trial_end", {}),
    ],
)
def test_default_patterns_match_the_documented_messages(text, key, groups):
    m = MessageConfig().compiled()[key].search(text)
    assert m is not None and m.groupdict() == groups


def test_defaults_do_not_match_look_alikes():
    pat = MessageConfig().compiled()
    assert pat["trial"].search("!V TRIAL_VAR TRIALID 3") is None
    assert pat["trial_end"].search("TRIAL_ENDING_SOON") is None


@pytest.mark.parametrize(
    ("messages", "expected"),
    [
        ({"trial": "TRIALID ("}, "[messages] trial = 'TRIALID (' is not a valid regex"),
        ({"stimulus": r"img=(\S+)"}, "needs a named group (?P<stimulus>...)"),
        ({"trail": "x"}, "[messages] has unknown keys ['trail']"),
    ],
)
def test_bad_overrides_are_config_errors(messages, expected):
    data = {
        "display": {"width_px": 320, "height_px": 240, "width_cm": 30.0, "distance_cm": 60.0},
        "stimuli": ["a.png"],
        "messages": messages,
    }
    with pytest.raises(UserInputError) as exc:
        StudyConfig.from_dict(data)
    assert expected in str(exc.value)


def test_overrides_round_trip_through_to_json():
    data = {
        "display": {"width_px": 320, "height_px": 240, "width_cm": 30.0, "distance_cm": 60.0},
        "stimuli": ["a.png"],
        "messages": {"trial": r"^start_trial\s+(?P<trial>\d+)"},
    }
    cfg = StudyConfig.from_dict(data)
    assert cfg.messages.trial == r"^start_trial\s+(?P<trial>\d+)"
    assert cfg.messages.stimulus == MessageConfig().stimulus
    assert StudyConfig.from_dict(cfg.to_json()).messages == cfg.messages
