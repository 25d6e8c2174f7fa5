"""A cache shared without a shared database: push and pull entries through a remote.

A remote is any fsspec URL (``s3://bucket/prefix``, a plain directory) holding
content-addressed artifacts and one immutable JSON document per cache key
(:mod:`stepstone.remote.layout`). :mod:`~stepstone.remote.push` uploads artifacts first and
the entry last, so an entry never names bytes that are not there; the first writer of a key
wins. :mod:`~stepstone.remote.pull` and the read-through of a run
(:mod:`~stepstone.remote.readthrough`) import entries into the local metadata store as step
runs of a run marked as coming from the remote, after checking them
(:mod:`~stepstone.remote.trust`: signatures, pickled outputs, hashes).
"""
