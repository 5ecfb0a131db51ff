"""PsychoPy ioHub HDF5 datastores (``<experiment>.hdf5`` as ioHub writes it, read with PyTables).

Tables used: ``/data_collection/events/eyetracker/MonocularEyeSampleEvent`` (``time``,
``device_time``, ``gaze_x``, ``gaze_y``, ``pupil_measure1``) or ``BinocularEyeSampleEvent``
(``left_*``/``right_*``; the left eye, the right one where the left is missing, as the runner's
ioHub adapter does), ``FixationEndEvent``/``SaccadeEndEvent``/``BlinkEndEvent`` (``time`` = end,
``duration``, ``average_gaze_x/y`` or ``end_gaze_x/y``) where present, and
``/data_collection/events/experiment/MessageEvent`` (``time``, ``text``): the trials, as with the
config's ``[messages]`` patterns.

Units: ioHub times are seconds on PsychoPy's clock (``system_time`` = ``time``, ``tracker_time``
= ``device_time``); gaze is in the window's ``pix`` units, origin at the screen centre, y up,
converted to screen px (origin top-left, y down) with the config's display. A sample is
missing when its position is not finite or its pupil is not > 0 (stored NaN, never interpolated).
The datastore does not state the screen resolution: positions far outside it are an error.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from study.importers.common import Message, Recording, check_constant_rate, file_error
from study.trackers.base import SampleBlock

EYE_GROUP = "/data_collection/events/eyetracker"
MESSAGES = "/data_collection/events/experiment/MessageEvent"


def read_iohub_hdf5(path: Path, data: bytes, screen: tuple[int, int]) -> Recording:
    """Parse one ioHub datastore into a :class:`Recording`; ``screen`` is the (width, height) px
    of the config's display, for the conversion from centred pixels."""
    import tables

    if not data.startswith(b"\x89HDF\r\n\x1a\n"):
        raise file_error(path, "byte 0", "not an HDF5 file: expected a PsychoPy ioHub datastore (.hdf5)")
    try:
        h5 = tables.open_file(str(path), mode="r")
    except Exception as exc:  # PyTables raises HDF5ExtError and friends
        raise file_error(path, "", f"cannot open it as HDF5: {exc}") from None
    with h5:
        table, binocular = None, False
        for name, bino in (("BinocularEyeSampleEvent", True), ("MonocularEyeSampleEvent", False)):
            node = f"{EYE_GROUP}/{name}"
            if node in h5 and h5.get_node(node).nrows > 0:
                table, binocular = h5.get_node(node), bino
                break
        if table is None:
            raise file_error(
                path,
                "",
                f"no gaze events: expected rows in {EYE_GROUP}/MonocularEyeSampleEvent or "
                "BinocularEyeSampleEvent (record with the eye tracker's samples enabled)",
            )
        a = table.read()
        where_table = table._v_pathname
        events = _events(h5)
        messages = []
        if MESSAGES in h5:
            for i, row in enumerate(h5.get_node(MESSAGES).read()):
                text = (
                    row["text"].decode("utf-8", "replace")
                    if isinstance(row["text"], bytes)
                    else str(row["text"])
                )
                messages.append(Message(float(row["time"]), text.strip(), f"{MESSAGES} row {i}"))
    fields = a.dtype.names
    need = (
        ("time", "left_gaze_x", "left_gaze_y", "right_gaze_x", "right_gaze_y", "left_pupil_measure1")
        if binocular
        else ("time", "gaze_x", "gaze_y", "pupil_measure1")
    )
    missing = [f for f in need if f not in fields]
    if missing:
        raise file_error(path, where_table, f"missing columns {missing}: expected ioHub's eye sample table")
    if "session_id" in fields and len(np.unique(a["session_id"])) > 1:
        i = int(np.argmax(a["session_id"] != a["session_id"][0]))
        raise file_error(
            path,
            f"{where_table} row {i}",
            f"samples of ioHub session {int(a['session_id'][i])} after session {int(a['session_id'][0])}: "
            "expected one session per datastore",
        )
    t = a["time"].astype(np.float64)
    order_ok = np.all(np.diff(t) > 0)
    if not order_ok:
        i = int(np.argmax(np.diff(t) <= 0)) + 1
        raise file_error(
            path, f"{where_table} row {i}", "sample time does not increase: expected increasing times"
        )
    hz = check_constant_rate(path, t, lambda i: f"{where_table} row {i}")
    if binocular:
        lx, ly, lp = a["left_gaze_x"], a["left_gaze_y"], a["left_pupil_measure1"]
        left_ok = np.isfinite(lx) & np.isfinite(ly) & (np.nan_to_num(lp) > 0)
        gx = np.where(left_ok, lx, a["right_gaze_x"])
        gy = np.where(left_ok, ly, a["right_gaze_y"])
        p = np.where(left_ok, lp, a["right_pupil_measure1"]).astype(np.float64)
        eye = "left+right"
    else:
        gx, gy, p = a["gaze_x"], a["gaze_y"], a["pupil_measure1"].astype(np.float64)
        eye = "monocular"
    gx, gy = gx.astype(np.float64), gy.astype(np.float64)
    valid = np.isfinite(gx) & np.isfinite(gy) & (np.nan_to_num(p) > 0)
    x, y = _to_screen_px(path, where_table, gx, gy, valid, events, screen)
    device = a["device_time"].astype(np.float64) if "device_time" in fields else t.copy()
    rec = Recording(
        source=path,
        importer="iohub-hdf5",
        tracker="iohub",
        samples=SampleBlock(device, t, x, y, np.where(valid, p, 0.0), valid),
        sampling_rate_hz=hz,
        eye=eye,
        events=events,
        messages=messages,
    )
    rec.notes.append(f"{path.name}: ioHub datastores state no screen resolution; using the config's")
    return rec


def _to_screen_px(
    path: Path,
    where: str,
    gx: np.ndarray,
    gy: np.ndarray,
    valid: np.ndarray,
    events: list[dict],
    screen: tuple[int, int],
) -> tuple[np.ndarray, np.ndarray]:
    """Centred ioHub pixels (y up) -> screen px (top-left, y down); events converted in place.
    Raises if valid gaze lies far outside the screen (not ``pix`` units, or another screen)."""
    w, h = screen
    far = valid & ((np.abs(gx) > w * 1.5) | (np.abs(gy) > h * 1.5))
    if far.any():
        i = int(np.argmax(far))
        raise file_error(
            path,
            f"{where} row {i}",
            f"gaze ({gx[i]:g}, {gy[i]:g}) is far outside the config's {w}x{h} px display: expected "
            "ioHub 'pix' units (a window in pix units) on that screen",
        )
    for e in events:
        if "x_px" in e:
            e["x_px"], e["y_px"] = e["x_px"] + w / 2, h / 2 - e["y_px"]
    return np.where(valid, gx + w / 2, np.nan), np.where(valid, h / 2 - gy, np.nan)


def _events(h5) -> list[dict]:
    """ioHub's end events: onset = ``time - duration`` (s), positions in centred pix."""
    out = []
    specs = (
        ("FixationEndEvent", "fixation", ("average_gaze_x", "average_gaze_y")),
        ("SaccadeEndEvent", "saccade", ("end_gaze_x", "end_gaze_y")),
        ("BlinkEndEvent", "blink", None),
    )
    for table, name, pos in specs:
        node = f"{EYE_GROUP}/{table}"
        if node not in h5:
            continue
        a = h5.get_node(node).read()
        if not a.size or "time" not in a.dtype.names or "duration" not in a.dtype.names:
            continue
        if "eye" in a.dtype.names and len(np.unique(a["eye"])) > 1:
            a = a[a["eye"] == np.min(a["eye"])]  # one eye of binocular events (ioHub: left = 21 < right = 22)
        for row in a:
            ev = {
                "name": name,
                "onset": float(row["time"] - row["duration"]),
                "duration": float(row["duration"]),
            }
            if (
                pos
                and all(p in a.dtype.names for p in pos)
                and np.isfinite(row[pos[0]])
                and np.isfinite(row[pos[1]])
            ):
                ev["x_px"], ev["y_px"] = float(row[pos[0]]), float(row[pos[1]])
            if name == "saccade" and "peak_velocity" in a.dtype.names and np.isfinite(row["peak_velocity"]):
                ev["peak_velocity_deg_s"] = float(row["peak_velocity"])
            out.append(ev)
    out.sort(key=lambda e: e["onset"])
    return out
