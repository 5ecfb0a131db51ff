"""Training data: ``gazefusion prepare`` (crops, smaps, captions, manifest) and dataset readers.

Heavy libraries are imported by the functions that need them; import the submodules directly:
:mod:`~gazefusion.data.crops`, :mod:`~gazefusion.data.prepare`, :mod:`~gazefusion.data.dataset`,
:mod:`~gazefusion.data.captions`, :mod:`~gazefusion.data.manifest`, :mod:`~gazefusion.data.journal`.
"""
