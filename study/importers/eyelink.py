"""EyeLink ASC files (``edf2asc`` output with samples and events).

Samples are read with pymovements' ASC reader (``pymovements.gaze.from_asc``); one pass over
the lines adds what that reader does not keep or locate: the line of each message (for error
messages), the fixation/saccade/blink events with their positions (``EFIX``/``ESACC``/``EBLINK``),
the sampling rate (``SAMPLES ... RATE`` and ``RECCFG`` lines; a change is an error), the screen
(``DISPLAY_COORDS``, else ``GAZE_COORDS``; ``0 0 1919 1079`` is 1920x1080 px) and truncation.

Units: ASC times are ms on the tracker clock (integer, or fractional with ``edf2asc -ftime``),
stored as seconds (``system_time`` = ``tracker_time`` = ASC time / 1000); positions are screen
px, origin top-left. A message ``MSG <t> <offset> <text>`` happened at ``t - offset`` ms.
Binocular files: the left eye, the right one where the left is missing (as the runner's ioHub
adapter does); events of the left eye. Missing samples (``.``) and blinks stay NaN.
"""

from __future__ import annotations

import io
import re
import warnings
from pathlib import Path

import numpy as np

from gazefusion.errors import UserInputError
from study.importers.common import Message, Recording, file_error
from study.trackers.base import SampleBlock

_MSG = re.compile(r"^MSG\s+(\d+(?:\.\d*)?)\s+(?:(-?\d+)\s+)?(.*?)\s*$")
_RATE = re.compile(r"^SAMPLES\s+GAZE\s+.*?\bRATE\s+(\d+(?:\.\d*)?)")
_RECCFG = re.compile(r"^RECCFG\s+\S+\s+(\d+)\b")
_COORDS = re.compile(r"^(DISPLAY_COORDS|GAZE_COORDS)\s*=?\s*([-\d.]+)\s+([-\d.]+)\s+([-\d.]+)\s+([-\d.]+)")
_EVENT_END = {"EFIX": "fixation", "ESACC": "saccade", "EBLINK": "blink"}


def _decode(path: Path, data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        try:
            return data.decode("latin-1") if b"\x00" not in data else data.decode("utf-8")
        except UnicodeDecodeError:
            line = data[: exc.start].count(b"\n") + 1
            raise file_error(
                path, f"line {line}", "not text: expected an EyeLink ASC file (edf2asc output)"
            ) from None


def _float(tok: str) -> float:
    return float("nan") if tok == "." else float(tok)


def read_eyelink_asc(path: Path, data: bytes) -> Recording:
    """Parse one ASC file (its bytes ``data``) into a :class:`Recording`; see the module docstring."""
    text = _decode(path, data)
    lines = text.splitlines()
    first = next((i for i, ln in enumerate(lines) if ln.strip()), None)
    if first is None:
        raise file_error(path, "", "empty file: expected an EyeLink ASC file (edf2asc output)")
    if not lines[first].startswith("**") or not any(
        "CONVERTED FROM" in ln for ln in lines[first : first + 20] if ln.startswith("**")
    ):
        raise file_error(
            path,
            f"line {first + 1}",
            f"expected the edf2asc header '** CONVERTED FROM ...', found {lines[first][:40]!r}: "
            "not an EyeLink ASC file",
        )
    messages: list[Message] = []
    events: list[dict] = []
    sample_lines: list[int] = []
    rate: tuple[float, int] | None = None
    coords: dict[str, tuple[tuple[int, int], int, str]] = {}
    binocular = False
    block_start: int | None = None
    for n, line in enumerate(lines, 1):
        if not line or line[0] == "*":
            continue
        if line[0].isdigit():
            if block_start is None:
                raise file_error(
                    path, f"line {n}", "a sample outside a recording: expected a START line first"
                )
            sample_lines.append(n)
            continue
        if m := _MSG.match(line):
            t_ms = float(m[1]) - (int(m[2]) if m[2] else 0)
            body = m[3]
            messages.append(Message(t_ms / 1000.0, body, f"line {n}", n))
            if (c := _RECCFG.match(body)) and float(c[1]) > 0:
                rate = _check_rate(path, rate, float(c[1]), n)
            if (c := _COORDS.match(body)) and c[1] not in coords:
                left, top, right, bottom = (float(v) for v in c.groups()[1:])
                size = (int(round(right - left)) + 1, int(round(bottom - top)) + 1)
                coords[c[1]] = (size, n, " ".join(c.groups()[1:]))
            continue
        head = line.split(None, 1)[0]
        if head == "START":
            block_start = n
        elif head == "END":
            block_start = None
        elif m := _RATE.match(line):
            rate = _check_rate(path, rate, float(m[1]), n)
            binocular = binocular or ("LEFT" in line and "RIGHT" in line)
        elif head in _EVENT_END:
            events.append(_event(path, head, line, n))
    if block_start is not None or (text and not text.endswith("\n")):
        where = f"line {len(lines)}"
        raise file_error(
            path,
            where,
            f"the file ends inside a recording (START at line {block_start or '?'}): expected an END "
            "line; the file is truncated",
        )
    if not sample_lines:
        raise file_error(
            path, "", "no gaze samples: expected sample lines (run edf2asc with samples and events, not -e)"
        )
    samples, eye = _samples(path, text, binocular, sample_lines)
    if rate is None:
        from study.importers.common import check_constant_rate

        hz = check_constant_rate(path, samples.system_time, lambda i: f"line {sample_lines[i]}")
    else:
        hz = rate[0]
    keep_eye = eye[0].upper()
    events = [{k: v for k, v in e.items() if k != "eye" and v == v} for e in events if e["eye"] == keep_eye]
    res_key = "DISPLAY_COORDS" if "DISPLAY_COORDS" in coords else "GAZE_COORDS"
    res = coords.get(res_key)
    return Recording(
        source=path,
        importer="eyelink-asc",
        tracker="eyelink",
        samples=samples,
        sampling_rate_hz=hz,
        eye=eye,
        events=events,
        messages=messages,
        resolution=res[0] if res else None,
        resolution_source=f"line {res[1]} ({res_key} {res[2]})" if res else "",
        sample_pos=np.asarray(sample_lines, dtype=np.int64),
    )


def _check_rate(path: Path, rate: tuple[float, int] | None, hz: float, n: int) -> tuple[float, int]:
    if rate is not None and abs(rate[0] - hz) > 1e-6 * hz:
        raise file_error(
            path,
            f"line {n}",
            f"the sampling rate changes to {hz:g} Hz (it was {rate[0]:g} Hz at line {rate[1]}): expected "
            "one rate per file (export each rate separately)",
        )
    return rate or (hz, n)


def _event(path: Path, head: str, line: str, n: int) -> dict:
    """One ``EFIX``/``ESACC``/``EBLINK`` line: onset (s), duration (s) and positions (px)."""
    tok = line.split()
    try:
        ev = {"name": _EVENT_END[head], "eye": tok[1], "onset": float(tok[2]) / 1000.0}
        ev["duration"] = float(tok[4]) / 1000.0
        if head == "EFIX":
            ev["x_px"], ev["y_px"] = _float(tok[5]), _float(tok[6])
        elif head == "ESACC":
            ev["x_px"], ev["y_px"] = _float(tok[7]), _float(tok[8])
            ev["amplitude_deg"], ev["peak_velocity_deg_s"] = _float(tok[9]), _float(tok[10])
    except (IndexError, ValueError):
        raise file_error(
            path,
            f"line {n}",
            f"cannot read this {head} event: expected '{head} <eye> <start> <end> <dur> ...'",
        ) from None
    return ev


def _samples(path: Path, text: str, binocular: bool, sample_lines: list[int]) -> tuple[SampleBlock, str]:
    """The samples through pymovements: seconds, screen px; invalid samples NaN (pupil 0)."""
    import pymovements as pm

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            gaze = pm.gaze.from_asc(io.StringIO(text))
    except Exception as exc:  # pymovements raises many kinds on malformed input
        raise file_error(path, "", f"pymovements cannot read it as ASC: {exc}") from None
    df = gaze.samples
    t = df["time"].cast(float).to_numpy() / 1000.0
    if len(t) != len(sample_lines):
        raise UserInputError(
            f"{path.name}: {len(sample_lines)} sample lines but pymovements read {len(t)} samples: "
            "expected sample lines '<time> <x> <y> <pupil> ...'"
        )
    pix = np.array(df["pixel"].to_list(), dtype=np.float64)
    pupil = df["pupil"].to_list()
    pupil = np.array([p if isinstance(p, list) else [p] for p in pupil], dtype=np.float64)
    if binocular and pix.shape[1] == 4:
        left_ok = np.isfinite(pix[:, 0]) & np.isfinite(pix[:, 1]) & (np.nan_to_num(pupil[:, 0]) > 0)
        x = np.where(left_ok, pix[:, 0], pix[:, 2])
        y = np.where(left_ok, pix[:, 1], pix[:, 3])
        p = np.where(left_ok, pupil[:, 0], pupil[:, 1])
        eye = "left+right"
    else:
        x, y, p = pix[:, 0], pix[:, 1], pupil[:, 0]
        eye = "right" if re.search(r"^SAMPLES\s+GAZE\s+RIGHT", text, re.M) else "left"
    valid = np.isfinite(x) & np.isfinite(y) & (np.nan_to_num(p) > 0)
    x, y = np.where(valid, x, np.nan), np.where(valid, y, np.nan)
    return SampleBlock(t, t.copy(), x, y, np.where(valid, p, 0.0), valid), eye
