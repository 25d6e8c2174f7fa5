"""The caching example: a digits classifier trained three times, rerunning only what changed.

Run it with ``stepstone example run caching`` or ``python -m stepstone.examples.caching.run``;
copy it to edit with ``stepstone example pull caching``. Everything lives in ``run.py`` so a
pulled copy runs on its own.
"""
