"""The skills language, read-only and public: no sign-in, no personal data.

Soft skills (with their ESCO and O*NET correspondences), hard skills, sectors,
occupations with their requirement profiles, the reference training catalogue and the
region's municipalities, straight from the loaded taxonomy. The lists are small, so
they come whole.
"""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from passport.taxonomy import Taxonomy
from service.api.deps import Context
from service.api.errors import not_found

router = APIRouter(prefix="/taxonomy", tags=["taxonomy"])


class EscoCorrespondence(BaseModel):
    uri: str
    label: str
    t_code: str = Field(description="The ESCO transversal-skill hierarchy code, e.g. T4.1.")
    match: str = Field(description="exact, close or broader.")


class OnetCorrespondence(BaseModel):
    id: str
    name: str
    kind: str


class SoftSkillOut(BaseModel):
    skill_id: str
    cluster: str
    label_en: str
    label_nl: str
    definition_en: str
    definition_nl: str
    esco: EscoCorrespondence
    onet: OnetCorrespondence


class HardSkillOut(BaseModel):
    hard_skill_id: str
    kind: str = Field(description="certificate or esco_skill.")
    label_en: str
    label_nl: str
    esco_uri: str | None
    notes: str


class SectorOut(BaseModel):
    sector: str
    occupation_ids: list[str]
    training_ids: list[str] = Field(description="Catalogue trainings for this sector (not those for 'all').")


class OccupationOut(BaseModel):
    occupation_id: str
    sector: str
    label_en: str
    label_nl: str
    esco_uri: str
    isco_code: str
    eqf_level: int
    min_dutch_cefr: str
    hours_min: int
    hours_max: int


class SkillRequirementOut(BaseModel):
    skill_id: str
    level: float = Field(description="Required mastery level, 1–5.")
    importance: float = Field(description="0 (ignored) to 3 (critical).")


class OccupationProfileOut(OccupationOut):
    requirements: list[SkillRequirementOut] = Field(description="One per soft skill, in taxonomy order.")
    essential_hard_skills: list[str]
    optional_hard_skills: list[str]


class CatalogueTrainingOut(BaseModel):
    training_id: str
    kind: str
    label_en: str
    label_nl: str
    sector: str
    duration_weeks: float
    cost_eur: float
    seats: int
    min_dutch_cefr: str
    min_eqf: int
    prerequisite_hard_skill: str | None
    grants_hard_skill: str | None
    dutch_cefr_uplift: int
    uplift: dict[str, float] = Field(description="Mastery levels gained per soft skill (only those raised).")


class MunicipalityOut(BaseModel):
    municipality_id: str
    name: str
    lat: float
    lon: float
    population: int


def _occupation_fields(taxonomy: Taxonomy, occupation_id: str) -> dict:
    row = taxonomy.occupations.loc[occupation_id]
    return dict(occupation_id=occupation_id, sector=row["sector"], label_en=row["label_en"], label_nl=row["label_nl"],
                esco_uri=row["esco_uri"], isco_code=row["isco_code"], eqf_level=int(row["eqf_level"]),
                min_dutch_cefr=row["min_dutch_cefr"], hours_min=int(row["hours_min"]),
                hours_max=int(row["hours_max"]))


@router.get("/skills", response_model=list[SoftSkillOut], summary="The soft skills, in their fixed column order")
def soft_skills(ctx: Context) -> list[SoftSkillOut]:
    frame = ctx.taxonomy.soft_skills
    return [SoftSkillOut(skill_id=skill_id, cluster=r["cluster"], label_en=r["label_en"], label_nl=r["label_nl"],
                         definition_en=r["definition_en"], definition_nl=r["definition_nl"],
                         esco=EscoCorrespondence(uri=r["esco_uri"], label=r["esco_label"], t_code=r["esco_t_code"],
                                                 match=r["esco_match"]),
                         onet=OnetCorrespondence(id=r["onet_id"], name=r["onet_name"], kind=r["onet_kind"]))
            for skill_id, r in frame.iterrows()]


@router.get("/hard-skills", response_model=list[HardSkillOut], summary="Hard skills and certificates")
def hard_skills(ctx: Context) -> list[HardSkillOut]:
    return [HardSkillOut(hard_skill_id=hard_id, kind=r["kind"], label_en=r["label_en"], label_nl=r["label_nl"],
                         esco_uri=r["esco_uri"] or None, notes=r["notes"])
            for hard_id, r in ctx.taxonomy.hard_skills.iterrows()]


@router.get("/sectors", response_model=list[SectorOut], summary="Sectors with their occupations and trainings")
def sectors(ctx: Context) -> list[SectorOut]:
    taxonomy = ctx.taxonomy
    occupations = taxonomy.occupations.groupby("sector").groups
    trainings = taxonomy.trainings.groupby("sector").groups
    return [SectorOut(sector=s, occupation_ids=list(occupations.get(s, [])), training_ids=list(trainings.get(s, [])))
            for s in taxonomy.sectors]


@router.get("/occupations", response_model=list[OccupationOut], summary="Occupations (without their profiles)")
def occupations(ctx: Context) -> list[OccupationOut]:
    return [OccupationOut(**_occupation_fields(ctx.taxonomy, o)) for o in ctx.taxonomy.occupation_ids]


@router.get("/occupations/{occupation_id}", response_model=OccupationProfileOut,
            summary="An occupation's requirement profile: what a vacancy for it starts from")
def occupation_profile(occupation_id: str, ctx: Context) -> OccupationProfileOut:
    taxonomy = ctx.taxonomy
    if occupation_id not in taxonomy.occupation_ids:
        raise not_found("occupation", occupation_id, "path.occupation_id")
    o = taxonomy.occupation_ids.index(occupation_id)
    hard_ids = list(taxonomy.hard_skill_ids)
    return OccupationProfileOut(
        **_occupation_fields(taxonomy, occupation_id),
        requirements=[SkillRequirementOut(skill_id=s, level=float(taxonomy.occupation_levels[o, k]),
                                          importance=float(taxonomy.occupation_importance[o, k]))
                      for k, s in enumerate(taxonomy.skill_ids)],
        essential_hard_skills=[h for h, on in zip(hard_ids, taxonomy.occupation_essential[o], strict=True) if on],
        optional_hard_skills=[h for h, on in zip(hard_ids, taxonomy.occupation_optional[o], strict=True) if on])


@router.get("/trainings", response_model=list[CatalogueTrainingOut],
            summary="The reference training catalogue (partners' live offers are under /trainings)")
def catalogue_trainings(ctx: Context) -> list[CatalogueTrainingOut]:
    taxonomy = ctx.taxonomy
    out = []
    for i, (training_id, r) in enumerate(taxonomy.trainings.iterrows()):
        raised = taxonomy.training_uplift[i]
        out.append(CatalogueTrainingOut(
            training_id=training_id, kind=r["kind"], label_en=r["label_en"], label_nl=r["label_nl"], sector=r["sector"],
            duration_weeks=float(r["duration_weeks"]), cost_eur=float(r["cost_eur"]), seats=int(r["seats"]),
            min_dutch_cefr=r["min_dutch_cefr"], min_eqf=int(r["min_eqf"]),
            prerequisite_hard_skill=r["prerequisite_hard_skill"] or None,
            grants_hard_skill=r["grants_hard_skill"] or None,
            dutch_cefr_uplift=int(r["dutch_cefr_uplift"]),
            uplift={s: float(raised[k]) for k, s in enumerate(taxonomy.skill_ids) if raised[k] > 0}))
    return out


@router.get("/municipalities", response_model=list[MunicipalityOut],
            summary="The region's municipalities (valid location.municipality_id values)")
def municipalities(ctx: Context) -> list[MunicipalityOut]:
    return [MunicipalityOut(municipality_id=m, name=r["name"], lat=float(r["lat"]), lon=float(r["lon"]),
                            population=int(r["population"]))
            for m, r in ctx.taxonomy.municipalities.iterrows()]
