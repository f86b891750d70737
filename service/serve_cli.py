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
):
    """Start the platform (API and OpenAPI docs at /docs) on the configured database."""
    import logging

    import uvicorn

    from service.api.app import create_app

    # One JSON line per request on stderr (service/api/middleware.py); no personal data in it.
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(message)s"))
    logging.getLogger("skillpass").addHandler(handler)

    settings = _settings(host=host, port=port, data_dir=data_dir, seed_demo=False if no_seed else None)
    console.print(f"skillpass platform on http://{settings.host}:{settings.port} (docs at /docs), "
                  f"database {settings.resolved_database_url.split('@')[-1]}")
    app = create_app(settings, start_worker=not workers_off)
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="info", access_log=False)


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
