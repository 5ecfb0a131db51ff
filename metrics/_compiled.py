"""Choice between the compiled (numba) kernels of :mod:`metrics._fused` and the NumPy reference.

The compiled kernels compute every reduction of a metric in one pass over the maps; the NumPy
path (:mod:`metrics._kernels`, :mod:`metrics.auc`) is the reference they are tested against and
the fallback where numba is missing. Which one runs:

- ``GAZEFUSION_METRICS_BACKEND=numba`` (or :data:`DEFAULT` when unset) and numba importable: compiled;
- ``GAZEFUSION_METRICS_BACKEND=numpy``, or no numba: NumPy;
- ``with backend("numpy"):`` / ``backend("numba")`` selects one in the current thread (tests
  compare the two).

Compilation happens on the first call for each input dtype (a few seconds per kernel) and is
cached on disk by numba (``cache=True``): in ``__pycache__`` next to this package when that is
writable, otherwise in numba's user-wide cache (``~/.cache/numba``), or wherever
``NUMBA_CACHE_DIR`` points; with no writable cache folder at all the kernels are compiled in
every process. ``benchmarks/bench_metrics.py`` reports the first-call compile time.

The kernels are serial and release the GIL; :mod:`metrics._kernels` shares their work among its
own threads (:func:`metrics._kernels.split`), which hand out work on demand: numba's parallel
loops split the work evenly up front, and on a busy 2-core machine the thread the OS holds back
then holds up the call (measured: 12 ms instead of 0.7 ms for one pass over a 1080x1920 map).
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import threading
from collections.abc import Iterator
from types import ModuleType

BACKENDS = ("numba", "numpy")
#: The backend when ``GAZEFUSION_METRICS_BACKEND`` is unset: the compiled kernels (all of
#: tests/metrics passes on either backend; the NumPy path stays the reference they are tested against).
DEFAULT = "numba"
_ENV = "GAZEFUSION_METRICS_BACKEND"

_CHOICE: contextvars.ContextVar[str | None] = contextvars.ContextVar("metrics_backend", default=None)
_MODULE: ModuleType | None | bool = False  # False: not tried yet; None: numba unavailable
_LOAD_LOCK = threading.Lock()


def _default() -> str:
    name = os.environ.get(_ENV, DEFAULT).strip().lower() or DEFAULT
    if name not in BACKENDS:
        raise ValueError(f"{_ENV} must be one of {', '.join(BACKENDS)}, got {name!r}")
    return name


@contextlib.contextmanager
def backend(name: str) -> Iterator[None]:
    """Use the ``"numba"`` or ``"numpy"`` kernels inside the block (current thread/context only).

    ``"numba"`` where numba is missing still runs NumPy (see :func:`active`).
    """
    if name not in BACKENDS:
        raise ValueError(f"backend must be one of {', '.join(BACKENDS)}, got {name!r}")
    token = _CHOICE.set(name)
    try:
        yield
    finally:
        _CHOICE.reset(token)


def _load() -> ModuleType | None:
    global _MODULE
    with _LOAD_LOCK:
        if _MODULE is False:
            try:
                from metrics import _fused
            except ImportError:  # no numba (or no llvmlite)
                _MODULE = None
            else:
                _MODULE = _fused
        return _MODULE


def kernels() -> ModuleType | None:
    """The compiled kernels module when they are to be used here and now, else ``None``."""
    if (_CHOICE.get() or _default()) != "numba":
        return None
    return _load()


def active() -> str:
    """``"numba"`` or ``"numpy"``: the backend a metric called here and now would use."""
    return "numba" if kernels() is not None else "numpy"
