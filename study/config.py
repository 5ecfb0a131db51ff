"""Study configuration: frozen dataclasses read from a TOML or YAML file.

A study file has the sections ``[display]`` (a :class:`~gazefusion.geometry.DisplayGeometry`),
``[tracker]``, ``[calibration]``, ``[trials]``, ``[design]``, ``[text]``, ``[messages]`` (the
message patterns of ``study import``) and the lists
``[[stimuli]]`` and ``[[practice]]``. Relative file paths are relative to the config file.
Every default below is a convention of the field (PAPER.md §6: the paper's protocol is not
known), not the paper's value: a 1000 Hz video eye tracker, 9-point calibration validated
under 1° mean error, a 1 s central fixation cross then 5 s of free viewing.
See ``docs/study.md`` for the full format.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gazefusion.errors import UserInputError
from gazefusion.geometry import DisplayGeometry
from gazefusion.utils.datafiles import read_data_file

#: A study name names its data files: a plain file name, no folders.
_PLAIN_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")


def _build(cls: type, section: str, data: Any) -> Any:
    """Build dataclass ``cls`` from a mapping, rejecting unknown keys with a clear message."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise UserInputError(f"[{section}] must be a table of settings, got {type(data).__name__}")
    known = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise UserInputError(f"[{section}] has unknown keys {unknown}; known: {sorted(known)}")
    kwargs = {k: tuple(v) if isinstance(v, list) else v for k, v in data.items()}
    try:
        return cls(**kwargs)
    except TypeError as exc:
        raise UserInputError(f"[{section}]: {exc}") from None


def _positive(section: str, **values: float) -> None:
    for name, v in values.items():
        if not isinstance(v, (int, float)) or isinstance(v, bool) or v < 0:
            raise UserInputError(f"[{section}] {name} must be a number >= 0, got {v!r}")


@dataclass(frozen=True)
class TrackerConfig:
    """Eye-tracker backend (a registry name, see :func:`study.trackers.available_trackers`).

    ``settings`` go to the backend unchanged (e.g. ``accuracy_offset_deg`` for ``simulated``,
    the ioHub device settings for ``iohub.*``).
    """

    name: str = "simulated"
    sampling_rate_hz: float = 1000.0
    settings: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise UserInputError(f"[tracker] name must be a tracker name, got {self.name!r}")
        if not (isinstance(self.sampling_rate_hz, (int, float)) and 0 < self.sampling_rate_hz <= 2000):
            raise UserInputError(
                f"[tracker] sampling_rate_hz must be in (0, 2000] Hz, got {self.sampling_rate_hz!r}"
            )


@dataclass(frozen=True)
class CalibrationConfig:
    """Calibration, validation and drift checks. Errors in degrees of visual angle.

    Validation passes when the mean error over ``points`` targets is at most ``threshold_deg``;
    otherwise the tracker is recalibrated, at most ``max_attempts`` times in all.
    A drift check (a central dot) runs before every ``drift_check_every``-th trial (0: never);
    an error above ``drift_threshold_deg`` triggers recalibration.
    """

    points: int = 9
    threshold_deg: float = 1.0
    max_attempts: int = 3
    point_s: float = 1.5
    drift_check_every: int = 10
    drift_threshold_deg: float = 2.0
    drift_check_s: float = 1.0
    abort_on_failure: bool = False

    def __post_init__(self) -> None:
        if self.points not in (3, 5, 9, 13):
            raise UserInputError(f"[calibration] points must be 3, 5, 9 or 13, got {self.points!r}")
        if not (isinstance(self.max_attempts, int) and self.max_attempts >= 1):
            raise UserInputError(
                f"[calibration] max_attempts must be an integer >= 1, got {self.max_attempts!r}"
            )
        if not (isinstance(self.drift_check_every, int) and self.drift_check_every >= 0):
            raise UserInputError(
                f"[calibration] drift_check_every must be an integer >= 0, got {self.drift_check_every!r}"
            )
        _positive(
            "calibration",
            threshold_deg=self.threshold_deg,
            point_s=self.point_s,
            drift_threshold_deg=self.drift_threshold_deg,
            drift_check_s=self.drift_check_s,
        )


@dataclass(frozen=True)
class TrialConfig:
    """Trial timing (seconds) and look.

    Each trial: central fixation cross for ``fixation_s``, stimulus for ``stimulus_s``, blank
    inter-trial interval ``iti_s``. A self-paced break follows every ``break_every`` main trials
    (0: none). ``stimulus_size_px`` (width, height) scales the image on screen; empty: native
    size. ``background`` is an RGB triple 0-255.
    """

    fixation_s: float = 1.0
    stimulus_s: float = 5.0
    iti_s: float = 1.0
    break_every: int = 0
    background: tuple = (128, 128, 128)
    stimulus_size_px: tuple = ()
    fixation_cross_deg: float = 0.8

    def __post_init__(self) -> None:
        _positive(
            "trials", fixation_s=self.fixation_s, iti_s=self.iti_s, fixation_cross_deg=self.fixation_cross_deg
        )
        if not (isinstance(self.stimulus_s, (int, float)) and self.stimulus_s > 0):
            raise UserInputError(f"[trials] stimulus_s must be > 0 seconds, got {self.stimulus_s!r}")
        if not (isinstance(self.break_every, int) and self.break_every >= 0):
            raise UserInputError(f"[trials] break_every must be an integer >= 0, got {self.break_every!r}")
        if len(self.background) != 3 or not all(0 <= c <= 255 for c in self.background):
            raise UserInputError(f"[trials] background must be 3 values in 0..255, got {self.background!r}")
        if self.stimulus_size_px and (
            len(self.stimulus_size_px) != 2
            or not all(isinstance(v, int) and v > 0 for v in self.stimulus_size_px)
        ):
            raise UserInputError(
                f"[trials] stimulus_size_px must be [width, height] in pixels, got {self.stimulus_size_px!r}"
            )


@dataclass(frozen=True)
class DesignConfig:
    """Randomisation and counterbalancing.

    ``seed`` with the participant and session IDs seeds the trial order. ``counterbalance``:
    ``"none"`` shows every stimulus; ``"latin_square"`` shows each *item* once, in the condition
    given by a Latin square row chosen from the participant number (see :mod:`study.design`).
    """

    seed: int = 0
    counterbalance: str = "none"
    shuffle: bool = True

    def __post_init__(self) -> None:
        if self.counterbalance not in ("none", "latin_square"):
            raise UserInputError(
                f"[design] counterbalance must be 'none' or 'latin_square', got {self.counterbalance!r}"
            )
        if not isinstance(self.seed, int):
            raise UserInputError(f"[design] seed must be an integer, got {self.seed!r}")


@dataclass(frozen=True)
class TextConfig:
    """Texts shown to the participant; SPACE continues. ``auto_advance_s`` > 0 makes these
    self-paced screens continue by themselves after that many seconds (piloting, automated
    tests); 0 waits for the key."""

    instructions: str = (
        "Please look at each picture freely, as you would look at a photograph.\n\n"
        "Look at the cross when it appears.\n\nPress SPACE to start."
    )
    practice_done: str = "Practice is over. Press SPACE to start the experiment."
    break_text: str = "Take a short break. Press SPACE to continue."
    end: str = "Thank you! The session is complete."
    auto_advance_s: float = 0.0


#: Groups the message patterns must have (named groups of Python regexes).
_MESSAGE_GROUPS = {"trial": "trial", "stimulus": "stimulus"}


@dataclass(frozen=True)
class MessageConfig:
    """Message patterns that map a recording made elsewhere to trials and stimuli
    (``gazefusion study import``; Python regexes searched in each message's text).

    A trial starts at a message matching ``trial`` (group ``trial``: its number) and ends at the
    next one, at ``trial_end`` or at the end of the file. Its stimulus is the group ``stimulus``
    of the first message of the trial matching ``stimulus``: a stimulus id, image path or file
    name of the config. The stimulus is on screen from the first ``stimulus_onset`` message
    (else the stimulus message) to the first ``stimulus_offset`` message (else the trial end);
    the fixation cross from ``fixation_onset`` (else the trial start). The defaults read our own
    runner's messages (``TRIALID 3 img``, ``STIM_ONSET img``, ...) and the usual EyeLink ones
    (``TRIALID 3``, ``!V IMGLOAD CENTER img.png``, ``SYNCTIME``, ``TRIAL_RESULT``, ``stim=img.png``).
    """

    trial: str = r"^TRIALID\s+(?P<trial>\d+)"
    stimulus: str = r"(?:\bstim=|^STIM_ONSET\s+|^!V\s+IMGLOAD\s+\w+\s+)(?P<stimulus>[^\s,;]+)"
    stimulus_onset: str = r"^STIM_ONSET\b|^SYNCTIME\b|\bstim="
    stimulus_offset: str = r"^STIM_OFFSET\b"
    fixation_onset: str = r"^FIXATION_ONSET\b"
    trial_end: str = r"^TRIAL_END\b|^TRIAL_RESULT\b"

    def __post_init__(self) -> None:
        for name in ("trial", "stimulus", "stimulus_onset", "stimulus_offset", "fixation_onset", "trial_end"):
            pattern = getattr(self, name)
            if not isinstance(pattern, str) or not pattern:
                raise UserInputError(f"[messages] {name} must be a regular expression, got {pattern!r}")
            try:
                compiled = re.compile(pattern)
            except re.error as exc:
                raise UserInputError(f"[messages] {name} = {pattern!r} is not a valid regex: {exc}") from None
            group = _MESSAGE_GROUPS.get(name)
            if group and group not in compiled.groupindex:
                raise UserInputError(f"[messages] {name} = {pattern!r} needs a named group (?P<{group}>...)")

    def compiled(self) -> dict[str, re.Pattern]:
        """The patterns compiled, by field name."""
        return {f.name: re.compile(getattr(self, f.name)) for f in dataclasses.fields(self)}


@dataclass(frozen=True)
class Stimulus:
    """One stimulus: an image, its target saliency map, a condition label and an item label.

    ``smap`` is a map file or a built-in/spec name understood by ``gazefusion.smaps``; ``item``
    groups stimuli that show the same content in different conditions (for counterbalancing).
    """

    image: str
    smap: str = ""
    condition: str = ""
    item: str = ""
    id: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.image, str) or not self.image:
            raise UserInputError(f"stimulus image must be a file path, got {self.image!r}")
        if not self.id:
            object.__setattr__(self, "id", Path(self.image).stem)


@dataclass(frozen=True)
class StudyConfig:
    """A whole study definition. Paths of stimuli are resolved against ``base_dir``."""

    display: DisplayGeometry
    stimuli: tuple[Stimulus, ...]
    tracker: TrackerConfig = TrackerConfig()
    calibration: CalibrationConfig = CalibrationConfig()
    trials: TrialConfig = TrialConfig()
    design: DesignConfig = DesignConfig()
    text: TextConfig = TextConfig()
    messages: MessageConfig = MessageConfig()
    practice: tuple[Stimulus, ...] = ()
    name: str = "study"
    task: str = "freeview"
    base_dir: Path = Path(".")

    @classmethod
    def from_dict(cls, data: dict, base_dir: str | Path = ".") -> StudyConfig:
        """Build from a mapping (the parsed file)."""
        sections = {
            "display",
            "tracker",
            "calibration",
            "trials",
            "design",
            "text",
            "messages",
            "stimuli",
            "practice",
            "name",
            "task",
        }
        unknown = sorted(set(data) - sections)
        if unknown:
            raise UserInputError(f"study config has unknown sections {unknown}; known: {sorted(sections)}")
        if "display" not in data:
            raise UserInputError(
                "study config needs a [display] section (width_px, height_px, width_cm, "
                "distance_cm, refresh_hz)"
            )
        if not isinstance(data["display"], dict):
            raise UserInputError("[display] must be a table of settings")
        stimuli = tuple(_stimulus(s, "stimuli", i) for i, s in enumerate(data.get("stimuli") or []))
        if not stimuli:
            raise UserInputError("study config needs at least one [[stimuli]] entry with an image")
        ids = [s.id for s in stimuli]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise UserInputError(f"stimulus ids must be unique; repeated: {dupes} (set id = ... explicitly)")
        name = data.get("name", "study")
        if not isinstance(name, str) or not _PLAIN_NAME.fullmatch(name) or ".." in name:
            raise UserInputError(
                "name: expected a plain file name (letters, digits, '_', '-', '.'; it names the data "
                f"files), found {name!r}"
            )
        return cls(
            display=DisplayGeometry.from_dict(data["display"]),
            stimuli=stimuli,
            tracker=_build(TrackerConfig, "tracker", data.get("tracker")),
            calibration=_build(CalibrationConfig, "calibration", data.get("calibration")),
            trials=_build(TrialConfig, "trials", data.get("trials")),
            design=_build(DesignConfig, "design", data.get("design")),
            text=_build(TextConfig, "text", data.get("text")),
            messages=_build(MessageConfig, "messages", data.get("messages")),
            practice=tuple(_stimulus(s, "practice", i) for i, s in enumerate(data.get("practice") or [])),
            name=name,
            task=str(data.get("task", "freeview")),
            base_dir=Path(base_dir),
        )

    @classmethod
    def from_file(cls, path: str | Path) -> StudyConfig:
        """Read a ``.toml`` or ``.yaml``/``.yml`` study file."""
        p = Path(path)
        data = read_data_file(p, "study config", suffixes=(".toml", ".yaml", ".yml")) or {}
        if not isinstance(data, dict):
            raise UserInputError(f"study config {p} must be a mapping of sections")
        return cls.from_dict(data, base_dir=p.parent.resolve())

    def to_dict(self) -> dict:
        """A plain mapping that :meth:`from_dict` reads back (``base_dir`` is not included)."""
        d = {
            "name": self.name,
            "task": self.task,
            "display": self.display.to_dict(),
            "tracker": dataclasses.asdict(self.tracker),
            "calibration": dataclasses.asdict(self.calibration),
            "trials": {
                k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(self.trials).items()
            },
            "design": dataclasses.asdict(self.design),
            "text": dataclasses.asdict(self.text),
            "messages": dataclasses.asdict(self.messages),
            "stimuli": [dataclasses.asdict(s) for s in self.stimuli],
            "practice": [dataclasses.asdict(s) for s in self.practice],
        }
        if d["display"].get("height_cm") is None:
            d["display"].pop("height_cm", None)
        return d

    def resolve(self, relpath: str) -> Path:
        """A stimulus path made absolute against the config's folder."""
        p = Path(relpath).expanduser()
        return p if p.is_absolute() else self.base_dir / p

    def replace(self, **changes: Any) -> StudyConfig:
        """A copy with some top-level fields replaced (e.g. ``tracker=...``)."""
        return dataclasses.replace(self, **changes)


def _stimulus(data: Any, section: str, index: int) -> Stimulus:
    if isinstance(data, str):
        data = {"image": data}
    if not isinstance(data, dict) or "image" not in data:
        raise UserInputError(f"[[{section}]] entry {index} needs an 'image' file, got {data!r}")
    return _build(Stimulus, f"{section}[{index}]", {k: str(v) for k, v in data.items()})
