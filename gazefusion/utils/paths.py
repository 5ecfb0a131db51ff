"""Output paths checked before the work starts, with one-line errors naming the path the user gave.

Every command that writes calls :func:`check_output_dir` or :func:`check_output_file` on its
output before loading a model or scoring anything, so a typo in ``-o`` costs nothing, and a run
refused here leaves nothing behind (nothing is created by the checks). Missing parent folders are
fine: the writers create them.
"""

from __future__ import annotations

import os
from pathlib import Path

from gazefusion.errors import UserInputError


def _check_parents(path: Path, option: str) -> None:
    for parent in path.parents:
        if parent.exists():
            if not parent.is_dir():
                raise UserInputError(f"{option}: cannot create {path}: {parent} is a file, not a folder")
            if not os.access(parent, os.W_OK | os.X_OK):
                raise UserInputError(f"{option}: cannot create {path}: no permission to write in {parent}")
            return


def check_output_dir(path: str | os.PathLike, option: str) -> Path:
    """``path`` as an output folder: an existing folder, or one that can be created.

    Raises
    ------
    UserInputError
        If ``path`` is an existing file, or a parent of it is a file or not writable.
    """
    p = Path(path)
    if p.exists() and not p.is_dir():
        raise UserInputError(f"{option}: expected a folder, found a file: {p}")
    if p.is_dir():
        if not os.access(p, os.W_OK | os.X_OK):
            raise UserInputError(f"{option}: no permission to write in {p}")
        return p
    _check_parents(p, option)
    return p


def check_output_file(path: str | os.PathLike, option: str) -> Path:
    """``path`` as an output file: not a folder, its folder existing or creatable.

    Raises
    ------
    UserInputError
        If ``path`` is an existing folder, or a parent of it is a file or not writable.
    """
    p = Path(path)
    if p.is_dir():
        raise UserInputError(f"{option}: expected a file name, found a folder: {p}")
    _check_parents(p, option)
    return p
