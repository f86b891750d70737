"""Issuer signing keys: generated, stored outside the repository, rotated, expired, revoked.

A key directory holds one PEM file per private key (mode 0600, encrypted when
``SKILLPASS_KEY_PASSPHRASE`` is set) and ``keyring.json``, the public record of every key
the issuer has used: its ``did:key`` identifier, when it was created, when it stops being
usable (``not_after``), and whether it was retired by a rotation or revoked. Verifiers
need only the public keyring, never a private key.

Rotation retires the active key and creates a new one. A retired key signs nothing more,
but passports it signed while active keep verifying: that is what keeps old passports
valid. Revocation is for a compromised key: nothing it signed verifies any more, because
its signatures' dates can no longer be trusted.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from passport.canonical import b58decode, b58encode
from passport.files import write_text_atomically

ED25519_MULTICODEC = b"\xed\x01"
DEFAULT_KEY_LIFETIME = timedelta(days=3 * 365)
PASSPHRASE_VARIABLE = "SKILLPASS_KEY_PASSPHRASE"
KEY_DIR_VARIABLE = "SKILLPASS_KEY_DIR"


class SigningKeyError(ValueError):
    """A key cannot be used for what was asked; the message says which key and why."""


class IssuerKey(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    key_id: str = Field(description="did:key identifier of the public key.")
    created: AwareDatetime
    not_after: AwareDatetime
    retired_at: AwareDatetime | None = None
    revoked_at: AwareDatetime | None = None
    revocation_reason: str | None = None

    def usable_for_signature_made_at(self, when: datetime) -> str | None:
        """None when a signature made at ``when`` is acceptable, else why not."""
        if self.revoked_at is not None:
            return f"key {self.key_id} was revoked on {self.revoked_at.isoformat()} ({self.revocation_reason})"
        if when < self.created:
            return f"signed {when.isoformat()}, before key {self.key_id} existed ({self.created.isoformat()})"
        if when >= self.not_after:
            return f"signed {when.isoformat()}, after key {self.key_id} expired ({self.not_after.isoformat()})"
        if self.retired_at is not None and when >= self.retired_at:
            return f"signed {when.isoformat()}, after key {self.key_id} was retired ({self.retired_at.isoformat()})"
        return None


class PublicKeyring(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    issuer: str = "skillpass"
    active_key_id: str | None = None
    keys: list[IssuerKey] = Field(default_factory=list)

    def find(self, key_id: str) -> IssuerKey | None:
        return next((k for k in self.keys if k.key_id == key_id), None)

    @classmethod
    def load(cls, path: Path) -> "PublicKeyring":
        try:
            return cls.model_validate_json(Path(path).read_text())
        except FileNotFoundError:
            raise SigningKeyError(f"{path}: no keyring there (create one with `skillpass passport keys init`)") from None
        except ValueError as error:
            raise SigningKeyError(f"{path}: not a skillpass keyring: {error}") from None


def did_key(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return "did:key:z" + b58encode(ED25519_MULTICODEC + raw)


def public_key_from_did(key_id: str) -> Ed25519PublicKey:
    """The Ed25519 public key a ``did:key`` identifier (optionally with a ``#fragment``) encodes."""
    did = key_id.split("#", 1)[0]
    if not did.startswith("did:key:z"):
        raise SigningKeyError(f"{key_id!r} is not an Ed25519 did:key identifier")
    try:
        raw = b58decode(did[len("did:key:z"):])
    except ValueError as error:
        raise SigningKeyError(f"{key_id!r}: {error}") from None
    if raw[:2] != ED25519_MULTICODEC or len(raw) != 34:
        raise SigningKeyError(f"{key_id!r} does not encode an Ed25519 public key")
    return Ed25519PublicKey.from_public_bytes(raw[2:])


def default_key_dir() -> Path:
    if os.environ.get(KEY_DIR_VARIABLE):
        return Path(os.environ[KEY_DIR_VARIABLE])
    config = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return config / "skillpass" / "keys"


class KeyStore:
    """The issuer's key directory."""

    def __init__(self, directory: Path | None = None):
        self.directory = Path(directory) if directory is not None else default_key_dir()
        self.keyring_path = self.directory / "keyring.json"

    def exists(self) -> bool:
        return self.keyring_path.exists()

    def keyring(self) -> PublicKeyring:
        return PublicKeyring.load(self.keyring_path)

    def init(self, *, now: datetime, issuer: str = "skillpass", lifetime: timedelta = DEFAULT_KEY_LIFETIME) -> IssuerKey:
        if self.exists():
            raise SigningKeyError(f"{self.directory}: a keyring exists already; use rotate for a new key")
        _refuse_inside_repository(self.directory)
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(self.directory, 0o700)
        key = self._new_key(now, lifetime)
        self._save(PublicKeyring(issuer=issuer, active_key_id=key.key_id, keys=[key]))
        return key

    def rotate(self, *, now: datetime, lifetime: timedelta = DEFAULT_KEY_LIFETIME) -> IssuerKey:
        keyring = self.keyring()
        key = self._new_key(now, lifetime)
        keys = [k.model_copy(update={"retired_at": now}) if k.key_id == keyring.active_key_id and k.retired_at is None
                else k for k in keyring.keys]
        self._save(keyring.model_copy(update={"active_key_id": key.key_id, "keys": [*keys, key]}))
        # A retired key never signs again, so its private half has no use left and only risk:
        # a leaked copy could backdate signatures into the key's active period.
        if keyring.active_key_id is not None:
            self._destroy_private(keyring.active_key_id)
        return key

    def revoke(self, key_id: str, *, now: datetime, reason: str) -> IssuerKey:
        keyring = self.keyring()
        if keyring.find(key_id) is None:
            raise SigningKeyError(f"key_id: {key_id} is not in {self.keyring_path}")
        keys = [k.model_copy(update={"revoked_at": now, "revocation_reason": reason}) if k.key_id == key_id else k
                for k in keyring.keys]
        active = None if keyring.active_key_id == key_id else keyring.active_key_id
        self._save(keyring.model_copy(update={"active_key_id": active, "keys": keys}))
        self._destroy_private(key_id)
        return next(k for k in keys if k.key_id == key_id)

    def _destroy_private(self, key_id: str) -> None:
        path = self._private_path(key_id)
        if path.exists():
            # overwrite before unlinking, so the key does not linger in the file's old blocks
            # (best effort: journaling and copy-on-write file systems may keep copies)
            path.write_bytes(os.urandom(path.stat().st_size))
            path.unlink()

    def signing_key(self, *, now: datetime) -> tuple[IssuerKey, Ed25519PrivateKey]:
        """The active key and its private half; refuses an expired, retired or revoked key."""
        keyring = self.keyring()
        if keyring.active_key_id is None:
            raise SigningKeyError(f"{self.keyring_path}: no active key (the last one was revoked); rotate to make one")
        key = keyring.find(keyring.active_key_id)
        problem = key.usable_for_signature_made_at(now)
        if problem:
            raise SigningKeyError(f"cannot sign: {problem}; rotate to a new key")
        pem = self._private_path(key.key_id).read_bytes()
        passphrase = _passphrase()
        try:
            private = serialization.load_pem_private_key(pem, password=passphrase.encode() if passphrase else None)
        except (TypeError, ValueError) as error:
            raise SigningKeyError(f"cannot open the private key of {key.key_id}: {error} "
                            f"(is {PASSPHRASE_VARIABLE} set as when the key was made?)") from None
        if did_key(private.public_key()) != key.key_id:
            raise SigningKeyError(f"{self._private_path(key.key_id)} does not hold the private key of {key.key_id}")
        return key, private

    def _new_key(self, now: datetime, lifetime: timedelta) -> IssuerKey:
        private = Ed25519PrivateKey.generate()
        key = IssuerKey(key_id=did_key(private.public_key()), created=now, not_after=now + lifetime)
        passphrase = _passphrase()
        encryption = (serialization.BestAvailableEncryption(passphrase.encode()) if passphrase
                      else serialization.NoEncryption())
        pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)
        # O_EXCL: never overwrite a key; 0600 from the first byte, not chmod after the fact.
        fd = os.open(self._private_path(key.key_id), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(pem)
        return key

    def _private_path(self, key_id: str) -> Path:
        return self.directory / f"{key_id.rsplit(':', 1)[-1]}.pem"

    def _save(self, keyring: PublicKeyring) -> None:
        write_text_atomically(self.keyring_path, keyring.model_dump_json(indent=2) + "\n", private=True)


def _passphrase() -> str | None:
    value = os.environ.get(PASSPHRASE_VARIABLE)
    if value is not None and not value:
        raise SigningKeyError(f"{PASSPHRASE_VARIABLE} is set but empty; unset it to store keys unencrypted "
                              "(protected by file permissions only) or give a passphrase")
    return value


def _refuse_inside_repository(directory: Path) -> None:
    for parent in [directory.resolve(), *directory.resolve().parents]:
        if (parent / ".git").exists():
            raise SigningKeyError(f"{directory}: inside the git work tree {parent}; keys must never be stored in a "
                            f"repository (set {KEY_DIR_VARIABLE} to a folder outside it)")
