"""Run records: what made the results in an output folder, compared before a re-run writes there.

Every command that writes results into a folder it may find already filled (``generate``,
``bench run``, ``saliency``, ``metrics``, ``prepare``) keeps the parameters that determine those
results. A re-run with the same parameters resumes; one with other parameters is refused with one
line naming the parameters that differ (old -> new), unless the user passes ``--overwrite``.
No run silently replaces a result made with other settings.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from gazefusion.errors import UserInputError

#: At most this many differing parameters are named in one message.
_SHOWN = 4


def _flat(record: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(record, Mapping):
        out: dict[str, Any] = {}
        for k, v in record.items():
            out.update(_flat(v, f"{prefix}{k}."))
        return out or {prefix[:-1]: {}}
    return {prefix[:-1]: record}


def _short(value: Any) -> str:
    text = json.dumps(value, default=str) if not isinstance(value, str) else value
    return text if len(text) <= 40 else text[:37] + "..."


def differences(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    """The parameters that differ, as ``"name old -> new"`` (nested keys dotted), in ``new``'s order."""
    a = _flat(json.loads(json.dumps(old, default=str)))
    b = _flat(json.loads(json.dumps(new, default=str)))
    keys = list(b) + [k for k in a if k not in b]
    return [
        f"{k} {_short(a.get(k, '(none)'))} -> {_short(b.get(k, '(none)'))}"
        for k in keys
        if a.get(k, "(none)") != b.get(k, "(none)")
    ]


def other_parameters_error(option: str, path: str | os.PathLike, diffs: list[str]) -> UserInputError:
    """The one-line refusal of a run whose results would replace those of other parameters."""
    shown = "; ".join(diffs[:_SHOWN]) + (f"; and {len(diffs) - _SHOWN} more" if len(diffs) > _SHOWN else "")
    return UserInputError(
        f"{option}: {path} holds results made with other parameters ({shown}); "
        "use another output, the same parameters to resume, or --overwrite to replace them"
    )


def check_record(
    record_file: str | os.PathLike,
    params: Mapping[str, Any],
    option: str,
    results: str | os.PathLike,
    overwrite: bool = False,
) -> bool:
    """Compare ``params`` with the record in ``record_file`` (JSON ``{"params": ...}``).

    Returns True when the record matches or there is none, False when it differs and
    ``overwrite`` is set (the caller then replaces the results). Nothing is written.

    Raises
    ------
    UserInputError
        If the record differs and ``overwrite`` is not set (names the differing parameters), or
        the record is unreadable.
    """
    path = Path(record_file)
    if not path.is_file():
        return True
    try:
        old = json.loads(path.read_text(encoding="utf-8"))["params"]
    except (OSError, ValueError, KeyError, TypeError):
        if overwrite:
            return False
        raise UserInputError(
            f"{option}: {results} holds results whose record {path.name} is unreadable; "
            "use another output or --overwrite to replace them"
        ) from None
    diffs = differences(old, params)
    if not diffs:
        return True
    if overwrite:
        return False
    raise other_parameters_error(option, results, diffs)


def write_record(record_file: str | os.PathLike, params: Mapping[str, Any]) -> None:
    """Write the record ``{"params": params}`` atomically."""
    from gazefusion.utils.atomic import atomic_write_json

    atomic_write_json(record_file, {"params": json.loads(json.dumps(params, default=str))})


def remove_outputs(folder: str | os.PathLike, names: tuple[str, ...] | list[str]) -> None:
    """Delete ``folder/name`` (file or folder) for each name: results of a run being replaced."""
    import shutil

    for name in names:
        target = Path(folder) / name
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()
