"""Integration names for ``@pipeline(required_integrations=[...])`` (class-based API).

Each is the name ``stepstone integration install NAME`` takes (an extra of the package), so a
missing one is reported with the command that adds it. ZenML spelled some differently
(``PYTORCH`` was ``"pytorch"``, ``GCP`` the whole Google Cloud integration); here each
constant names the stepstone integration that covers the same ground.
"""

from __future__ import annotations

AZURE = "azure"
DASK = "dask"
GCP = "gcs"
KERAS = "keras"
PANDAS = "pandas"
POLARS = "polars"
PYARROW = "pyarrow"
PYTORCH = "torch"
S3 = "s3"
SKLEARN = "sklearn"
TENSORFLOW = "tensorflow"
