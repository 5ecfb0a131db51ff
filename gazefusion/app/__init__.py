"""``gazefusion app``: interactive saliency-guidance design in the browser (Gradio, offline).

- :mod:`~gazefusion.app.design`: the designed smap and its operations (pure functions), as a
  :class:`~gazefusion.smaps.SmapSpec` that ``gazefusion smap render`` reproduces.
- :mod:`~gazefusion.app.generation`: the model (loaded on first use) and saved runs.
- :mod:`~gazefusion.app.scoring`: a registry scorer's prediction and the metrics against the map.
- :mod:`~gazefusion.app.session`: the session folder (runs, exports, history).
- :mod:`~gazefusion.app.ui`: the Gradio page (imports gradio; nothing else here does).
"""
