"""schema.org JobPosting (JSON-LD) in and out of skill-based vacancies.

Import starts a vacancy from the occupation the posting names and applies what the
posting says on top, returning a note for every decision (mapped, defaulted, ignored)
so the employer can check it. Export writes every field a JobPosting can carry, in a
form import reads back exactly: ``import(export(v))`` gives ``v`` again except for the
soft-skill requirements, which a JobPosting cannot express and import takes from the
occupation profile.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from difflib import SequenceMatcher
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from passport.models import Location, Vacancy
from passport.taxonomy import Taxonomy

SCHEMA_ORG = "https://schema.org"
ESCO_OCCUPATION = "http://data.europa.eu/esco/occupation/"
ESCO_CODE_SET = "ESCO occupations"
ISCO_CODE_SET = "ISCO-08"
# Full time in the Netherlands is 36 to 40 hours a week.
FULL_TIME_HOURS = (36, 40)
PART_TIME_MAX_HOURS = 32
# Below this similarity a text names none of the occupations.
OCCUPATION_SIMILARITY = 0.75
JSON_LD_KEYWORDS = ("@context", "@type", "@id")
# Properties whose hard skills are requirements; ``skills`` holds the desired ones.
REQUIRED_SOURCES = ("qualifications", "educationRequirements", "experienceRequirements")
USED = ("title", "occupationalCategory", "jobLocation", "totalJobOpenings", "workHours", "employmentType",
        "skills", *REQUIRED_SOURCES)
IGNORED_BECAUSE = {
    "hiringOrganization": "the employer is always your own organisation",
    "identifier": "the vacancy gets a new skillpass id",
    "description": "free text is not searched; state requirements in qualifications, skills and "
                   "educationRequirements",
}


class JobPostingError(ValueError):
    """A posting that cannot become a vacancy; ``field`` is where (``body.totalJobOpenings``)."""

    def __init__(self, field: str, problem: str):
        self.field, self.problem = field, problem
        super().__init__(f"{field}: {problem}")


@dataclass(frozen=True)
class ImportNote:
    property: str           # the JobPosting property the note is about
    target: str | None      # the vacancy field it set; None when it was ignored
    message: str


@dataclass(frozen=True)
class ImportedVacancy:
    vacancy: Vacancy
    notes: list[ImportNote]


# --------------------------------------------------------------------------- the JSON-LD documents


class JobPostingIn(BaseModel):
    """A schema.org JobPosting; properties skillpass does not read are accepted and reported."""

    model_config = ConfigDict(extra="allow", populate_by_name=True,
                              json_schema_extra={"example": {
                                  "@context": SCHEMA_ORG, "@type": "JobPosting", "title": "Heat pump installer",
                                  "occupationalCategory": "http://data.europa.eu/esco/occupation/"
                                                          "8234eee9-1647-460d-8d62-7fe02cb884b0",
                                  "jobLocation": {"@type": "Place", "address": {"addressLocality": "Helmond"}},
                                  "totalJobOpenings": 2, "workHours": "32-40 hours per week",
                                  "qualifications": "VCA Basis and NEN 3140 Voldoende Onderricht Persoon; "
                                                    "Dutch at B1 level",
                                  "educationRequirements": {"@type": "EducationalOccupationalCredential",
                                                            "credentialCategory": "MBO 2"}}})

    type_: Any = Field(default=None, alias="@type")
    title: Any = None
    occupationalCategory: Any = None
    jobLocation: Any = None
    totalJobOpenings: Any = None
    workHours: Any = None
    employmentType: Any = None
    skills: Any = None
    qualifications: Any = None
    educationRequirements: Any = None
    experienceRequirements: Any = None


class _Node(BaseModel):
    model_config = ConfigDict(populate_by_name=True)


class PropertyValue(_Node):
    type_: Literal["PropertyValue"] = Field(default="PropertyValue", alias="@type")
    propertyID: str
    value: str


class CategoryCode(_Node):
    type_: Literal["CategoryCode"] = Field(default="CategoryCode", alias="@type")
    inCodeSet: str
    codeValue: str
    name: str
    url: str | None = None


class GeoCoordinates(_Node):
    type_: Literal["GeoCoordinates"] = Field(default="GeoCoordinates", alias="@type")
    latitude: float
    longitude: float


class PostalAddress(_Node):
    type_: Literal["PostalAddress"] = Field(default="PostalAddress", alias="@type")
    addressCountry: str = "NL"
    addressLocality: str | None = None


class Place(_Node):
    type_: Literal["Place"] = Field(default="Place", alias="@type")
    geo: GeoCoordinates
    address: PostalAddress


class Organization(_Node):
    type_: Literal["Organization"] = Field(default="Organization", alias="@type")
    name: str


class Credential(_Node):
    type_: Literal["EducationalOccupationalCredential"] = Field(default="EducationalOccupationalCredential",
                                                                 alias="@type")
    credentialCategory: str
    name: str | None = None
    identifier: str | None = None
    url: str | None = None


class DefinedTerm(_Node):
    type_: Literal["DefinedTerm"] = Field(default="DefinedTerm", alias="@type")
    name: str
    termCode: str
    inDefinedTermSet: str = "skillpass hard skills"
    url: str | None = None


class JobPosting(_Node):
    """A vacancy as a schema.org JobPosting."""

    context: str = Field(default=SCHEMA_ORG, alias="@context")
    type_: Literal["JobPosting"] = Field(default="JobPosting", alias="@type")
    identifier: PropertyValue
    title: str
    description: str
    datePosted: date
    hiringOrganization: Organization
    occupationalCategory: list[CategoryCode]
    jobLocation: Place
    totalJobOpenings: int
    workHours: str
    employmentType: list[str]
    qualifications: list[Credential] = Field(description="Must-have hard skills and the Dutch level.")
    skills: list[DefinedTerm] = Field(description="Nice-to-have hard skills.")
    educationRequirements: Credential


# --------------------------------------------------------------------------- export


def _hours_text(low: int, high: int) -> str:
    return f"{low} hours per week" if low == high else f"{low}-{high} hours per week"


def jobposting_from_vacancy(vacancy: Vacancy, taxonomy: Taxonomy, *, employer_name: str,
                            date_posted: date) -> JobPosting:
    occupation = taxonomy.occupations.loc[vacancy.occupation_id]
    hard = taxonomy.hard_skills
    location = vacancy.location
    locality = (taxonomy.municipalities.loc[location.municipality_id, "name"]
                if location.municipality_id in taxonomy.municipalities.index else None)
    employment = (["FULL_TIME"] if vacancy.hours_min >= FULL_TIME_HOURS[0] else
                  ["PART_TIME"] if vacancy.hours_max < FULL_TIME_HOURS[0] else ["FULL_TIME", "PART_TIME"])
    required = [Credential(credentialCategory="certificate" if hard.loc[h, "kind"] == "certificate" else "competency",
                           name=hard.loc[h, "label_en"], identifier=h, url=hard.loc[h, "esco_uri"] or None)
                for h in vacancy.must_have]
    required.append(Credential(credentialCategory="language", name=f"Dutch at CEFR level {vacancy.min_dutch_cefr}"))
    openings = f"{vacancy.openings} opening" + ("s" if vacancy.openings > 1 else "")
    return JobPosting(
        identifier=PropertyValue(propertyID="skillpass:vacancy_id", value=vacancy.vacancy_id),
        title=vacancy.title,
        description=(f"{vacancy.title} ({occupation['label_en']}, {occupation['sector'].replace('_', ' ')}): "
                     f"{openings}, {_hours_text(vacancy.hours_min, vacancy.hours_max)}. A skill-based vacancy "
                     "on skillpass; candidates are matched on measured soft skills."),
        datePosted=date_posted,
        hiringOrganization=Organization(name=employer_name),
        occupationalCategory=[
            CategoryCode(inCodeSet=ESCO_CODE_SET, codeValue=occupation["esco_uri"], url=occupation["esco_uri"],
                         name=occupation["label_en"]),
            CategoryCode(inCodeSet=ISCO_CODE_SET, codeValue=occupation["isco_code"], name=occupation["label_en"])],
        jobLocation=Place(geo=GeoCoordinates(latitude=location.lat, longitude=location.lon),
                          address=PostalAddress(addressLocality=locality)),
        totalJobOpenings=vacancy.openings,
        workHours=_hours_text(vacancy.hours_min, vacancy.hours_max),
        employmentType=employment,
        qualifications=required,
        skills=[DefinedTerm(name=hard.loc[h, "label_en"], termCode=h, url=hard.loc[h, "esco_uri"] or None)
                for h in vacancy.nice_to_have],
        educationRequirements=Credential(credentialCategory=f"EQF level {vacancy.min_eqf}"),
    )


# --------------------------------------------------------------------------- reading values


def _items(value) -> list:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _texts(value) -> list[str]:
    """Every piece of text in a property: strings, and the textual fields of nodes."""
    texts = []
    for item in _items(value):
        if isinstance(item, str):
            texts.append(item)
        elif isinstance(item, Mapping):
            for key in ("name", "credentialCategory", "educationalLevel", "description", "codeValue"):
                texts.extend(t for t in _items(item.get(key)) if isinstance(t, str))
    return texts


def _identifiers(value) -> list[str]:
    return [item.get(key) for item in _items(value) if isinstance(item, Mapping)
            for key in ("termCode", "identifier") if isinstance(item.get(key), str)]


def _similarity(text: str, label: str) -> float:
    text, label = text.casefold().strip(), label.casefold()
    if re.search(rf"(?<!\w){re.escape(label)}(?!\w)", text):
        return 1.0
    return SequenceMatcher(None, text, label).ratio()


# --------------------------------------------------------------------------- occupation


def _best_by_label(taxonomy: Taxonomy, texts: list[str], among) -> tuple[str | None, float]:
    frame = taxonomy.occupations.loc[list(among)]
    best, best_score = None, 0.0
    for occupation_id, label_en, label_nl in zip(frame.index, frame["label_en"], frame["label_nl"], strict=True):
        score = max((_similarity(t, label) for t in texts for label in (label_en, label_nl)), default=0.0)
        if score > best_score:
            best, best_score = occupation_id, score
    return best, best_score


def _occupation(posting: Mapping, taxonomy: Taxonomy, chosen: str | None, notes: list[ImportNote]) -> str:
    if chosen is not None:
        if chosen not in taxonomy.occupation_ids:
            raise JobPostingError("query.occupation_id", f"unknown occupation {chosen!r}")
        notes.append(ImportNote("occupationalCategory", "occupation_id",
                                f"occupation {chosen!r} chosen in the request; occupationalCategory was not used"))
        return chosen
    occupations = taxonomy.occupations
    title_texts = [t for t in _items(posting.get("title")) if isinstance(t, str)]
    for item in _items(posting.get("occupationalCategory")):
        if isinstance(item, Mapping):
            codes = [str(item[k]) for k in ("codeValue", "url", "@id") if isinstance(item.get(k), str | int)]
        else:
            codes = [str(item)] if isinstance(item, str | int) else []
        names = [item.get("name")] if isinstance(item, Mapping) and isinstance(item.get("name"), str) else []
        for code in codes:
            uri = code.strip().replace("https://", "http://", 1).rstrip("/")
            if uri.startswith(ESCO_OCCUPATION):
                hits = occupations.index[occupations["esco_uri"] == uri]
                if len(hits):
                    notes.append(ImportNote("occupationalCategory", "occupation_id",
                                            f"ESCO occupation {uri} is {hits[0]!r}"))
                    return hits[0]
            isco = re.fullmatch(r"(?:ISCO(?:-08)?\W*)?(\d{4})", code.strip(), flags=re.IGNORECASE)
            if isco:
                hits = occupations.index[occupations["isco_code"] == isco.group(1)]
                if len(hits) == 1:
                    notes.append(ImportNote("occupationalCategory", "occupation_id",
                                            f"ISCO-08 code {isco.group(1)} is {hits[0]!r}"))
                    return hits[0]
                if len(hits) > 1:
                    best, _ = _best_by_label(taxonomy, names + title_texts, hits)
                    best = best or hits[0]
                    notes.append(ImportNote("occupationalCategory", "occupation_id",
                                            f"ISCO-08 code {isco.group(1)} covers {', '.join(hits)}; "
                                            f"{best!r} is closest to the title — check it"))
                    return best
        texts = names + [c for c in codes if not c.startswith(("http://", "https://"))]
        best, score = _best_by_label(taxonomy, texts, occupations.index)
        if best is not None and score >= OCCUPATION_SIMILARITY:
            notes.append(ImportNote("occupationalCategory", "occupation_id",
                                    f"{texts[0]!r} reads as occupation {best!r} "
                                    f"({occupations.loc[best, 'label_en']}) — check it"))
            return best
    if posting.get("occupationalCategory") is None and title_texts:
        best, score = _best_by_label(taxonomy, title_texts, occupations.index)
        if best is not None and score >= OCCUPATION_SIMILARITY:
            notes.append(ImportNote("title", "occupation_id",
                                    f"no occupationalCategory; the title reads as occupation {best!r} — check it"))
            return best
    raise JobPostingError("body.occupationalCategory",
                          "names none of the taxonomy's occupations (by ESCO URI, ISCO-08 code or label); "
                          "choose one with ?occupation_id= (see GET /taxonomy/occupations)")


# --------------------------------------------------------------------------- location


def _locality(taxonomy: Taxonomy, name: str) -> tuple[float, float, str | None] | None:
    """A locality's coordinates and municipality: a municipality, else a place in the gazetteer."""
    wanted = name.casefold().strip()
    municipalities = taxonomy.municipalities
    by_name = municipalities.index[municipalities["name"].str.casefold() == wanted]
    if len(by_name):
        row = municipalities.loc[by_name[0]]
        return float(row["lat"]), float(row["lon"]), by_name[0]
    places = taxonomy.places[taxonomy.places["name"].str.casefold() == wanted]
    if places.empty:
        return None
    place_id = places["population"].idxmax()
    members = municipalities["geonames_places"].str.split(";")
    owner = members.index[members.apply(lambda ids: place_id in ids)]
    return float(places.loc[place_id, "lat"]), float(places.loc[place_id, "lon"]), (owner[0] if len(owner) else None)


def _number(value, field: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise JobPostingError(field, f"{value!r} is not a number") from None
    return number


def _location(posting: Mapping, taxonomy: Taxonomy, notes: list[ImportNote]) -> Location:
    places = [p for p in _items(posting.get("jobLocation")) if isinstance(p, Mapping)]
    if not places:
        raise JobPostingError("body.jobLocation", "a place with geo coordinates or an addressLocality is needed")
    if len(places) > 1:
        notes.append(ImportNote("jobLocation", "location", f"{len(places)} places given; the first is used"))
    place = places[0]
    geo = place.get("geo") if isinstance(place.get("geo"), Mapping) else None
    address = place.get("address") if isinstance(place.get("address"), Mapping) else {}
    locality_name = address.get("addressLocality") if isinstance(address.get("addressLocality"), str) else None
    locality = _locality(taxonomy, locality_name) if locality_name else None
    municipality = locality[2] if locality else None
    if geo is not None and geo.get("latitude") is not None and geo.get("longitude") is not None:
        lat = _number(geo["latitude"], "body.jobLocation.geo.latitude")
        lon = _number(geo["longitude"], "body.jobLocation.geo.longitude")
        if not (-90 <= lat <= 90):
            raise JobPostingError("body.jobLocation.geo.latitude", f"{lat:g} is outside -90–90")
        if not (-180 <= lon <= 180):
            raise JobPostingError("body.jobLocation.geo.longitude", f"{lon:g} is outside -180–180")
        notes.append(ImportNote("jobLocation", "location", "coordinates from jobLocation.geo"
                                + (f"; municipality {municipality!r} from the address" if municipality else "")))
        return Location(lat=lat, lon=lon, municipality_id=municipality)
    if locality_name is None:
        raise JobPostingError("body.jobLocation", "a place with geo coordinates or an addressLocality is needed")
    if locality is None:
        raise JobPostingError("body.jobLocation.address.addressLocality",
                              f"{locality_name!r} is not in the gazetteer of Dutch places; give jobLocation.geo")
    notes.append(ImportNote("jobLocation", "location", f"coordinates of {locality_name!r} from the gazetteer"
                            + (f" (municipality {municipality!r})" if municipality else "")))
    return Location(lat=locality[0], lon=locality[1], municipality_id=municipality)


# --------------------------------------------------------------------------- logistics


def _openings(posting: Mapping, notes: list[ImportNote]) -> int:
    value = posting.get("totalJobOpenings")
    if value is None:
        notes.append(ImportNote("totalJobOpenings", "openings", "not given; 1 opening"))
        return 1
    if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).strip().isdigit():
        raise JobPostingError("body.totalJobOpenings", f"{value!r} is not a whole number")
    openings = int(value)
    if not 1 <= openings <= 10_000:
        raise JobPostingError("body.totalJobOpenings", f"{openings} is outside 1–10000")
    notes.append(ImportNote("totalJobOpenings", "openings", f"{openings} opening(s)"))
    return openings


def _hours(posting: Mapping, occupation, notes: list[ImportNote]) -> tuple[int, int] | None:
    work_hours, employment = posting.get("workHours"), _items(posting.get("employmentType"))
    if work_hours is not None:
        text = str(work_hours)
        span = re.search(r"(\d{1,3})\s*(?:-|–|—|to|tot|t/m)\s*(\d{1,3})", text)
        single = re.search(r"\d{1,3}", text)
        if span:
            low, high = int(span.group(1)), int(span.group(2))
        elif single:
            low = high = int(single.group(0))
        else:
            raise JobPostingError("body.workHours", f"{text!r} states no hours per week")
        if not (1 <= low <= high <= 48):
            raise JobPostingError("body.workHours", f"{low}-{high} hours per week: expected 1 ≤ min ≤ max ≤ 48")
        notes.append(ImportNote("workHours", "hours_min, hours_max", f"{low}-{high} hours per week"))
        if employment:
            notes.append(ImportNote("employmentType", None, "not used: workHours states the hours"))
        return low, high
    kinds = {str(e).upper() for e in employment}
    if kinds == {"FULL_TIME"}:
        notes.append(ImportNote("employmentType", "hours_min, hours_max",
                                f"FULL_TIME: {FULL_TIME_HOURS[0]}-{FULL_TIME_HOURS[1]} hours per week"))
        return FULL_TIME_HOURS
    if kinds == {"PART_TIME"}:
        low = min(int(occupation["hours_min"]), PART_TIME_MAX_HOURS)
        high = min(int(occupation["hours_max"]), PART_TIME_MAX_HOURS)
        notes.append(ImportNote("employmentType", "hours_min, hours_max", f"PART_TIME: {low}-{high} hours per week"))
        return low, high
    notes.append(ImportNote("workHours", "hours_min, hours_max",
                            f"no hours stated; the occupation's {occupation['hours_min']}-{occupation['hours_max']}"))
    if employment:
        notes.append(ImportNote("employmentType", None, f"{', '.join(sorted(kinds))} says nothing about hours"))
    return None


# --------------------------------------------------------------------------- requirements


def _hard_skills_in(value, taxonomy: Taxonomy) -> list[str]:
    """Hard skills a property names: by id in structured nodes, by label (en or nl) in text.

    Longer labels are matched first and blanked out, so a label inside a longer one is
    not counted twice.
    """
    found = [i for i in _identifiers(value) if i in taxonomy.hard_skill_ids]
    text = " \n ".join(_texts(value))
    hard = taxonomy.hard_skills
    labels = sorted([*zip(hard["label_en"], hard.index), *zip(hard["label_nl"], hard.index)],
                    key=lambda pair: -len(pair[0]))
    for label, hard_id in labels:
        pattern = re.compile(rf"(?<!\w){re.escape(label)}(?!\w)", re.IGNORECASE)
        if pattern.search(text):
            found.append(hard_id)
            text = pattern.sub(" ", text)
    return list(dict.fromkeys(found))


def _requirement_lists(posting: Mapping, taxonomy: Taxonomy, defaults: tuple[list[str], list[str]],
                       notes: list[ImportNote]) -> tuple[list[str], list[str]]:
    """Must-have and nice-to-have hard skills.

    A property given as a JSON array is the complete list; text only adds to the
    occupation's lists, because free text rarely names every certificate the job needs.
    """
    must, nice = list(defaults[0]), list(defaults[1])
    required = {p: _hard_skills_in(posting.get(p), taxonomy) for p in REQUIRED_SOURCES if posting.get(p) is not None}
    stated_required = list(dict.fromkeys(h for found in required.values() for h in found))
    if isinstance(posting.get("qualifications"), list):
        must = stated_required
        notes.append(ImportNote("qualifications", "must_have",
                                f"the list is complete: must-have {', '.join(must) or 'nothing'}"))
    elif stated_required:
        added = [h for h in stated_required if h not in must]
        must += added
        notes.append(ImportNote(", ".join(p for p, found in required.items() if found), "must_have",
                                f"named {', '.join(stated_required)}; added to the occupation's must-haves: "
                                f"{', '.join(added) or 'nothing new'}"))
    else:
        notes.append(ImportNote("qualifications", "must_have",
                                f"no hard skill named; the occupation's must-haves: {', '.join(must) or 'none'}"))
    desired = _hard_skills_in(posting.get("skills"), taxonomy) if posting.get("skills") is not None else []
    if isinstance(posting.get("skills"), list):
        nice = desired
        notes.append(ImportNote("skills", "nice_to_have",
                                f"the list is complete: nice-to-have {', '.join(nice) or 'nothing'}"))
    elif desired:
        added = [h for h in desired if h not in nice]
        nice += added
        notes.append(ImportNote("skills", "nice_to_have", f"named {', '.join(desired)}; added to the "
                                f"occupation's nice-to-haves: {', '.join(added) or 'nothing new'}"))
    moved = [h for h in nice if h in must]
    if moved:
        notes.append(ImportNote("skills", "nice_to_have", f"{', '.join(moved)} already must-have"))
    return must, [h for h in nice if h not in must]


def _education_level(posting: Mapping, notes: list[ImportNote]) -> int | None:
    """The lowest EQF level the education requirements state (Dutch MBO n is EQF n)."""
    levels = []
    for text in _texts(posting.get("educationRequirements")):
        levels += [int(m) for m in re.findall(r"\bEQF\b\D{0,12}?([1-8])\b", text, flags=re.IGNORECASE)]
        levels += [int(m) for m in re.findall(r"\bMBO\b\W{0,12}?(?:level\W*|niveau\W*)?([1-4])\b", text,
                                                flags=re.IGNORECASE)]
    if not levels:
        if posting.get("educationRequirements") is not None:
            notes.append(ImportNote("educationRequirements", None,
                                    "states no EQF or MBO level; min_eqf from the occupation"))
        return None
    notes.append(ImportNote("educationRequirements", "min_eqf", f"EQF level {min(levels)}"))
    return min(levels)


def _dutch_level(posting: Mapping, notes: list[ImportNote]) -> str | None:
    texts = [t for p in REQUIRED_SOURCES for t in _texts(posting.get(p))]
    for text in texts:
        match = (re.search(r"(?:dutch|nederlands)[^.;\n]{0,30}?\b([ABC][12])\b", text, flags=re.IGNORECASE)
                 or re.search(r"\b([ABC][12])\b[^.;\n]{0,20}?(?:dutch|nederlands)", text, flags=re.IGNORECASE))
        if match:
            level = match.group(1).upper()
            notes.append(ImportNote("qualifications", "min_dutch_cefr", f"Dutch at CEFR {level}"))
            return level
    return None


# --------------------------------------------------------------------------- import


def _check_type(posting: Mapping) -> None:
    kind = posting.get("@type")
    if kind is not None and "JobPosting" not in _items(kind):
        raise JobPostingError("body.@type", f"expected a JobPosting, got {kind!r}")


def _title(posting: Mapping, notes: list[ImportNote]) -> str | None:
    title = posting.get("title")
    if title is None or (isinstance(title, str) and not title.strip()):
        notes.append(ImportNote("title", "title", "not given; the occupation's name"))
        return None
    if not isinstance(title, str):
        raise JobPostingError("body.title", "must be text")
    if len(title) > 200:
        raise JobPostingError("body.title", f"{len(title)} characters; at most 200")
    return title


_VACANCY_FIELD_SOURCE = {"title": "title", "openings": "totalJobOpenings", "hours_min": "workHours",
                         "hours_max": "workHours", "location": "jobLocation", "min_eqf": "educationRequirements",
                         "min_dutch_cefr": "qualifications", "must_have": "qualifications", "nice_to_have": "skills"}


def vacancy_from_jobposting(posting: Mapping[str, Any], taxonomy: Taxonomy, *, vacancy_id: str, employer_id: str,
                            occupation_id: str | None = None) -> ImportedVacancy:
    """A vacancy from a JobPosting document, and notes on how each property was read.

    Raises :class:`JobPostingError` naming the property when the posting cannot be read.
    """
    notes: list[ImportNote] = []
    _check_type(posting)
    occupation_id = _occupation(posting, taxonomy, occupation_id, notes)
    occupation = taxonomy.occupations.loc[occupation_id]
    o = taxonomy.occupation_ids.index(occupation_id)
    hard_ids = list(taxonomy.hard_skill_ids)
    defaults = ([h for h, on in zip(hard_ids, taxonomy.occupation_essential[o], strict=True) if on],
                [h for h, on in zip(hard_ids, taxonomy.occupation_optional[o], strict=True) if on])
    overrides: dict[str, Any] = {}
    title = _title(posting, notes)
    if title is not None:
        overrides["title"] = title
    location = _location(posting, taxonomy, notes)
    openings = _openings(posting, notes)
    hours = _hours(posting, occupation, notes)
    if hours is not None:
        overrides["hours_min"], overrides["hours_max"] = hours
    overrides["must_have"], overrides["nice_to_have"] = _requirement_lists(posting, taxonomy, defaults, notes)
    eqf = _education_level(posting, notes)
    if eqf is not None:
        overrides["min_eqf"] = eqf
    dutch = _dutch_level(posting, notes)
    if dutch is not None:
        overrides["min_dutch_cefr"] = dutch
    else:
        notes.append(ImportNote("qualifications", "min_dutch_cefr",
                                f"no Dutch level stated; the occupation's {occupation['min_dutch_cefr']}"))
    notes.append(ImportNote("occupationalCategory", "requirements",
                            "soft-skill requirements come from the occupation profile; adjust them with "
                            "PATCH /vacancies/{vacancy_id}"))
    for name in posting:
        if name not in USED and name not in JSON_LD_KEYWORDS:
            notes.append(ImportNote(name, None, f"ignored: {IGNORED_BECAUSE.get(name, 'skillpass does not use it')}"))
    try:
        vacancy = Vacancy.from_occupation(taxonomy, occupation_id, vacancy_id=vacancy_id, employer_id=employer_id,
                                          location=location, openings=openings, **overrides)
    except ValidationError as exc:
        error = exc.errors()[0]
        source = _VACANCY_FIELD_SOURCE.get(str(error["loc"][0]) if error["loc"] else "", "")
        raise JobPostingError(f"body.{source}" if source else "body", error["msg"]) from None
    return ImportedVacancy(vacancy=vacancy, notes=notes)
