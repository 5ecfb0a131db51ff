"""What every importer shares: the parsed recording, trials from messages, checks, storing.

An importer reads one file into a :class:`Recording` (samples in screen pixels, origin top-left,
y down; every time in **seconds** on the tracker's clock) and raises
:class:`~gazefusion.errors.UserInputError` with one line naming the file, the line/row and what
was expected. :func:`build_session` maps its trials to the study config's stimuli and builds the
:class:`~study.storage.TrialRecord` s the runner would have written; :func:`store_session`
writes them in one transaction, with the file's name and sha256 as provenance.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from gazefusion.errors import UserInputError
from study.config import Stimulus, StudyConfig
from study.storage import StudyStore, TrialRecord
from study.trackers.base import SampleBlock

#: A rate counts as changed when a run of intervals differs from the first by more than this.
RATE_TOLERANCE = 0.2


class Message(NamedTuple):
    """A message: time (s), text, where it is in the file (``"line 12"``) and, in files that
    interleave messages and samples (ASC), its line number ``pos`` (else -1)."""

    time: float
    text: str
    where: str
    pos: int = -1


@dataclass
class TrialWindow:
    """One recorded trial (times in s): its number, the stimulus named in the file, phase times."""

    index: int
    where: str
    start: float
    start_pos: int = -1
    stimulus: str | None = None
    stimulus_where: str = ""
    stimulus_time: float | None = None
    fixation_onset: float | None = None
    stimulus_onset: float | None = None
    stimulus_offset: float | None = None
    end: float | None = None
    messages: list[tuple[float, str]] = field(default_factory=list)


@dataclass
class Recording:
    """One imported file, before it is mapped to the study (see the module docstring).

    ``resolution`` is the screen (width, height) in px the file states (``None``: not stated);
    ``trials`` is set by importers that read trials from columns, else they come from messages.
    ``sample_pos`` (line numbers, files that interleave samples and messages) assigns samples to
    trials by their place in the file, so a sample at the very time a trial ends and the next
    starts stays in the trial it was written in.
    """

    source: Path
    importer: str
    tracker: str
    samples: SampleBlock
    sampling_rate_hz: float
    eye: str
    events: list[dict[str, Any]] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list)
    resolution: tuple[int, int] | None = None
    resolution_source: str = ""
    trials: list[TrialWindow] | None = None
    notes: list[str] = field(default_factory=list)
    sample_pos: np.ndarray | None = None


def file_error(path: Path, where: str, what: str) -> UserInputError:
    """The one-line error of a bad input file: ``name: where: what``."""
    return UserInputError(f"{path.name}: {where}: {what}" if where else f"{path.name}: {what}")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def check_resolution(rec: Recording, config: StudyConfig, tolerant: bool = False) -> None:
    """The file's screen resolution must be the config's ``[display]`` (``tolerant``: one pixel
    less also passes, for coordinates given as 0..W instead of 0..W-1)."""
    if rec.resolution is None:
        rec.notes.append(f"{rec.source.name}: the file states no screen resolution; using the config's")
        return
    g = config.display
    w, h = rec.resolution
    ok = {(w, h)} | ({(w - 1, h - 1)} if tolerant else set())
    if (g.width_px, g.height_px) not in ok:
        raise UserInputError(
            f"{rec.source.name}: {rec.resolution_source}: the recording's screen is {w}x{h} px but the "
            f"study config's [display] is {g.width_px}x{g.height_px} px"
        )


def check_constant_rate(
    path: Path, times_s: np.ndarray, where: Callable[[int], str], window: int = 25
) -> float:
    """The sampling rate (Hz) of sample times ``times_s``; raises if it changes mid-file.

    The rate is 1 / the median of the first ``window`` intervals (rounded to whole Hz when within
    0.5 %, as trackers' nominal rates are); it has changed where the median
    of ``window`` consecutive intervals differs from that by more than :data:`RATE_TOLERANCE`
    (single gaps, e.g. between recordings, do not count). ``where(i)`` names sample ``i``.
    """
    dt = np.diff(np.asarray(times_s, dtype=np.float64))
    if dt.size == 0:
        raise file_error(path, "", "fewer than 2 gaze samples: expected a recording")
    if np.any(dt <= 0):
        i = int(np.argmax(dt <= 0)) + 1
        raise file_error(path, where(i), "sample time does not increase: expected increasing timestamps")
    w = min(window, dt.size)
    period = float(np.median(dt[:w]))
    if dt.size > w:
        from numpy.lib.stride_tricks import sliding_window_view

        med = np.median(sliding_window_view(dt, w), axis=1)
        bad = np.abs(med - period) > RATE_TOLERANCE * period
        if bad.any():
            i = int(np.argmax(bad))
            new = 1.0 / float(med[i])
            # the change is the first deviating interval of that window
            off = np.abs(dt[i : i + w] - period) > RATE_TOLERANCE * period
            i += int(np.argmax(off)) if off.any() else 0
            raise file_error(
                path,
                where(i + 1),
                f"the sampling rate changes from {1 / period:.0f} Hz to {new:.0f} Hz: expected one rate "
                "per file (export each rate separately)",
            )
    hz = 1.0 / period
    return float(round(hz)) if abs(round(hz) - hz) < 0.005 * hz else hz


def trials_from_messages(rec: Recording, config: StudyConfig) -> list[TrialWindow]:
    """Split ``rec``'s messages into trials with the config's ``[messages]`` patterns."""
    pat = config.messages.compiled()
    trials: list[TrialWindow] = []
    cur: TrialWindow | None = None
    seen: dict[int, str] = {}
    for m in rec.messages:
        if g := pat["trial"].search(m.text):
            index = int(g["trial"])
            if index in seen:
                raise file_error(
                    rec.source,
                    m.where,
                    f"trial {index} starts again (first at {seen[index]}): expected "
                    f"unique trial numbers in messages matching {pat['trial'].pattern!r}",
                )
            seen[index] = m.where
            cur = TrialWindow(index=index, where=m.where, start=m.time, start_pos=m.pos)
            trials.append(cur)
        if cur is None or cur.end is not None:
            continue
        cur.messages.append((m.time, m.text))
        if cur.stimulus is None and (g := pat["stimulus"].search(m.text)):
            cur.stimulus, cur.stimulus_where, cur.stimulus_time = g["stimulus"], m.where, m.time
        if cur.stimulus_onset is None and pat["stimulus_onset"].search(m.text):
            cur.stimulus_onset = m.time
        if cur.stimulus_offset is None and pat["stimulus_offset"].search(m.text):
            cur.stimulus_offset = m.time
        if cur.fixation_onset is None and pat["fixation_onset"].search(m.text):
            cur.fixation_onset = m.time
        if pat["trial_end"].search(m.text):
            cur.end = m.time
    if not trials:
        raise file_error(
            rec.source,
            "",
            f"no trial messages: expected messages matching {pat['trial'].pattern!r} "
            "(set [messages] trial in the study config)",
        )
    for t in trials:
        if t.stimulus is None:
            raise file_error(
                rec.source,
                t.where,
                f"trial {t.index} names no stimulus: expected a message matching "
                f"{pat['stimulus'].pattern!r} (set [messages] stimulus in the study config)",
            )
    return trials


def _stimulus_lookup(config: StudyConfig) -> dict[str, tuple[Stimulus, bool]]:
    """Each stimulus by id, image path, file name and stem (``True``: a practice stimulus)."""
    table: dict[str, tuple[Stimulus, bool]] = {}
    for practice, stimuli in ((True, config.practice), (False, config.stimuli)):
        for s in stimuli:
            p = Path(s.image)
            for key in (p.stem, p.name, s.image, s.id):
                table[key] = (s, practice)
    return table


def _find_stimulus(name: str, table: dict[str, tuple[Stimulus, bool]]) -> tuple[Stimulus, bool] | None:
    name = name.strip("\"'")
    for key in (name, name.replace("\\", "/"), Path(name.replace("\\", "/")).name):
        if key in table:
            return table[key]
    return None


def build_session(rec: Recording, config: StudyConfig) -> tuple[list[dict], list[TrialRecord]]:
    """The trial plan and the records of ``rec`` mapped onto ``config``'s stimuli.

    Each trial keeps the samples, events and messages from its start to its end; the stimulus
    rectangle is the config's (:func:`study.stimuli.stimulus_rect`). Frame counts are unknown
    (``None``). Raises if a stimulus is not in the config or its image is missing on disk.
    """
    from study.stimuli import image_size, stimulus_rect

    trials = rec.trials if rec.trials is not None else trials_from_messages(rec, config)
    table = _stimulus_lookup(config)
    s = rec.samples
    period = 1.0 / rec.sampling_rate_hz
    last = float(s.system_time[-1]) + period if len(s) else 0.0
    ends = [t.start for t in trials[1:]] + [last]
    plan, records = [], []
    ev_onsets = np.array([e["onset"] for e in rec.events], dtype=float)
    next_pos = [t.start_pos for t in trials[1:]] + [np.iinfo(np.int64).max]
    for k, (t, nxt) in enumerate(zip(trials, ends, strict=True)):
        found = _find_stimulus(t.stimulus or "", table)
        if found is None:
            raise file_error(
                rec.source,
                t.stimulus_where,
                f"stimulus {t.stimulus!r} of trial {t.index} is not in the study config: expected one of "
                f"the [[stimuli]]/[[practice]] ids or image files",
            )
        stim, practice = found
        path = config.resolve(stim.image)
        if not path.is_file():
            raise file_error(
                rec.source,
                t.stimulus_where,
                f"stimulus {t.stimulus!r} of trial {t.index}: its image {path} is missing on disk",
            )
        end = t.end if t.end is not None else nxt
        onset = next(v for v in (t.stimulus_onset, t.stimulus_time, t.start) if v is not None)
        offset = t.stimulus_offset if t.stimulus_offset is not None else end
        rect = stimulus_rect(config, image_size(path))
        spec = {
            "index": t.index,
            "stimulus_id": stim.id,
            "image": stim.image,
            "smap": stim.smap,
            "condition": stim.condition,
            "item": stim.item,
            "practice": practice,
            "drift_check": False,
            "break_after": False,
        }
        # a trial_end message closes the trial inclusively (the runner's last poll is at it)
        t_s = s.system_time
        if rec.sample_pos is not None and t.start_pos >= 0:  # by place in the file
            m = (rec.sample_pos > t.start_pos) & (rec.sample_pos < next_pos[k])
        else:
            m = (t_s >= t.start) & (t_s < nxt)
        if t.end is not None:
            m &= t_s <= end
        block = SampleBlock(
            *(getattr(s, f)[m] for f in ("tracker_time", "system_time", "x_px", "y_px", "pupil", "valid"))
        )
        ev = [rec.events[i] for i in np.flatnonzero((ev_onsets >= t.start) & (ev_onsets < end))]
        timing = {
            "fixation_onset": t.fixation_onset if t.fixation_onset is not None else t.start,
            "stimulus_onset": onset,
            "stimulus_offset": offset,
            "trial_end": end,
            "stim_left": rect[0],
            "stim_top": rect[1],
            "stim_width": rect[2],
            "stim_height": rect[3],
            "n_frames": None,
            "n_stimulus_frames": None,
            "frame_interval_mean_s": None,
            "frame_interval_sd_s": None,
            "frame_interval_max_s": None,
            "n_dropped": None,
            "restarts": 0,
        }
        plan.append(spec)
        messages = t.messages
        if rec.trials is not None:  # trials from columns: the messages made during them
            messages = [(m.time, m.text) for m in rec.messages if t.start <= m.time <= end]
        records.append(TrialRecord(spec=spec, timing=timing, samples=block, events=ev, messages=messages))
    return plan, records


def imported_hashes(store: StudyStore) -> dict[str, tuple[str, str]]:
    """sha256 of every imported source file in ``store`` -> (participant, session)."""
    out = {}
    for pid, ses, software in store.con.execute("SELECT participant, session, software FROM sessions"):
        try:
            src = json.loads(software or "{}").get("source_sha256")
        except (ValueError, AttributeError):
            src = None
        if src:
            out[src] = (pid, ses)
    return out


@contextlib.contextmanager
def _one_transaction(store: StudyStore):
    """Run the store's writes in one transaction (its own per-call ones become no-ops)."""
    con = store.con
    con.execute("BEGIN IMMEDIATE")
    store._tx = contextlib.nullcontext  # type: ignore[method-assign]
    try:
        yield
    except BaseException:
        con.execute("ROLLBACK")
        raise
    else:
        con.execute("COMMIT")
    finally:
        del store._tx


def store_session(
    store: StudyStore,
    rec: Recording,
    config: StudyConfig,
    plan: list[dict],
    records: list[TrialRecord],
    participant: str,
    session: str,
    digest: str,
) -> int:
    """Write one imported session (complete) in a single transaction; returns its id."""
    from gazefusion import __version__

    if store.find_session(participant, session):
        raise UserInputError(
            f"{rec.source.name}: participant {participant!r} session {session!r} already exists in "
            f"{store.path} (from another file); pass --participant/--session to import it as another"
        )
    tracker = {
        "name": rec.tracker,
        "sampling_rate_hz": rec.sampling_rate_hz,
        "settings": {"eye": rec.eye, "importer": rec.importer},
    }
    software = {
        "gazefusion": __version__,
        "importer": rec.importer,
        "source_file": rec.source.name,
        "source_sha256": digest,
    }
    with _one_transaction(store):
        sid, _ = store.start_session(
            participant,
            session,
            plan=plan,
            config=config.to_json(),
            tracker=tracker,
            display=config.display.to_json(),
            software=software,
            resume=False,
        )
        for r in records:
            store.write_trial(sid, r, config.display)
        store.finish_session(sid, "complete")
    return sid


_SAFE = re.compile(r"[^A-Za-z0-9_.-]")


def participant_from_file(path: Path) -> str:
    """The default participant ID of a file: its stem (``sub01.asc`` -> ``sub01``)."""
    return _SAFE.sub("_", path.stem) or "P"
