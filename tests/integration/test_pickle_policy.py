"""The pickle policy holds for every store a process opens, whenever it opens it."""

from __future__ import annotations

import dataclasses

import pytest

from stepstone import Client, pipeline, step
from stepstone.config import load_settings
from stepstone.exceptions import MaterializerError, PickleFallbackWarning
from stepstone.stores import get_stores


class Opaque:
    """A plain class: no materializer handles it, so it is stored with cloudpickle."""

    def __init__(self, value: int) -> None:
        self.value = value


@step
def opaque() -> Opaque:
    return Opaque(7)


@pipeline
def pickling():
    opaque()


def test_a_strict_client_opened_after_the_default_stores_refuses_pickles() -> None:
    with pytest.warns(PickleFallbackWarning):
        run = pickling()  # opens the default stores, which allow pickle
    assert Client().get_run(run.id).steps["opaque"].output.load().value == 7
    strict = Client(settings=dataclasses.replace(load_settings(), allow_pickle=False))
    assert strict.stores.artifacts.allow_pickle is False
    with pytest.raises(MaterializerError, match="uses pickle"):
        strict.get_run(run.id).steps["opaque"].output.load()
    # The default client is untouched, and both share one metadata connection.
    default = Client()
    assert default.stores.artifacts.allow_pickle is True
    assert default.get_run(run.id).steps["opaque"].output.load().value == 7
    assert default.stores.metadata is strict.stores.metadata


def test_turning_pickle_on_again_is_honoured_too(monkeypatch: pytest.MonkeyPatch) -> None:
    strict = dataclasses.replace(load_settings(), allow_pickle=False)
    assert get_stores(strict).artifacts.allow_pickle is False
    monkeypatch.setenv("STEPSTONE_ALLOW_PICKLE", "1")
    assert get_stores().artifacts.allow_pickle is True
    monkeypatch.setenv("STEPSTONE_ALLOW_PICKLE", "0")
    assert get_stores().artifacts.allow_pickle is False
