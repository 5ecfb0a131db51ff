"""Study configuration: the study file (TOML or YAML) as validated, frozen config models.

A study file has the sections ``[display]`` (a :class:`~gazefusion.geometry.DisplayGeometry`),
``[tracker]``, ``[calibration]``, ``[trials]``, ``[design]``, ``[text]``, ``[messages]`` (the
message patterns of ``study import``) and the lists
``[[stimuli]]`` and ``[[practice]]``. Relative file paths are relative to the config file.
Every default below is a convention of the field (PAPER.md §6: the paper's protocol is not
known), not the paper's value: a 1000 Hz video eye tracker, 9-point calibration validated
under 1° mean error, a 1 s central fixation cross then 5 s of free viewing.
See ``docs/study.md`` for the full format.

Each section is a :class:`~gazefusion.config.Config`. A bad file is one
:class:`~gazefusion.errors.UserInputError` line that names the setting as it is
written in the file (``[trials] stimulus_s: expected greater than 0, found 0``; the n-th entry of a
list is ``[[stimuli]] #n``); an unknown section or key lists the known ones.
:meth:`StudyConfig.to_json` is the file form that :meth:`StudyConfig.from_dict` reads back;
:meth:`StudyConfig.json_schema` describes it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator
from pydantic.json_schema import SkipJsonSchema

from gazefusion.config import Config
from gazefusion.errors import UserInputError
from gazefusion.geometry import DisplayGeometry
from gazefusion.utils.datafiles import read_data_file

#: A study name names its data files: a plain file name, no folders.
_PLAIN_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")


def _label(prefix: str, loc: Sequence[str | int]) -> str:
    """``[trials]`` + (``background``, 1) -> ``[trials] background[1]``."""
    path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc).lstrip(".")
    return f"{prefix} {path}".strip() if path else prefix


class _Section(Config):
    """A table of the study file: errors name it as written (``[trials] stimulus_s``)."""

    section: ClassVar[str] = ""

    @classmethod
    def field_label(cls, loc: Sequence[str | int]) -> str:
        return _label(cls.section, loc)


class TrackerConfig(_Section):
    """Eye-tracker backend (a registry name, see :func:`study.trackers.available_trackers`).

    ``settings`` go to the backend unchanged (e.g. ``accuracy_offset_deg`` for ``simulated``,
    the ioHub device settings for ``iohub.*``).
    """

    section = "[tracker]"

    name: str = "simulated"
    sampling_rate_hz: float = 1000.0
    settings: dict[str, Any] = Field(default_factory=dict)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not value:
            raise ValueError("a tracker name")
        return value

    @field_validator("sampling_rate_hz")
    @classmethod
    def _rate(cls, value: float) -> float:
        if not 0 < value <= 2000:
            raise ValueError("a rate in (0, 2000] Hz")
        return value


class CalibrationConfig(_Section):
    """Calibration, validation and drift checks. Errors in degrees of visual angle.

    Validation passes when the mean error over ``points`` targets is at most ``threshold_deg``;
    otherwise the tracker is recalibrated, at most ``max_attempts`` times in all.
    A drift check (a central dot) runs before every ``drift_check_every``-th trial (0: never);
    an error above ``drift_threshold_deg`` triggers recalibration.
    """

    section = "[calibration]"

    points: Literal[3, 5, 9, 13] = 9
    threshold_deg: float = Field(1.0, ge=0)
    max_attempts: int = Field(3, ge=1)
    point_s: float = Field(1.5, ge=0)
    drift_check_every: int = Field(10, ge=0)
    drift_threshold_deg: float = Field(2.0, ge=0)
    drift_check_s: float = Field(1.0, ge=0)
    abort_on_failure: bool = False


class TrialConfig(_Section):
    """Trial timing (seconds) and look.

    Each trial: central fixation cross for ``fixation_s``, stimulus for ``stimulus_s``, blank
    inter-trial interval ``iti_s``. A self-paced break follows every ``break_every`` main trials
    (0: none). ``stimulus_size_px`` (width, height) scales the image on screen; empty: native
    size. ``background`` is an RGB triple 0-255.
    """

    section = "[trials]"

    fixation_s: float = Field(1.0, ge=0)
    stimulus_s: float = Field(5.0, gt=0)
    iti_s: float = Field(1.0, ge=0)
    break_every: int = Field(0, ge=0)
    background: tuple[int, ...] = (128, 128, 128)
    stimulus_size_px: tuple[int, ...] = ()
    fixation_cross_deg: float = Field(0.8, ge=0)

    @field_validator("background")
    @classmethod
    def _rgb(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        if len(value) != 3 or not all(0 <= c <= 255 for c in value):
            raise ValueError("3 values in 0..255 (red, green, blue)")
        return value

    @field_validator("stimulus_size_px")
    @classmethod
    def _size(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        if value and (len(value) != 2 or not all(v > 0 for v in value)):
            raise ValueError("[width, height] in pixels (empty: the image's own size)")
        return value


class DesignConfig(_Section):
    """Randomisation and counterbalancing.

    ``seed`` with the participant and session IDs seeds the trial order. ``counterbalance``:
    ``"none"`` shows every stimulus; ``"latin_square"`` shows each *item* once, in the condition
    given by a Latin square row chosen from the participant number (see :mod:`study.design`).
    """

    section = "[design]"

    seed: int = 0
    counterbalance: Literal["none", "latin_square"] = "none"
    shuffle: bool = True


class TextConfig(_Section):
    """Texts shown to the participant; SPACE continues. ``auto_advance_s`` > 0 makes these
    self-paced screens continue by themselves after that many seconds (piloting, automated
    tests); 0 waits for the key."""

    section = "[text]"

    instructions: str = (
        "Please look at each picture freely, as you would look at a photograph.\n\n"
        "Look at the cross when it appears.\n\nPress SPACE to start."
    )
    practice_done: str = "Practice is over. Press SPACE to start the experiment."
    break_text: str = "Take a short break. Press SPACE to continue."
    end: str = "Thank you! The session is complete."
    auto_advance_s: float = Field(0.0, ge=0)


#: Groups the message patterns must have (named groups of Python regexes).
_MESSAGE_GROUPS = {"trial": "trial", "stimulus": "stimulus"}


class MessageConfig(_Section):
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

    section = "[messages]"

    trial: str = r"^TRIALID\s+(?P<trial>\d+)"
    stimulus: str = r"(?:\bstim=|^STIM_ONSET\s+|^!V\s+IMGLOAD\s+\w+\s+)(?P<stimulus>[^\s,;]+)"
    stimulus_onset: str = r"^STIM_ONSET\b|^SYNCTIME\b|\bstim="
    stimulus_offset: str = r"^STIM_OFFSET\b"
    fixation_onset: str = r"^FIXATION_ONSET\b"
    trial_end: str = r"^TRIAL_END\b|^TRIAL_RESULT\b"

    @field_validator("*")
    @classmethod
    def _pattern(cls, pattern: str, info: ValidationInfo) -> str:
        name = info.field_name
        if not pattern:
            raise ValueError("a regular expression")
        try:
            compiled = re.compile(pattern)
        except re.error as exc:
            raise UserInputError(f"[messages] {name} = {pattern!r} is not a valid regex: {exc}") from None
        group = _MESSAGE_GROUPS.get(name or "")
        if group and group not in compiled.groupindex:
            raise UserInputError(f"[messages] {name} = {pattern!r} needs a named group (?P<{group}>...)")
        return pattern

    def compiled(self) -> dict[str, re.Pattern]:
        """The patterns compiled, by field name."""
        return {name: re.compile(getattr(self, name)) for name in type(self).model_fields}


class Stimulus(_Section):
    """One stimulus: an image, its target saliency map, a condition label and an item label.

    ``smap`` is a map file or a built-in/spec name understood by ``gazefusion.smaps``; ``item``
    groups stimuli that show the same content in different conditions (for counterbalancing).
    ``id`` defaults to the image's file stem.
    """

    section = "[[stimuli]]"

    image: str
    smap: str = ""
    condition: str = ""
    item: str = ""
    id: str = ""

    @model_validator(mode="before")
    @classmethod
    def _default_id(cls, data: Any) -> Any:
        if isinstance(data, Mapping) and not data.get("id") and isinstance(data.get("image"), str):
            return {**data, "id": Path(data["image"]).stem}
        return data

    @field_validator("image")
    @classmethod
    def _image(cls, value: str) -> str:
        if not value:
            raise ValueError("an image file path")
        return value


#: The tables of a study file and their models.
_TABLES: dict[str, type[Config]] = {
    "display": DisplayGeometry,
    "tracker": TrackerConfig,
    "calibration": CalibrationConfig,
    "trials": TrialConfig,
    "design": DesignConfig,
    "text": TextConfig,
    "messages": MessageConfig,
}
#: The lists of a study file (``[[stimuli]]``, ``[[practice]]``): tables of :class:`Stimulus`.
_LISTS = ("stimuli", "practice")


class StudyConfig(Config):
    """A whole study definition. Paths of stimuli are resolved against ``base_dir``.

    Read a file with :meth:`from_file` (or a parsed mapping with :meth:`from_dict`); ``base_dir``
    is not part of the file form (:meth:`to_json`).
    """

    name: str = "study"
    task: str = "freeview"
    display: DisplayGeometry
    tracker: TrackerConfig = TrackerConfig()
    calibration: CalibrationConfig = CalibrationConfig()
    trials: TrialConfig = TrialConfig()
    design: DesignConfig = DesignConfig()
    text: TextConfig = TextConfig()
    messages: MessageConfig = MessageConfig()
    stimuli: tuple[Stimulus, ...]
    practice: tuple[Stimulus, ...] = ()
    base_dir: SkipJsonSchema[Path] = Field(Path("."), exclude=True)

    @classmethod
    def field_label(cls, loc: Sequence[str | int]) -> str:
        """``[trials] stimulus_s``, ``[[stimuli]] #2 image`` (entries count from 1), ``name``."""
        if not loc:
            return "study config"
        head, rest = str(loc[0]), tuple(loc[1:])
        if head in _LISTS:
            if rest and isinstance(rest[0], int):
                return _label(f"[[{head}]] #{rest[0] + 1}", rest[1:])
            return _label(f"[[{head}]]", rest)
        if head in _TABLES:
            return _label(f"[{head}]", rest)
        return _label("", loc)

    @model_validator(mode="before")
    @classmethod
    def _file_shape(cls, data: Any) -> Any:
        """The shape of the file: known sections, tables of known keys, lists of stimuli."""
        if not isinstance(data, Mapping):
            raise UserInputError(f"study config must be a mapping of sections, got {type(data).__name__}")
        sections = sorted(k for k in cls.model_fields if k != "base_dir")
        unknown = sorted(str(k) for k in set(data) - set(cls.model_fields))
        if unknown:
            raise UserInputError(f"study config has unknown sections {unknown}; known: {sections}")
        if data.get("display") is None:
            raise UserInputError(
                "study config needs a [display] section (width_px, height_px, width_cm, "
                "distance_cm, refresh_hz)"
            )
        out = dict(data)
        for key, model in _TABLES.items():
            value = out.get(key)
            if value is None:
                out.pop(key, None)  # an empty YAML section: the defaults
            elif isinstance(value, Mapping):
                _no_unknown_keys(f"[{key}]", value, model)
            elif not isinstance(value, model):
                raise UserInputError(f"[{key}] must be a table of settings, got {type(value).__name__}")
        for key in _LISTS:
            entries = out.get(key)
            if entries is None:
                out[key] = []
            elif not isinstance(entries, list | tuple):
                raise UserInputError(f"[[{key}]] must be a list of entries, got {type(entries).__name__}")
            else:
                out[key] = [_entry(key, i, e) for i, e in enumerate(entries)]
        return out

    @field_validator("name")
    @classmethod
    def _plain_name(cls, value: str) -> str:
        if not _PLAIN_NAME.fullmatch(value) or ".." in value:
            raise ValueError("a plain file name (letters, digits, '_', '-', '.'; it names the data files)")
        return value

    @field_validator("stimuli")
    @classmethod
    def _some_stimuli(cls, value: tuple[Stimulus, ...]) -> tuple[Stimulus, ...]:
        if not value:
            raise ValueError("at least one entry with an image")
        return value

    @model_validator(mode="after")
    def _unique_ids(self) -> StudyConfig:
        ids = [s.id for s in self.stimuli]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise UserInputError(f"stimulus ids must be unique; repeated: {dupes} (set id = ... explicitly)")
        return self

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], base_dir: str | Path = ".") -> StudyConfig:
        """Build from a mapping (the parsed file; :meth:`to_json` gives one)."""
        if not isinstance(data, Mapping):
            return cls.from_json(data)  # the one-line error of a file that is not a mapping
        if "base_dir" in data:  # a field, but not a setting of the file
            sections = sorted(k for k in cls.model_fields if k != "base_dir")
            raise UserInputError(f"study config has unknown sections ['base_dir']; known: {sections}")
        return cls.from_json({**data, "base_dir": Path(base_dir)})

    @classmethod
    def from_file(cls, path: str | Path) -> StudyConfig:
        """Read a ``.toml`` or ``.yaml``/``.yml`` study file."""
        p = Path(path)
        data = read_data_file(p, "study config", suffixes=(".toml", ".yaml", ".yml")) or {}
        if not isinstance(data, dict):
            raise UserInputError(f"study config {p} must be a mapping of sections")
        return cls.from_dict(data, base_dir=p.parent.resolve())

    def resolve(self, relpath: str) -> Path:
        """A stimulus path made absolute against the config's folder."""
        p = Path(relpath).expanduser()
        return p if p.is_absolute() else self.base_dir / p


def _no_unknown_keys(label: str, table: Mapping, model: type[Config]) -> None:
    known = sorted(model.model_fields)
    unknown = sorted(str(k) for k in set(table) - set(known))
    if unknown:
        raise UserInputError(f"{label} has unknown keys {unknown}; known: {known}")


def _entry(key: str, index: int, entry: Any) -> Any:
    """A ``[[stimuli]]``/``[[practice]]`` entry as :class:`Stimulus` reads it: an image path alone
    is ``{image = path}``; numbers (``item = 3``) are labels, read as text."""
    if isinstance(entry, str):
        return {"image": entry}
    if not isinstance(entry, Mapping):
        return entry  # a Stimulus, or a mistake that validation reports
    _no_unknown_keys(f"[[{key}]] #{index + 1}", entry, Stimulus)
    return {
        k: str(v) if isinstance(v, int | float) and not isinstance(v, bool) else v for k, v in entry.items()
    }
