"""``python -m stepstone.cli``: the same command line where the executable is not on PATH."""

from __future__ import annotations

from stepstone.cli import main

if __name__ == "__main__":
    main()
