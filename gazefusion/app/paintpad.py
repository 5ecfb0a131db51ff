"""The app's paint pad: a plain 2-D canvas over the map on which the designer paints strokes.

A ``gradio.HTML`` component with its own few lines of JavaScript (no WebGL, no external script):
its value is the strokes as JSON (see :mod:`gazefusion.app.strokes` for the format, in map
pixels), sent to the server with a ``change`` event when a stroke ends, on undo and on clear. The
tools are in the pad itself: paint attention, paint suppression, erase, brush size (map px), undo,
clear. The server sets the background (the current map) and the canvas size through the props.
"""

from __future__ import annotations

import base64
import io

import numpy as np

#: Longest side of the pad on the page, CSS px (the map is shown enlarged, nearest neighbour).
PAD_SIDE = 512

_TEMPLATE = """
<div class="gf-pad">
  <div class="gf-tools">
    <button type="button" data-layer="attention" title="Paint attention">attention</button>
    <button type="button" data-layer="suppress" title="Paint suppression">suppress</button>
    <button type="button" data-layer="erase" title="Erase painted strokes">erase</button>
    <label>brush <input type="number" class="gf-size" min="1" step="1" value="${brush}"> px</label>
    <button type="button" data-act="undo" title="Undo the last stroke">undo stroke</button>
    <button type="button" data-act="clear" title="Remove every stroke">clear strokes</button>
  </div>
  <div class="gf-stage" style="aspect-ratio: ${w} / ${h}; width: min(100%, ${side}px);">
    <img src="${background}" alt="the current map" draggable="false">
    <canvas width="${w}" height="${h}"></canvas>
  </div>
</div>
"""

_CSS = """
.gf-tools { display: flex; flex-wrap: wrap; gap: 6px; align-items: center; margin-bottom: 6px; }
.gf-tools button { padding: 2px 10px; border: 1px solid #999; border-radius: 4px; background: #f4f4f5; }
.gf-tools button.active { background: #f97316; color: white; border-color: #c2410c; }
.gf-tools input { width: 4.5em; }
.gf-stage { position: relative; max-width: 100%; }
.gf-stage img, .gf-stage canvas { position: absolute; left: 0; top: 0; width: 100%; height: 100%;
  image-rendering: pixelated; touch-action: none; }
.gf-stage canvas { cursor: crosshair; }
"""

# The pad's behaviour. Event listeners sit on the component's root (the template re-renders when the
# value changes); the tool and brush size live in this closure and are re-applied after a render.
_JS = """
const COLOURS = {attention: 'rgba(34,197,94,0.55)', suppress: 'rgba(239,68,68,0.55)'};
let tool = 'attention', size = null, current = null;
const strokes = () => { try { const s = JSON.parse(props.value || '[]'); return Array.isArray(s) ? s : []; }
                        catch (e) { return []; } };
const canvas = () => element.querySelector('.gf-stage canvas');
function draw() {
  const c = canvas(); if (!c) return;
  const ctx = c.getContext('2d');
  ctx.clearRect(0, 0, c.width, c.height);
  const all = current ? [...strokes(), current] : strokes();
  for (const s of all) {
    ctx.globalCompositeOperation = s.layer === 'erase' ? 'destination-out' : 'source-over';
    ctx.strokeStyle = ctx.fillStyle = s.layer === 'erase' ? 'rgba(0,0,0,1)' : COLOURS[s.layer];
    ctx.lineWidth = s.size; ctx.lineCap = 'round'; ctx.lineJoin = 'round';
    ctx.beginPath();
    s.points.forEach(([x, y], i) => i ? ctx.lineTo(x, y) : ctx.moveTo(x, y));
    if (s.points.length === 1) { ctx.arc(s.points[0][0], s.points[0][1], s.size / 2, 0, 2 * Math.PI); ctx.fill(); }
    else ctx.stroke();
  }
  ctx.globalCompositeOperation = 'source-over';
}
function sync() {
  element.querySelectorAll('.gf-tools [data-layer]').forEach(b => b.classList.toggle('active', b.dataset.layer === tool));
  const box = element.querySelector('.gf-size');
  if (box && size !== null) box.value = size;
  draw();
}
function send(list) { props.value = JSON.stringify(list); trigger('change'); setTimeout(sync, 0); }
function at(e) {
  const c = canvas(), r = c.getBoundingClientRect();
  const x = (e.clientX - r.left) * c.width / r.width - 0.5, y = (e.clientY - r.top) * c.height / r.height - 0.5;
  return [Math.round(x * 100) / 100, Math.round(y * 100) / 100];
}
element.addEventListener('click', (e) => {
  const b = e.target.closest('button'); if (!b) return;
  if (b.dataset.layer) { tool = b.dataset.layer; sync(); }
  else if (b.dataset.act === 'undo') { const s = strokes(); if (s.length) { s.pop(); send(s); } }
  else if (b.dataset.act === 'clear') { if (strokes().length) send([]); }
});
element.addEventListener('change', (e) => {
  if (e.target.classList.contains('gf-size')) { const v = parseFloat(e.target.value); if (v > 0) size = v; }
});
element.addEventListener('pointerdown', (e) => {
  if (e.target.tagName !== 'CANVAS' || e.button !== 0) return;
  const box = element.querySelector('.gf-size');
  const brush = size !== null ? size : parseFloat(box ? box.value : '1') || 1;
  current = {layer: tool, size: brush, points: [at(e)]};
  e.target.setPointerCapture(e.pointerId); draw();
});
element.addEventListener('pointermove', (e) => { if (current) { current.points.push(at(e)); draw(); } });
const finish = () => { if (!current) return; const s = strokes(); s.push(current); current = null; send(s); };
element.addEventListener('pointerup', finish);
element.addEventListener('pointercancel', finish);
new MutationObserver(sync).observe(element, {childList: true, subtree: true});
sync();
"""


def map_data_url(grey: np.ndarray) -> str:
    """A grey uint8 (H, W) map as a PNG ``data:`` URL (shown by the pad at its native size, enlarged by CSS)."""
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(np.asarray(grey, dtype=np.uint8)).save(buf, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def default_brush(width: int, height: int) -> int:
    """The starting brush diameter for a map: 1/16 of its longest side, map px."""
    return max(1, round(max(width, height) / 16))


def pad_props(grey: np.ndarray) -> dict:
    """The props that show ``grey`` (uint8 (H, W), the current map) in the pad."""
    h, w = grey.shape
    return {"background": map_data_url(grey), "w": w, "h": h, "brush": default_brush(w, h), "side": PAD_SIDE}


def paint_pad(grey: np.ndarray, **kwargs):
    """The pad as a ``gradio.HTML`` component showing ``grey``, with no strokes."""
    import gradio as gr

    return gr.HTML(
        "[]", html_template=_TEMPLATE, css_template=_CSS, js_on_load=_JS, **pad_props(grey), **kwargs
    )


def pad_update(grey: np.ndarray, strokes_json: str | None = None):
    """An update of the pad to show ``grey``; ``strokes_json`` replaces the strokes (None: kept)."""
    import gradio as gr

    props = pad_props(grey)
    return gr.HTML(**props) if strokes_json is None else gr.HTML(strokes_json, **props)
