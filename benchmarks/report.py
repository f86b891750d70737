"""Benchmark rows as a console table and as plots of time and memory against size.

A *row* is one measurement: one stage (or one peer) at one instance size. Keys:

``n_seekers`` : int
    Seekers in the instance (the x axis of the plots).
``n_vacancies`` : int
``stage`` : str
    What was timed, e.g. ``"candidates"``, ``"assignment"`` or ``"peer: scipy_matching"``.
``seconds`` : float
    Wall-clock seconds.
``peak_mb`` : float, optional
    Peak resident memory in MB while the stage ran.
``objective`` : int or float, optional
    The stage's objective, e.g. the total scaled weight of an assignment.
``ratios`` : dict of str to float, optional
    Peer name → peer seconds / our seconds, filled on our assignment row; above 1 means
    we are faster than that peer.

Missing optional keys (or ``None``) show as blank cells and are left out of the plots.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Mapping
from numbers import Integral
from pathlib import Path

from rich.console import Console
from rich.table import Table

REQUIRED_KEYS = ("n_seekers", "n_vacancies", "stage", "seconds")


def assignment_rows(n_seekers: int, n_vacancies: int, results: Mapping[str, Mapping], ours: str = "ours",
                    peak_mb: Mapping[str, float] | None = None) -> list[dict]:
    """Rows for one instance size from peer results (as returned by :mod:`benchmarks.peers`).

    Our result becomes the ``"assignment"`` row, carrying ``peer seconds / our seconds``
    for every other peer; each peer gets a row of its own, stage ``"peer: <name>"``.

    Parameters
    ----------
    results : mapping of str to dict
        Peer name → ``{"seconds", "objective", ...}``; must contain *ours*.
    ours : str
        The key of our own result in *results*.
    peak_mb : mapping of str to float, optional
        Peer name → peak memory in MB, where it was measured.
    """
    if ours not in results:
        raise ValueError(f"results: must contain our own result under {ours!r}, got {sorted(results)}")
    peak_mb = peak_mb or {}
    our_seconds = float(results[ours]["seconds"])
    rows = []
    for name, result in results.items():
        row = {"n_seekers": n_seekers, "n_vacancies": n_vacancies,
               "stage": "assignment" if name == ours else f"peer: {name}", "seconds": float(result["seconds"]),
               "peak_mb": peak_mb.get(name), "objective": result.get("objective")}
        if name == ours:
            row["ratios"] = {peer: float(other["seconds"]) / our_seconds if our_seconds > 0 else float("inf")
                             for peer, other in results.items() if peer != ours}
        rows.append(row)
    return rows


def print_table(rows: list[dict], console: Console | None = None) -> Table:
    """Print *rows* (schema in the module docstring) as a rich table and return the table.

    Columns: size (``n_seekers × n_vacancies``), stage, seconds, peak MB, objective, and
    one ``×<peer>`` column per peer named in any row's ``ratios`` (first-seen order),
    blank where a row has no ratio for that peer.
    """
    _check_rows(rows)
    peers = list(dict.fromkeys(peer for row in rows for peer in (row.get("ratios") or {})))
    table = Table(title="benchmark", caption="×peer = peer seconds / our seconds (above 1: we are faster)")
    table.add_column("size", no_wrap=True)
    table.add_column("stage", no_wrap=True)
    for name in ("seconds", "peak MB", "objective", *(f"×{peer}" for peer in peers)):
        table.add_column(name, justify="right", no_wrap=True)
    for row in rows:
        ratios = row.get("ratios") or {}
        table.add_row(f"{row['n_seekers']:,} × {row['n_vacancies']:,}", str(row["stage"]),
                      f"{row['seconds']:.3f}", _blank_or(row.get("peak_mb"), "{:,.0f}"),
                      _format_objective(row.get("objective")),
                      *(_blank_or(ratios.get(peer), "{:.2f}") for peer in peers))
    (console or _default_console()).print(table)
    return table


def _default_console() -> Console:
    """The terminal's console; when printing to a file or pipe, wide enough for the whole table.

    Rich falls back to 80 columns off a terminal, which would cut the numbers of a
    benchmark log.
    """
    console = Console()
    return console if console.is_terminal else Console(width=200)


def write_plots(rows: list[dict], out_dir, stem: str) -> list[Path]:
    """Save two log–log PNG plots — seconds and peak MB against seekers, one line per stage.

    Files are ``<out_dir>/<stem>-seconds.png`` and ``<out_dir>/<stem>-peak-mb.png``, each
    written to a temporary file in *out_dir* first and moved into place, so a reader never
    sees half a file. Points with a missing or non-positive value cannot sit on a log axis
    and are left out; a figure with no points says so.

    Returns
    -------
    list of Path
        The two files, seconds first.
    """
    _check_rows(rows)
    if not stem or Path(stem).name != stem:
        raise ValueError(f"stem: must be a plain file name without directories, got {stem!r}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    figures = (("seconds", "seconds", "wall-clock seconds", "time per stage"),
               ("peak-mb", "peak_mb", "peak memory (MB)", "peak memory per stage"))
    paths = []
    for suffix, key, y_label, title in figures:
        figure = _stage_figure(rows, key, y_label, f"{stem}: {title}")
        path = out_dir / f"{stem}-{suffix}.png"
        _save_atomically(figure, path)
        paths.append(path)
    return paths


def _stage_figure(rows: Iterable[dict], key: str, y_label: str, title: str):
    # The Agg canvas is attached directly: no pyplot, so no global backend switch and no GUI.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(7, 4.5), layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    series = _series_per_stage(rows, key)
    for stage, points in series.items():
        x, y = zip(*points)
        axes.plot(x, y, marker="o", label=stage)
    if series:
        axes.set_xscale("log")
        axes.set_yscale("log")
        axes.legend(title="stage", fontsize="small")
    else:
        axes.text(0.5, 0.5, f"no {y_label} recorded", ha="center", va="center", transform=axes.transAxes)
    axes.set_xlabel("seekers")
    axes.set_ylabel(y_label)
    axes.set_title(title)
    axes.grid(True, which="both", alpha=0.3)
    return figure


def _series_per_stage(rows: Iterable[dict], key: str) -> dict[str, list[tuple[float, float]]]:
    """Stage → (n_seekers, value) points sorted by size, keeping only values a log axis can show."""
    series: dict[str, list[tuple[float, float]]] = {}
    for row in rows:
        value = row.get(key)
        if value is not None and value > 0 and row["n_seekers"] > 0:
            series.setdefault(str(row["stage"]), []).append((row["n_seekers"], float(value)))
    return {stage: sorted(points) for stage, points in series.items()}


def _save_atomically(figure, path: Path) -> None:
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}-", suffix=".png")
    try:
        with os.fdopen(handle, "wb") as file:
            figure.savefig(file, format="png", dpi=120)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _check_rows(rows) -> None:
    for number, row in enumerate(rows):
        missing = [key for key in REQUIRED_KEYS if key not in row]
        if missing:
            raise ValueError(f"rows: row {number} lacks {', '.join(missing)}")


def _blank_or(value, template: str) -> str:
    return "" if value is None else template.format(value)


def _format_objective(value) -> str:
    if value is None:
        return ""
    return f"{value:,}" if isinstance(value, Integral) else f"{value:,.3f}"
