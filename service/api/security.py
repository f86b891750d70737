"""Passwords (Argon2), bearer tokens and API keys, and who the caller is.

Tokens and keys are random strings handed out once; only their SHA-256 is stored. A
request authenticates with ``Authorization: Bearer <token>`` (OAuth2 password flow at
``POST /auth/token``) or, for partners' systems, ``X-API-Key: <key>``.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.db.tables import AccessToken, Account, ApiKey

_hasher = PasswordHasher()
# Verifying against a dummy hash when the user does not exist keeps timing the same.
_DUMMY_HASH = _hasher.hash("skillpass-no-such-user")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class Principal:
    """The authenticated caller."""

    account_id: str
    role: str
    organisation_id: str | None
    via: str  # "token" | "api_key"


def issue_token(session: Session, account: Account, minutes: int) -> tuple[str, datetime]:
    token = secrets.token_urlsafe(32)
    expires = datetime.now(timezone.utc) + timedelta(minutes=minutes)
    session.add(AccessToken(token_hash=digest(token), account_id=account.id, expires_at=expires))
    return token, expires


def issue_api_key(session: Session, account: Account, label: str) -> tuple[str, ApiKey]:
    key = "spk_" + secrets.token_urlsafe(32)
    record = ApiKey(key_hash=digest(key), prefix=key[:12], account_id=account.id, label=label)
    session.add(record)
    return key, record


def _aware(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes; everything stored is UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def principal_from_token(session: Session, token: str) -> Principal | None:
    row = session.execute(
        select(AccessToken.expires_at, Account.id, Account.role, Account.organisation_id, Account.active)
        .join(Account, Account.id == AccessToken.account_id)
        .where(AccessToken.token_hash == digest(token))).first()
    if row is None or not row.active or _aware(row.expires_at) <= datetime.now(timezone.utc):
        return None
    return Principal(row.id, row.role, row.organisation_id, "token")


def principal_from_api_key(session: Session, key: str) -> Principal | None:
    row = session.execute(
        select(Account.id, Account.role, Account.organisation_id, Account.active)
        .join(ApiKey, ApiKey.account_id == Account.id)
        .where(ApiKey.key_hash == digest(key), ApiKey.revoked_at.is_(None))).first()
    if row is None or not row.active:
        return None
    return Principal(row.id, row.role, row.organisation_id, "api_key")
