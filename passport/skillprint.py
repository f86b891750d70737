"""The readable skillprint: a skills passport as a printable page and as a chart.

:func:`render_skillprint` gives one self-contained HTML document; :func:`skillprint_svg`
gives the bar chart alone as a standalone SVG document. Both speak Dutch or English at
reading level B1, to the job seeker, who should be able to show the page to an employer.

The page loads nothing: no fonts, scripts, images or style sheets from elsewhere. It must
print the same in an office without internet as on screen, and a page that calls out to a
server would leak who opened whose passport.

Every level is shown with its uncertainty (level ± 1.96·SE, about 95%), because a number
without its margin promises more than the measurement knows. Skills without a level are
"not measured yet": unknown, which is not the same as low, so they get no bar at all.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from html import escape

from passport.models import HardSkillClaim, LanguageSkill, Passport, SkillEstimate
from passport.skillprint_text import WORDING, Wording
from passport.taxonomy import MASTERY_MAX, MASTERY_MIN, Taxonomy

LANGUAGES = tuple(sorted(WORDING))
BASIS_KINDS = ("assessed", "verified", "training", "self_declared")
Z_95 = 1.96
STRONG_FROM = 3.0  # "Capable": below it, calling a skill a strength would flatter
MAX_STRONGEST = 3

# Colours: the dark bar and all text pass WCAG AA against white; the light band carries a
# darker edge so its extent stays visible on paper and to readers with weak colour vision.
INK, MUTED = "#1a1a1a", "#3d3d3d"
BAR, BAND, BAND_EDGE = "#1f4e79", "#b9d3ee", "#3d6c9e"
TRACK, TRACK_EDGE, DASH, GRID = "#ececec", "#8a8a8a", "#5c5c5c", "#d9d9d9"
FONT = "Arial, Helvetica, sans-serif"

# Bar geometry in SVG user units, shared by the page and the chart so both look the same.
BAR_WIDTH, BAR_PAD, ROW_HEIGHT = 320, 14, 36


# --------------------------------------------------------------------------- the facts


@dataclass(frozen=True)
class _Skill:
    """One soft skill as the reader sees it: words from the taxonomy, a level or none."""

    skill_id: str
    cluster: str
    label: str
    definition: str
    estimate: SkillEstimate | None
    basis: str | None

    @property
    def measured(self) -> bool:
        return self.estimate is not None

    @property
    def band(self) -> tuple[float, float]:
        margin = Z_95 * self.estimate.se
        return (max(MASTERY_MIN, self.estimate.level - margin), min(MASTERY_MAX, self.estimate.level + margin))

    @property
    def lower_bound(self) -> float:
        return self.estimate.level - self.estimate.se


def _wording(language: str) -> Wording:
    if language not in WORDING:
        raise ValueError(f"language must be one of {', '.join(map(repr, LANGUAGES))}; got {language!r}")
    return WORDING[language]


def _check_basis(basis: Mapping[str, str] | None) -> None:
    for skill_id, kind in (basis or {}).items():
        if kind not in BASIS_KINDS:
            raise ValueError(f"basis[{skill_id!r}] must be one of {', '.join(map(repr, BASIS_KINDS))}; "
                             f"got {kind!r}")


def _skills(passport: Passport, taxonomy: Taxonomy, language: str,
            basis: Mapping[str, str] | None) -> list[_Skill]:
    """Every soft skill of the taxonomy, in taxonomy order."""
    soft = taxonomy.soft_skills
    measured = passport.profile.skills
    # A basis for a skill without a level has nothing to explain, so it is dropped.
    return [_Skill(skill_id=skill_id, cluster=soft.at[skill_id, "cluster"],
                   label=soft.at[skill_id, f"label_{language}"],
                   definition=soft.at[skill_id, f"definition_{language}"],
                   estimate=measured.get(skill_id),
                   basis=(basis or {}).get(skill_id) if skill_id in measured else None)
            for skill_id in taxonomy.skill_ids]


def _strongest(skills: list[_Skill]) -> list[_Skill]:
    """Up to three skills we are fairly sure are at least "capable".

    Ranked by level − SE rather than by level, so a high but shaky estimate cannot push out
    a skill we are sure of; the sort is stable, so ties keep taxonomy order.
    """
    candidates = [s for s in skills if s.measured and s.lower_bound >= STRONG_FROM]
    return sorted(candidates, key=lambda s: -s.lower_bound)[:MAX_STRONGEST]


def _number(value: float, w: Wording) -> str:
    return f"{value:.1f}".replace(".", w.decimal_mark)


def _mastery_label(taxonomy: Taxonomy, level: float, language: str) -> str:
    # Rounded from the number the reader sees (one decimal), half up: "2,5" next to the word
    # for 2 would look like a mistake, and people round 2.5 up, unlike Python's round().
    shown = float(f"{level:.1f}")
    point = int(min(MASTERY_MAX, max(MASTERY_MIN, math.floor(shown + 0.5))))
    return taxonomy.mastery_levels.at[point, f"label_{language}"]


def _join(items: list[str], w: Wording) -> str:
    """``a``, ``a and b``, ``a, b and c`` — the way people list things in a sentence."""
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {escape(w.and_word)} {items[-1]}"


def _date(moment: datetime, w: Wording) -> str:
    # Month names from our own table: the page must not depend on the machine's locale.
    return f"{moment.day} {w.months[moment.month - 1]} {moment.year}"


def _cluster_name(cluster: str, w: Wording) -> str:
    return w.clusters.get(cluster, cluster.replace("_", " ").capitalize())


# --------------------------------------------------------------------------- bars (SVG)


def _x(level: float, x0: float) -> float:
    return x0 + BAR_PAD + (level - MASTERY_MIN) / (MASTERY_MAX - MASTERY_MIN) * (BAR_WIDTH - 2 * BAR_PAD)


def _rect(cls: str, x: float, y: float, width: float, height: float, style: str) -> str:
    return (f'<rect class="{cls}" x="{x:.1f}" y="{y:.1f}" width="{max(width, 0.0):.1f}" '
            f'height="{height:.1f}" {style}/>')


def _bar_shapes(skill: _Skill, x0: float, y: float) -> str:
    """Track, band, bar and level marker of one skill; a dashed empty track when unmeasured."""
    left, right = _x(MASTERY_MIN, x0), _x(MASTERY_MAX, x0)
    if not skill.measured:
        return _rect("track unmeasured", left, y + 11, right - left, 14,
                     f'fill="none" stroke="{DASH}" stroke-width="1.5" stroke-dasharray="5 4"')
    low, high = skill.band
    level = _x(skill.estimate.level, x0)
    return "".join([
        _rect("track", left, y + 11, right - left, 14, f'fill="{TRACK}" stroke="{TRACK_EDGE}"'),
        _rect("band", _x(low, x0), y + 5, _x(high, x0) - _x(low, x0), 26,
              f'fill="{BAND}" stroke="{BAND_EDGE}" stroke-width="1"'),
        _rect("level-bar", left, y + 12, level - left, 12, f'fill="{BAR}"'),
        _rect("marker", level - 1.5, y + 2, 3, 32, f'fill="{BAR}"'),
    ])


def _ticks(x0: float, y: float) -> str:
    """The numbers 1–5 under (or over) the bars, so a level can be read without colour."""
    return "".join(f'<text x="{_x(k, x0):.1f}" y="{y:.1f}" text-anchor="middle" font-size="13" '
                   f'fill="{MUTED}">{k}</text>' for k in range(int(MASTERY_MIN), int(MASTERY_MAX) + 1))


def _bar_title(skill: _Skill, w: Wording) -> str:
    low, high = skill.band
    return w.bar_title.format(skill=skill.label, value=_number(skill.estimate.level, w),
                              low=_number(low, w), high=_number(high, w))


def _row_svg(skill: _Skill, w: Wording) -> str:
    """The small bar inside a skill row of the page."""
    title_id = f"bar-{escape(skill.skill_id)}"
    return (f'<svg class="bar" viewBox="0 0 {BAR_WIDTH} 52" width="{BAR_WIDTH}" height="52" role="img" '
            f'aria-labelledby="{title_id}" font-family="{FONT}">'
            f'<title id="{title_id}">{escape(_bar_title(skill, w))}</title>'
            f'{_bar_shapes(skill, 0, 0)}{_ticks(0, 49)}</svg>')


# --------------------------------------------------------------------------- the chart


CHART_WIDTH, LABEL_X, CHART_BAR_X, VALUE_X = 780, 16, 262, 596
CHART_TOP, CLUSTER_HEIGHT = 104, 30


def _legend_svg(w: Wording, y: float) -> str:
    swatches = [
        (f'<rect x="0" y="2" width="22" height="10" fill="{BAR}"/>', w.legend_bar_short),
        (f'<rect x="0" y="-2" width="22" height="18" fill="{BAND}" stroke="{BAND_EDGE}"/>', w.legend_band_short),
        ((f'<rect x="0" y="0" width="22" height="14" fill="none" stroke="{DASH}" stroke-width="1.5" '
          f'stroke-dasharray="5 4"/>'), w.legend_unmeasured_short),
    ]
    return "".join(f'<g transform="translate({LABEL_X + 200 * i},{y})">{shape}'
                   f'<text x="30" y="12" font-size="13" fill="{INK}">{escape(text)}</text></g>'
                   for i, (shape, text) in enumerate(swatches))


def _chart_row(skill: _Skill, taxonomy: Taxonomy, language: str, w: Wording, y: float) -> str:
    if skill.measured:
        value = f"{_number(skill.estimate.level, w)} · {_mastery_label(taxonomy, skill.estimate.level, language)}"
        value_style, title = f'fill="{INK}"', _bar_title(skill, w)
    else:
        value, value_style = w.not_measured, f'fill="{MUTED}" font-style="italic"'
        title = f"{skill.label}: {w.not_measured}"
    return (f'<g class="skill" data-skill="{escape(skill.skill_id)}" '
            f'data-measured="{str(skill.measured).lower()}"><title>{escape(title)}</title>'
            f'<text x="{LABEL_X}" y="{y + 23:.1f}" font-size="14" fill="{INK}">{escape(skill.label)}</text>'
            f'{_bar_shapes(skill, CHART_BAR_X, y)}'
            f'<text x="{VALUE_X}" y="{y + 23:.1f}" font-size="14" {value_style}>{escape(value)}</text></g>')


def _chart_body(skills: list[_Skill], taxonomy: Taxonomy, language: str, w: Wording) -> tuple[str, float]:
    """Cluster headings and skill rows from the top of the plot; returns the SVG and its bottom."""
    parts, y = [], CHART_TOP
    for cluster in taxonomy.clusters:
        parts.append(f'<text class="cluster" x="{LABEL_X}" y="{y + 21:.1f}" font-size="15" '
                     f'font-weight="bold" fill="{INK}">{escape(_cluster_name(cluster, w))}</text>')
        y += CLUSTER_HEIGHT
        for skill in (s for s in skills if s.cluster == cluster):
            parts.append(_chart_row(skill, taxonomy, language, w, y))
            y += ROW_HEIGHT
    return "".join(parts), y


def _grid(top: float, bottom: float) -> str:
    return "".join(f'<line x1="{_x(k, CHART_BAR_X):.1f}" y1="{top:.1f}" x2="{_x(k, CHART_BAR_X):.1f}" '
                   f'y2="{bottom:.1f}" stroke="{GRID}" stroke-width="1"/>'
                   for k in range(int(MASTERY_MIN), int(MASTERY_MAX) + 1))


def _chart(passport: Passport, skills: list[_Skill], taxonomy: Taxonomy, language: str, w: Wording) -> str:
    body, bottom = _chart_body(skills, taxonomy, language, w)
    height = bottom + 30
    title = w.chart_title.format(holder=passport.holder_id)
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {CHART_WIDTH} {height:.0f}" '
            f'width="{CHART_WIDTH}" height="{height:.0f}" role="img" aria-labelledby="chart-title" '
            f'aria-describedby="chart-desc" font-family="{FONT}" xml:lang="{language}">'
            f'<title id="chart-title">{escape(title)}</title><desc id="chart-desc">{escape(w.chart_desc)}</desc>'
            f'<rect x="0" y="0" width="{CHART_WIDTH}" height="{height:.0f}" fill="#ffffff"/>'
            f'<text x="{LABEL_X}" y="28" font-size="18" font-weight="bold" fill="{INK}">{escape(title)}</text>'
            f'{_legend_svg(w, 44)}{_grid(CHART_TOP - 8, bottom)}{_ticks(CHART_BAR_X, CHART_TOP - 12)}'
            f'{body}{_ticks(CHART_BAR_X, bottom + 18)}</svg>')


def _prepared(passport: Passport, taxonomy: Taxonomy, language: str, basis):
    """Checks shared by the page and the chart, before anything is drawn."""
    w = _wording(language)
    _check_basis(basis)
    passport.check_references(taxonomy)
    return w, _skills(passport, taxonomy, language, basis)


def skillprint_svg(passport: Passport, taxonomy: Taxonomy, *, language: str = "nl",
                   basis: Mapping[str, str] | None = None) -> str:
    """The skill chart alone, as a standalone SVG document.

    One ``<g class="skill" data-skill=… data-measured=…>`` per soft skill of the taxonomy,
    grouped by cluster: the level as a dark bar, the 95% band as a lighter band, the value
    and its word next to it; unmeasured skills get a dashed empty track and the words
    "not measured yet". *basis* is checked like in :func:`render_skillprint` but not drawn,
    because the chart has no room for it to be read.

    Raises ``ValueError`` for an unknown *language* or *basis* value and
    :class:`~passport.errors.RecordReferenceError` for ids the taxonomy does not know.
    """
    w, skills = _prepared(passport, taxonomy, language, basis)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + _chart(passport, skills, taxonomy, language, w) + "\n"


# --------------------------------------------------------------------------- the page


CSS = f"""
:root {{ color-scheme: light; }}
* {{ box-sizing: border-box; }}
body {{ margin: 0; background: #ffffff; color: {INK}; font-family: {FONT}; font-size: 18px; line-height: 1.5; }}
main {{ max-width: 52rem; margin: 0 auto; padding: 1.5rem 1.25rem 3rem; }}
h1 {{ font-size: 1.8rem; line-height: 1.25; margin: 0 0 .25rem; }}
h2 {{ font-size: 1.35rem; margin: 2rem 0 .5rem; padding-bottom: .2rem; border-bottom: 3px solid {BAR}; }}
h3 {{ font-size: 1.15rem; margin: 1.5rem 0 .25rem; color: {BAR}; }}
h4 {{ font-size: 1.05rem; margin: 0; }}
p {{ margin: .3rem 0; }}
ul {{ padding-left: 1.25rem; margin: .3rem 0; }}
li {{ margin: .25rem 0; }}
.id {{ color: {MUTED}; font-size: .95rem; }}
.summary {{ border: 2px solid {BAR}; border-radius: .5rem; padding: .25rem 1rem .75rem; margin-top: 1.25rem; }}
.summary h2 {{ border: 0; margin-top: .75rem; }}
.strongest {{ font-size: 1.15rem; }}
.legend {{ list-style: none; padding: 0; }}
.legend li {{ display: flex; gap: .6rem; align-items: center; }}
.legend svg {{ flex: none; }}
.scale {{ list-style: none; padding: 0; }}
.skill {{ display: grid; grid-template-columns: minmax(0, 1fr) 20rem; gap: .25rem 1.5rem;
  padding: .75rem 0; border-top: 1px solid #c8c8c8; }}
.definition {{ color: {MUTED}; }}
.level {{ margin: 0; }}
.bar {{ display: block; width: 100%; max-width: 20rem; height: auto; }}
.sure, .basis, .evidence {{ color: {MUTED}; font-size: .92rem; margin: 0; }}
.skill[data-measured="false"] .level {{ border: 2px dashed {DASH}; border-radius: .4rem;
  padding: .3rem .7rem; color: {MUTED}; font-style: italic; }}
footer {{ margin-top: 2.5rem; padding-top: .75rem; border-top: 1px solid #c8c8c8; color: {MUTED};
  font-size: .92rem; }}
footer h2 {{ font-size: 1.05rem; border: 0; margin-top: 0; color: {INK}; }}
@media (max-width: 40rem) {{
  .skill {{ grid-template-columns: 1fr; }}
}}
@media print {{
  @page {{ size: A4; margin: 14mm 14mm 16mm; }}
  * {{ -webkit-print-color-adjust: exact; print-color-adjust: exact; }}
  body {{ font-size: 11pt; }}
  main {{ max-width: none; padding: 0; }}
  h2, h3 {{ break-after: avoid; page-break-after: avoid; }}
  .skill, .summary, .legend li, .scale li, section.list li {{ break-inside: avoid; page-break-inside: avoid; }}
  .skill {{ grid-template-columns: minmax(0, 1fr) 72mm; }}
}}
"""


def _section(name: str, heading: str, body: str, *, kind: str = "") -> str:
    classes = f"{kind} {name}".strip()
    return (f'<section class="{classes}" aria-labelledby="h-{name}"><h2 id="h-{name}">{escape(heading)}</h2>'
            f'{body}</section>')


def _summary(skills: list[_Skill], w: Wording) -> str:
    measured = sum(s.measured for s in skills)
    if not measured:
        return _section("summary", w.summary_heading, f'<p class="strongest">{escape(w.empty)}</p>')
    strongest = _strongest(skills)
    sentence = (escape(w.strong).format(skills=_join([f"<strong>{escape(s.label)}</strong>" for s in strongest], w))
                if strongest else escape(w.no_strong))
    count = escape(w.measured_count.format(measured=measured, total=len(skills)))
    return _section("summary", w.summary_heading, f'<p class="strongest">{sentence}</p><p>{count}</p>')


def _swatch(shape: str) -> str:
    return f'<svg width="34" height="20" viewBox="0 0 34 20" aria-hidden="true" focusable="false">{shape}</svg>'


def _how_to_read(taxonomy: Taxonomy, language: str, w: Wording) -> str:
    levels = taxonomy.mastery_levels
    scale = "".join(f'<li><strong>{k} {escape(levels.at[k, f"label_{language}"])}</strong>: '
                    f'{escape(levels.at[k, f"description_{language}"])}</li>' for k in levels.index)
    legend = [
        (f'<rect x="2" y="5" width="30" height="10" fill="{BAR}"/>', w.legend_bar),
        (f'<rect x="2" y="1" width="30" height="18" fill="{BAND}" stroke="{BAND_EDGE}"/>', w.legend_band),
        ((f'<rect x="2" y="3" width="30" height="14" fill="none" stroke="{DASH}" stroke-width="1.5" '
          f'stroke-dasharray="5 4"/>'), w.legend_unmeasured),
    ]
    items = "".join(f"<li>{_swatch(shape)}<span>{escape(text)}</span></li>" for shape, text in legend)
    return _section("how", w.how_heading,
                    f'<p>{escape(w.how_scale)}</p><ul class="scale">{scale}</ul>'
                    f'<ul class="legend">{items}</ul><p>{escape(w.legend_estimate)}</p>')


def _skill_row(skill: _Skill, taxonomy: Taxonomy, language: str, w: Wording) -> str:
    text = f'<div class="about"><h4>{escape(skill.label)}</h4><p class="definition">{escape(skill.definition)}</p></div>'
    if not skill.measured:
        detail = f'<p class="level">{escape(w.not_measured)}</p>'
    else:
        low, high = skill.band
        word = _mastery_label(taxonomy, skill.estimate.level, language)
        value = w.level_value.format(value=_number(skill.estimate.level, w))
        sure = w.band_words.format(low=_number(low, w), high=_number(high, w))
        basis = (f'<p class="basis">{escape(w.basis_label)} {escape(w.basis[skill.basis])}</p>'
                 if skill.basis else "")
        detail = (f'<p class="level"><strong>{escape(word)}</strong> · {escape(value)}</p>'
                  f'{_row_svg(skill, w)}<p class="sure">{escape(sure)}</p>{basis}')
    return (f'<div class="skill" data-skill="{escape(skill.skill_id)}" '
            f'data-measured="{str(skill.measured).lower()}">{text}<div class="measure">{detail}</div></div>')


def _skill_sections(skills: list[_Skill], taxonomy: Taxonomy, language: str, w: Wording) -> str:
    clusters = "".join(
        f'<section class="cluster" data-cluster="{escape(cluster)}"><h3>{escape(_cluster_name(cluster, w))}</h3>'
        + "".join(_skill_row(s, taxonomy, language, w) for s in skills if s.cluster == cluster)
        + "</section>"
        for cluster in taxonomy.clusters)
    return _section("skills", w.skills_heading, clusters)


def _claim_item(claim: HardSkillClaim, taxonomy: Taxonomy, language: str, w: Wording) -> str:
    label = taxonomy.hard_skills.at[claim.hard_skill_id, f"label_{language}"]
    facts = [w.evidence[claim.evidence]]
    if claim.obtained_on is not None:
        facts.append(w.obtained.format(date=_date(claim.obtained_on, w)))
    return (f'<li data-hard-skill="{escape(claim.hard_skill_id)}"><strong>{escape(label)}</strong>'
            f'<br><span class="evidence">{escape(w.basis_label)} {escape(" · ".join(facts))}</span></li>')


def _hard_skills(passport: Passport, taxonomy: Taxonomy, language: str, w: Wording) -> str:
    kinds = taxonomy.hard_skills["kind"]
    parts = []
    for kind, heading, empty, name in (("certificate", w.certificates_heading, w.no_certificates, "certificates"),
                                       ("esco_skill", w.practical_heading, w.no_practical, "practical")):
        items = "".join(_claim_item(c, taxonomy, language, w) for c in passport.hard_skills
                        if kinds[c.hard_skill_id] == kind)
        body = f"<ul>{items}</ul>" if items else f"<p>{escape(empty)}</p>"
        parts.append(_section(name, heading, body, kind="list"))
    return "".join(parts)


def _language_item(skill: LanguageSkill, w: Wording) -> str:
    name = w.language_names.get(skill.language, skill.language.upper())
    return (f'<li><strong>{escape(name)}</strong>: {escape(skill.cefr)} — '
            f'{escape(w.cefr[skill.cefr])}</li>')


def _languages(passport: Passport, w: Wording) -> str:
    items = "".join(_language_item(s, w) for s in passport.languages)
    body = f"<ul>{items}</ul>" if items else f"<p>{escape(w.no_languages)}</p>"
    return _section("languages", w.languages_heading, body)


def _education(passport: Passport, w: Wording) -> str:
    line = w.education_line.format(words=w.education[passport.education_eqf], eqf=passport.education_eqf)
    return _section("education", w.education_heading, f"<p>{escape(line)}</p>")


def _footer(passport: Passport, w: Wording) -> str:
    ids = w.id_line.format(passport_id=passport.passport_id, version=passport.version)
    # Provenance lets an employer judge the page: who issued it, when, and from which instruments.
    provenance = passport.provenance
    lines = [ids]
    if provenance.issued_at is not None:
        lines.append(w.issued_line.format(issuer=provenance.issuer, date=_date(provenance.issued_at, w)))
    if provenance.instruments:
        runs = sorted({f"{run.instrument_id} ({_date(run.completed_at, w)})" for run in provenance.instruments})
        lines.append(w.instruments_line.format(instruments=", ".join(runs)))
    paragraphs = "".join(f'<p class="provenance">{escape(line)}</p>' for line in lines)
    return (f'<footer><h2>{escape(w.employers_heading)}</h2><p>{escape(w.employers_note)}</p>'
            f'{paragraphs}</footer>')


def render_skillprint(passport: Passport, taxonomy: Taxonomy, *, language: str = "nl",
                      basis: Mapping[str, str] | None = None) -> str:
    """The skills passport as one self-contained, printable HTML document.

    *language* is ``"nl"`` or ``"en"``. *basis* maps a measured skill id to what its level
    rests on (``assessed``, ``verified``, ``training`` or ``self_declared``); it is shown in
    words under the skill, and not at all when *basis* is ``None``.

    The page holds: a title with holder, passport number and version; a short summary
    naming up to three strong skills; how to read the bars; every soft skill by cluster
    with its level in words and numbers and its 95% band, or "not measured yet";
    certificates and practical skills with their evidence; languages with CEFR level;
    education level; and a note for employers. Each skill row carries
    ``data-skill`` and ``data-measured="true|false"``.

    Raises ``ValueError`` for an unknown *language* or *basis* value and
    :class:`~passport.errors.RecordReferenceError` for ids the taxonomy does not know.
    """
    w, skills = _prepared(passport, taxonomy, language, basis)
    title = w.page_title.format(holder=passport.holder_id)
    ids = w.id_line.format(passport_id=passport.passport_id, version=passport.version)
    header = (f'<header><h1>{escape(w.heading.format(holder=passport.holder_id))}</h1>'
              f'<p class="id">{escape(ids)}</p><p class="intro">{escape(w.intro)}</p></header>')
    body = "".join([
        header,
        _summary(skills, w),
        _how_to_read(taxonomy, language, w),
        _skill_sections(skills, taxonomy, language, w),
        _hard_skills(passport, taxonomy, language, w),
        _languages(passport, w),
        _education(passport, w),
        _footer(passport, w),
    ])
    return (f'<!DOCTYPE html>\n<html lang="{language}">\n<head>\n<meta charset="utf-8">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f'<title>{escape(title)}</title>\n<style>{CSS}</style>\n</head>\n'
            f'<body>\n<main>\n{body}\n</main>\n</body>\n</html>\n')
