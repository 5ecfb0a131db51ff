"""Weight files checked before a loader reads them: truncated files and pickled code are one line.

:func:`check_weight_files` looks at every ``.safetensors`` / ``.bin`` file of a model folder
without loading a tensor and without unpickling anything:

- ``.safetensors``: the 8-byte header length, the JSON header, and the file size must match the
  end of the last tensor (a truncated copy is shorter);
- ``.bin`` (``torch.save``): a zip archive whose central directory is intact (a truncated copy
  has none) and whose ``data.pkl`` names only the globals a state dict needs (tensor rebuilds,
  storages, ``OrderedDict``); anything else (``os.system``, ``builtins.eval``, ...) is pickled
  code and refused. A pre-zip (legacy) ``.bin`` has its first pickle checked the same way.

Each problem is a :class:`~gazefusion.errors.UserInputError` naming the file.
"""

from __future__ import annotations

import json
import os
import pickletools
import struct
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from gazefusion.errors import UserInputError

#: File suffixes checked by :func:`check_weight_files`.
WEIGHT_SUFFIXES = (".safetensors", ".bin")
#: safetensors caps its JSON header at 100 MB.
_MAX_HEADER = 100_000_000
#: (module, name) pairs a torch state-dict pickle may name; ``*Storage`` names of ``torch`` too.
_ALLOWED_GLOBALS = {
    ("collections", "OrderedDict"),
    ("torch._utils", "_rebuild_tensor_v2"),
    ("torch._utils", "_rebuild_tensor"),
    ("torch._utils", "_rebuild_parameter"),
    ("torch._utils", "_rebuild_parameter_with_state"),
    ("torch", "Size"),
    ("torch", "device"),
    ("torch", "float32"),
    ("torch", "float16"),
    ("torch", "bfloat16"),
}


def _refuse(path: Path, why: str) -> UserInputError:
    return UserInputError(f"model: weight file {path} {why}; replace it with an intact copy")


def check_safetensors(path: str | os.PathLike) -> None:
    """Refuse a ``.safetensors`` file whose header is unreadable or whose data is cut short."""
    p = Path(path)
    size = p.stat().st_size
    with open(p, "rb") as fh:
        head = fh.read(8)
        if len(head) < 8:
            raise _refuse(p, f"is truncated ({size} bytes, no safetensors header)")
        (n,) = struct.unpack("<Q", head)
        if n > min(_MAX_HEADER, size - 8):
            raise _refuse(p, f"is truncated or not a safetensors file (header of {n} bytes in {size})")
        try:
            header = json.loads(fh.read(n))
        except (ValueError, UnicodeDecodeError):
            raise _refuse(p, "has an unreadable safetensors header") from None
    if not isinstance(header, dict):
        raise _refuse(p, "has an unreadable safetensors header")
    end = 0
    for key, info in header.items():
        if key == "__metadata__":
            continue
        try:
            start, stop = (int(v) for v in info["data_offsets"])
        except (TypeError, KeyError, ValueError):
            raise _refuse(p, f"has an unreadable safetensors header (tensor {key!r})") from None
        end = max(end, stop, start)
    if size < 8 + n + end:
        raise _refuse(p, f"is truncated ({size} bytes, its header needs {8 + n + end})")


def _globals(stream: IO[bytes]) -> Iterator[tuple[str, str]]:
    """(module, name) of every global one pickle names (read up to its STOP), without unpickling."""
    memo: dict[int, object] = {}
    last: list[object] = []  # the values most recently pushed (STACK_GLOBAL takes two strings)
    for opcode, arg, _pos in pickletools.genops(stream):
        name = opcode.name
        if name in ("GLOBAL", "INST"):
            module, _, attr = str(arg).partition(" ")
            yield module, attr
        elif name == "STACK_GLOBAL":
            if len(last) >= 2 and all(isinstance(v, str) for v in last[-2:]):
                yield str(last[-2]), str(last[-1])
            else:
                yield "?", "?"  # a name built at load time: treat it as code
        if name in ("BINPUT", "LONG_BINPUT", "PUT"):
            memo[int(arg)] = last[-1] if last else None
            continue
        if name == "MEMOIZE":
            memo[len(memo)] = last[-1] if last else None
            continue
        if name in ("FRAME", "PROTO"):
            continue
        if name in ("BINGET", "LONG_BINGET", "GET"):
            last.append(memo.get(int(arg)))
        elif isinstance(arg, str) and ("UNICODE" in name or "STRING" in name):
            last.append(arg)
        else:
            last.append(None)
        del last[:-4]


def _check_pickle(path: Path, stream: IO[bytes]) -> None:
    try:
        for module, attr in _globals(stream):
            allowed = (module, attr) in _ALLOWED_GLOBALS or (module == "torch" and attr.endswith("Storage"))
            if not allowed:
                raise _refuse(path, f"holds pickled code ({module}.{attr}); it was not loaded")
    except UserInputError:
        raise
    except Exception:  # noqa: BLE001 - any parse failure of the stream: truncated or not a pickle
        raise _refuse(path, "is truncated or not a torch weight file (unreadable pickle)") from None


def check_torch_bin(path: str | os.PathLike) -> None:
    """Refuse a ``torch.save`` ``.bin`` that is truncated or whose pickle names code."""
    p = Path(path)
    with open(p, "rb") as fh:
        magic = fh.read(4)
    if magic[:2] == b"PK" or zipfile.is_zipfile(p):
        try:
            with zipfile.ZipFile(p) as archive:
                pickles = [n for n in archive.namelist() if n.endswith("data.pkl")]
                if not pickles:
                    raise _refuse(p, "is not a torch weight file (no data.pkl in the archive)")
                with archive.open(pickles[0]) as stream:
                    _check_pickle(p, stream)
        except zipfile.BadZipFile:
            raise _refuse(p, "is truncated (its zip directory is missing or damaged)") from None
        return
    with open(p, "rb") as fh:  # legacy format: magic number, protocol, system info, then the state dict
        for _ in range(4):
            _check_pickle(p, fh)


def check_weight_files(folder: str | os.PathLike) -> None:
    """Check every ``.safetensors``/``.bin`` file under ``folder`` (see the module docstring).

    Raises
    ------
    UserInputError
        Naming the first file that is truncated, unreadable or holds pickled code.
    """
    for path in sorted(Path(folder).rglob("*")):
        if not path.is_file() or path.suffix not in WEIGHT_SUFFIXES:
            continue
        if path.suffix == ".safetensors":
            check_safetensors(path)
        else:
            check_torch_bin(path)
