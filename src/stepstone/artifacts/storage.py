"""How to reach an artifact store that is not a local directory: the ``[artifact_storage]`` table.

Credentials belong elsewhere: s3fs (through botocore) takes them from where AWS tools do
(``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``, ``AWS_PROFILE``, ``~/.aws``, instance
roles). Everything but ``options`` is safe to ship to a worker and to print::

    artifact_root = "s3://team-bucket/stepstone"

    [artifact_storage]
    endpoint_url = "http://127.0.0.1:8333"   # else AWS_ENDPOINT_URL_S3, then AWS_ENDPOINT_URL
    region = "eu-west-1"
    checksums = "when_required"              # auto | when_supported | when_required
    conditional_writes = "auto"              # auto | on | off
    [artifact_storage.options]               # passed to fsspec as they are
    requester_pays = true

``checksums``: botocore adds CRC checksums to every upload by default, which many
S3-compatible servers reject; ``auto`` sends them only when AWS requires them if the
endpoint is not AWS's own. ``conditional_writes``: whether the commit marker is written
with ``If-None-Match: *`` (``auto`` probes the server once per process; servers that
ignore the header get the plain manifest-last protocol, which is still safe because
artifacts are content-addressed).

``options`` go to fsspec as they are, so they may hold credentials after all (``key`` and
``secret``, a ``token``, ``client_kwargs.aws_secret_access_key``). They never leave the
driver's process: :meth:`StorageOptions.shareable` is what a task carries, with every option
whose name says it is a credential left out and named in ``withheld``. A worker fills those in
from its own config file when it names the same artifact root (a process pool or a cluster on
this machine reads the driver's), and otherwise reaches the store with the credentials of its
own environment.
"""

from __future__ import annotations

import copy
import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from stepstone.exceptions import ConfigError

__all__ = ["StorageOptions"]

Checksums = Literal["auto", "when_supported", "when_required"]
_CHECKSUMS = ("auto", "when_supported", "when_required")
_SWITCH = {"auto": None, "on": True, "true": True, "off": False, "false": False}
_KEYS = ("endpoint_url", "region", "checksums", "conditional_writes", "options")
#: Endpoint variables in the order botocore reads them for S3.
ENDPOINT_VARIABLES = ("AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL")
_CREDENTIAL_NAMES = frozenset(
    {
        "key",
        "secret",
        "token",
        "credential",
        "credentials",
        "access_key",
        "access_key_id",
        "secret_key",
        "account_key",
        "api_key",
        "connection_string",
        "aws_access_key_id",
        "aws_secret_access_key",
        "sas_token",
    }
)
"""Option names of the fsspec file systems' credentials (s3fs, gcsfs, adlfs...)."""

OptionPath = tuple[str, ...]


def is_credential(name: str) -> bool:
    """Whether an option of this name holds a credential (``secret``, ``*_token``...)."""
    lowered = name.lower()
    return (
        lowered in _CREDENTIAL_NAMES
        or "secret" in lowered
        or "password" in lowered
        or lowered.endswith("_token")
    )


def _without_credentials(
    options: Mapping[str, Any], path: OptionPath
) -> tuple[dict[str, Any], list[OptionPath]]:
    kept: dict[str, Any] = {}
    withheld: list[OptionPath] = []
    for name, value in options.items():
        where = (*path, str(name))
        if is_credential(str(name)):
            withheld.append(where)
            continue
        if isinstance(value, Mapping):
            value, inner = _without_credentials(value, where)
            withheld += inner
        kept[name] = value
    return kept, withheld


@dataclass(frozen=True, slots=True)
class StorageOptions:
    """Non-secret options of a remote artifact store (see the module docstring).

    Attributes:
        endpoint_url: the S3 endpoint; None takes the AWS environment variables, then AWS.
        region: the bucket's region (None: botocore's own resolution, e.g.
            ``AWS_DEFAULT_REGION``).
        checksums: when uploads and downloads carry flexible checksums.
        conditional_writes: True or False forces the commit protocol, None detects it.
        options: more keyword arguments for the fsspec file system, as given.
        withheld: the paths (``("client_kwargs", "aws_secret_access_key")``) of credentials
            left out of ``options`` before they went to a worker (see :meth:`shareable`).
    """

    endpoint_url: str | None = None
    region: str | None = None
    checksums: Checksums = "auto"
    conditional_writes: bool | None = None
    options: Mapping[str, Any] = field(default_factory=dict, hash=False)
    withheld: tuple[OptionPath, ...] = ()

    def shareable(self) -> StorageOptions:
        """These options without the credentials among ``options``: what a task carries."""
        options, withheld = _without_credentials(self.options, ())
        return dataclasses.replace(self, options=options, withheld=(*self.withheld, *withheld))

    def with_credentials_of(self, own: StorageOptions | None) -> StorageOptions:
        """The withheld credentials filled in from ``own`` (a worker's config), where it
        has them; the others are left to the worker's environment."""
        if not self.withheld:
            return self
        options = copy.deepcopy(dict(self.options))
        for path in self.withheld:
            value: Any = own.options if own is not None else {}
            for name in path:
                value = value.get(name) if isinstance(value, Mapping) else None
            if value is None:
                continue
            target = options
            for name in path[:-1]:
                target = target.setdefault(name, {})
            target[path[-1]] = value
        return dataclasses.replace(self, options=options, withheld=())

    @classmethod
    def from_table(cls, table: Mapping[str, Any], where: str) -> StorageOptions:
        """Options from a config table; ``where`` names it in errors (``config.toml``).

        Raises:
            ConfigError: an unknown key (with "did you mean") or a value it cannot take.
        """
        from stepstone.exceptions import did_you_mean

        for key in table:
            if key not in _KEYS:
                raise ConfigError(
                    f"{where}: [artifact_storage] has unknown key '{key}'."
                    f"{did_you_mean(key, _KEYS)} Known keys: {', '.join(_KEYS)}."
                )
        checksums = str(table.get("checksums", "auto"))
        if checksums not in _CHECKSUMS:
            raise ConfigError(
                f"{where}: [artifact_storage] checksums must be one of "
                f"{', '.join(_CHECKSUMS)}, not {checksums!r}."
            )
        raw_switch = table.get("conditional_writes", "auto")
        switch = str(raw_switch).lower() if not isinstance(raw_switch, bool) else raw_switch
        if isinstance(switch, str) and switch not in _SWITCH:
            raise ConfigError(
                f"{where}: [artifact_storage] conditional_writes must be auto, on or off, "
                f"not {raw_switch!r}."
            )
        options = table.get("options", {})
        if not isinstance(options, Mapping):
            raise ConfigError(
                f"{where}: [artifact_storage] options must be a table "
                f"([artifact_storage.options]), not {options!r}."
            )
        endpoint, region = table.get("endpoint_url"), table.get("region")
        return cls(
            endpoint_url=str(endpoint) if endpoint else None,
            region=str(region) if region else None,
            checksums=checksums,  # type: ignore[arg-type]
            conditional_writes=switch if isinstance(switch, bool) else _SWITCH[switch],
            options=dict(options),
        )

    def endpoint(self) -> str | None:
        """The S3 endpoint in effect: the option, else the AWS variables, else None (AWS)."""
        if self.endpoint_url:
            return self.endpoint_url
        for variable in ENDPOINT_VARIABLES:
            if os.environ.get(variable):
                return os.environ[variable]
        return None

    def fsspec_options(self, protocol: str) -> dict[str, Any]:
        """Keyword arguments for the fsspec file system of ``protocol`` (``s3``, ``gs``...)."""
        options = dict(self.options)
        if protocol not in ("s3", "s3a"):
            if self.endpoint_url or self.region or self.checksums != "auto":
                raise ConfigError(
                    "[artifact_storage] endpoint_url, region and checksums apply to s3:// "
                    f"artifact roots only, not {protocol}://; put options for this store in "
                    "[artifact_storage.options]."
                )
            return options
        # A listing cached by this process would hide objects other processes write or
        # delete: every cache decision must see the bucket as it is.
        options.setdefault("use_listings_cache", False)
        endpoint = self.endpoint()
        if endpoint:
            options.setdefault("endpoint_url", endpoint)
        client_kwargs = dict(options.get("client_kwargs") or {})
        if self.region:
            client_kwargs.setdefault("region_name", self.region)
        if client_kwargs:
            options["client_kwargs"] = client_kwargs
        checksums = self.checksums
        if checksums == "auto":
            checksums = "when_required" if _is_foreign(endpoint) else "when_supported"
        if checksums == "when_required":
            config_kwargs = dict(options.get("config_kwargs") or {})
            config_kwargs.setdefault("request_checksum_calculation", "when_required")
            config_kwargs.setdefault("response_checksum_validation", "when_required")
            options["config_kwargs"] = config_kwargs
        return options


def _is_foreign(endpoint: str | None) -> bool:
    """Whether an endpoint is a non-AWS server (AWS's own hosts end in amazonaws.com)."""
    if not endpoint:
        return False
    from urllib.parse import urlsplit

    host = urlsplit(endpoint).hostname or ""
    return not (host == "amazonaws.com" or host.endswith(".amazonaws.com"))
