"""The parser on the seed profile and on each layout variant the codebook describes."""

from __future__ import annotations

import pytest

from bikgraph.codebook import load_codebook, rate_profile
from bikgraph.errors import SourceError
from bikgraph.profile import decode_source, parse_profile
from bikgraph.settings import Settings

from . import variants


def parse(text: str, structure, source: str = "profile.txt"):
    return parse_profile(text, structure, source)


def test_seed_is_one_profile_of_belgium_2024(structure):
    profile = parse(variants.seed_text(), structure)
    assert (profile.country, profile.edition, profile.data_collection) == ("Belgium", 2024, (2024, 2))
    assert profile.copies == 2  # the page appears twice and is read once
    assert len(profile.tables) == 7
    assert sum(len(t.rows) for t in profile.tables) == 40
    assert all(not t.reliable and t.layout == "markdown" for t in profile.tables)


def test_every_bullet_of_the_source_is_a_finding_with_its_line(structure):
    expected = variants.bullets_in_source()
    assert len(expected) == 42  # counted off the raw file, first copy
    profile = parse(variants.seed_text(), structure)
    bullets = [(f.line, f.text) for f in profile.findings if f.form == "bullet"]
    assert bullets == expected


def test_lead_paragraph_is_kept_as_a_paragraph_finding(structure):
    profile = parse(variants.seed_text(), structure)
    paragraphs = [f for f in profile.findings if f.form == "paragraph"]
    assert [(f.line, f.text[:40]) for f in paragraphs] == [(56, "Four competent authorities have been des")]
    assert paragraphs[0].subheading == "responses-to-eu-laws"


def test_character_offsets_select_the_exact_text(structure):
    text = variants.seed_text()
    for finding in parse(text, structure).findings:
        assert text[finding.char_start:finding.char_end] == finding.text


def test_identical_repeat_equals_a_single_copy(structure):
    once = parse(variants.first_copy(), structure)
    twice = parse(variants.seed_text(), structure)
    assert once.copies == 1 and twice.copies == 2
    assert [f.text for f in once.findings] == [f.text for f in twice.findings]
    assert [t.rows for t in once.tables] != [] and len(once.tables) == len(twice.tables)


def test_two_different_versions_of_the_page_are_an_error(structure):
    text = variants.seed_text()
    lines = text.split("\n")
    lines[137] = lines[137].replace("important and emerging", "comprehensively addressed")  # line 138
    with pytest.raises(SourceError) as err:
        parse("\n".join(lines), structure, "two.txt")
    assert err.value.line == 138
    assert "two.txt:138: two different versions of the page: line 138 differs from line 8" in str(err.value)


def test_crlf_line_ends(structure):
    text = variants.seed_text().replace("\n", "\r\n")
    profile = parse(text, structure)
    lf = parse(variants.seed_text(), structure)
    assert [(f.line, f.text) for f in profile.findings] == [(f.line, f.text) for f in lf.findings]
    for finding in profile.findings:
        assert text[finding.char_start:finding.char_end] == finding.text


def test_page_chrome_around_the_content_is_ignored(structure):
    text = variants.with_chrome(variants.first_copy())
    profile = parse(text, structure)
    assert profile.copies == 1 and len(profile.findings) == 43
    assert profile.findings[0].line == 5 + 7  # 5 lines of chrome, then the bullet's line in the page
    for finding in profile.findings:
        assert text[finding.char_start:finding.char_end] == finding.text


def test_country_and_edition_come_from_the_text(structure):
    profile = parse(variants.as_country(variants.seed_text(), "Austria", 2023), structure)
    assert (profile.country, profile.edition, profile.data_collection) == ("Austria", 2023, (2023, 2))


def test_layout_2025(structure):
    profile = parse(variants.layout_2025(variants.seed_text()), structure)
    assert profile.edition == 2025
    assert profile.summary.startswith("Belgium shows strong policy frameworks")
    frameworks = profile.table_of("policy-frameworks")
    assert frameworks.columns == ("high", "medium", "low", "not-present")
    assert "influence-of-the-bik-strategy" in [r.indicator for r in frameworks.rows]


def test_plain_text_tables_are_a_reliable_basis(structure):
    columns = {"Integration of policy provision": 1, "National coordination body": 2,
               "Digital identity systems": 3, "Cyberbullying laws": 0}
    profile = parse(variants.plain_tables(variants.seed_text(), columns), structure)
    assert all(t.reliable and t.layout == "plain" for t in profile.tables)
    levels = {r.indicator: r.level for t in profile.tables for r in t.rows}
    assert levels["integration-of-policy-provision"] == "medium"
    assert levels["national-coordination-body"] == "low"
    assert levels["digital-identity-systems"] == "other"
    assert levels["cyberbullying-laws"] == "in-place"
    rules = load_codebook(Settings().codebook_path, structure)
    ratings = {r.indicator: r for r in rate_profile(profile, rules, structure)}
    assert ratings["national-coordination-body"].basis == "table"
    assert ratings["national-coordination-body"].confidence == 1.0


# ---------------------------------------------------------------- bad input: clear errors

def test_empty_file(structure):
    with pytest.raises(SourceError, match=r"^empty.txt:1: empty file"):
        parse("\n\n", structure, "empty.txt")


def test_text_that_is_not_a_profile(structure):
    with pytest.raises(SourceError, match=r"^other.txt:1: not a BIK\+ Policy Monitor country profile"):
        parse("Lorem ipsum\ndolor sit amet\n", structure, "other.txt")


def test_truncated_profile(structure):
    text = "\n".join(variants.first_copy().split("\n")[:90])
    with pytest.raises(SourceError) as err:
        parse(text, structure, "cut.txt")
    assert err.value.line == 90
    assert "truncated profile" in err.value.message


def test_truncated_before_an_area(structure):
    lines = variants.first_copy().split("\n")
    cut = lines[:lines.index("Pillar 3 – active participation, respecting children’s rights")]
    text = "\n".join(cut + [lines[-2]])  # keep the closing line: the pillar itself is missing
    with pytest.raises(SourceError, match=r"truncated profile: the page ends without the area\(s\) Pillar 3"):
        parse(text, structure, "cut.txt")


def test_unknown_indicator_label(structure):
    text = variants.seed_text().replace("National research fund | X", "National lottery fund | X")
    with pytest.raises(SourceError) as err:
        parse(text, structure, "odd.txt")
    assert err.value.line == 28
    assert "unknown indicator label 'National lottery fund' in the table of 'Policy design'" in err.value.message


def test_unknown_table_column(structure):
    text = variants.seed_text().replace("High | Medium | Low | Other | |", "High | Medium | Low | Unclear | |")
    with pytest.raises(SourceError) as err:
        parse(text, structure, "odd.txt")
    assert err.value.line == 12
    assert "unknown table column 'Unclear'" in err.value.message


def test_malformed_utf8_names_line_and_column():
    data = variants.seed_text().encode("utf-8").replace(b"Policy frameworks\n", b"Policy fr\xffameworks\n", 1)
    with pytest.raises(SourceError) as err:
        decode_source(data, "bad.txt")
    assert err.value.line == 5
    assert "malformed UTF-8: byte 0xff at column 10" in str(err.value)


def test_unreadable_path(tmp_path):
    from bikgraph.release import read_source
    with pytest.raises(SourceError, match="cannot read profile"):
        read_source(tmp_path / "missing.txt")


def test_a_bullet_may_contain_a_pipe(structure):
    text = variants.seed_text().replace("- This topic is an important and emerging policy priority.",
                                        "- This topic is an important | emerging policy priority.")
    profile = parse(text, structure)
    assert profile.findings[0].text == "This topic is an important | emerging policy priority."
    assert len(profile.tables) == 7


def test_bullet_outside_any_area(structure):
    lines = variants.first_copy().split("\n")
    lines.insert(1, "- A stray bullet before any heading.")
    with pytest.raises(SourceError, match=r"^odd.txt:2: a narrative bullet outside any area or pillar"):
        parse("\n".join(lines), structure, "odd.txt")
