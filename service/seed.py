"""The demo region: seeded on the first start of an empty database.

A South-East Brabant-like synthetic market (matching.synthetic) becomes real records: a
partner organisation with its caseload of seekers (accounts without passwords, passports
with consent as the synthetic market drew it), employers with skill-based vacancies, the
training catalogue as the partner's offers, and one demo account per role whose
credentials the README lists. Nothing here runs when the database already has accounts.
"""

from __future__ import annotations

from datetime import datetime, timezone

import numpy as np
from sqlalchemy import func, insert, select

from passport.evidence import evidence_from_profile
from passport.issuance import issue_passport, set_consent
from passport.models import (CEFR_LEVELS, HardSkillClaim, LanguageSkill, Location, Preferences, Provenance,
                             Requirement, SkillProfile, TrainingOffer, Vacancy)
from matching.candidates import Knockout, knockout_codes
from passport.population import SeekerArrays, TrainingArrays, VacancyArrays
from service.api.passport_store import save_history
from service.api.security import hash_password
from service.db.catalogue import bump
from service.db.tables import (Account, CoachAssignment, MonitoringAttribute, Organisation, TrainingOfferRecord,
                               VacancyRecord, new_id)

DEMO_PASSWORD = "skillpass-demo"
DEMO_ROLES = ("seeker", "coach", "employer", "partner", "analyst", "admin")
DEMO_EMPLOYERS = ("Zorggroep De Kempen", "Installatietechniek Brabant", "Logistiek Park Eindhoven",
                  "Maakindustrie Helmond")
MONITORED = ("gender", "age_band", "migration_background", "long_term_unemployed")


def _passport_history(taxonomy, seekers: SeekerArrays, i: int, holder_id: str, at: datetime, consent: tuple[bool, bool]):
    profile = SkillProfile.from_arrays(taxonomy, seekers.levels[i], seekers.se[i], seekers.measured[i])
    hard_ids = np.asarray(taxonomy.hard_skill_ids, dtype=object)[seekers.hard[i]]
    languages = ([LanguageSkill(language="nl", cefr=CEFR_LEVELS[int(seekers.dutch_cefr[i]) - 1])]
                 if seekers.dutch_cefr[i] > 0 else [])
    excluded = [s for s, x in zip(taxonomy.sectors, seekers.sector_excluded[i], strict=True) if x]
    wanted = [s for s, x in zip(taxonomy.sectors, seekers.sector_pref[i], strict=True) if x]
    history = issue_passport(
        taxonomy, passport_id=f"pp-{holder_id[:16]}", holder_id=holder_id, education_eqf=int(seekers.eqf[i]),
        location=Location(lat=float(seekers.lat[i]), lon=float(seekers.lon[i])),
        evidence=evidence_from_profile(profile, observed_at=at, recorded_by="skillsprint"),
        hard_skills=[HardSkillClaim(hard_skill_id=h, evidence="verified") for h in hard_ids], languages=languages,
        preferences=Preferences(sectors=[] if len(wanted) == len(taxonomy.sectors) else wanted,
                                excluded_sectors=excluded, hours_min=int(seekers.hours_min[i]),
                                hours_max=int(seekers.hours_max[i]), max_travel_km=float(seekers.max_travel_km[i])),
        provenance=Provenance(method="synthetic"), actor="seed", at=at)
    visible, batch = consent
    if visible or batch:
        history = set_consent(history, visible_to_employers=visible, include_in_batch_matching=batch,
                              actor=holder_id, at=at)
    return history


def vacancy_documents(taxonomy, vacancies: VacancyArrays, employer_ids, *, id_prefix: str = "vac-") -> list[dict]:
    """Vacancy JSON documents from synthetic vacancy arrays (one per row)."""
    hard_ids = np.asarray(taxonomy.hard_skill_ids, dtype=object)
    documents = []
    for i in range(vacancies.n):
        occupation = taxonomy.occupation_ids[int(vacancies.occupation[i])]
        vacancy = Vacancy(
            vacancy_id=f"{id_prefix}{vacancies.ids[i]}", employer_id=employer_ids[i], occupation_id=occupation,
            title=str(taxonomy.occupations.loc[occupation, "label_en"]),
            requirements={s: Requirement(level=float(vacancies.required[i, k]),
                                         importance=float(vacancies.importance[i, k]))
                          for k, s in enumerate(taxonomy.skill_ids)},
            must_have=hard_ids[vacancies.must_have[i]].tolist(),
            nice_to_have=hard_ids[vacancies.nice_to_have[i] & ~vacancies.must_have[i]].tolist(),
            min_dutch_cefr=CEFR_LEVELS[max(int(vacancies.min_dutch_cefr[i]), 1) - 1],
            min_eqf=int(vacancies.min_eqf[i]), location=Location(lat=float(vacancies.lat[i]), lon=float(vacancies.lon[i])),
            hours_min=int(vacancies.hours_min[i]), hours_max=int(vacancies.hours_max[i]),
            openings=int(vacancies.openings[i]))
        documents.append(vacancy.model_dump(mode="json"))
    return documents


def training_documents(taxonomy, trainings: TrainingArrays) -> list[dict]:
    catalogue = taxonomy.trainings
    skill_ids, hard_ids = taxonomy.skill_ids, taxonomy.hard_skill_ids
    documents = []
    for i, training_id in enumerate(trainings.ids):
        row = catalogue.loc[training_id]
        grants = np.flatnonzero(trainings.grants[i])
        prerequisite = np.flatnonzero(trainings.prerequisite[i])
        offer = TrainingOffer(
            training_id=str(training_id), kind=row["kind"], label=str(row["label_en"]), sector=str(row["sector"]),
            duration_weeks=float(trainings.duration_weeks[i]), cost_eur=float(trainings.cost_eur[i]),
            seats=int(trainings.seats[i]),
            uplift={skill_ids[k]: round(float(u), 3) for k, u in enumerate(trainings.uplift[i]) if u > 0},
            grants_hard_skill=hard_ids[grants[0]] if len(grants) else None,
            prerequisite_hard_skill=hard_ids[prerequisite[0]] if len(prerequisite) else None,
            min_dutch_cefr=CEFR_LEVELS[max(int(trainings.min_dutch_cefr[i]), 1) - 1],
            min_eqf=int(trainings.min_eqf[i]))
        documents.append(offer.model_dump(mode="json"))
    return documents


def seed_demo(ctx, *, n_seekers: int = 300, n_vacancies: int = 250, seed: int = 7) -> bool:
    """Seed an empty database with the demo region; False when it already has accounts."""
    from matching.synthetic import generate_market

    with ctx.sessions() as db:
        if db.scalar(select(func.count()).select_from(Account)):
            return False
    taxonomy = ctx.taxonomy
    market = generate_market(n_seekers=n_seekers, n_vacancies=n_vacancies, n_trainings=len(taxonomy.training_ids),
                             seed=seed, taxonomy=taxonomy)
    at = datetime.now(timezone.utc)
    rng = np.random.default_rng(seed)
    with ctx.sessions() as db, db.begin():
        partner = Organisation(id=new_id(), name="Gemeente Eindhoven (demo partner)", kind="partner")
        employers = [Organisation(id=new_id(), name=name, kind="employer") for name in DEMO_EMPLOYERS]
        db.add_all([partner, *employers])
        db.flush()  # no ORM relationships, so the unit of work does not order these inserts itself
        password = hash_password(DEMO_PASSWORD)
        demo = {}
        for role in DEMO_ROLES:
            organisation = {"employer": employers[0].id, "partner": partner.id, "coach": partner.id,
                            "seeker": partner.id}.get(role)
            demo[role] = Account(id=new_id(), username=f"demo-{role}", password_hash=password, role=role,
                                 display_name=f"Demo {role}", organisation_id=organisation)
        db.add_all(demo.values())
        # The caseload. The demo seeker is the one with the most vacancies open to them, so the
        # demo shows full lists; the rest sign in only through their coach.
        codes, _, _ = knockout_codes(market.seekers, market.vacancies)
        demo_row = int(np.argmax((codes == Knockout.FEASIBLE).sum(axis=1)))
        holders = [new_id() for _ in range(market.seekers.n)]
        holders[demo_row] = demo["seeker"].id
        db.add_all([Account(id=h, username=f"seeker-{h[:12]}", password_hash=None, role="seeker",
                            display_name=f"Seeker {k}", organisation_id=partner.id)
                    for k, h in enumerate(holders) if k != demo_row])
        db.flush()
        visible = rng.random(market.seekers.n) < 0.75
        batch = market.seekers.consent_matching.copy()
        visible[demo_row] = batch[demo_row] = True
        for i, holder in enumerate(holders):
            save_history(db, holder, _passport_history(taxonomy, market.seekers, i, holder, at,
                                                       (bool(visible[i]), bool(batch[i]))))
        caseload = [demo["seeker"].id] + [h for k, h in enumerate(holders[:25]) if k != demo_row][:24]
        db.add_all([CoachAssignment(coach_id=demo["coach"].id, seeker_id=h) for h in caseload])
        groups = market.groups
        db.execute(insert(MonitoringAttribute), [
            {"account_id": holders[i], "attribute": name, "value": str(groups[name].iloc[i]).lower()}
            for name in MONITORED for i in range(market.seekers.n)])
        employer_of = [employers[k % len(employers)].id for k in range(market.vacancies.n)]
        db.execute(insert(VacancyRecord), [
            {"vacancy_id": d["vacancy_id"], "employer_id": d["employer_id"], "status": "open", "document": d,
             "version": 1, "created_by": None, "created_at": at, "updated_at": at}
            for d in vacancy_documents(taxonomy, market.vacancies, employer_of)])
        db.execute(insert(TrainingOfferRecord), [
            {"training_id": d["training_id"], "partner_id": partner.id, "active": True, "document": d, "version": 1,
             "updated_at": at}
            for d in training_documents(taxonomy, TrainingArrays.from_taxonomy(taxonomy))])
        for name in ("vacancies", "trainings"):
            bump(db, name)
    return True


def add_synthetic_vacancies(ctx, n: int, *, seed: int = 11, chunk: int = 5_000) -> int:
    """Store *n* more synthetic open vacancies, spread over the demo employers (load checks)."""
    from matching.synthetic.market import MarketConfig, generate_vacancies

    taxonomy = ctx.taxonomy
    with ctx.sessions() as db:
        employers = list(db.scalars(select(Organisation.id).where(Organisation.kind == "employer")))
    if not employers:
        raise ValueError("no employer organisation to own the vacancies; seed the demo region first")
    config = MarketConfig(n_seekers=1, n_vacancies=n, n_trainings=1, seed=seed)
    vacancies = generate_vacancies(config, taxonomy, np.random.default_rng(seed))
    at = datetime.now(timezone.utc)
    prefix = f"vac-s{seed}-"
    for start in range(0, n, chunk):
        part = vacancies.take(np.arange(start, min(start + chunk, n)))
        owners = [employers[k % len(employers)] for k in range(start, start + part.n)]
        rows = [{"vacancy_id": d["vacancy_id"], "employer_id": d["employer_id"], "status": "open", "document": d,
                 "version": 1, "created_by": None, "created_at": at, "updated_at": at}
                for d in vacancy_documents(taxonomy, part, owners, id_prefix=prefix)]
        with ctx.sessions() as db, db.begin():
            db.execute(insert(VacancyRecord), rows)
            bump(db, "vacancies")
    return n
