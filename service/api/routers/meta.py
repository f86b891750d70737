"""Health and version: no sign-in needed, no personal data."""

from __future__ import annotations

import platform

from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy import text

from service.api.deps import Context
from service.db.migrate import current_revision, head_revision

router = APIRouter(tags=["meta"])


class Health(BaseModel):
    status: str
    database: str
    schema_revision: str | None


class Version(BaseModel):
    api: str
    package: str
    schema_revision: str
    taxonomy_version: str
    python: str
    scorer: str


@router.get("/health", response_model=Health, summary="Is the platform up and its database reachable?")
def health(ctx: Context) -> Health:
    with ctx.engine.connect() as connection:
        connection.execute(text("SELECT 1"))
    revision = current_revision(ctx.engine)
    return Health(status="ok" if revision == head_revision() else "migration pending",
                  database=ctx.engine.dialect.name, schema_revision=revision)


@router.get("/version", response_model=Version, summary="Versions of the API, schema, taxonomy and scorer")
def version(ctx: Context) -> Version:
    from importlib.metadata import PackageNotFoundError, version as package_version

    from service.api.app import API_VERSION
    try:
        package = package_version("skillpass")
    except PackageNotFoundError:
        package = "unknown"
    return Version(api=API_VERSION, package=package, schema_revision=head_revision(),
                   taxonomy_version=ctx.taxonomy.soft_skill_order_version, python=platform.python_version(),
                   scorer=type(ctx.scorer).__name__)
