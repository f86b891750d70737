"""Every ESCO URI in data/ exists in the official ESCO classification (../shared/esco)."""

from __future__ import annotations

import pandas as pd
import pytest


@pytest.fixture(scope="module")
def esco(shared_dir):
    folder = shared_dir / "esco"
    skills = pd.read_csv(folder / "skills_en.csv", usecols=["conceptUri", "preferredLabel"])
    occupations = pd.read_csv(folder / "occupations_en.csv", usecols=["conceptUri", "preferredLabel", "iscoGroup"])
    transversal = pd.read_csv(folder / "transversalSkillsCollection_en.csv",
                              usecols=["conceptUri", "broaderConceptUri"])
    hierarchy = pd.read_csv(folder / "skillsHierarchy_en.csv", usecols=["Level 2 URI", "Level 2 code"]).dropna()
    return skills, occupations, transversal, hierarchy


@pytest.mark.external
def test_soft_skills_point_at_real_esco_skills_with_their_labels(esco, taxonomy):
    skills = esco[0].set_index("conceptUri")["preferredLabel"]
    soft = taxonomy.soft_skills
    assert soft["esco_uri"].isin(skills.index).all()
    # ESCO itself carries stray spaces in some labels ("plan "), so compare stripped text.
    assert (skills.loc[soft["esco_uri"]].str.strip().to_numpy() == soft["esco_label"].to_numpy()).all()


@pytest.mark.external
def test_t_codes_are_the_esco_group_of_each_transversal_skill(esco, taxonomy):
    _, _, transversal, hierarchy = esco
    group_code = hierarchy.drop_duplicates().set_index("Level 2 URI")["Level 2 code"]
    broader = transversal.set_index("conceptUri")["broaderConceptUri"].str.split(" | ", regex=False).str[0]
    soft = taxonomy.soft_skills
    in_collection = soft["esco_uri"].isin(broader.index)
    assert in_collection.sum() >= 18, "most soft skills should map onto ESCO transversal skills"
    expected = group_code.reindex(broader.loc[soft.loc[in_collection, "esco_uri"]].to_numpy()).to_numpy()
    assert (expected == soft.loc[in_collection, "esco_t_code"].to_numpy()).all()


@pytest.mark.external
def test_hard_skills_and_occupations_exist_in_esco(esco, taxonomy):
    skills, occupations, _, _ = esco
    uris = taxonomy.hard_skills["esco_uri"]
    assert uris[uris != ""].isin(skills["conceptUri"]).all()
    occ = occupations.set_index("conceptUri")
    assert taxonomy.occupations["esco_uri"].isin(occ.index).all()
    isco = occ.loc[taxonomy.occupations["esco_uri"], "iscoGroup"].astype(str).to_numpy()
    assert (isco == taxonomy.occupations["isco_code"].to_numpy()).all()
