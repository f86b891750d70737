"""Which vacancies a block of neighbouring seekers can reach: a grid over a flat projection.

Vacancies are sorted by grid cell (row-major), so the cells of one grid row that a disk
touches are one contiguous slice of that order. A block's reach is then one slice per
row, found by binary search, instead of a distance test against every vacancy.

The projection must never *overstate* a distance, or a reachable vacancy would be
dropped. East–west kilometres per degree shrink towards the pole, so the grid uses the
scale of the northernmost point for every point, and the reach radius carries a small
margin for the curvature terms the flat picture leaves out. The exact travel check
(chords on the sphere, as in :mod:`matching.candidates`) runs afterwards on what is
reached; the grid only has to be generous, never exact.
"""

from __future__ import annotations

import numpy as np

from passport.geography import EARTH_RADIUS_KM

KM_PER_DEGREE = EARTH_RADIUS_KM * np.pi / 180.0
# Curvature terms the flat projection ignores are below 0.1 % at 100 km; 0.5 % is ample.
REACH_MARGIN = 1.005
REACH_SLACK_KM = 0.1


class GridProjection:
    """Flat (x, y) kilometres whose distances never exceed the great-circle distance."""

    def __init__(self, lat_max: float, lon_origin: float, lat_origin: float):
        self.x_scale = KM_PER_DEGREE * np.cos(np.radians(min(abs(lat_max), 89.0)))
        self.lon_origin = lon_origin
        self.lat_origin = lat_origin

    @classmethod
    def covering(cls, *latitude_longitude_pairs) -> "GridProjection":
        lats = np.concatenate([np.asarray(lat, dtype=np.float64) for lat, _ in latitude_longitude_pairs])
        lons = np.concatenate([np.asarray(lon, dtype=np.float64) for _, lon in latitude_longitude_pairs])
        return cls(lat_max=float(np.abs(lats).max()), lon_origin=float(lons.min()), lat_origin=float(lats.min()))

    def xy(self, lat, lon) -> tuple[np.ndarray, np.ndarray]:
        x = (np.asarray(lon, dtype=np.float64) - self.lon_origin) * self.x_scale
        y = (np.asarray(lat, dtype=np.float64) - self.lat_origin) * KM_PER_DEGREE
        return x, y


class VacancyGrid:
    """Vacancies bucketed in square cells of *cell_km*, in row-major cell order.

    Attributes
    ----------
    order : ndarray of shape (n_vacancies,), int64
        Vacancy indices sorted by cell.
    """

    def __init__(self, projection: GridProjection, lat, lon, cell_km: float):
        if not cell_km > 0:
            raise ValueError(f"cell_km: must be positive, got {cell_km}")
        self.projection = projection
        self.cell_km = float(cell_km)
        x, y = projection.xy(lat, lon)
        col = np.floor(x / self.cell_km).astype(np.int64)
        row = np.floor(y / self.cell_km).astype(np.int64)
        self.n_cols = int(col.max()) + 1 if len(col) else 1
        cell = row * self.n_cols + col
        self.order = np.argsort(cell, kind="stable")
        self.sorted_cell = cell[self.order]

    def reach(self, x_min: float, x_max: float, y_min: float, y_max: float, radius_km: float) -> np.ndarray:
        """Vacancy indices in every cell within *radius_km* of the box (a superset of the disk union)."""
        radius = reach_radius(radius_km)
        size = self.cell_km
        rows = np.arange(int(np.floor((y_min - radius) / size)), int(np.floor((y_max + radius) / size)) + 1)
        # Vertical gap between the box and each grid row; the row's cells within the
        # radius then span the box widened by the disk's half-width at that gap.
        gap = np.maximum(0.0, np.maximum(rows * size - y_max, y_min - (rows + 1) * size))
        half_width = np.sqrt(np.maximum(radius * radius - gap * gap, 0.0))
        first_col = np.clip(np.floor((x_min - half_width) / size).astype(np.int64), 0, self.n_cols - 1)
        last_col = np.clip(np.floor((x_max + half_width) / size).astype(np.int64), 0, self.n_cols - 1)
        useful = (gap <= radius) & (x_max + half_width >= 0) & (x_min - half_width < self.n_cols * size)
        rows, first_col, last_col = rows[useful], first_col[useful], last_col[useful]
        start = np.searchsorted(self.sorted_cell, rows * self.n_cols + first_col, side="left")
        stop = np.searchsorted(self.sorted_cell, rows * self.n_cols + last_col, side="right")
        return self.order[concatenated_ranges(start, stop)]


def reach_radius(radius_km: float) -> float:
    """*radius_km* widened by the margin that keeps flat distances from ever cutting a reach short."""
    return radius_km * REACH_MARGIN + REACH_SLACK_KM


def near_box(x: np.ndarray, y: np.ndarray, x_min: float, x_max: float, y_min: float, y_max: float,
             radius_km: float) -> np.ndarray:
    """Mask of the points (x, y) within *radius_km* of the box: a superset of the disk union, per point.

    Finer than :meth:`VacancyGrid.reach`, which takes whole cells, for narrowing a reach
    to part of the block it was found for.
    """
    radius = reach_radius(radius_km)
    dx = np.maximum(np.maximum(x_min - x, x - x_max), 0.0)
    dy = np.maximum(np.maximum(y_min - y, y - y_max), 0.0)
    return dx * dx + dy * dy <= radius * radius


def concatenated_ranges(start: np.ndarray, stop: np.ndarray) -> np.ndarray:
    """``np.concatenate([np.arange(a, b) for a, b in zip(start, stop)])`` without the loop."""
    length = np.maximum(np.asarray(stop) - np.asarray(start), 0)
    total = int(length.sum())
    if total == 0:
        return np.empty(0, dtype=np.int64)
    offsets = np.cumsum(length) - length
    return np.repeat(np.asarray(start) - offsets, length) + np.arange(total)
