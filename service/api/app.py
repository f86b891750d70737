"""The FastAPI application: ``create_app(settings)``.

Start-up upgrades the database to the current schema (Alembic), seeds the demo region on
a fresh database when asked, loads the taxonomy and the scorer, and starts the batch-job
worker process.
"""

from __future__ import annotations

import importlib
import logging
import threading
from contextlib import asynccontextmanager

from fastapi import FastAPI

from matching._rule_based import RuleBasedScorer
from passport.taxonomy import load_taxonomy
from service.api.context import ServiceContext
from service.api.errors import install_error_handlers
from service.api.middleware import RequestLimitsMiddleware
from service.db.engine import make_engine, session_factory
from service.db.migrate import upgrade
from service.settings import Settings

API_VERSION = "1"
# One module per resource under service/api/routers, each exposing ``router``.
ROUTERS = ("meta", "auth", "accounts", "taxonomy", "sessions", "passports", "vacancies", "trainings",
           "recommendations", "connections", "jobs", "analytics")


def _load_scorer(settings: Settings, taxonomy):
    if not settings.model_path:
        return RuleBasedScorer()
    from matching.model_store import load_model
    return load_model(settings.model_path, taxonomy)


def build_context(settings: Settings, *, migrate: bool = True) -> ServiceContext:
    """Everything requests share; ``migrate=False`` for processes that start after one that migrated."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.resolved_database_url)
    if migrate:
        upgrade(engine)
    taxonomy = load_taxonomy()
    return ServiceContext(settings=settings, engine=engine, sessions=session_factory(engine), taxonomy=taxonomy,
                          scorer=_load_scorer(settings, taxonomy), secret_key=settings.resolved_secret_key())


def warm_catalogues(ctx: ServiceContext) -> None:
    from service.api.catalogue import snapshot

    try:
        with ctx.sessions() as db:
            catalogue = snapshot(ctx, db)
            catalogue.vacancies, catalogue.trainings, catalogue.seekers  # noqa: B018 (built on access)
    except Exception:  # a failed warm-up only means the first request builds the views
        logging.getLogger("skillpass.api").exception("warming the catalogue views failed")


def create_app(settings: Settings | None = None, *, start_worker: bool = True, seed: bool = True) -> FastAPI:
    """The platform app; ``seed=False`` leaves seeding to whoever prepared the database."""
    settings = settings or Settings.load()
    ctx = build_context(settings)
    if seed and settings.seed_demo:
        from service.seed import seed_demo
        seed_demo(ctx)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        # Build the catalogue views in the background, so the first recommendation after a
        # start does not pay for parsing every stored vacancy (seconds at 100,000).
        if settings.list_workers:
            from service.api.list_workers import ListWorkers
            ctx.list_workers = ListWorkers(settings, settings.list_workers)
            ctx.list_workers.start()  # each worker builds its own views; this process needs none
        else:
            threading.Thread(target=warm_catalogues, args=(ctx,), name="warm-catalogues", daemon=True).start()
        worker = None
        if start_worker:
            from service.jobs.supervisor import JobSupervisor
            worker = JobSupervisor(settings)
            worker.start()
        try:
            yield
        finally:
            if worker is not None:
                worker.stop()
            if ctx.list_workers is not None:
                ctx.list_workers.shutdown()
                ctx.list_workers = None
            ctx.engine.dispose()

    app = FastAPI(title="skillpass", version=API_VERSION, lifespan=lifespan,
                  description="Skills passports, skill-based vacancies, ranked recommendations with reasons, "
                              "and optimal batch matching into jobs and training. Every read or change of a "
                              "person's data is checked against role, ownership and consent, and audited.")
    app.state.ctx = ctx
    install_error_handlers(app)
    for name in ROUTERS:
        module = importlib.import_module(f"service.api.routers.{name}")
        app.include_router(module.router)
    app.add_middleware(RequestLimitsMiddleware, max_body_bytes=settings.max_request_bytes)
    logging.getLogger("skillpass").setLevel(logging.INFO)
    return app


def create_http_worker_app() -> FastAPI:
    """One of several HTTP processes (``SKILLPASS_WEB_WORKERS`` > 1); uvicorn calls it in each.

    The parent process (``skillpass serve``) has already migrated and seeded the database,
    runs the one batch-job supervisor and put its settings in the environment.
    """
    from service.api.middleware import log_requests_to_stderr

    log_requests_to_stderr()
    return create_app(Settings.load(), start_worker=False, seed=False)
