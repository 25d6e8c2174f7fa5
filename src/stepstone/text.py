"""Text every metadata database can store, whatever a step printed, raised or was given.

A step's logs, an exception message and a parameter value are the user's text: they may hold a
lone surrogate (``os.fsdecode`` of a non-UTF-8 file name under a UTF-8 locale), which no UTF-8
encoder accepts, or a NUL character, which PostgreSQL refuses in text columns. Storing such text
as is fails the whole metadata write, and with it the records of the run's successful steps.
Both the log capture (:mod:`stepstone.execution.capture`) and the metadata layer, at the boundary
where values become rows, write such characters as backslash escapes instead.
"""

from __future__ import annotations

import re

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def _escape(code: int) -> str:
    if 0xDC80 <= code <= 0xDCFF:  # surrogateescape's stand-in for the byte code - 0xDC00
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code == 0 else f"\\u{code:04x}"


def storable_text(text: str) -> str:
    """``text`` with NUL characters and lone surrogates written as backslash escapes.

    A surrogate that stands for an undecodable byte (as ``os.fsdecode`` makes them) shows
    as that byte, ``\\xe9``, like the bytes logged from ``sys.stdout.buffer``. Text without
    such characters is returned as it is (the same object).
    """
    if text.isascii() and "\x00" not in text:
        return text  # the common case, without a regular expression
    if _UNSTORABLE.search(text) is None:
        return text
    return _UNSTORABLE.sub(lambda match: _escape(ord(match.group())), text)


_JSON_UNSTORABLE_HINT = re.compile(r"\\u0000|[\ud800-\udfff]")
_JSON_UNSTORABLE = re.compile(r"\\\\|\\u0000|[\ud800-\udfff]")


def storable_json(text: str) -> str:
    """JSON text whose strings decode to what :func:`storable_text` makes of them.

    An encoder with ``ensure_ascii=False`` writes lone surrogates as they are and NUL as the
    escape ``\\u0000``; both occur only inside JSON strings. Each becomes the
    :func:`storable_text` escape with its backslash escaped for JSON. Escaped backslashes
    (``\\\\``) are matched as pairs, so a user's literal ``\\u0000`` text is left alone.
    """
    if text.isascii() and "\\u0000" not in text:
        return text  # the common case, without a regular expression
    if _JSON_UNSTORABLE_HINT.search(text) is None:
        return text
    return _JSON_UNSTORABLE.sub(_escape_json, text)


def _escape_json(match: re.Match[str]) -> str:
    found = match.group()
    if found == "\\\\":
        return found
    return "\\" + _escape(0 if found == "\\u0000" else ord(found))
