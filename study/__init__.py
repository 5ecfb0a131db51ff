"""Eye-tracked study runner: the paper's user study as a reusable, crash-safe tool (docs/study.md).

- :mod:`study.config`: the study file (TOML/YAML) as validated config models (:class:`StudyConfig`).
- :mod:`study.design`: per-participant trial plans, Latin-square counterbalancing, duration.
- :mod:`study.stimuli`: stimulus files, on-screen rectangle, target smaps (``gazefusion.smaps``).
- :mod:`study.observer`: :class:`SimulatedObserver`, realistic gaze from a saliency map.
- :mod:`study.trackers`: the tracker adapter interface and registry (simulated, mouse, PyGaze, ioHub).
- :mod:`study.display`: PsychoPy window and the virtual display used for simulation.
- :mod:`study.session`: the session procedure (calibration, validation, drift checks, trials, pauses).
- :mod:`study.storage`: SQLite storage (WAL, one transaction per trial), resume.
- :mod:`study.simulate`: simulated participants without a window.
- :mod:`study.export`: BIDS-like export and loading as a pymovements ``Gaze``.
- :mod:`study.example`: writes the example study (synthetic stimuli, built-in target smaps).
"""

from study.config import StudyConfig
from study.observer import SimulatedObserver

__all__ = ["SimulatedObserver", "StudyConfig"]
