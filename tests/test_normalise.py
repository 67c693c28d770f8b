"""dashboard.ingest.normalise: countries in every spelling, multi-valued cells, dates, vocabularies, text."""

from __future__ import annotations

import datetime as dt

import pytest

from dashboard.ingest.normalise import (
    SECTOR_KEYWORDS,
    TYPE_GRAVITY,
    TYPE_KEYWORDS,
    CountryMatch,
    by_gravity,
    is_missing,
    map_keyword,
    neutral_text,
    parse_date,
    resolve_country,
    split_list,
    vocabulary_ids,
)

# ---------------------------------------------------------------------------------------------- countries


@pytest.mark.parametrize(
    ("spelling", "iso3"),
    [
        # codes and common names, any case and spacing
        ("UKR", "UKR"),
        ("ukr", "UKR"),
        ("UA", "UKR"),
        ("de", "DEU"),
        ("  Germany ", "DEU"),
        ("russia", "RUS"),
        ("Russian Federation", "RUS"),
        ("UK", "GBR"),
        ("U.S.", "USA"),
        ("United States", "USA"),
        ("North Korea", "PRK"),
        ("South Korea", "KOR"),
        ("Vietnam", "VNM"),
        ("Burma", "MMR"),
        ("Czech Republic", "CZE"),
        ("Czechia", "CZE"),
        ("Kosovo", "XKX"),
        ("Taiwan", "TWN"),
        ("Hong Kong", "HKG"),
        ("Macau", "MAC"),
        ("Swaziland", "SWZ"),
        ("Eswatini", "SWZ"),
        ("the Philippines", "PHL"),
        ("The Netherlands", "NLD"),
        ("Holland", "NLD"),
        ("Türkiye", "TUR"),
        ("Turkey", "TUR"),
        ("CÔTE D'IVOIRE", "CIV"),
        ("Ivory Coast", "CIV"),
        ("Bosnia and Herzegovina", "BIH"),
        # ISO 3166 short forms (EuRepoC)
        ("Korea, Republic of", "KOR"),
        ("Korea, Democratic People's Republic of", "PRK"),
        ("Iran, Islamic Republic of", "IRN"),
        ("Moldova, Republic of", "MDA"),
        ("Tanzania, United Republic of", "TZA"),
        ("Taiwan, Province of China", "TWN"),
        ("Palestine, State of", "PSE"),
        ("Congo, The Democratic Republic of the", "COD"),
        ("Viet Nam", "VNM"),
        ("Lao People's Democratic Republic", "LAO"),
        ("Syrian Arab Republic", "SYR"),
        ("Brunei Darussalam", "BRN"),
        ("Holy See (Vatican City State)", "VAT"),
        # UN long forms (CFR)
        ("Iran (Islamic Republic of)", "IRN"),
        ("Korea (Democratic People's Republic of)", "PRK"),
        ("Korea (Republic of)", "KOR"),
        ("Venezuela (Bolivarian Republic of)", "VEN"),
        ("Bolivia (Plurinational State of)", "BOL"),
        ("Micronesia (Federated States of)", "FSM"),
        ("Netherlands (Kingdom of the)", "NLD"),
        ("Congo (Democratic Republic of the)", "COD"),
        ("Congo (the Democratic Republic of the)", "COD"),
        ("Republic of Moldova", "MDA"),
        ("United Kingdom of Great Britain and Northern Ireland", "GBR"),
        ("United Kingdom of Great Britain and Northern Ireland (the)", "GBR"),
        ("Russian Federation (the)", "RUS"),
        ("Philippines (the)", "PHL"),
        ("Korea (the Republic of)", "KOR"),
        # characters lost in an export as '??' (or '?')
        ("T??rkiye", "TUR"),
        ("T?rkiye", "TUR"),
        ("C??te d'Ivoire", "CIV"),
        ("C??te d??Ivoire", "CIV"),
        ("S??o Tom?? and Pr??ncipe", "STP"),
        ("Cura??ao", "CUW"),
        ("R??union", "REU"),
        ("Lao People??s Democratic Republic", "LAO"),
        # look-alikes must not be confused
        ("Niger", "NER"),
        ("Nigeria", "NGA"),
        ("Guinea", "GIN"),
        ("Guinea-Bissau", "GNB"),
        ("Equatorial Guinea", "GNQ"),
        ("Papua New Guinea", "PNG"),
        ("Dominica", "DMA"),
        ("Dominican Republic", "DOM"),
        ("Sudan", "SDN"),
        ("South Sudan", "SSD"),
        ("Georgia", "GEO"),
    ],
)
def test_resolve_country_spellings(spelling: str, iso3: str) -> None:
    assert resolve_country(spelling) == CountryMatch(iso3)


@pytest.mark.parametrize(
    "spelling",
    ["EU (region)", "Global (region)", "NATO (organisation)", "OSCE (organization)", "Europe", "Worldwide", "ASEAN"],
)
def test_regions_and_organisations_are_recognised_not_countries(spelling: str) -> None:
    match = resolve_country(spelling)
    assert match.iso3 is None and match.region == spelling


@pytest.mark.parametrize(
    "spelling", ["", "   ", "Atlantis", "XXX", "??", "Ni??", "Unknown", "Not available", "Republic of", "Korea ("]
)
def test_unknown_names_resolve_to_nothing(spelling: str) -> None:
    assert resolve_country(spelling) == CountryMatch(None)


@pytest.mark.parametrize(
    ("spelling", "iso3"),
    [
        ("Korea (the Democratic People's Republic of)", "PRK"),
        ("Korea (Democratic People??s Republic of)", "PRK"),
        ("Korea (DPRK)", "PRK"),
    ],
)
def test_un_long_forms_never_resolve_to_another_country(spelling: str, iso3: str) -> None:
    assert resolve_country(spelling).iso3 in {iso3, None}


@pytest.mark.parametrize(
    ("spelling", "iso3"), [("Côte d’Ivoire", "CIV"), ("Bosnia & Herzegovina", "BIH"), ("St. Lucia", "LCA")]
)
def test_spellings_not_yet_recognised(spelling: str, iso3: str) -> None:
    """Documented gaps (typographic apostrophe, '&', 'St.'): reported as unknown, never as another country."""
    assert resolve_country(spelling).iso3 in {None, iso3}


# ---------------------------------------------------------------------------------------------- list cells


@pytest.mark.parametrize(
    ("cell", "items"),
    [
        ("['United States', 'United Kingdom']", ["United States", "United Kingdom"]),
        ('["Korea, Democratic People\'s Republic of", "Japan"]', ["Korea, Democratic People's Republic of", "Japan"]),
        ("[['Ukraine', 'Poland'], ['Estonia']]", ["Ukraine", "Poland", "Estonia"]),
        ("[[['deep']], 'flat']", ["deep", "flat"]),
        ("['Ukraine', None, '', 'Not available']", ["Ukraine"]),
        ("['Ukraine', 'Unknown']", ["Ukraine"]),
        ("[1, 2]", ["1", "2"]),
        ("Ukraine; Poland", ["Ukraine", "Poland"]),
        ("Ukraine ; Poland;", ["Ukraine", "Poland"]),
        ("Transportation;Aviation; Health", ["Transportation;Aviation", "Health"]),
        ("Advocacy;activists; Media", ["Advocacy;activists", "Media"]),
        ("'Ukraine'; \"Poland\"", ["Ukraine", "Poland"]),
        ("Ministry of Defence; Armed Forces", ["Ministry of Defence", "Armed Forces"]),
        ("['Ministry of Defence; Armed Forces', 'Police']", ["Ministry of Defence; Armed Forces", "Police"]),
        ("single value", ["single value"]),
    ],
)
def test_split_list(cell: str, items: list[str]) -> None:
    assert split_list(cell) == items


@pytest.mark.parametrize(
    "cell",
    [
        "",
        "   ",
        "Not available",
        "not available",
        "Unknown",
        "none",
        "None",
        "[]",
        "['']",
        "N/A",
        "null",
        "nan",
        "-",
        "?",
        None,
    ],
)
def test_split_list_of_missing_values_is_empty(cell: str | None) -> None:
    assert split_list(cell) == []
    assert is_missing(cell)


def test_split_list_with_comma_separator() -> None:
    assert split_list("China, Russian Federation", separators=(";", ",")) == ["China", "Russian Federation"]
    assert split_list("Iran (Islamic Republic of), Viet Nam", separators=(";", ",")) == [
        "Iran (Islamic Republic of)",
        "Viet Nam",
    ]
    # a list literal keeps commas inside its items whatever the separators
    assert split_list("['Korea, Republic of']", separators=(";", ",")) == ["Korea, Republic of"]


@pytest.mark.parametrize("cell", ["[" * 500 + "]" * 500, "[" * 5000, "['a', 'b'", "[1, 2", "[__import__('os')]"])
def test_split_list_never_evaluates_or_crashes_on_hostile_literals(cell: str) -> None:
    items = split_list(cell)
    assert isinstance(items, list)
    assert all(isinstance(i, str) for i in items)


# ---------------------------------------------------------------------------------------------- dates


@pytest.mark.parametrize(
    ("text", "style", "value"),
    [
        ("2021-03-04", "iso", dt.date(2021, 3, 4)),
        ("2021-3-4", "iso", dt.date(2021, 3, 4)),
        ("2021-03-04T10:11:12Z", "iso", dt.date(2021, 3, 4)),
        ("2021-03-04 10:11:12.5+02:00", "iso", dt.date(2021, 3, 4)),
        ("2021-03-04", "us", dt.date(2021, 3, 4)),
        ("3/4/2021", "us", dt.date(2021, 3, 4)),
        ("12/31/2019", "us", dt.date(2019, 12, 31)),
        ("3/4/2021", "dmy", dt.date(2021, 4, 3)),
        ("04.03.2021", "dmy", dt.date(2021, 3, 4)),
        ("31/12/2019", "dmy", dt.date(2019, 12, 31)),
        ("29/02/2020", "dmy", dt.date(2020, 2, 29)),
        ("1980-01-01", "iso", dt.date(1980, 1, 1)),
        ("5/5/2021", "dmy-or-mdy", dt.date(2021, 5, 5)),
        ("25/12/2021", "dmy-or-mdy", dt.date(2021, 12, 25)),
    ],
)
def test_parse_date_reads(text: str, style: str, value: dt.date) -> None:
    result = parse_date(text, style=style)
    assert (result.value, result.problem, result.ambiguous) == (value, "", False)


@pytest.mark.parametrize(
    ("text", "style", "problem"),
    [
        ("1800-01-01", "iso", "'1800-01-01' is before 1980: check the year"),
        ("1979-12-31", "iso", "is before 1980"),
        ("2200-01-01", "iso", "'2200-01-01' is in the future: check the year"),
        ("1/1/2200", "us", "is in the future"),
        ("2021-02-31", "iso", "'2021-02-31' is not a date (no such day)"),
        ("31/02/2021", "dmy", "'31/02/2021' is not a date (no such day)"),
        ("02/31/2021", "us", "is not a date (no such day)"),
        ("2021-02-29", "iso", "no such day"),
        ("13/13/2021", "dmy", "no such day"),
        ("2021-13-01", "iso", "no such day"),
        ("31/02/2021", "iso", "'31/02/2021' is not a date in YYYY-MM-DD form"),
        ("3/4/2021", "iso", "is not a date in YYYY-MM-DD form"),
        ("2021", "iso", "'2021' is only a year; a full date is needed"),
        ("March 2021", "iso", "'March 2021' is not a date"),
        ("yesterday", "us", "'yesterday' is not a date"),
        ("=TODAY()", "iso", "is not a date"),
    ],
)
def test_parse_date_explains_what_is_wrong(text: str, style: str, problem: str) -> None:
    result = parse_date(text, style=style)
    assert result.value is None
    assert problem in result.problem


@pytest.mark.parametrize("text", ["3/4/2021", "12/11/2020", "01.02.2021"])
def test_day_and_month_that_could_be_swapped_are_flagged_not_guessed(text: str) -> None:
    result = parse_date(text, style="dmy-or-mdy")
    assert result.value is None and result.ambiguous
    assert "day and month are ambiguous" in result.problem


@pytest.mark.parametrize("text", ["", "  ", "Not available", "Unknown", "none", None])
def test_missing_dates_are_empty_not_errors(text: str | None) -> None:
    assert parse_date(text) == parse_date("") and parse_date(text).value is None and not parse_date(text).problem


def test_future_dates_are_allowed_for_plans_but_not_for_ever() -> None:
    soon = dt.date.today() + dt.timedelta(days=3 * 365)
    assert parse_date(soon.isoformat()).problem.endswith("is in the future: check the year")
    assert parse_date(soon.isoformat(), allow_future=True).value == soon
    assert "in the future" in parse_date("2200-01-01", allow_future=True).problem
    tomorrow = dt.date.today() + dt.timedelta(days=1)
    assert parse_date(tomorrow.isoformat()).value == tomorrow  # time zones and announced dates: a year of slack


# ---------------------------------------------------------------------------------------------- vocabularies, text


@pytest.mark.parametrize(
    ("label", "ours"),
    [
        ("Ransomware", "ransomware"),
        ("Data theft", "espionage"),
        ("Data theft & Doxing", "hack-and-leak"),
        ("Hijacking with Misuse", "hijacking"),
        ("Disruption", "disruption"),
        ("Denial of service", "disruption"),
        ("DDoS", "disruption"),
        ("Sabotage", "disruption"),
        ("Data destruction", "disruption"),
        ("Defacement", "defacement"),
        ("Doxing", "hack-and-leak"),
        ("Espionage", "espionage"),
        ("Supply-chain compromise", "supply-chain"),
        ("Disinformation campaign", "information-operation"),
        ("Something else", None),
    ],
)
def test_incident_types_map_by_keyword(label: str, ours: str | None) -> None:
    assert map_keyword(label, TYPE_KEYWORDS) == ours
    assert ours is None or ours in vocabulary_ids("incident_types.csv")


def test_types_are_ranked_by_gravity_other_last() -> None:
    assert set(TYPE_GRAVITY) == vocabulary_ids("incident_types.csv") and TYPE_GRAVITY[-1] == "other"
    assert TYPE_GRAVITY[:2] == ("ransomware", "disruption")
    assert by_gravity(["hijacking", "espionage", "hijacking"]) == ["espionage", "hijacking"]
    assert by_gravity(["other", "hijacking", "disruption", "ransomware"]) == [
        "ransomware",
        "disruption",
        "hijacking",
        "other",
    ]


@pytest.mark.parametrize(
    ("label", "ours"),
    [
        ("Government / ministries", "government"),
        ("State institutions / political system", "government"),
        ("Military", "defence"),
        ("Defence industry", "defence"),
        ("Energy", "energy"),
        ("Health", "health"),
        ("Transportation;Aviation", "transport"),
        ("Telecommunications", "digital-infrastructure"),
        ("Finance", "banking"),
        ("Political parties", "political-parties"),
        ("Police", "law-enforcement"),
        ("Civil service / administration", "public-administration"),
        ("Civil society", "civil-society"),
        ("Media", "media"),
        ("Research", "research"),
        ("Water", "drinking-water"),
        ("Private sector", "private-sector"),
        ("Unrelated words", None),
    ],
)
def test_sectors_map_by_keyword(label: str, ours: str | None) -> None:
    assert map_keyword(label, SECTOR_KEYWORDS) == ours
    assert ours is None or ours in vocabulary_ids("sectors.csv")


def test_vocabulary_ids_are_the_reference_ids() -> None:
    assert {"0", "5"} <= vocabulary_ids("severity_levels.csv")
    assert "other" in vocabulary_ids("incident_types.csv")


@pytest.mark.parametrize(
    ("raw", "text"),
    [
        ("  plain  ", "plain"),
        ("line one\nline two\tend", "line one\nline two\tend"),
        ("bell\x07 and null\x00 and escape\x1b[31m", "bell and null and escape[31m"),
        ("\u202eevil.exe\u200b", "evil.exe"),
        ("nan", ""),
        ("NULL", ""),
        (None, ""),
        ("<script>alert(1)</script>", "<script>alert(1)</script>"),
        ("=1+1", "=1+1"),
    ],
)
def test_neutral_text_strips_control_characters_only(raw: str | None, text: str) -> None:
    assert neutral_text(raw, 100) == (text, "")


def test_neutral_text_reports_what_is_too_long() -> None:
    text, problem = neutral_text("x" * 150, 100)
    assert text == "x" * 100
    assert problem == "is 150 characters long; at most 100 are allowed"


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("Ukrainian power companies", ["UKR"]),
        ("U.S. government agencies", ["USA"]),
        ("Banks in South Korea and the U.K.", ["KOR", "GBR"]),
        ("North Korean defectors and Japanese media", ["PRK", "JPN"]),
        ("Estonians abroad", ["EST"]),
        ("American Samoa's government", ["ASM"]),  # the name wins over the adjective inside it
        ("Iranian nuclear facilities; Saudi Aramco", ["IRN", "SAU"]),
        ("T??rkiye ministries", ["TUR"]),
        ("tools to polish the image", []),  # adjectives count only when capitalised
        ("Congolese ministry", []),  # shared by two states: never guessed
        ("Sony Pictures Entertainment", []),
    ],
)
def test_countries_found_in_free_text_by_name_or_adjective(text: str, found: list[str]) -> None:
    from dashboard.ingest.cells import find_countries as _find_countries

    assert _find_countries(text) == found
