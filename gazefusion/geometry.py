"""Display geometry: the one place where pixels and degrees of visual angle are converted.

A :class:`DisplayGeometry` describes a screen (resolution in pixels, physical width in cm) viewed
from ``distance_cm``. Conventions:

- Pixels are assumed square; the physical height follows from the resolution unless given.
- ``px_per_deg`` is the number of pixels subtended by 1 degree of visual angle *at the screen
  centre*: ``px_per_cm * 2 * d * tan(0.5 deg)``. This is the convention of PsychoPy's
  ``deg2pix`` with ``useCentreDeg`` / the field's usual "pixels per degree" figure.
- ``deg_to_px`` / ``px_to_deg`` convert *sizes* (e.g. a Gaussian sigma) with the centre value.
- ``pos_px_to_deg`` / ``pos_deg_to_px`` convert *positions* relative to the screen centre exactly,
  through the arctangent (eccentricity is not linear in pixels far from the centre).
- Placement on screen: :meth:`DisplayGeometry.centred_rect` is the one rule. A stimulus is centred;
  its size is the size asked for (``fit="none"``: the study runner, whose stimuli are shown at
  their native or configured size and refused when they do not fit), scaled down only when it
  is larger than the screen (``"shrink"``: a simulated observer given an image without a
  rectangle), or scaled to the largest size that fits (``"fill"``: a map "shown full-screen",
  the default of degree-specified smap specs).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from pydantic import ValidationInfo, field_validator, model_serializer

from gazefusion.config import Config
from gazefusion.errors import UserInputError


class DisplayGeometry(Config):
    """A display and viewing distance. Lengths in cm, resolution in pixels, refresh in Hz.

    A :class:`~gazefusion.config.Config` (keywords only): ``DisplayGeometry(width_px=1920,
    height_px=1080, width_cm=53.1, distance_cm=60.0)``; the file form (a study's ``[display]``, a
    spec's ``[display]``, ``--display FILE``) is read by :meth:`from_json` and written by
    :meth:`to_json`, which leaves out ``height_cm`` when it follows from the resolution.
    """

    width_px: int
    height_px: int
    width_cm: float
    distance_cm: float
    height_cm: float | None = None
    refresh_hz: float = 60.0

    @field_validator("width_px", "height_px")
    @classmethod
    def _pixels(cls, value: int) -> int:
        if value <= 0:
            raise ValueError("a positive integer number of pixels")
        return value

    @field_validator("width_cm", "height_cm", "refresh_hz")
    @classmethod
    def _positive(cls, value: float | None, info: ValidationInfo) -> float | None:
        if value is not None and value <= 0:
            raise ValueError("a positive number")
        width_px = info.data.get("width_px")
        if info.field_name == "width_cm" and width_px is not None and not 5.0 <= width_px / value <= 2000.0:
            density = f"{width_px} px over {value} cm, {width_px / value:.1f} px/cm, is implausible"
            raise ValueError(f"5..2000 px/cm ({density})")
        return value

    @field_validator("distance_cm")
    @classmethod
    def _distance(cls, value: float) -> float:
        if not 5.0 <= value <= 2000.0:
            raise ValueError("a plausible viewing distance of 5..2000 cm")
        return value

    @model_serializer(mode="wrap")
    def _without_unset_height(self, handler: Any) -> dict[str, Any]:
        data = handler(self)
        if data.get("height_cm") is None:
            data.pop("height_cm", None)  # follows from the resolution; TOML has no null
        return data

    @property
    def px_per_cm(self) -> float:
        """Horizontal pixel density (pixels per cm)."""
        return self.width_px / self.width_cm

    @property
    def px_per_deg(self) -> float:
        """Pixels per degree of visual angle at the screen centre."""
        return self.px_per_cm * 2.0 * self.distance_cm * math.tan(math.radians(0.5))

    @property
    def size_deg(self) -> tuple[float, float]:
        """Full (width, height) of the screen in degrees of visual angle."""
        h_cm = self.height_cm if self.height_cm is not None else self.height_px / self.px_per_cm
        w = 2 * math.degrees(math.atan(self.width_cm / 2 / self.distance_cm))
        h = 2 * math.degrees(math.atan(h_cm / 2 / self.distance_cm))
        return w, h

    def deg_to_px(self, deg: float | np.ndarray) -> float | np.ndarray:
        """Convert a *size* in degrees to pixels (centre pixels-per-degree)."""
        return np.asarray(deg) * self.px_per_deg if isinstance(deg, np.ndarray) else deg * self.px_per_deg

    def px_to_deg(self, px: float | np.ndarray) -> float | np.ndarray:
        """Convert a *size* in pixels to degrees (centre pixels-per-degree)."""
        return np.asarray(px) / self.px_per_deg if isinstance(px, np.ndarray) else px / self.px_per_deg

    def pos_px_to_deg(self, x_px: np.ndarray, y_px: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Screen positions (pixels, origin top-left, y down) -> degrees from the centre (y up)."""
        x_cm = (np.asarray(x_px, dtype=np.float64) - self.width_px / 2) / self.px_per_cm
        y_cm = (self.height_px / 2 - np.asarray(y_px, dtype=np.float64)) / self.px_per_cm
        return (
            np.degrees(np.arctan2(x_cm, self.distance_cm)),
            np.degrees(np.arctan2(y_cm, self.distance_cm)),
        )

    def pos_deg_to_px(self, x_deg: np.ndarray, y_deg: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Inverse of :meth:`pos_px_to_deg`."""
        x_cm = np.tan(np.radians(np.asarray(x_deg, dtype=np.float64))) * self.distance_cm
        y_cm = np.tan(np.radians(np.asarray(y_deg, dtype=np.float64))) * self.distance_cm
        return x_cm * self.px_per_cm + self.width_px / 2, self.height_px / 2 - y_cm * self.px_per_cm

    def centred_rect(self, size: tuple[float, float], fit: str = "none") -> tuple[float, float, float, float]:
        """(left, top, width, height) in screen pixels of a ``size`` = (width, height) px stimulus
        centred on this screen, scaled by ``fit`` (see the module docstring): ``"none"``,
        ``"shrink"`` (only if larger than the screen) or ``"fill"`` (largest that fits, aspect kept)."""
        w, h = float(size[0]), float(size[1])
        if not (w > 0 and h > 0 and math.isfinite(w) and math.isfinite(h)):
            raise UserInputError(f"stimulus size: expected positive pixels, found {size!r}")
        if fit not in ("none", "shrink", "fill"):
            raise UserInputError(f"fit: expected none, shrink or fill, found {fit!r}")
        if fit != "none":
            scale = min(self.width_px / w, self.height_px / h)
            if fit == "fill" or scale < 1.0:
                w, h = w * scale, h * scale
        return ((self.width_px - w) / 2, (self.height_px - h) / 2, w, h)


#: A typical lab setup (documented default, not the paper's, which is unknown): 24" 1920x1080
#: monitor 53.1 cm wide at 60 cm, about 35 px/deg.
DEFAULT_LAB_DISPLAY = DisplayGeometry(
    width_px=1920, height_px=1080, width_cm=53.1, distance_cm=60.0, refresh_hz=60.0
)
