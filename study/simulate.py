"""Simulated sessions without a window: the same session procedure and storage as a real run,
on a :class:`~study.display.VirtualDisplay` (exact frame times) with the ``simulated`` tracker.

Each participant's observer is seeded from the tracker's ``seed`` setting and the participant
ID, so a study simulates the same way every time; finished sessions are skipped, unfinished ones
resumed, so the job is resumable.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from gazefusion.progress import NO_PROGRESS, Progress, tracked
from gazefusion.utils.seeds import derive_seed
from study.config import StudyConfig
from study.display import VirtualDisplay
from study.session import Session, SessionResult
from study.storage import StudyStore
from study.trackers import get_tracker


def simulated_tracker_settings(config: StudyConfig, participant: str) -> dict:
    """The config's simulated-tracker settings (defaults if it names another tracker), with a
    per-participant seed."""
    settings = dict(config.tracker.settings) if config.tracker.name == "simulated" else {}
    settings["seed"] = derive_seed(int(settings.get("seed", 0)) & 0xFFFFFFFF, participant)
    return settings


def describe_observers(config: StudyConfig) -> str:
    """One line saying what the simulated participants of ``config`` look at (mode and model)."""
    from study.trackers.simulated import OBSERVER_MODES

    settings = simulated_tracker_settings(config, "")
    mode = settings.get("observer_mode", OBSERVER_MODES[0])
    if mode == "planted":
        return "observer mode: planted (participants look at the target smaps, not at the images)"
    from study.observer import default_saliency_model

    model = settings.get("saliency_model") or default_saliency_model()
    return f"observer mode: {mode} (participants look at the stimulus images; saliency model {model})"


def simulate_participants(
    config: StudyConfig,
    db: str | Path,
    participants: Iterable[str],
    session: str = "1",
    progress: Progress = NO_PROGRESS,
) -> list[SessionResult]:
    """Simulate (or finish) the sessions of ``participants`` into ``db``; returns the results of
    the sessions that ran (complete ones are skipped). ``progress`` gets ``simulating``:
    participants, skipped ones included."""
    results = []
    with StudyStore(db) as store:
        for pid in tracked(participants, progress, "simulating"):
            found = store.find_session(pid, session)
            if found and found[1] == "complete":
                continue
            tracker = get_tracker(
                "simulated", config.tracker.sampling_rate_hz, **simulated_tracker_settings(config, pid)
            )
            result = Session(
                config, store, VirtualDisplay(config.display), tracker, pid, session, resume=found is not None
            ).run()
            results.append(result)
    return results
