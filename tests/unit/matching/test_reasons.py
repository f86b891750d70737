"""Plain-language reasons: contributions, strengths and gaps, trainings, ranks, languages."""

from __future__ import annotations

import re

import numpy as np
import pytest

from matching import RuleBasedScorer
from matching.candidates import FeatureScorer, generate_candidates
from matching.features import CORE_FEATURES, feature_names, pair_features
from matching.learned import AdditivePlacementModel, schema_monotonic_cst
from matching.pathways import training_eligibility
from matching.reasons import LANGUAGES, course_texts, explain_pairs, pair_contributions
from matching.synthetic import generate_market
from tests.arrays import replace_row

SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


@pytest.fixture(scope="module")
def market(taxonomy):
    return generate_market(n_seekers=300, n_vacancies=80, seed=3, passports="noise", taxonomy=taxonomy)


@pytest.fixture(scope="module")
def graph(market):
    return generate_candidates(market.seekers, market.vacancies, FeatureScorer(RuleBasedScorer(), market.taxonomy),
                               top_k=30)


@pytest.fixture(scope="module")
def training_data(market, graph):
    X = pair_features(market.seekers, market.vacancies, graph.seeker, graph.vacancy, market.taxonomy)
    p = market.truth.probability(market.seekers, market.vacancies, graph.seeker, graph.vacancy)
    y = (np.random.default_rng(0).random(len(p)) < p).astype(int)
    return X, y


@pytest.fixture(scope="module")
def rule(training_data):
    return RuleBasedScorer().fit(*training_data)


@pytest.fixture(scope="module")
def learned(training_data, market):
    # A fast learning rate: with 50 rounds on ~2,000 pairs the default rate never reaches
    # the weaker effects (travel among them) that the reasons are tested on.
    return AdditivePlacementModel(max_iter=50, learning_rate=0.2, random_state=0,
                                  monotonic_cst=schema_monotonic_cst(market.taxonomy)).fit(*training_data)


@pytest.fixture(scope="module", params=["rule", "learned"])
def model(request, rule, learned):
    return rule if request.param == "rule" else learned


def first_pairs(graph, n):
    """Every seeker's best vacancy, for the first *n* seekers that have one."""
    first = np.flatnonzero(np.r_[True, graph.seeker[1:] != graph.seeker[:-1]])[:n]
    return graph.seeker[first], graph.vacancy[first]


def competitors_for(model, market, graph=None, seekers=None, vacancies=None):
    seekers = seekers or market.seekers
    vacancies = vacancies or market.vacancies
    graph = graph or generate_candidates(seekers, vacancies, FeatureScorer(RuleBasedScorer(), market.taxonomy),
                                         top_k=30)
    X = pair_features(seekers, vacancies, graph.seeker, graph.vacancy, market.taxonomy)
    return graph.seeker, graph.vacancy, model.score_pairs(X)


def sentences(text):
    return [s for s in SENTENCE_END.split(text) if s]


# --------------------------------------------------------------------------- pair_contributions


def test_rule_based_contributions_by_hand(taxonomy):
    names = feature_names(taxonomy)
    X = np.zeros((3, len(names)), dtype=np.float32)
    X[:, names.index("fit_p_meet")] = [0.2, 0.5, 0.9]
    X[:, names.index("travel_ratio")] = [0.0, 3.0, 0.5]   # clipped at 2
    X[:, names.index("language_gap")] = [-1.0, 1.0, 3.0]  # clipped to 0…2
    X[:, names.index("distance_km")] = [1.0, 50.0, 9.0]   # not used by the rules
    c = pair_contributions(RuleBasedScorer(), X, taxonomy)
    expected = np.zeros_like(c)
    expected[:, names.index("fit_p_meet")] = [-0.6, 0.0, 0.8]          # 2.0 · (x − 0.5)
    expected[:, names.index("travel_ratio")] = [0.5, -1.5, 0.0]        # −1.0 · (clip − 0.5)
    expected[:, names.index("language_gap")] = [-0.2, 0.0, 0.2]        # 0.2 · (clip − 1)
    np.testing.assert_allclose(c, expected, atol=1e-6)


def test_rule_based_contributions_reproduce_decision_differences(rule, training_data, taxonomy):
    X = training_data[0][:300]
    c = pair_contributions(rule, X, taxonomy)
    decision = rule.decision_function(X)
    # Row sums differ from the log-odds by one constant: the centring.
    np.testing.assert_allclose(c.sum(axis=1) - c.sum(axis=1)[0], decision - decision[0], atol=1e-9)
    np.testing.assert_allclose(np.median(c, axis=0), 0.0, atol=1e-12)
    assert not c[:, len(CORE_FEATURES):].any()
    assert c[:, : len(CORE_FEATURES)].std(axis=0).max() > 0.05


def test_learned_contributions_are_the_models_own(learned, training_data, taxonomy):
    X = training_data[0][:100]
    np.testing.assert_array_equal(pair_contributions(learned, X, taxonomy), learned.contributions(X))


def test_a_model_without_contributions_is_a_type_error(training_data, taxonomy):
    with pytest.raises(TypeError, match="model: object"):
        pair_contributions(object(), training_data[0][:5], taxonomy)


# --------------------------------------------------------------------------- input checks


def test_unknown_language_is_refused(market, rule):
    with pytest.raises(ValueError, match=re.escape("language: expected one of ('en', 'nl'), got 'de'")):
        explain_pairs(market.seekers, market.vacancies, market.trainings, market.taxonomy, [0], [0], rule,
                      language="de")


@pytest.mark.parametrize("kwargs, message", [
    ({"seeker_index": [0, 1], "vacancy_index": [0]}, "vacancy_index: expected 2 values"),
    ({"seeker_index": [10_000], "vacancy_index": [0]}, "seeker_index: values must lie in"),
    ({"max_gaps": -1}, "max_gaps: must be a whole number"),
    ({"competitors": ([0, 1], [0], [0.5])}, "competitors: the three arrays"),
])
def test_bad_arguments_name_themselves(market, rule, kwargs, message):
    arguments = {"seeker_index": [0], "vacancy_index": [0], **kwargs}
    s, v = arguments.pop("seeker_index"), arguments.pop("vacancy_index")
    with pytest.raises(ValueError, match=message):
        explain_pairs(market.seekers, market.vacancies, market.trainings, market.taxonomy, s, v, rule, **arguments)


# --------------------------------------------------------------------------- strengths and gaps


def test_travel_distance_is_a_strength_when_tiny_and_a_gap_when_huge(market, graph, model):
    s, v = first_pairs(graph, 120)
    near, far, target = s[0], s[1], v[0]
    vacancies = market.vacancies
    seekers = replace_row(market.seekers, near, lat=vacancies.lat[target] + 0.01, lon=vacancies.lon[target],
                          max_travel_km=60.0)
    seekers = replace_row(seekers, far, lat=vacancies.lat[target] + 0.4, lon=vacancies.lon[target],
                          max_travel_km=40.0)
    s_all, v_all = np.r_[near, far, s[2:]], np.r_[target, target, v[2:]]
    out = explain_pairs(seekers, vacancies, market.trainings, market.taxonomy, s_all, v_all, model,
                        max_strengths=40, max_gaps=40)
    km = pair_features(seekers, vacancies, s_all[:2], v_all[:2], market.taxonomy)[:, CORE_FEATURES.index("distance_km")]
    assert f"The work is close to home: {int(np.rint(km[0]))} km." in out.strengths[0]
    assert "travel" not in out.gaps[0]
    assert f"The travel is long for you: {int(np.rint(km[1]))} km. That is more than you want to travel." in out.gaps[1]
    assert "close to home" not in out.strengths[1]


def test_skill_reasons_name_the_skill_the_vacancy_weighs(market, graph, rule, taxonomy):
    s, v = first_pairs(graph, 150)
    strong, weak, target = s[0], s[1], v[0]
    k = taxonomy.skill_index("planning_organising")
    importance = np.full(taxonomy.n_soft_skills, 0.01, dtype=np.float32)
    importance[k] = 3.0
    required = market.vacancies.required[target].copy()
    required[k] = 3.0
    vacancies = replace_row(market.vacancies, target, importance=importance, required=required)
    levels_strong, levels_weak = market.seekers.levels[strong].copy(), market.seekers.levels[weak].copy()
    levels_strong[k], levels_weak[k] = 5.0, 1.0
    se = market.seekers.se[strong].copy()
    se[k] = 0.2
    seekers = replace_row(market.seekers, strong, levels=levels_strong, se=se,
                          measured=np.ones(taxonomy.n_soft_skills, dtype=bool))
    seekers = replace_row(seekers, weak, levels=levels_weak, se=se)
    s_all, v_all = np.r_[strong, weak, s[2:]], np.r_[target, target, v[2:]]
    en = explain_pairs(seekers, vacancies, market.trainings, taxonomy, s_all, v_all, rule)
    nl = explain_pairs(seekers, vacancies, market.trainings, taxonomy, s_all, v_all, rule, language="nl")
    assert "You are good at planning and organising. This job needs that." in en.strengths[0]
    assert "Je bent goed in: plannen en organiseren. Dat is nodig in deze baan." in nl.strengths[0]
    assert "This job asks for more planning and organising than your passport shows." in en.gaps[1]
    assert "Voor deze baan moet je beter zijn in: plannen en organiseren." in nl.gaps[1]


def test_a_pair_better_than_typical_everywhere_has_no_gaps(market, graph, rule, taxonomy):
    s, v = first_pairs(graph, 100)
    star, target = s[0], v[0]
    vac = market.vacancies
    seekers = replace_row(
        market.seekers, star, levels=np.full(taxonomy.n_soft_skills, 5.0, dtype=np.float32),
        se=np.full(taxonomy.n_soft_skills, 0.2, dtype=np.float32),
        measured=np.ones(taxonomy.n_soft_skills, dtype=bool), hard=np.ones(taxonomy.n_hard_skills, dtype=bool),
        lat=vac.lat[target], lon=vac.lon[target], dutch_cefr=6, eqf=max(int(vac.min_eqf[target]) + 2, 1),
        hours_min=vac.hours_min[target], hours_max=vac.hours_max[target],
        sector_pref=np.ones(len(taxonomy.sectors), dtype=bool))
    for language, no_gaps in (("en", "Nothing big holds you back."), ("nl", "Er is niets groots dat je tegenhoudt.")):
        out = explain_pairs(seekers, vac, market.trainings, taxonomy, np.r_[star, s[1:]], np.r_[target, v[1:]], rule,
                            language=language)
        assert out.gaps[0] == no_gaps
        assert (out.gaps[1:] != no_gaps).any(), "the test batch has no pair with a gap at all"


def test_no_reasons_asked_gives_empty_texts(market, graph, rule):
    s, v = first_pairs(graph, 20)
    out = explain_pairs(market.seekers, market.vacancies, market.trainings, market.taxonomy, s, v, rule,
                        max_strengths=0, max_gaps=0)
    assert (out.strengths == "").all() and (out.gaps == "").all()


# --------------------------------------------------------------------------- trainings and ranks


def test_a_missing_certificate_gets_the_training_that_grants_it(market, graph, rule, taxonomy):
    seekers, trainings = market.seekers, market.trainings
    eligible = training_eligibility(seekers, trainings)
    # A certificate course with no prerequisite, and a seeker who may take it and lacks the certificate.
    grants_one = (trainings.grants.sum(axis=1) == 1) & ~trainings.prerequisite.any(axis=1)
    t = next(t for t in np.flatnonzero(grants_one)
             if taxonomy.hard_skills["kind"].iloc[np.argmax(trainings.grants[t])] == "certificate"
             and (eligible[:, t] & ~seekers.hard[:, np.argmax(trainings.grants[t])]).any())
    h = int(np.argmax(trainings.grants[t]))
    s, v = first_pairs(graph, 60)
    a = int(np.flatnonzero(eligible[:, t] & ~seekers.hard[:, h] & np.isin(np.arange(seekers.n), s))[0])
    target = int(v[np.flatnonzero(s == a)[0]])
    must = np.zeros(taxonomy.n_hard_skills, dtype=bool)
    must[h] = True
    vacancies = replace_row(market.vacancies, target, must_have=must)
    competitors = competitors_for(rule, market, vacancies=vacancies)
    row = int(np.flatnonzero(s == a)[0])
    out = explain_pairs(seekers, vacancies, trainings, taxonomy, s, v, rule, competitors=competitors)
    label = taxonomy.hard_skills["label_en"].iloc[h]
    assert f"You do not have this certificate yet: {label}. This job must have it." in out.gaps[row]
    chosen = trainings.ids.tolist().index(out.training_id[row])
    assert trainings.grants[chosen, h]
    assert out.probability_after_training[row] > out.probability[row] + 0.02
    assert out.rank_after_training[row] <= out.rank_now[row]
    course = taxonomy.trainings.loc[out.training_id[row], "label_en"]
    assert out.training_text[row].startswith(f"The course '{course}' (")
    assert f"gives you: {label}." in out.training_text[row]
    nl = explain_pairs(seekers, vacancies, trainings, taxonomy, s, v, rule, competitors=competitors, language="nl")
    assert nl.training_text[row].startswith(f"De cursus '{taxonomy.trainings.loc[out.training_id[row], 'label_nl']}' (")


def test_ranks_count_the_other_candidates_of_the_vacancy(market, graph, rule):
    s, v = first_pairs(graph, 5)
    base = explain_pairs(market.seekers, market.vacancies, market.trainings, market.taxonomy, s, v, rule)
    p = base.probability[0]
    others = np.array([s[0] + 1, s[0] + 2, s[0] + 3, s[0]]) % market.seekers.n
    # Two above, one below, and the pair's own row (score 1.0), which must not count.
    competitors = (others, np.full(4, v[0]), np.array([min(p + 0.1, 1.0), p + 0.05, p - 0.1, 1.0]))
    out = explain_pairs(market.seekers, market.vacancies, market.trainings, market.taxonomy, s, v, rule,
                        competitors=competitors)
    assert out.rank_now[0] == 3 and out.candidates[0] == 4
    # A vacancy nobody else applies to: first of one.
    lonely = np.flatnonzero(v != v[0])
    assert (out.rank_now[lonely] == 1).all() and (out.candidates[lonely] == 1).all()
    assert base.rank_now.isna().all() and base.candidates.isna().all()


def test_a_candidate_graph_works_like_its_triple(market, graph, rule):
    s, v = first_pairs(graph, 30)
    triple = competitors_for(rule, market, graph=graph)
    from matching.candidates import CandidateGraph

    as_graph = CandidateGraph(seeker=triple[0], vacancy=triple[1], score=triple[2], distance_km=graph.distance_km,
                              n_seekers=graph.n_seekers, n_vacancies=graph.n_vacancies,
                              knockout_counts=graph.knockout_counts, top_k=graph.top_k)
    a = explain_pairs(market.seekers, market.vacancies, market.trainings, market.taxonomy, s, v, rule,
                      competitors=triple)
    b = explain_pairs(market.seekers, market.vacancies, market.trainings, market.taxonomy, s, v, rule,
                      competitors=as_graph)
    assert a.equals(b)
    assert (a.rank_now > 1).any()


# --------------------------------------------------------------------------- languages and reading level


def test_dutch_and_english_texts_are_plain_separate_and_complete(market, graph, model, taxonomy):
    s, v = first_pairs(graph, 80)
    competitors = competitors_for(model, market, graph=graph)
    out = {language: explain_pairs(market.seekers, market.vacancies, market.trainings, taxonomy, s, v, model,
                                   competitors=competitors, language=language) for language in LANGUAGES}
    en, nl = out["en"], out["nl"]
    for column in ("strengths", "gaps"):
        assert (en[column] != "").all() and (nl[column] != "").all()
        assert (en[column] != nl[column]).all()
    has_training = en.training_id != ""
    assert has_training.any()
    assert ((en.training_text != "") == has_training).all() and ((nl.training_text != "") == has_training).all()
    assert (en.training_id == nl.training_id).all()

    english_labels = [label.lower() for label in taxonomy.soft_skills["label_en"]]
    dutch_labels = [label.lower() for label in taxonomy.soft_skills["label_nl"]]
    dutch_text = " ".join(nl.strengths + " " + nl.gaps + " " + nl.training_text).lower()
    english_text = " ".join(en.strengths + " " + en.gaps + " " + en.training_text).lower()
    assert not [label for label in english_labels if label in dutch_text]
    assert any(label in dutch_text for label in dutch_labels), "no skill named at all: the check would be empty"
    assert any(label in english_text for label in english_labels)

    for frame in (en, nl):
        for text in np.concatenate([frame.strengths, frame.gaps, frame.training_text]):
            for sentence in sentences(text):
                assert len(sentence.split()) <= 20, sentence


def test_rows_follow_the_input_order(market, graph, rule):
    s, v = first_pairs(graph, 12)
    out = explain_pairs(market.seekers, market.vacancies, market.trainings, market.taxonomy, s[::-1], v[::-1], rule)
    assert out.seeker_id.tolist() == market.seekers.ids[s[::-1]].tolist()
    assert out.vacancy_id.tolist() == market.vacancies.ids[v[::-1]].tolist()
    np.testing.assert_allclose(out.probability,
                               rule.score_pairs(pair_features(market.seekers, market.vacancies, s[::-1], v[::-1],
                                                              market.taxonomy)))


def test_no_pairs_give_an_empty_frame(market, rule):
    out = explain_pairs(market.seekers, market.vacancies, market.trainings, market.taxonomy,
                        np.empty(0, dtype=int), np.empty(0, dtype=int), rule, competitors=([0], [0], [0.5]))
    assert len(out) == 0
    assert list(out.columns) == ["seeker_id", "vacancy_id", "probability", "strengths", "gaps", "training_id",
                                 "training_text", "probability_after_training", "rank_now",
                                 "rank_after_training", "candidates"]


def test_course_texts_word_a_chosen_course_as_explain_pairs_does(market, graph, rule, taxonomy):
    s, v = first_pairs(graph, 60)
    out = explain_pairs(market.seekers, market.vacancies, market.trainings, taxonomy, s, v, rule)
    rows = np.flatnonzero(out.training_id.to_numpy(dtype=object) != "")
    assert rows.size, "the fixture should give some pairs a course"
    chosen = np.array([market.trainings.ids.tolist().index(t) for t in out.training_id.iloc[rows]])
    texts = course_texts(market.seekers, market.vacancies, market.trainings, taxonomy, s[rows], v[rows], chosen)
    assert texts.tolist() == out.training_text.iloc[rows].tolist()
    dutch = course_texts(market.seekers, market.vacancies, market.trainings, taxonomy, s[rows], v[rows], chosen,
                         language="nl")
    assert all(text.startswith("De cursus '") for text in dutch)


def test_course_texts_need_one_course_per_pair(market, taxonomy):
    with pytest.raises(ValueError, match="training_index"):
        course_texts(market.seekers, market.vacancies, market.trainings, taxonomy, [0, 1], [0, 1], [0])
    with pytest.raises(ValueError, match="training_index"):
        course_texts(market.seekers, market.vacancies, market.trainings, taxonomy, [0], [0], [market.trainings.n])
