"""Whether an entry from a remote may be used: signatures, then pickled outputs.

In order: a signature that names a trusted key but does not verify is always refused (the
entry was altered); with ``require_signed``, so is an entry not signed by a trusted key. An
output stored with pickle is code: it is admitted only from an entry signed by a trusted key
or from a remote configured with ``allow_pickle = true``. The bytes themselves are checked
against their content hash when they are copied (:mod:`stepstone.artifacts.transfer`).
"""

from __future__ import annotations

from dataclasses import dataclass

from stepstone.config import Settings
from stepstone.exceptions import RemoteEntryError
from stepstone.remote.config import RemoteConfig
from stepstone.remote.entry import EntryDocument
from stepstone.remote.signing import TrustedKeys

__all__ = ["TrustPolicy"]


@dataclass(frozen=True, slots=True)
class TrustPolicy:
    """What this project trusts from one remote."""

    remote: RemoteConfig
    trusted: TrustedKeys
    require_signed: bool

    @classmethod
    def of(cls, settings: Settings, remote: RemoteConfig) -> TrustPolicy:
        return cls(remote, TrustedKeys.parse(settings.trusted_keys), settings.require_signed)

    def admit(self, document: EntryDocument) -> str | None:
        """The name of the trusted key that signed ``document`` (None: unsigned, admitted).

        Raises:
            RemoteEntryError: the entry is refused; the message says why and what to change.
        """
        from stepstone.artifacts.registry import get_materializer
        from stepstone.exceptions import MaterializerError

        verdict, key = self.trusted.check(document)
        step = f"Step '{document.invocation_name}' from remote {self.remote.name!r}"
        if verdict == "bad_signature":
            raise RemoteEntryError(
                f"{step}: the entry's signature by key {key!r} does not verify: the entry was "
                "changed after it was signed. It is ignored; the step executes."
            )
        trusted = verdict == "trusted"
        if self.require_signed and not trusted:
            why = "is not signed" if key is None else f"is signed by {key!r}, not a trusted key"
            raise RemoteEntryError(
                f"{step}: the entry {why} and require_signed is on. It is ignored; add the "
                "producer's public key to trusted_keys to use it."
            )
        if trusted or self.remote.allow_pickle:
            return key if trusted else None
        for output in document.outputs:
            try:
                pickled = get_materializer(output.materializer).uses_pickle
            except MaterializerError:
                raise RemoteEntryError(
                    f"{step}: output {output.name!r} was stored with materializer "
                    f"{output.materializer!r}, which is not registered here (install its "
                    "integration, import its module, or list it in the 'materializers' "
                    "setting). It is ignored."
                ) from None
            if pickled:
                raise RemoteEntryError(
                    f"{step}: output {output.name!r} ({output.data_type}) is stored with pickle "
                    f"({output.materializer}) and the entry, produced by run "
                    f"{document.producer_run!r}, is not signed by a trusted key; unpickling it "
                    "would run code chosen by whoever can write the remote. It is ignored. Sign "
                    "pushed entries (stepstone remote keygen; trusted_keys) or allow it for this "
                    f"remote: allow_pickle = true under [remotes.{self.remote.name}]."
                )
        return None
