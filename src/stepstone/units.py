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
