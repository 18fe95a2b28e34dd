"""Pairwise scoring (compare_names) and the verdict bands (classify)."""

from __future__ import annotations

import pytest

from screening.matching import MATCHER_VERSION, MatchConfig, classify, compare_names, matcher_version
from screening.model import Candidate, Company

CATL = Company(
    "C1",
    "Contemporary Amperex Technology Co., Limited",
    "CN",
    address="No. 2 Xingang Road, Zhangwan Town, Jiaocheng District, Ningde, Fujian",
    aliases=("宁德时代新能源科技股份有限公司", "CATL"),
)


def candidate(company_id: str, score: float, name: str | None = None) -> Candidate:
    return Candidate(company_id, name or company_id, "CN", score, f"{company_id} scored {score}")


def test_compare_names_picks_the_best_of_the_company_names() -> None:
    found = compare_names("宁德时代新能源科技有限公司", "CN", CATL)
    assert found.company_id == "C1"
    assert found.matched_name == "宁德时代新能源科技股份有限公司"
    assert found.score > 0.95
    assert found.explanation.startswith("alias '宁德时代新能源科技股份有限公司' matched: Chinese characters")


def test_compare_names_explains_an_acronym_with_country_and_legal_form() -> None:
    company = Company("C1", "Contemporary Amperex Technology Co., Limited", "CN")
    found = compare_names("CATL", "China", company)
    assert found.score > 0.9
    assert found.explanation == (
        "name 'Contemporary Amperex Technology Co., Limited' matched: 'catl' is the acronym of "
        "'contemporary amperex tech co'; country CN agrees; legal form 'limited' ignored"
    )


def test_compare_names_country_disagreement_costs_clearly() -> None:
    agree = compare_names("Contemporary Amperex", "CN", CATL).score
    unknown = compare_names("Contemporary Amperex", None, CATL).score
    differ = compare_names("Contemporary Amperex", "VN", CATL).score
    assert agree > unknown > differ
    assert unknown - differ >= 0.1
    assert "country VN differs from CN" in compare_names("CATL", "VN", CATL).explanation


def test_compare_names_address_words_are_a_small_qualifier() -> None:
    plain = compare_names("Contemporary Amperex", "CN", CATL).score
    with_address = compare_names(
        "Contemporary Amperex", "CN", CATL, query_address="Zhangwan Town, Jiaocheng District, Ningde"
    )
    assert 0 < with_address.score - plain <= 0.05
    assert "address shares 3 words" in with_address.explanation


def test_compare_names_unrelated_name_scores_zero() -> None:
    found = compare_names("Rheinmetall Waffe Munition", "DE", CATL)
    assert found.score == 0.0
    assert "no word, character or acronym in common" in found.explanation


def test_compare_names_query_brackets_are_extra_names() -> None:
    found = compare_names("Ningde Holdings Ltd (formerly CATL)", "CN", CATL)
    assert found.matched_name == "CATL"
    assert found.score >= 0.85


def test_compare_names_weights_can_be_overridden_by_feature_name() -> None:
    config = MatchConfig(weights={"acronym": 0.5})
    company = Company("C1", "Contemporary Amperex Technology Co., Limited", "CN")
    assert compare_names("CATL", None, company, config).score == 0.5


def test_classify_matched_when_best_is_above_threshold_and_clearly_ahead() -> None:
    match = classify([candidate("A", 0.95), candidate("B", 0.70)])
    assert match.status == "matched"
    assert match.company_id == "A"
    assert match.score == 0.95
    assert [c.company_id for c in match.candidates] == ["A", "B"]


def test_classify_near_tie_between_two_companies_is_ambiguous() -> None:
    match = classify([candidate("A", 0.95), candidate("B", 0.94)])
    assert match.status == "ambiguous"
    assert match.company_id is None
    assert "too close to call" in match.explanation


def test_classify_review_band_is_ambiguous() -> None:
    config = MatchConfig()
    match = classify([candidate("A", (config.match_threshold + config.review_threshold) / 2)])
    assert match.status == "ambiguous"
    assert "below the match threshold" in match.explanation


def test_classify_below_review_threshold_is_unmatched() -> None:
    assert classify([candidate("A", 0.3)]).status == "unmatched"
    assert classify([]).status == "unmatched"


def test_classify_bands_follow_the_config() -> None:
    strict = MatchConfig(match_threshold=0.99, review_threshold=0.9, margin=0.0)
    assert classify([candidate("A", 0.95)], strict).status == "ambiguous"
    assert classify([candidate("A", 0.95), candidate("B", 0.95)], MatchConfig(margin=0.0)).status == "matched"


def test_classify_orders_candidates_best_first() -> None:
    match = classify([candidate("B", 0.5), candidate("A", 0.97)])
    assert match.company_id == "A"
    assert [c.score for c in match.candidates] == [0.97, 0.5]


def test_matcher_version_names_non_default_settings() -> None:
    assert MATCHER_VERSION.startswith("tiersight-match-")
    assert matcher_version() == MATCHER_VERSION
    assert matcher_version(MatchConfig()) == MATCHER_VERSION
    tuned = matcher_version(MatchConfig(match_threshold=0.9))
    assert tuned.startswith(MATCHER_VERSION + "+cfg.")
    assert tuned == matcher_version(MatchConfig(match_threshold=0.9))
    assert tuned != matcher_version(MatchConfig(match_threshold=0.91))


BYD = Company("byd", "BYD Company Limited", "CN", aliases=("BYD", "比亚迪股份有限公司"))
FINDREAMS = Company("findreams", "FinDreams Battery Co., Ltd.", "CN", aliases=("弗迪电池有限公司",))


def test_a_bracketed_part_of_the_query_counts_less_than_its_main_name() -> None:
    main = compare_names("FinDreams Battery (BYD)", "CN", FINDREAMS)
    bracket = compare_names("FinDreams Battery (BYD)", "CN", BYD)
    assert main.score == 1.0
    assert bracket.score == pytest.approx(MatchConfig().bracket_name_factor + 0.04)  # scaled, country agrees
    assert classify([main, bracket]).company_id == "findreams"


def test_names_after_formerly_keep_the_extra_name_factor() -> None:
    formerly = compare_names("Acme Holdings (formerly BYD)", "CN", BYD).score
    bracket = compare_names("Acme Holdings (BYD)", "CN", BYD).score
    assert formerly > bracket


def test_compare_names_reads_a_misspelt_legal_form_and_a_trailing_place() -> None:
    found = compare_names("BYD CO.,LIIMITED SHENZHEN", "CN", BYD)
    assert found.score == 1.0
    assert "trailing place 'shenzhen' only in the query, ignored" in found.explanation
    assert "'liimited' read as legal form 'limited' (typo)" in found.explanation
