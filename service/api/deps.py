"""FastAPI dependencies: the request's database session, the caller, role checks.

Handlers that write call ``db.commit()`` once, after the last write; anything not
committed (an error half-way) is rolled back when the session closes.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, OAuth2PasswordBearer
from sqlalchemy.orm import Session

from service.api.context import ServiceContext
from service.api.errors import ApiError
from service.api.security import Principal, principal_from_api_key, principal_from_token

# Paging deeper than this is a mistake or a probe; it also keeps offsets inside a 64-bit integer.
MAX_OFFSET = 10_000_000

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/auth/token", auto_error=False)
api_key_scheme = APIKeyHeader(name="X-API-Key", auto_error=False)


# Dependencies that neither block nor compute are ``async def``: FastAPI runs a plain
# ``def`` dependency in its thread pool, and each such hop costs the event loop a wake-up
# (about a tenth of a cached list's server time).
async def get_context(request: Request) -> ServiceContext:
    return request.app.state.ctx


def get_db(request: Request) -> Iterator[Session]:
    session = request.app.state.ctx.sessions()
    try:
        yield session
    finally:
        session.close()


Context = Annotated[ServiceContext, Depends(get_context)]
Db = Annotated[Session, Depends(get_db)]

_UNAUTHENTICATED = {"WWW-Authenticate": "Bearer"}


def current_principal(db: Db, token: Annotated[str | None, Depends(oauth2_scheme)],
                      api_key: Annotated[str | None, Depends(api_key_scheme)]) -> Principal:
    principal = None
    if token:
        principal = principal_from_token(db, token)
    elif api_key:
        principal = principal_from_api_key(db, api_key)
    if principal is None:
        problem = "sign in first (POST /auth/token) or send X-API-Key" if not (token or api_key) \
            else "the token or API key is not valid (expired, revoked or unknown)"
        raise ApiError(401, problem, headers=_UNAUTHENTICATED)
    return principal


Caller = Annotated[Principal, Depends(current_principal)]


def requires(*roles: str):
    """A dependency that admits only *roles*; the 403 says which roles may."""
    allowed = frozenset(roles)

    async def check(principal: Caller) -> Principal:
        if principal.role not in allowed:
            raise ApiError(403, f"this needs the role {' or '.join(sorted(allowed))}; you are {principal.role}")
        return principal

    return check


def role_caller(*roles: str):
    """``Annotated[Principal, Depends(requires(...))]`` for handler signatures."""
    return Annotated[Principal, Depends(requires(*roles))]
