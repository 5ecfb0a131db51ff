"""Reading the toolkit's data files (smap specs, display and study configs): TOML, JSON or YAML."""

from __future__ import annotations

import json
import os
import tomllib
from pathlib import Path
from typing import Any

from gazefusion.errors import UserInputError


def read_data_file(path: str | os.PathLike, what: str, suffixes: tuple[str, ...] = (".toml", ".json")) -> Any:
    """Parse ``path`` by its suffix (``.toml``, ``.json``, ``.yaml``/``.yml``; only ``suffixes`` are accepted).

    Errors are :class:`UserInputError` naming ``what`` (e.g. "spec", "study config") and the file.
    """
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix not in suffixes:
        raise UserInputError(f"{what} file must end in {' or '.join(suffixes)}, got {p}")
    if not p.is_file():
        raise UserInputError(f"{what} file not found: {p}")
    try:
        text = p.read_text(encoding="utf-8")
        if suffix == ".toml":
            return tomllib.loads(text)
        if suffix == ".json":
            return json.loads(text)
        import yaml

        return yaml.safe_load(text)
    except (tomllib.TOMLDecodeError, json.JSONDecodeError, UnicodeDecodeError, ValueError) as exc:
        raise _parse_error(what, p, exc) from None
    except Exception as exc:  # yaml.YAMLError (yaml is imported only for YAML files)
        if type(exc).__module__.startswith("yaml"):
            raise _parse_error(what, p, exc) from None
        raise


def _parse_error(what: str, path: Path, exc: Exception) -> UserInputError:
    """One line: parsers (YAML's especially) spread their messages over several lines."""
    return UserInputError(f"cannot parse {what} file {path}: {' '.join(str(exc).split())}")
