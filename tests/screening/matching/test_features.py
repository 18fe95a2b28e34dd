"""Each match feature on its own: what it sees, what it returns, what it says."""

from __future__ import annotations

from screening.matching import MatchConfig
from screening.matching.features import (
    FEATURES,
    NAME_FEATURES,
    Context,
    Side,
    acronym,
    address_overlap,
    align,
    combine_names,
    company_words,
    country_agrees,
    country_differs,
    han_characters,
    industry_differs,
    is_swap,
    latin_tokens,
    legal_form_differs,
    numbers_differ,
    pinyin_transliteration,
    place_elsewhere,
    prepare_name,
    sounds_alike,
    spelling_readings,
    words_across_names,
)

CTX = Context(MatchConfig(), lambda _key: 1.0)


def side(name: str, country: str | None = None, address: frozenset[str] = frozenset()) -> Side:
    return Side(prepare_name(name), country, address)


def test_every_feature_has_a_docstring_and_a_unique_name() -> None:
    names = [fn.__name__ for fn, _ in FEATURES]
    assert len(names) == len(set(names))
    assert all(fn.__doc__ and len(fn.__doc__.split()) >= 6 for fn, _ in FEATURES)


def test_latin_tokens_equal_names_score_one() -> None:
    evidence = latin_tokens(side("Acme Trading Co., Ltd."), side("ACME TRADING COMPANY LIMITED"), CTX)
    assert evidence.value == 1.0
    assert "'acme'='acme'" in evidence.why


def test_latin_tokens_word_order_does_not_matter() -> None:
    assert latin_tokens(side("Melli Bank"), side("Bank Melli"), CTX).value == 1.0


def test_latin_tokens_typo_counts_less_than_equal() -> None:
    typo = latin_tokens(side("Shazamd Petrochemical"), side("Shazand Petrochemical"), CTX)
    assert 0.7 < typo.value < 1.0
    assert "'shazamd'~'shazand' (typo" in typo.why


def test_latin_tokens_words_written_together_or_apart_align() -> None:
    evidence = latin_tokens(side("Zhongke Sanhuan"), side("Zhong Ke San Huan"), CTX)
    assert evidence.value == 1.0
    assert "(written together)" in evidence.why


def test_latin_tokens_initials_of_some_words_align_next_to_equal_words() -> None:
    evidence = latin_tokens(side("IC Horvik"), side("International Company Horvik"), CTX)
    assert evidence.value > 0.8
    assert "(initials)" in evidence.why


def test_latin_tokens_generic_words_and_places_weigh_little() -> None:
    generic = latin_tokens(side("Gotion"), side("Gotion Group"), CTX).value
    distinct = latin_tokens(side("Gotion"), side("Gotion Sanhuan"), CTX).value
    assert generic > 0.85
    assert distinct < 0.85  # a person looks: a short form, or a sister company


def test_a_line_of_business_only_one_side_names_tells_sister_companies_apart() -> None:
    plain = latin_tokens(side("Gazprom"), side("Gazprom Group"), CTX)
    sister = latin_tokens(side("Gazprom"), side("Gazprom Invest"), CTX)
    assert plain.value > 0.85
    assert sister.value < 0.75
    assert "'investment' (generic word, line of business, counts)" in sister.why


def test_a_description_the_short_name_leaves_out_weighs_less_than_a_word_inside_the_name() -> None:
    tail = latin_tokens(side("Kontroles"), side("Kontroles Electronicos de Baja California"), CTX)
    plain = MatchConfig(tail_factor=1.0)
    untouched = latin_tokens(
        side("Kontroles"), side("Kontroles Electronicos de Baja California"), Context(plain, lambda _k: 1.0)
    )
    assert tail.value > untouched.value + 0.15
    assert "'baja' (description the shorter name leaves out, weighs less)" in tail.why
    inside = latin_tokens(side("Dhaka Knit Apparels"), side("Dhaka Sun Knit Apparels"), CTX)
    assert inside.value < MatchConfig().match_threshold
    assert "description" not in inside.why
    own_line = latin_tokens(side("Envision Energy"), side("Envision AESC"), CTX)
    assert own_line.value < 0.6
    assert "description" not in own_line.why


def test_latin_tokens_rare_words_weigh_more() -> None:
    rare = {"shenzhen": 1.0, "abc": 5.0, "xyz": 5.0}
    ctx = Context(MatchConfig(), lambda key: rare.get(key, 1.0))
    assert latin_tokens(side("Shenzhen ABC"), side("Shenzhen XYZ"), ctx).value < 0.1


def test_latin_tokens_spellings_that_sound_alike_align() -> None:
    assert sounds_alike("sovkomkard", "sovcomcard")
    assert not sounds_alike("omaki", "omagi")
    assert latin_tokens(side("Sovkomkard"), side("Sovcomcard"), CTX).value > 0.75


def test_han_characters_compare_without_legal_forms() -> None:
    assert han_characters(side("比亚迪"), side("比亚迪股份有限公司"), CTX).value == 1.0
    partial = han_characters(side("宁德时代"), side("宁德时代新能源科技股份有限公司"), CTX)
    assert 0.7 < partial.value < 1.0
    assert "Chinese characters" in partial.why


def test_han_characters_need_han_on_both_sides() -> None:
    assert han_characters(side("BYD"), side("比亚迪股份有限公司"), CTX).value == 0.0


def test_pinyin_transliteration_compares_latin_with_han_both_ways() -> None:
    forward = pinyin_transliteration(side("Guoxuan High-Tech"), side("国轩高科股份有限公司"), CTX)
    backward = pinyin_transliteration(side("国轩高科股份有限公司"), side("Guoxuan High-Tech"), CTX)
    assert forward.value == backward.value == 1.0
    assert "pinyin of '国轩高科'" in forward.why


def test_pinyin_transliteration_aligns_syllables_written_apart() -> None:
    evidence = pinyin_transliteration(side("Ningde Shi Dai"), side("宁德时代"), CTX)
    assert evidence.value == 1.0


def test_acronym_matches_initials_with_the_legal_form_letter() -> None:
    evidence = acronym(side("CATL"), side("Contemporary Amperex Technology Co., Limited"), CTX)
    assert evidence.value == 1.0
    assert "'catl' is the acronym of" in evidence.why
    assert acronym(side("Contemporary Amperex Technology Co., Limited"), side("CATL"), CTX).value == 1.0


def test_acronym_of_pinyin_syllables() -> None:
    evidence = acronym(side("BYD"), side("比亚迪股份有限公司"), CTX)
    assert evidence.value > 0.8
    assert evidence.why == "'byd' is the acronym of '比亚迪'"


def test_acronym_short_and_shared_acronyms_count_less() -> None:
    four = acronym(side("IRGC"), side("Islamic Revolutionary Guard Corps"), CTX).value
    three = acronym(side("BIM"), side("Bank of Industry and Mine"), CTX).value
    two = acronym(side("BM"), side("Bank Melli"), CTX).value
    assert four > three > two > 0
    shared = Context(MatchConfig(), lambda _key: 1.0, lambda _key: 20)
    assert acronym(side("IRGC"), side("Islamic Revolutionary Guard Corps"), shared).value < 0.5


def test_acronym_needs_a_short_single_distinctive_word() -> None:
    assert acronym(side("Catl Amperex"), side("Contemporary Amperex Technology"), CTX).value == 0.0


def test_words_across_names_explains_a_query_mixing_aliases() -> None:
    names = [prepare_name("Sanati Doodeh Fam Co"), prepare_name("Sherkate Doodeh Faam-e Sadaf")]
    combined = combine_names(names)
    assert combined is not None
    evidence = words_across_names(side("Sanati Doodeh Faam"), Side(combined), CTX)
    assert evidence.value == 1.0
    assert "across the company's names" in evidence.why


def test_words_across_names_leaves_single_names_to_latin_tokens() -> None:
    combined = combine_names([prepare_name("JL Mag Rare-Earth"), prepare_name("Jinli Yongci")])
    assert combined is not None
    assert words_across_names(side("JL Mag"), Side(combined), CTX).value == 0.0
    assert words_across_names(side("JL Mag"), side("JL Mag Rare-Earth"), CTX).value == 0.0


def test_name_features_ignore_the_combined_names() -> None:
    combined = combine_names([prepare_name("Alpha Beta"), prepare_name("Gamma Delta")])
    assert combined is not None
    for feature, _ in NAME_FEATURES:
        if feature is not words_across_names:
            assert feature(side("Alpha Beta"), Side(combined), CTX).value == 0.0


def test_country_agrees_and_differs_only_when_both_are_known() -> None:
    assert country_agrees(side("A", "CN"), side("A", "CN"), CTX).why == "country CN agrees"
    assert country_differs(side("A", "CN"), side("A", "VN"), CTX).value == 1.0
    assert country_agrees(side("A", None), side("A", "CN"), CTX).value == 0.0
    assert country_differs(side("A", None), side("A", "CN"), CTX).value == 0.0


def test_address_overlap_is_the_share_of_the_shorter_address() -> None:
    a = side("A", address=frozenset({"ningde", "jiaocheng", "zhangwan"}))
    b = side("A", address=frozenset({"ningde", "zhangwan"}))
    assert address_overlap(a, b, CTX).value == 1.0
    assert address_overlap(a, side("A"), CTX).value == 0.0


def test_numbers_differ() -> None:
    assert numbers_differ(side("Plant No 2"), side("Plant No 3"), CTX).value == 1.0
    assert numbers_differ(side("Plant No 2"), side("Plant No 2"), CTX).value == 0.0
    assert numbers_differ(side("Plant"), side("Plant No 3"), CTX).value == 0.0


def test_legal_form_never_carries_a_match() -> None:
    same = legal_form_differs(side("Acme Ltd"), side("Acme Limited"), CTX)
    assert same.value == 0.0
    assert "ignored" in same.why
    assert legal_form_differs(side("Acme LLC"), side("Acme JSC"), CTX).value == 1.0
    cross = legal_form_differs(side("Acme JSC"), side("艾克美有限公司"), CTX)
    assert cross.value == 0.0
    assert all(weight <= 0 for fn, weight in FEATURES if fn is legal_form_differs)


def test_align_aligns_each_token_once() -> None:
    alignment = align(
        prepare_name("Alpha Alpha Beta").latin,  # type: ignore[arg-type]
        prepare_name("Alpha Beta").latin,  # type: ignore[arg-type]
        CTX,
    )
    used = [i for pair in alignment.pairs for i in pair.c]
    assert sorted(used) == [0, 1]
    assert alignment.score < 1.0


def words(*names: str) -> frozenset[str]:
    """All tokens of some names, as a company's words."""
    return company_words([prepare_name(n) for n in names])


def test_a_trailing_place_only_the_query_names_is_ignored_and_said_so() -> None:
    evidence = latin_tokens(side("HUBEI EVE POWER, CO. LTD JINGMEN"), side("Hubei EVE Power Co., Ltd."), CTX)
    assert evidence.value == 1.0
    assert "trailing place 'jingmen' only in the query, ignored" in evidence.why


def test_a_leading_chinese_province_only_one_side_names_is_ignored() -> None:
    query = side("HUNAN ANKER INNOVATIONS TECHNOLOGY CO., LTD.")
    assert latin_tokens(query, side("Anker Innovations Technology Co., Ltd."), CTX).value == 1.0
    assert (
        latin_tokens(side("Anker Innovations Technology"), side("Hunan Anker Innovations"), CTX).value < 1.0
    )


def test_places_count_when_both_sides_name_one_or_the_names_disagree() -> None:
    two_places = latin_tokens(
        side("GAZPROM TRANSGAZ KRASNODAR"), side("GAZPROM TRANSGAZ SAINT PETERSBURG"), CTX
    )
    assert two_places.value < 0.85
    other_word = latin_tokens(side("DHAKA KNIT APPARELS LTD, GAZIPUR"), side("Dhaka Sun Knit Apparels"), CTX)
    assert other_word.value < 0.85
    assert "ignored" not in two_places.why + other_word.why


def test_how_much_an_omitted_place_counts_is_configurable() -> None:
    half = Context(MatchConfig(omitted_place_factor=0.5), lambda _key: 1.0)
    counted = latin_tokens(side("HUBEI EVE POWER LTD JINGMEN"), side("Hubei EVE Power"), half)
    assert 0.9 < counted.value < 1.0
    assert "trailing place 'jingmen' only in the query, weighs less" in counted.why


def test_countries_inside_a_name_are_never_ignored() -> None:
    assert latin_tokens(side("Sberbank of Russia"), side("Sberbank"), CTX).value < 0.9


def test_a_misspelt_word_weighs_what_the_word_it_misspells_weighs() -> None:
    rare = {"shenzen": 9.0}  # an unseen misspelling is the rarest word of all
    ctx = Context(MatchConfig(), lambda key: rare.get(key, 1.0))
    evidence = latin_tokens(side("SHENZEN KELU ELECTRONIC"), side("Shenzhen Kelu Electronic"), ctx)
    assert evidence.value > 0.95
    assert "'shenzen'~'shenzhen' (typo" in evidence.why


def test_two_words_of_the_trade_table_are_not_typos_of_each_other() -> None:
    evidence = latin_tokens(side("Harbor Forge Electronics"), side("Harbor Forge Electric"), CTX)
    assert "only in the query: 'electronic'" in evidence.why
    assert latin_tokens(side("Kelu Electronic"), side("Kelu Optoelectronics"), CTX).value < 0.8


def test_swapped_letters_are_typos_even_in_short_words() -> None:
    assert is_swap("wnid", "wind")
    assert not is_swap("wind", "wine")
    evidence = latin_tokens(side("PINE ILNE MOBILITY"), side("Pine Line Mobility"), CTX)
    assert evidence.value > 0.9
    assert "'ilne'~'line' (typo, 0.90)" in evidence.why


def test_typos_of_another_spelling_of_a_trade_word_align() -> None:
    evidence = latin_tokens(side("Wenzhou Huatai Ianqi"), side("Wenzhou Huatai Electric"), CTX)
    assert evidence.value > 0.9
    assert "'ianqi'~'electric' (typo of 'dianqi'" in evidence.why


def test_a_place_gives_its_partner_up_to_a_misspelt_word_of_the_name() -> None:
    query = side("HUEI YIWEI POWER, CO., LIMITED, JINGMEN HUBEI")
    evidence = latin_tokens(query, side("Hubei Yiwei Power"), CTX)
    assert evidence.value > 0.95
    assert "'huei'~'hubei' (typo" in evidence.why


def test_place_elsewhere_when_the_company_is_somewhere_else() -> None:
    shantou = side("Taiyan New Energy", address=frozenset({"shantou", "guangdong"}))
    evidence = place_elsewhere(side("Jingmen Taiyan New Energy"), shantou, CTX)
    assert evidence.value == 1.0
    assert evidence.why == "'jingmen' is not where the company is (guangdong, shantou)"
    changsha = side("Anker Innovations", address=frozenset({"changsha", "hunan"}))
    assert place_elsewhere(side("HUNAN ANKER INNOVATIONS"), changsha, CTX).value == 0.0
    assert place_elsewhere(side("Jingmen Taiyan New Energy"), side("Taiyan New Energy"), CTX).value == 0.0


def test_industry_differs_across_all_of_the_company_names() -> None:
    motors = Side(
        prepare_name("鸡西兴达"), company_words=words("鸡西兴达", "Jixi Xingda Electric Motor Co., Ltd.")
    )
    evidence = industry_differs(side("Jixi Xingda Graphite"), motors, CTX)
    assert evidence.value == 1.0
    assert evidence.why == "industry 'graphite' vs the company's 'electric motor'"
    graphite = Side(prepare_name("鸡西兴达"), company_words=words("鸡西兴达", "Jixi Xingda Shimo"))
    assert industry_differs(side("Jixi Xingda Graphite"), graphite, CTX).value == 0.0
    assert all(weight < 0 for fn, weight in FEATURES if fn in (industry_differs, place_elsewhere))


def test_spelling_readings_explain_but_never_score() -> None:
    evidence = spelling_readings(side("JIXI XINGDA SHIMO CO., LIIMITED"), side("Jixi Xingda Graphite"), CTX)
    assert "'liimited' read as legal form 'limited' (typo)" in evidence.why
    assert "'shimo' read as pinyin for 'graphite'" in evidence.why
    assert [weight for fn, weight in FEATURES if fn is spelling_readings] == [0.0]
