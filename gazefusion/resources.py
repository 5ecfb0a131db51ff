"""Files the package ships and reads at run time (built-in smaps, prompt sets), found through
:mod:`importlib.resources`, so that they are there in a wheel install as in a checkout.

Everything lives under ``gazefusion/assets/`` (and the default model under
``gazefusion/models/weights/``); nothing at run time looks outside the installed package.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from gazefusion.errors import UserInputError


def asset_path(*parts: str, must_exist: bool = False) -> Path:
    """The path of ``gazefusion/assets/<parts...>`` in the installed package (file or folder).

    With ``must_exist``, a missing one (a broken install) raises :class:`UserInputError` naming it;
    without, the readers that open it say so.
    """
    path = Path(str(resources.files("gazefusion").joinpath("assets", *parts)))
    if must_exist and not path.exists():
        raise UserInputError(f"packaged file missing: {path} (reinstall gazefusion)")
    return path
