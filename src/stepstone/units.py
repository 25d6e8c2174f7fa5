"""Human-readable units shared by the terminal and the dashboard."""

from __future__ import annotations


def format_size(size: int | None) -> str:
    """Bytes in binary units: ``912 B``, ``11.2 KiB``, ``3.4 MiB``; ``-`` when unknown.

    >>> format_size(11_468)
    '11.2 KiB'
    """
    if size is None:
        return "-"
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024:
            return f"{int(value)} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} TiB"


def format_duration(seconds: float | None) -> str:
    """``0.4 ms``, ``2.42 s``, ``3 min 05 s``, ``2 h 05 min``; ``-`` when unknown (still going).

    Three significant figures at most below a minute, and whole units above it: a table of
    step times reads at a glance, and nobody needs the milliseconds of a two-hour run.

    >>> format_duration(2.4204), format_duration(7505)
    ('2.42 s', '2 h 05 min')
    """
    if seconds is None:
        return "-"
    if seconds < 1.0:
        return f"{seconds * 1000:.1f} ms"
    if seconds < 60.0:
        return f"{seconds:.2f} s"
    minutes, rest = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {rest:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"
