"""`skillpass serve` (the platform over HTTP) and `skillpass db upgrade` (migrations)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from service.settings import Settings, SettingsError

console = Console()
db_app = typer.Typer(help="The platform's database: migrations.", no_args_is_help=True)


def _settings(**overrides) -> Settings:
    try:
        return Settings.load(**{k: v for k, v in overrides.items() if v is not None})
    except SettingsError as error:
        console.print(f"[red]{error}[/red]")
        raise typer.Exit(2) from None


def serve_command(
    host: str = typer.Option(None, help="Listen address (SKILLPASS_HOST, default 127.0.0.1)."),
    port: int = typer.Option(None, help="Port (SKILLPASS_PORT, default 8000)."),
    data_dir: Path = typer.Option(None, "--platform-dir", help="Where the SQLite file, keys and job results live (SKILLPASS_PLATFORM_DIR)."),
    no_seed: bool = typer.Option(False, "--no-seed", help="Do not seed the demo region into an empty database."),
    workers_off: bool = typer.Option(False, "--no-worker", help="Do not start the batch-job worker process."),
    web_workers: int = typer.Option(None, "--web-workers",
                                    help="HTTP processes (SKILLPASS_WEB_WORKERS, default 1); one per core serves "
                                         "concurrent clients best."),
    list_workers: int = typer.Option(None, "--list-workers",
                                     help="Processes that compute ranked lists from one queue shared by all "
                                          "requests (SKILLPASS_LIST_WORKERS, default 0: in the HTTP process). "
                                          "With one HTTP process, one per core balances concurrent clients best."),
):
    """Start the platform (API and OpenAPI docs at /docs) on the configured database."""
    import uvicorn

    from service.api.app import create_app
    from service.api.http_protocol import EVENT_LOOP, HTTP_PROTOCOL
    from service.api.middleware import log_requests_to_stderr

    log_requests_to_stderr()
    settings = _settings(host=host, port=port, data_dir=data_dir, seed_demo=False if no_seed else None,
                         web_workers=web_workers, list_workers=list_workers)
    console.print(f"skillpass platform on http://{settings.host}:{settings.port} (docs at /docs), "
                  f"database {settings.resolved_database_url.split('@')[-1]}, {settings.web_workers} HTTP process(es)"
                  + (f", {settings.list_workers} list worker(s) each" if settings.list_workers else ""))
    if settings.web_workers == 1:
        app = create_app(settings, start_worker=not workers_off)
        uvicorn.run(app, host=settings.host, port=settings.port, log_level="info", access_log=False,
                    http=HTTP_PROTOCOL, loop=EVENT_LOOP)
        return
    _serve_with_processes(settings, start_worker=not workers_off)


def _serve_with_processes(settings: Settings, *, start_worker: bool) -> None:
    """Several HTTP processes on one port; migrations, seeding and the job supervisor stay here.

    uvicorn starts each process from an import string, so the settings travel in the
    environment. Every process builds its own catalogue views; they agree because each
    reads the same catalogue change counters from the database.
    """
    import os

    import uvicorn

    from service.api.app import build_context
    from service.api.http_protocol import EVENT_LOOP, HTTP_PROTOCOL

    ctx = build_context(settings)  # migrates the database once, before any HTTP process starts
    if settings.seed_demo:
        from service.seed import seed_demo
        seed_demo(ctx)
    ctx.engine.dispose()
    os.environ.update(settings.environment())
    # Each HTTP process gets its share of the cores for its own threads and BLAS: two
    # processes that each spin two BLAS threads on two cores slow each other down
    # (measured: four clients got fewer lists per second than one).
    share = str(max(1, (os.cpu_count() or 1) // settings.web_workers))
    for variable in ("SKILLPASS_THREADS", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(variable, share)
    supervisor = None
    if start_worker:
        from service.jobs.supervisor import JobSupervisor
        supervisor = JobSupervisor(settings)
        supervisor.start()
    try:
        uvicorn.run("service.api.app:create_http_worker_app", factory=True, workers=settings.web_workers,
                    host=settings.host, port=settings.port, log_level="info", access_log=False, http=HTTP_PROTOCOL,
                    loop=EVENT_LOOP)
    finally:
        if supervisor is not None:
            supervisor.stop()


@db_app.command("upgrade")
def upgrade_command(data_dir: Path = typer.Option(None, "--platform-dir", help="The platform folder (SKILLPASS_PLATFORM_DIR).")):
    """Upgrade the database in place to the current schema."""
    from service.db.engine import make_engine
    from service.db.migrate import current_revision, head_revision, upgrade

    settings = _settings(data_dir=data_dir)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.resolved_database_url)
    before = current_revision(engine)
    upgrade(engine)
    console.print(f"database at revision {head_revision()} (was {before or 'empty'})")
