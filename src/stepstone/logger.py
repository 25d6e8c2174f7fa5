"""``get_logger``, which ZenML programs import from ``zenml.logger``.

A step's logging records are already captured per step (stored with its step run and shown
live), whatever logger emits them, so a logger needs no handler of its own: ``get_logger`` is
the standard library's ``logging.getLogger``, with a level so that ``logger.info(...)`` in a
step is recorded as ZenML users expect (a bare Python logger drops records below WARNING).
The level is set only on a logger nobody configured, so an application's own logging set-up
wins.
"""

from __future__ import annotations

import logging


def get_logger(logger_name: str) -> logging.Logger:
    """The logger named ``logger_name`` (usually ``__name__``), logging from INFO up."""
    logger = logging.getLogger(logger_name)
    if logger.level == logging.NOTSET and logging.getLogger().level > logging.INFO:
        logger.setLevel(logging.INFO)
    return logger
