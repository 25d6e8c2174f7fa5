"""The caching example in the class-based style of ZenML before 0.40 (``--legacy``).

Pull it with ``stepstone example pull caching --legacy``: its ``run.py`` and ``README.md``
replace the modern ones, beside the same ``data.py`` and ``frameworks.py``.
"""
