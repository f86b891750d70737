"""Signing in (OAuth2 password flow), who am I, signing out, and partners' API keys."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated

from fastapi import APIRouter, Depends, Header, status
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel, Field
from sqlalchemy import select

from service.api.deps import Caller, Context, Db, role_caller
from service.api.errors import ApiError, not_found
from service.api.security import digest, issue_api_key, issue_token, verify_password
from service.db.tables import AccessToken, Account, ApiKey

router = APIRouter(prefix="/auth", tags=["auth"])


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_at: datetime
    role: str
    account_id: str


class Me(BaseModel):
    account_id: str
    username: str
    role: str
    display_name: str
    organisation_id: str | None
    authenticated_via: str


class ApiKeyIn(BaseModel):
    label: str = Field(min_length=1, max_length=200, description="What the key is for, e.g. 'caseload sync'.")


class ApiKeyCreated(BaseModel):
    id: str
    key: str = Field(description="Shown once; only its hash is stored.")
    prefix: str
    label: str


class ApiKeyOut(BaseModel):
    id: str
    prefix: str
    label: str
    created_at: datetime
    revoked_at: datetime | None


@router.post("/token", response_model=TokenOut, summary="Sign in with username and password")
def sign_in(form: Annotated[OAuth2PasswordRequestForm, Depends()], db: Db, ctx: Context) -> TokenOut:
    account = db.scalar(select(Account).where(Account.username == form.username))
    if not verify_password(account.password_hash if account else None, form.password) or not account.active:
        raise ApiError(401, "username or password is wrong", field="body.password",
                       headers={"WWW-Authenticate": "Bearer"})
    token, expires = issue_token(db, account, ctx.settings.token_minutes)
    db.commit()
    return TokenOut(access_token=token, expires_at=expires, role=account.role, account_id=account.id)


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT, summary="Revoke the token this request carries")
def sign_out(caller: Caller, db: Db, authorization: Annotated[str | None, Header()] = None) -> None:
    if caller.via == "token" and authorization and authorization.lower().startswith("bearer "):
        row = db.get(AccessToken, digest(authorization[7:].strip()))
        if row is not None:
            db.delete(row)
            db.commit()


@router.get("/me", response_model=Me, summary="The signed-in account")
def me(caller: Caller, db: Db) -> Me:
    account = db.get(Account, caller.account_id)
    return Me(account_id=account.id, username=account.username, role=account.role,
              display_name=account.display_name, organisation_id=account.organisation_id,
              authenticated_via=caller.via)


PartnerCaller = role_caller("partner")


@router.post("/api-keys", response_model=ApiKeyCreated, status_code=201,
             summary="Create an API key for a partner's system (partners only)")
def create_api_key(body: ApiKeyIn, caller: PartnerCaller, db: Db) -> ApiKeyCreated:
    account = db.get(Account, caller.account_id)
    key, record = issue_api_key(db, account, body.label)
    db.commit()
    return ApiKeyCreated(id=record.id, key=key, prefix=record.prefix, label=record.label)


@router.get("/api-keys", response_model=list[ApiKeyOut], summary="Your API keys (never the keys themselves)")
def list_api_keys(caller: PartnerCaller, db: Db) -> list[ApiKeyOut]:
    rows = db.scalars(select(ApiKey).where(ApiKey.account_id == caller.account_id).order_by(ApiKey.created_at))
    return [ApiKeyOut(id=r.id, prefix=r.prefix, label=r.label, created_at=r.created_at, revoked_at=r.revoked_at)
            for r in rows]


@router.delete("/api-keys/{key_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Revoke an API key")
def revoke_api_key(key_id: str, caller: PartnerCaller, db: Db) -> None:
    record = db.get(ApiKey, key_id)
    if record is None or record.account_id != caller.account_id:
        raise not_found("API key", key_id, "path.key_id")
    if record.revoked_at is None:
        record.revoked_at = datetime.now(timezone.utc)
        db.commit()
