"""Materializers for third-party libraries: pandas, pyarrow, polars, scikit-learn, PyTorch,
Keras.

Nothing here is imported by ``import stepstone`` or ``import stepstone.artifacts``: the
artifact registry knows these materializers by name (:mod:`stepstone.artifacts.catalog`)
and imports a module the first time a value of one of its types is saved, or an
artifact it wrote is loaded. The modules themselves import their library only inside
methods, so even importing them is cheap (``stepstone materializers`` imports them all
to list them).

Install a library's extra to use it, e.g. ``pip install "stepstone[pandas]"``.

==================== ================================ ==========================================
materializer         types                            format
==================== ================================ ==========================================
``pandas.parquet``   ``pandas.DataFrame``, ``Series`` Parquet via pyarrow, fixed writer options
``pyarrow.parquet``  ``pyarrow.Table``                Parquet, fixed writer options
``polars.parquet``   ``polars.DataFrame``, ``Series`` Parquet via polars
``sklearn.state``    scikit-learn estimators          JSON + ``.npz`` of the fitted state, no
                                                      pickle (unsupported state: pickle fallback)
``torch.safetensors`` ``torch.Tensor``                safetensors
``torch.module``     ``torch.nn.Module``              state dict in safetensors + class path
``keras.model``      Keras 3 models                   ``.keras`` zip, rewritten deterministically
==================== ================================ ==========================================
"""
