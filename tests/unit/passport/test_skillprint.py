from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import datetime
from html.parser import HTMLParser

import pytest

from passport.models import (
    HardSkillClaim,
    LanguageSkill,
    Location,
    Passport,
    SkillEstimate,
    SkillProfile,
)
from passport.skillprint import render_skillprint, skillprint_svg

EINDHOVEN = Location(lat=51.44, lon=5.48)
SVG = "{http://www.w3.org/2000/svg}"
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
LANGS = ["nl", "en"]


def make_passport(skills: dict[str, SkillEstimate] | None = None, **overrides) -> Passport:
    fields = {
        "passport_id": "P-0042", "holder_id": "seeker-7", "version": 3, "education_eqf": 2,
        "location": EINDHOVEN, "profile": SkillProfile(skills=skills or {}),
        "languages": [LanguageSkill(language="nl", cefr="A2"), LanguageSkill(language="ar", cefr="C2")],
        "hard_skills": [HardSkillClaim(hard_skill_id="vca_basic", evidence="training",
                                       obtained_on=datetime(2024, 3, 3)),
                        HardSkillClaim(hard_skill_id="pick_orders", evidence="assessed")],
    }
    fields.update(overrides)
    return Passport(**fields)


def full_skills(taxonomy) -> dict[str, SkillEstimate]:
    return {s: SkillEstimate(level=1.2 + 0.19 * k, se=0.3) for k, s in enumerate(taxonomy.skill_ids)}


def partial_skills(taxonomy) -> dict[str, SkillEstimate]:
    return {s: e for k, (s, e) in enumerate(full_skills(taxonomy).items()) if k % 3 == 0}


class _Collector(HTMLParser):
    """Skill rows by data-skill, plus a check that every tag closes in order."""

    def __init__(self):
        super().__init__()
        self.rows: dict[str, list[str]] = {}
        self.stack: list[str] = []
        self.errors: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "data-skill" in attrs:
            self.rows.setdefault(attrs["data-skill"], []).append(attrs.get("data-measured"))
        if tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
        else:
            self.stack.pop()


def parse(page: str) -> _Collector:
    collector = _Collector()
    collector.feed(page)
    collector.close()
    return collector


def strongest_sentence(page: str) -> str:
    match = re.search(r'<p class="strongest">(.*?)</p>', page, re.DOTALL)
    assert match, "no summary sentence"
    return re.sub(r"<[^>]+>", "", match.group(1))


def skill_groups(svg: str) -> dict[str, ET.Element]:
    root = ET.fromstring(svg.encode())
    return {g.get("data-skill"): g for g in root.iter(f"{SVG}g") if g.get("data-skill")}


# --------------------------------------------------------------------------- profiles


@pytest.mark.parametrize("language", LANGS)
@pytest.mark.parametrize("profile", ["full", "partial", "empty"])
def test_every_skill_is_shown_and_only_measured_ones_are_marked_measured(taxonomy, language, profile):
    skills = {"full": full_skills, "partial": partial_skills, "empty": lambda t: {}}[profile](taxonomy)
    page = render_skillprint(make_passport(skills), taxonomy, language=language)
    parsed = parse(page)
    assert set(parsed.rows) == set(taxonomy.skill_ids)
    assert all(len(flags) == 1 for flags in parsed.rows.values()), "a skill row appears twice"
    assert {s for s, (flag,) in parsed.rows.items() if flag == "true"} == set(skills)
    assert {s for s, (flag,) in parsed.rows.items() if flag == "false"} == set(taxonomy.skill_ids) - set(skills)
    labels = taxonomy.soft_skills[f"label_{language}"]
    for skill_id in taxonomy.skill_ids:
        assert labels[skill_id] in page.replace("&#x27;", "'")
    not_measured = {"nl": "Nog niet gemeten", "en": "Not measured yet"}[language]
    assert page.count(f'<p class="level">{not_measured}</p>') == len(taxonomy.skill_ids) - len(skills)


def test_unmeasured_skills_get_no_bar_and_measured_ones_do(taxonomy):
    page = render_skillprint(make_passport(partial_skills(taxonomy)), taxonomy)
    rows = re.findall(r'<div class="skill" data-skill="(\w+)" data-measured="(true|false)">(.*?)</div></div>',
                      page, re.DOTALL)
    assert len(rows) == len(taxonomy.skill_ids)
    for _, measured, body in rows:
        assert ('<svg class="bar"' in body) == (measured == "true")


@pytest.mark.parametrize("language,expected", [
    ("nl", "We hebben je vaardigheden nog niet gemeten"),
    ("en", "We have not measured your skills yet"),
])
def test_an_empty_profile_is_said_kindly(taxonomy, language, expected):
    page = render_skillprint(make_passport({}), taxonomy, language=language)
    assert expected in strongest_sentence(page)
    assert 'data-measured="true"' not in page


def test_the_page_names_the_holder_passport_and_version_in_the_right_language(taxonomy):
    nl = render_skillprint(make_passport(), taxonomy, language="nl")
    en = render_skillprint(make_passport(), taxonomy, language="en")
    assert '<html lang="nl">' in nl and '<html lang="en">' in en
    assert "<title>Skillpaspoort van seeker-7</title>" in nl
    assert "<title>Skills passport of seeker-7</title>" in en
    assert "Paspoortnummer: P-0042 · Versie 3" in nl
    assert "Passport number: P-0042 · Version 3" in en


# --------------------------------------------------------------------------- strongest skills


def test_strongest_skills_rank_by_lower_bound_not_by_level(taxonomy):
    skills = {
        "initiative": SkillEstimate(level=4.9, se=2.0),       # highest level, but lower bound 2.9
        "collaboration": SkillEstimate(level=4.0, se=0.3),    # 3.7
        "focus": SkillEstimate(level=3.8, se=0.2),            # 3.6
        "dependability": SkillEstimate(level=3.6, se=0.2),    # 3.4
        "safety_awareness": SkillEstimate(level=3.5, se=0.3), # 3.2: fourth, so left out
    }
    sentence = strongest_sentence(render_skillprint(make_passport(skills), taxonomy, language="en"))
    assert sentence == "You are strong in: Collaboration, Focus and Dependability."
    sentence = strongest_sentence(render_skillprint(make_passport(skills), taxonomy, language="nl"))
    assert sentence == "Je bent sterk in: Samenwerken, Geconcentreerd werken en Afspraken nakomen."


def test_one_strong_skill_is_named_alone(taxonomy):
    skills = {"focus": SkillEstimate(level=3.5, se=0.5), "empathy": SkillEstimate(level=2.0, se=0.3)}
    sentence = strongest_sentence(render_skillprint(make_passport(skills), taxonomy, language="en"))
    assert sentence == "You are strong in: Focus."


@pytest.mark.parametrize("language,expected", [
    ("nl", "We kunnen nog niet zeggen waar je het sterkst in bent."),
    ("en", "We cannot say yet what you are strongest in."),
])
def test_a_kind_sentence_when_no_skill_is_surely_strong(taxonomy, language, expected):
    skills = {"focus": SkillEstimate(level=4.5, se=1.6), "empathy": SkillEstimate(level=2.9, se=0.2)}
    sentence = strongest_sentence(render_skillprint(make_passport(skills), taxonomy, language=language))
    assert sentence.startswith(expected)
    assert "Focus" not in sentence and "Geconcentreerd" not in sentence


# --------------------------------------------------------------------------- bars and bands


def _x(rect: ET.Element) -> tuple[float, float]:
    return float(rect.get("x")), float(rect.get("x")) + float(rect.get("width"))


def test_the_band_is_clipped_to_the_scale(taxonomy):
    skills = {"focus": SkillEstimate(level=4.8, se=0.5), "empathy": SkillEstimate(level=1.2, se=0.6),
              "initiative": SkillEstimate(level=3.0, se=0.25)}
    groups = skill_groups(skillprint_svg(make_passport(skills), taxonomy, language="en"))

    def band_and_track(skill_id):
        group = groups[skill_id]
        return (_x(group.find(f"{SVG}rect[@class='band']")), _x(group.find(f"{SVG}rect[@class='track']")))

    (low, high), (left, right) = band_and_track("focus")
    assert high == pytest.approx(right) and left < low
    (low, high), (left, right) = band_and_track("empathy")
    assert low == pytest.approx(left) and high < right
    (low, high), (left, right) = band_and_track("initiative")
    assert left < low < high < right
    # 3.0 ± 0.49 maps to the same relative place on the 1–5 track
    assert (low - left) / (right - left) == pytest.approx((3.0 - 0.49 - 1) / 4, abs=1e-3)

    page = render_skillprint(make_passport(skills), taxonomy, language="en")
    assert "Probably between 3.8 and 5.0" in page
    assert "Probably between 1.0 and 2.4" in page


def test_the_page_explains_the_band_and_shows_levels_in_words(taxonomy):
    skills = {"focus": SkillEstimate(level=4.2, se=0.3), "empathy": SkillEstimate(level=2.45, se=0.3)}
    en = render_skillprint(make_passport(skills), taxonomy, language="en")
    nl = render_skillprint(make_passport(skills), taxonomy, language="nl")
    assert "The light band shows how sure we are. A wide band means we are less sure." in en
    assert "De lichte band laat zien hoe zeker we zijn. Een brede band betekent dat we minder zeker zijn." in nl
    assert "<strong>Strong</strong> · level 4.2 of 5" in en
    assert "<strong>Sterk</strong> · niveau 4,2 van 5" in nl
    # shown as 2.5, so it reads as the word for 3, not for 2
    assert "<strong>Capable</strong> · level 2.5 of 5" in en


def test_the_basis_is_shown_in_words_only_when_given(taxonomy):
    skills = {"focus": SkillEstimate(level=4.2, se=0.3), "empathy": SkillEstimate(level=2.5, se=0.3)}
    basis = {"focus": "assessed", "empathy": "verified", "initiative": "training"}  # initiative: unmeasured
    en = render_skillprint(make_passport(skills), taxonomy, language="en", basis=basis)
    nl = render_skillprint(make_passport(skills), taxonomy, language="nl", basis=basis)
    assert "How we know: measured in the games" in en
    assert "How we know: confirmed by an employer or trainer" in en
    assert "Hoe we dit weten: gemeten in de games" in nl
    assert en.count('<p class="basis">') == 2
    assert '<p class="basis">' not in render_skillprint(make_passport(skills), taxonomy, language="en")


def test_an_unknown_basis_is_refused(taxonomy):
    with pytest.raises(ValueError, match="basis"):
        render_skillprint(make_passport(), taxonomy, basis={"focus": "rumour"})


# --------------------------------------------------------------------------- other facts


def test_hard_skills_languages_and_education_are_in_words(taxonomy):
    nl = render_skillprint(make_passport(), taxonomy, language="nl")
    en = render_skillprint(make_passport(), taxonomy, language="en")
    certificates = re.search(r'<section class="list certificates".*?</section>', nl, re.DOTALL).group(0)
    practical = re.search(r'<section class="list practical".*?</section>', nl, re.DOTALL).group(0)
    assert "VCA Basis" in certificates and "via een training die je hebt afgerond · behaald op 3 maart 2024" in certificates
    assert "Orders verzamelen" in practical and "getest" in practical
    assert "obtained on 3 March 2024" in en
    assert "<strong>Nederlands</strong>: A2" in nl and "<strong>Arabic</strong>: C2" in en
    assert "mbo niveau 2 of vmbo (Europees niveau 2 van 8)" in nl
    assert "MBO level 2" in en


def test_missing_hard_skills_and_languages_are_said_plainly(taxonomy):
    page = render_skillprint(make_passport(hard_skills=[], languages=[]), taxonomy, language="en")
    assert "There are no certificates in your passport yet." in page
    assert "There are no practical skills in your passport yet." in page
    assert "There are no languages in your passport yet." in page


# --------------------------------------------------------------------------- safety and form


def test_user_text_is_escaped(taxonomy):
    passport = make_passport(holder_id="<script>alert(1)</script>", passport_id='x"><img src=y>')
    page = render_skillprint(passport, taxonomy)
    svg = skillprint_svg(passport, taxonomy)
    for document in (page, svg):
        assert "<script" not in document and "<img" not in document
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in document
    assert not parse(page).errors
    ET.fromstring(svg.encode())


@pytest.mark.parametrize("language", LANGS)
def test_the_page_is_well_formed_self_contained_and_printable(taxonomy, language):
    page = render_skillprint(make_passport(partial_skills(taxonomy)), taxonomy, language=language)
    parsed = parse(page)
    assert not parsed.errors and not parsed.stack
    assert not re.search(r"https?://", page)
    assert not re.search(r"\b(src|href)\s*=", page, re.IGNORECASE)
    assert "@import" not in page and "url(" not in page
    assert "<script" not in page and "<link" not in page
    assert "@media print" in page and "size: A4" in page and "break-inside: avoid" in page
    assert '<svg class="bar"' in page and 'role="img"' in page


def test_the_page_is_deterministic(taxonomy):
    first = make_passport(partial_skills(taxonomy))
    later = first.model_copy(update={"consent": first.consent.model_copy(update={"updated_at": datetime(2030, 1, 1)})})
    assert render_skillprint(first, taxonomy) == render_skillprint(later, taxonomy)
    assert skillprint_svg(first, taxonomy) == skillprint_svg(later, taxonomy)


# --------------------------------------------------------------------------- the chart


@pytest.mark.parametrize("language", LANGS)
@pytest.mark.parametrize("profile", ["full", "partial", "empty"])
def test_the_chart_is_standalone_svg_with_one_group_per_skill(taxonomy, language, profile):
    skills = {"full": full_skills, "partial": partial_skills, "empty": lambda t: {}}[profile](taxonomy)
    svg = skillprint_svg(make_passport(skills), taxonomy, language=language)
    root = ET.fromstring(svg.encode())
    assert root.tag == f"{SVG}svg" and root.get("role") == "img"
    assert root.find(f"{SVG}title") is not None and root.find(f"{SVG}title").text
    groups = [g for g in root.iter(f"{SVG}g") if g.get("data-skill")]
    assert [g.get("data-skill") for g in groups] == list(taxonomy.skill_ids)
    for group in groups:
        measured = group.get("data-skill") in skills
        assert group.get("data-measured") == str(measured).lower()
        assert (group.find(f"{SVG}rect[@class='band']") is not None) == measured
        assert (group.find(f"{SVG}rect[@class='level-bar']") is not None) == measured
        dashed = group.find(f"{SVG}rect[@class='track unmeasured']")
        assert (dashed is not None and dashed.get("stroke-dasharray")) if not measured else dashed is None
    assert not any(key.endswith("href") for element in root.iter() for key in element.attrib)


def test_an_unknown_language_is_refused(taxonomy):
    for render in (render_skillprint, skillprint_svg):
        with pytest.raises(ValueError, match="language.*'en', 'nl'"):
            render(make_passport(), taxonomy, language="de")


def test_the_page_says_who_issued_it_when_and_from_which_instruments(taxonomy):
    from datetime import datetime, timezone

    from passport.models import InstrumentRun, Provenance

    moment = datetime(2026, 3, 5, 9, 0, tzinfo=timezone.utc)
    provenance = Provenance(issuer="Werkplein Eindhoven", issued_at=moment, instruments=[
        InstrumentRun(instrument_id="gonogo", completed_at=moment, scoring_version="1.0")])
    passport = Passport(passport_id="p", holder_id="h", education_eqf=2, location=Location(lat=51.4, lon=5.5),
                        provenance=provenance)
    page = render_skillprint(passport, taxonomy, language="en")
    assert "Issued by Werkplein Eindhoven on 5 March 2026." in page
    assert "Measured with: gonogo (5 March 2026)." in page
    assert "Uitgegeven door Werkplein Eindhoven op 5 maart 2026." in render_skillprint(passport, taxonomy)
