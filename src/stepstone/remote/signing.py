"""Ed25519 signatures of entry documents, in the style of signed binary caches.

A key has a name (``alice-laptop-1``) so a signature says which key made it:
``"<name>:<base64 signature>"``. A public key is written ``"<name>:<base64 key>"``, the form
``trusted_keys`` takes. The signed message is a fixed prefix plus the entry's canonical
bytes (:meth:`~stepstone.remote.entry.EntryDocument.canonical_bytes`), so a signature over an
entry is never valid as a signature over anything else.

Trust stays local: publishing a public key on a remote proves nothing; only keys listed in
this project's ``trusted_keys`` make an entry trusted. A signature says *who* produced an
entry, not that the result is right.
"""

from __future__ import annotations

import base64
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from stepstone.exceptions import ConfigError
from stepstone.remote.entry import EntryDocument

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import (
        Ed25519PrivateKey,
        Ed25519PublicKey,
    )

__all__ = ["KeyPairFiles", "SigningKey", "TrustedKeys", "Verdict", "generate_key_pair"]

_DOMAIN = b"stepstone-cache-entry-v1\n"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
KEYS_DIR_NAME = "keys"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _named(text: str, what: str) -> tuple[str, bytes]:
    """Split ``"name:base64"`` into the name and 32 raw bytes."""
    name, sep, encoded = text.strip().partition(":")
    try:
        raw = base64.b64decode(encoded, validate=True) if sep else b""
    except ValueError:
        raw = b""
    if not _NAME.match(name) or len(raw) != 32:
        raise ConfigError(
            f"{what} {text.strip()[:80]!r} is not of the form NAME:BASE64 (an Ed25519 key as "
            "written by 'stepstone remote keygen')."
        )
    return name, raw


@dataclass(frozen=True, slots=True)
class SigningKey:
    """A named private key that signs entries before they are pushed."""

    name: str
    key: Ed25519PrivateKey

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> SigningKey:
        """Read a key file written by :func:`generate_key_pair` (``signing_key``).

        Raises:
            ConfigError: the file is missing or is not a key.
        """
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        try:
            text = Path(path).expanduser().read_text(encoding="ascii")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(
                f"Cannot read the signing key {os.fspath(path)!r} (setting signing_key): {exc}. "
                "Create one with 'stepstone remote keygen'."
            ) from exc
        name, raw = _named(text, f"Signing key file {os.fspath(path)!r}:")
        return cls(name, Ed25519PrivateKey.from_private_bytes(raw))

    def public_key(self) -> str:
        from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

        raw = self.key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        return f"{self.name}:{_b64(raw)}"

    def sign(self, document: EntryDocument) -> EntryDocument:
        signature = self.key.sign(_DOMAIN + document.canonical_bytes())
        return document.signed(f"{self.name}:{_b64(signature)}")


Verdict = Literal["trusted", "unsigned", "untrusted_key", "bad_signature"]


@dataclass(frozen=True, slots=True)
class TrustedKeys:
    """The public keys of ``trusted_keys``, by name."""

    keys: dict[str, Ed25519PublicKey]

    @classmethod
    def parse(cls, entries: tuple[str, ...]) -> TrustedKeys:
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

        keys = {}
        for entry in entries:
            name, raw = _named(entry, "Trusted key")
            keys[name] = Ed25519PublicKey.from_public_bytes(raw)
        return cls(keys)

    def check(self, document: EntryDocument) -> tuple[Verdict, str | None]:
        """How far to trust ``document``, and the name of the key that signed it.

        ``bad_signature``: signed by a trusted key's name but the signature does not verify
        (the entry was changed after signing, or the signature forged).
        """
        from cryptography.exceptions import InvalidSignature

        if document.signature is None:
            return "unsigned", None
        name, _, encoded = document.signature.partition(":")
        key = self.keys.get(name)
        if key is None:
            return "untrusted_key", name
        try:
            key.verify(
                base64.b64decode(encoded, validate=True), _DOMAIN + document.canonical_bytes()
            )
        except (InvalidSignature, ValueError):
            return "bad_signature", name
        return "trusted", name


@dataclass(frozen=True, slots=True)
class KeyPairFiles:
    """Where :func:`generate_key_pair` wrote a key pair, and the public key's text."""

    private: Path
    public: Path
    public_key: str


def generate_key_pair(home: Path, name: str) -> KeyPairFiles:
    """Write a new key pair as ``<home>/keys/<name>.key`` (owner-only) and ``<name>.pub``.

    Raises:
        ConfigError: a bad name, or a key of that name exists (keys are never overwritten:
            entries signed with the old one would stop verifying).
    """
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import (
        Encoding,
        NoEncryption,
        PrivateFormat,
    )

    if not _NAME.match(name):
        raise ConfigError(
            f"Key name {name!r} must be letters, digits, '.', '_' or '-' (up to 64), "
            "e.g. alice-laptop-1."
        )
    directory = home / KEYS_DIR_NAME
    directory.mkdir(parents=True, exist_ok=True)
    private_path, public_path = directory / f"{name}.key", directory / f"{name}.pub"
    key = Ed25519PrivateKey.generate()
    raw = key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    try:
        descriptor = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise ConfigError(
            f"A key named {name!r} exists already ({private_path}); choose another name "
            "(e.g. with a number: name-2)."
        ) from None
    with os.fdopen(descriptor, "w", encoding="ascii") as file:
        file.write(f"{name}:{_b64(raw)}\n")
    public_key = SigningKey(name, key).public_key()
    public_path.write_text(public_key + "\n", encoding="ascii")
    return KeyPairFiles(private_path, public_path, public_key)
