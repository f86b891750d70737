"""The words of the skillprint, in Dutch and English, at reading level CEFR B1.

The reader is the job seeker, and many readers find reading hard. So the texts use short
sentences, everyday words and talk to the reader ("je", "you"). Each language is one
:class:`Wording`, so a sentence missing in one language fails at import, not on a printed page.
Texts are plain text; the renderer escapes them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Wording:
    decimal_mark: str
    and_word: str
    page_title: str
    heading: str
    id_line: str
    intro: str
    summary_heading: str
    measured_count: str
    strong: str
    no_strong: str
    empty: str
    how_heading: str
    how_scale: str
    legend_bar: str
    legend_band: str
    legend_unmeasured: str
    legend_estimate: str
    skills_heading: str
    level_value: str
    band_words: str
    not_measured: str
    basis_label: str
    bar_title: str
    certificates_heading: str
    no_certificates: str
    practical_heading: str
    no_practical: str
    obtained: str
    languages_heading: str
    no_languages: str
    education_heading: str
    education_line: str
    employers_heading: str
    employers_note: str
    issued_line: str
    instruments_line: str
    chart_title: str
    chart_desc: str
    legend_bar_short: str
    legend_band_short: str
    legend_unmeasured_short: str
    clusters: dict[str, str]
    basis: dict[str, str]
    evidence: dict[str, str]
    education: dict[int, str]
    cefr: dict[str, str]
    language_names: dict[str, str]
    months: tuple[str, ...]


NL = Wording(
    decimal_mark=",",
    and_word="en",
    page_title="Skillpaspoort van {holder}",
    heading="Skillpaspoort van {holder}",
    id_line="Paspoortnummer: {passport_id} · Versie {version}",
    intro="Hier zie je wat je kunt. Je kunt deze pagina laten zien aan een werkgever.",
    summary_heading="In het kort",
    measured_count="We hebben {measured} van de {total} vaardigheden gemeten.",
    strong="Je bent sterk in: {skills}.",
    no_strong=("We kunnen nog niet zeggen waar je het sterkst in bent. Daarvoor weten we nog te weinig. "
               "Hieronder zie je wat je nu al laat zien."),
    empty=("We hebben je vaardigheden nog niet gemeten. Dat is niet erg. Speel de Skillsprint games. "
           "Dan zie je hier wat je kunt."),
    how_heading="Zo lees je dit",
    how_scale="Elke vaardigheid heeft een niveau van 1 tot 5:",
    legend_bar="De donkere balk laat je niveau zien.",
    legend_band="De lichte band laat zien hoe zeker we zijn. Een brede band betekent dat we minder zeker zijn.",
    legend_unmeasured="Nog niet gemeten betekent: we weten het nog niet. Het zegt niets over wat je kunt.",
    legend_estimate="Elk niveau is een schatting. Hoe vaker we meten, hoe smaller de band.",
    skills_heading="Je vaardigheden",
    level_value="niveau {value} van 5",
    band_words="Waarschijnlijk tussen {low} en {high}",
    not_measured="Nog niet gemeten",
    basis_label="Hoe we dit weten:",
    bar_title="{skill}: niveau {value} van 5, waarschijnlijk tussen {low} en {high}",
    certificates_heading="Certificaten",
    no_certificates="Er staan nog geen certificaten in je paspoort.",
    practical_heading="Praktische vaardigheden",
    no_practical="Er staan nog geen praktische vaardigheden in je paspoort.",
    obtained="behaald op {date}",
    languages_heading="Talen",
    no_languages="Er staan nog geen talen in je paspoort.",
    education_heading="Opleiding",
    education_line="Je hoogste opleidingsniveau: {words} (Europees niveau {eqf} van 8).",
    employers_heading="Voor werkgevers",
    issued_line="Uitgegeven door {issuer} op {date}.",
    instruments_line="Gemeten met: {instruments}.",
    employers_note=("De niveaus komen uit metingen. Elke meting heeft een foutmarge. De lichte band is het "
                    "gebied waarin het echte niveau met 95% zekerheid ligt. De vaardigheden passen bij ESCO, "
                    "de Europese lijst van vaardigheden en beroepen."),
    chart_title="Vaardigheden van {holder}",
    chart_desc=("Niveau per vaardigheid op een schaal van 1 tot 5. De donkere balk is het niveau. "
                "De lichte band laat zien hoe zeker we zijn."),
    legend_bar_short="je niveau",
    legend_band_short="hoe zeker we zijn",
    legend_unmeasured_short="nog niet gemeten",
    clusters={
        "social": "Met anderen",
        "thinking": "Denken en plannen",
        "self_management": "Jezelf sturen",
        "safety": "Veiligheid",
    },
    basis={
        "assessed": "gemeten in de games",
        "verified": "bevestigd door een werkgever of opleider",
        "training": "hoger geworden door een training die je hebt afgerond",
        "self_declared": "zelf opgegeven",
    },
    evidence={
        "assessed": "getest",
        "verified": "bevestigd door een werkgever of opleider",
        "training": "via een training die je hebt afgerond",
        "self_declared": "zelf opgegeven",
    },
    # The Dutch qualification framework (NLQF) uses the same 8 levels as the EQF.
    education={
        1: "mbo niveau 1 (Entree)",
        2: "mbo niveau 2 of vmbo",
        3: "mbo niveau 3",
        4: "mbo niveau 4, havo of vwo",
        5: "associate degree (2 jaar hbo)",
        6: "bachelor (hbo of universiteit)",
        7: "master",
        8: "doctoraat (promotie)",
    },
    cefr={
        "A1": "je kent eenvoudige woorden en zinnen",
        "A2": "je kunt praten over gewone dingen",
        "B1": "je redt je in de meeste dagelijkse situaties",
        "B2": "je kunt goed meepraten, ook op je werk",
        "C1": "je gebruikt de taal vlot en goed",
        "C2": "je gebruikt de taal heel goed",
    },
    language_names={
        "nl": "Nederlands", "en": "Engels", "de": "Duits", "fr": "Frans", "es": "Spaans",
        "pt": "Portugees", "it": "Italiaans", "pl": "Pools", "ro": "Roemeens", "bg": "Bulgaars",
        "hu": "Hongaars", "lt": "Litouws", "lv": "Lets", "cs": "Tsjechisch", "sk": "Slowaaks",
        "uk": "Oekraïens", "ru": "Russisch", "tr": "Turks", "ar": "Arabisch", "ti": "Tigrinya",
        "so": "Somalisch", "fa": "Perzisch (Farsi)", "zh": "Chinees", "am": "Amhaars",
        "ku": "Koerdisch", "ps": "Pasjtoe",
    },
    months=("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september",
            "oktober", "november", "december"),
)

EN = Wording(
    decimal_mark=".",
    and_word="and",
    page_title="Skills passport of {holder}",
    heading="Skills passport of {holder}",
    id_line="Passport number: {passport_id} · Version {version}",
    intro="This page shows what you can do. You can show it to an employer.",
    summary_heading="In short",
    measured_count="We measured {measured} of the {total} skills.",
    strong="You are strong in: {skills}.",
    no_strong=("We cannot say yet what you are strongest in. We do not know enough yet. "
               "Below you can see what you already show."),
    empty=("We have not measured your skills yet. That is fine. Play the Skillsprint games. "
           "Then you will see here what you can do."),
    how_heading="How to read this",
    how_scale="Each skill has a level from 1 to 5:",
    legend_bar="The dark bar shows your level.",
    legend_band="The light band shows how sure we are. A wide band means we are less sure.",
    legend_unmeasured="Not measured yet means: we do not know yet. It says nothing about what you can do.",
    legend_estimate="Every level is an estimate. The more we measure, the narrower the band.",
    skills_heading="Your skills",
    level_value="level {value} of 5",
    band_words="Probably between {low} and {high}",
    not_measured="Not measured yet",
    basis_label="How we know:",
    bar_title="{skill}: level {value} of 5, probably between {low} and {high}",
    certificates_heading="Certificates",
    no_certificates="There are no certificates in your passport yet.",
    practical_heading="Practical skills",
    no_practical="There are no practical skills in your passport yet.",
    obtained="obtained on {date}",
    languages_heading="Languages",
    no_languages="There are no languages in your passport yet.",
    education_heading="Education",
    education_line="Your highest level of education: {words} (European level {eqf} of 8).",
    employers_heading="For employers",
    issued_line="Issued by {issuer} on {date}.",
    instruments_line="Measured with: {instruments}.",
    employers_note=("The levels come from measurements. Every measurement has a margin of error. The light "
                    "band is the range in which the true level lies with 95% certainty. The skills follow "
                    "ESCO, the European list of skills and occupations."),
    chart_title="Skills of {holder}",
    chart_desc=("Level of each skill on a scale from 1 to 5. The dark bar is the level. "
                "The light band shows how sure we are."),
    legend_bar_short="your level",
    legend_band_short="how sure we are",
    legend_unmeasured_short="not measured yet",
    clusters={
        "social": "Working with others",
        "thinking": "Thinking and planning",
        "self_management": "Managing yourself",
        "safety": "Safety",
    },
    basis={
        "assessed": "measured in the games",
        "verified": "confirmed by an employer or trainer",
        "training": "raised by a training you finished",
        "self_declared": "your own statement",
    },
    evidence={
        "assessed": "tested",
        "verified": "confirmed by an employer or trainer",
        "training": "from a training you finished",
        "self_declared": "your own statement",
    },
    education={
        1: "MBO level 1 (entry level)",
        2: "MBO level 2 or pre-vocational school (VMBO)",
        3: "MBO level 3",
        4: "MBO level 4 or secondary school (HAVO, VWO)",
        5: "associate degree (2 years of higher education)",
        6: "bachelor (higher education or university)",
        7: "master",
        8: "doctorate (PhD)",
    },
    cefr={
        "A1": "you know simple words and sentences",
        "A2": "you can talk about everyday things",
        "B1": "you can manage in most daily situations",
        "B2": "you can join most talks, also at work",
        "C1": "you use the language easily and well",
        "C2": "you use the language very well",
    },
    language_names={
        "nl": "Dutch", "en": "English", "de": "German", "fr": "French", "es": "Spanish",
        "pt": "Portuguese", "it": "Italian", "pl": "Polish", "ro": "Romanian", "bg": "Bulgarian",
        "hu": "Hungarian", "lt": "Lithuanian", "lv": "Latvian", "cs": "Czech", "sk": "Slovak",
        "uk": "Ukrainian", "ru": "Russian", "tr": "Turkish", "ar": "Arabic", "ti": "Tigrinya",
        "so": "Somali", "fa": "Persian (Farsi)", "zh": "Chinese", "am": "Amharic",
        "ku": "Kurdish", "ps": "Pashto",
    },
    months=("January", "February", "March", "April", "May", "June", "July", "August", "September",
            "October", "November", "December"),
)

WORDING: dict[str, Wording] = {"en": EN, "nl": NL}
