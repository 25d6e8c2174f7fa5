"""After an interrupted run leaves steps running, a second Ctrl-C must end the process."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from types import FrameType

import pytest

from stepstone.execution.interrupts import ctrl_c_ends_the_process


@pytest.fixture
def sigint_restored() -> Iterator[None]:
    previous = signal.getsignal(signal.SIGINT)
    yield
    signal.signal(signal.SIGINT, previous)


def test_pythons_own_handler_gives_way_to_the_default_action(sigint_restored: None) -> None:
    signal.signal(signal.SIGINT, signal.default_int_handler)
    ctrl_c_ends_the_process()
    assert signal.getsignal(signal.SIGINT) is signal.SIG_DFL


def test_a_handler_the_program_installed_is_left_alone(sigint_restored: None) -> None:
    def own(_signal: int, _frame: FrameType | None) -> None:
        pass

    signal.signal(signal.SIGINT, own)
    ctrl_c_ends_the_process()
    assert signal.getsignal(signal.SIGINT) is own
