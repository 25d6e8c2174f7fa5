"""The settings in effect and where each comes from (``stepstone config show --json``)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

if TYPE_CHECKING:
    from stepstone.config import SettingValue


class SettingView(BaseModel):
    """One setting in effect and where it comes from."""

    value: Any
    source: str = Field(description="env (a STEPSTONE_* variable), file (config.toml) or default.")
    env: str = Field(description="The environment variable that overrides it.")


class SettingsDocument(BaseModel):
    """``stepstone config show --json``: the home, its config file and every setting."""

    home: str
    home_source: str = Field(description="Where the home was found: env, project or user.")
    config_file: str
    settings: dict[str, SettingView]

    @classmethod
    def of(
        cls, home: str, source: str, config_file: str, values: Iterable[SettingValue]
    ) -> SettingsDocument:
        settings = {
            v.key: SettingView(value=v.value, source=v.source, env=v.variable) for v in values
        }
        return cls(home=home, home_source=source, config_file=config_file, settings=settings)
