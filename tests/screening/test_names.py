"""Normalisation of company names: legal forms, abbreviations, scripts, brackets, clustering keys."""

from __future__ import annotations

import pytest

from screening.names import ABBREVIATIONS, PINYIN_WORDS, is_country, is_place, name_key, normalize_name, slips


@pytest.mark.parametrize(
    ("written", "tokens", "legal_form"),
    [
        ("Contemporary Amperex Technology Co., Limited", ("contemporary", "amperex", "tech", "co"), "llc"),
        ("Shenzhen XYZ Intl Mfg Co Ltd", ("shenzhen", "xyz", "intl", "manufacturing"), "llc"),
        ("Tata Steel Pvt. Ltd.", ("tata", "steel"), "llc"),
        ("Maju Sdn. Bhd.", ("maju",), "llc"),
        ("ООО Ромашка", ("romashka",), "llc"),
        ("Acme S.A. de C.V.", ("acme",), "jsc"),
        ("Siemens GmbH", ("siemens",), "llc"),
        ("Acme LLC", ("acme",), "llc"),
        ("PT Maju Jaya Tbk", ("maju", "jaya"), "llc"),
        ("Limited Liability Company Rutarget", ("rutarget",), "llc"),
        ("OBSHESTVO S OGRANICHENNOJ OTVETSTVENNOSTYU RADIOKOMP", ("radiokomp",), "llc"),
        ("Shenzhen Jiayu Keji Youxian Gongsi", ("shenzhen", "jiayu", "tech"), "llc"),
        ("株式会社トヨタ", ("toyota",), "jsc"),
    ],
)
def test_legal_forms_are_removed_and_kept_as_a_class(
    written: str, tokens: tuple[str, ...], legal_form: str
) -> None:
    normalized = normalize_name(written)
    assert normalized.tokens == tokens
    assert normalized.legal_form == legal_form


def test_legal_forms_are_recognised_anywhere_in_the_name() -> None:
    assert normalize_name("Joint Stock Company Sudoexport").tokens == ("sudoexport",)
    assert normalize_name("Sudoexport JSC").tokens == ("sudoexport",)
    assert normalize_name("Kaifeng Co., Ltd. China Pingmei").tokens == ("kaifeng", "china", "pingmei")


def test_short_bare_legal_forms_inside_a_name_are_words() -> None:
    assert normalize_name("Bank SA Holdings").tokens == ("bank", "sa", "holding")
    assert normalize_name("Roman Plant II").tokens == ("roman", "factory", "ii")


def test_a_name_that_is_only_a_legal_form_keeps_it() -> None:
    assert normalize_name("Sdn Bhd").tokens == ("sdn", "bhd")


@pytest.mark.parametrize(
    ("written", "han", "legal_form"),
    [
        ("宁德时代新能源科技股份有限公司", "宁德时代新能源科技", "jsc"),
        ("比亚迪股份有限公司", "比亚迪", "jsc"),
        ("深圳市正浩创新科技有限公司", "深圳市正浩创新科技", "llc"),
        ("弗迪电池有限公司上海分公司", "弗迪电池上海分公司", "llc"),
    ],
)
def test_han_legal_forms_are_removed(written: str, han: str, legal_form: str) -> None:
    normalized = normalize_name(written)
    assert normalized.han == han
    assert normalized.legal_form == legal_form
    assert normalized.tokens == ()


def test_han_is_segmented_into_places_generic_words_and_a_distinctive_run() -> None:
    normalized = normalize_name("北京中科三环高技术股份有限公司")
    assert normalized.han_tokens == ("北京", "中科三环", "高技术")
    assert normalized.tokens_pinyin == ("beijing", "zhongkesanhuan", "hitech")
    assert normalized.pinyin_kinds == ("place", "word", "domain")


def test_pinyin_has_no_tones_and_joins_the_syllables_of_a_run() -> None:
    assert normalize_name("国轩高科股份有限公司").tokens_pinyin == ("guoxuan", "hitech")
    assert normalize_name("绿地").tokens_pinyin == ("ludi",)


def test_han_place_suffixes_are_absorbed() -> None:
    assert normalize_name("深圳市正浩").han_tokens == ("深圳", "正浩")
    assert normalize_name("深圳正浩").han_tokens == ("深圳", "正浩")


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("ABC Imp & Exp Co", "ABC Import and Export Company"),
        ("ABC Imp/Exp Co", "ABC Trading Co"),
        ("Sino Intl Grp", "Sino International Group"),
        ("Delta Mfg Corp", "Delta Manufacturing Corporation"),
        ("Kappa Hi-Tech Materials", "Kappa High Technology Material"),
        ("Omega Elec Eqpt", "Omega Electronics Equipment"),
        ("Zeta Chem Ind", "Zeta Chemicals Industrial"),
        ("Zeta Keji Jituan", "Zeta Technology Group"),
        ("C&I Semiconductor", "C AND I SEMICONDUCTOR"),
        ("A.B.C. Trading", "ABC Trading"),
    ],
)
def test_trade_abbreviations_map_to_one_canonical_token(a: str, b: str) -> None:
    assert normalize_name(a).tokens == normalize_name(b).tokens


def test_abbreviation_targets_are_fixed_points() -> None:
    for canonical in {t for tokens in ABBREVIATIONS.values() for t in tokens}:
        assert ABBREVIATIONS.get(canonical, (canonical,)) == (canonical,)


def test_other_scripts_are_transliterated() -> None:
    assert normalize_name("Société Générale S.A.").tokens == ("co", "generale")
    assert normalize_name("Ελληνική Εταιρεία").tokens == ("elliniki", "co")
    assert normalize_name("삼성전자 주식회사").tokens == ("samseongjeonja",)


def test_token_kinds_mark_places_generic_words_and_numbers() -> None:
    normalized = normalize_name("Hong Kong Star Trading Co 2")
    assert normalized.tokens == ("hong", "kong", "star", "trade", "co", "2")
    assert normalized.kinds == ("place", "place", "word", "generic", "generic", "number")


def test_bracketed_names_become_extra_names() -> None:
    normalized = normalize_name("Foo Ltd (formerly Bar Co)")
    assert normalized.tokens == ("foo",)
    assert normalized.extra_names == ("bar co",)
    assert normalize_name("NAFTIRAN INTERTRADE CO. (NICO) LIMITED").extra_names == ("NICO",)


def test_brackets_holding_only_a_place_or_generic_word_stay_in_the_name() -> None:
    normalized = normalize_name("Hithium Energy Storage Technology (Shanghai) Co., Ltd.")
    assert normalized.extra_names == ()
    assert "shanghai" in normalized.tokens
    assert normalize_name("孚能科技（赣州）股份有限公司").han == "孚能科技赣州"


def test_inline_aka_splits_names() -> None:
    normalized = normalize_name("Alpha Shipping a.k.a. Beta Marine")
    assert normalized.tokens == ("alpha", "shipping")
    assert normalized.extra_names == ("beta marine",)


def test_normalize_never_raises_on_empty_or_odd_input() -> None:
    assert normalize_name("").is_empty
    assert normalize_name("---").is_empty
    assert normalize_name("()").is_empty


def test_name_key_ignores_case_punctuation_order_legal_form_and_abbreviations() -> None:
    key = name_key("ACME Intl Co., Ltd.", "China")
    assert key == "acme intl|CN"
    assert name_key("Acme International Limited", "CN") == key
    assert name_key("International ACME Corp", "cn") == key


def test_name_key_keeps_countries_and_distinct_words_apart() -> None:
    assert name_key("Acme Trading", "CN") != name_key("Acme Trading", "VN")
    assert name_key("Acme Trading", "CN") != name_key("Acme Electronics", "CN")
    assert name_key("Acme Trading", None).endswith("|")
    assert name_key("宁德时代新能源科技股份有限公司", "CN") == "宁德时代新能源科技|CN"


@pytest.mark.parametrize(
    ("written", "tokens", "reading"),
    [
        ("BYD CO.,LIIMITED", ("byd", "co"), "'liimited' read as legal form 'limited' (typo)"),
        (
            "CONTEMPORARY AMPEREX TECHNOLOGY CO., LIMITEED",
            ("contemporary", "amperex", "tech", "co"),
            "limiteed",
        ),
        ("EVE ENERGY, COMPNAY LIMITED", ("eve", "energy", "co"), "'compnay' read as legal form 'company'"),
        ("ECOFLOW, INNCORPORATED", ("ecoflow",), "'inncorporated' read as legal form 'incorporated'"),
        ("HONG KONG ECOFLOW TECH CO. LMITED", ("hong", "kong", "ecoflow", "tech", "co"), "'lmited'"),
        ("NINGBO XINLEI CIYE YYOUXIAN GONGSI", ("ningbo", "xinlei", "magnet"), "'yyouxian'"),
    ],
)
def test_typing_slips_of_legal_form_words_are_read_as_the_legal_form(
    written: str, tokens: tuple[str, ...], reading: str
) -> None:
    normalized = normalize_name(written)
    assert normalized.tokens == tokens
    assert normalized.legal_form == "llc"
    assert any(reading in r for r in normalized.readings)


def test_short_legal_form_slips_only_next_to_a_legal_form_a_full_stop_or_at_the_end() -> None:
    assert normalize_name("HUBEI EVE POWER CO., TD.").tokens == ("hubei", "eve", "power")
    assert normalize_name("Gotion High-tech CCO., LIMITED").tokens == ("gotion", "hitech", "co")
    assert normalize_name("NINGDE TIMES, TLD").legal_form_text == "ltd"
    assert normalize_name("Acme TD Trading").tokens == ("acme", "td", "trade")
    assert normalize_name("TD Bank").tokens[0] == "td"


def test_typing_slips_of_trade_words_are_read_as_the_word() -> None:
    normalized = normalize_name("Anker Innovations Tcehnology Co., Ltd.")
    assert normalized.tokens == ("anker", "innovation", "tech")
    assert normalized.readings == ("'tcehnology' read as 'technology' (typo)",)
    assert normalize_name("Hubei Yiwei Donlgi").tokens == ("hubei", "yiwei", "power")


def test_slips_are_doubled_swapped_or_dropped_letters_of_long_enough_words() -> None:
    assert {"liimited", "limtied", "limted"} <= slips("limited")
    assert "mteal" not in slips("metal")  # five letters: only doubled letters
    assert "meal" not in slips("metal")
    assert "tieil" in slips("tieli", swaps_from=5)


@pytest.mark.parametrize(
    ("written", "name", "qualifiers"),
    [
        ("HUBEI EVE POWER, CO. LTD JINGMEN", ("hubei", "eve", "power", "co"), ("jingmen",)),
        ("PILBARA LITHIUM CHEMICALS PTY. LTD. KWINANA", ("pilbara", "lithium", "chemical"), ("kwinana",)),
        ("SUMMIT RIDGE POWER SYSTEMS INCORPORATED RENO", ("summit", "ridge", "power", "system"), ("reno",)),
        ("LITIO PUNA,SA SALTA", ("litio", "puna"), ("salta",)),
        ("AESC (JIANGSU) CO., LTD. WUXI", ("aesc",), ("wuxi", "jiangsu")),
        ("GOTION HIGH-TECH LTD (HEFEI)", ("gotion", "hitech"), ("hefei",)),
        (
            "SHENZEN KELU EELCTRONIC, SHENZHEN GUANGDONG",
            ("shenzen", "kelu", "electronic"),
            ("shenzhen", "guangdong"),
        ),
        ("CAFE DE HUILA, NIEVA COLOMBIA", ("cafe", "huila"), ("nieva", "colombia")),
        (
            "RIVER GATE POWER TOOLS, CORP., ATLANTA GA",
            ("river", "gate", "power", "tools", "corp"),
            ("atlanta", "ga"),
        ),
        ("DHAKA KNIT APPARELS GAZIPUR", ("dhaka", "knit", "apparels"), ("gazipur",)),
    ],
)
def test_what_follows_a_name_qualifies_it(
    written: str, name: tuple[str, ...], qualifiers: tuple[str, ...]
) -> None:
    normalized = normalize_name(written)
    assert normalized.tokens == name + qualifiers
    assert normalized.kinds[len(name) :] == ("qualifier",) * len(qualifiers)
    assert "qualifier" not in normalized.kinds[: len(name)]


def test_legal_forms_that_lead_names_leave_the_name_whole() -> None:
    normalized = normalize_name("INOSTRANNOYE OBSHCHESTVO S OGRANICHENNOY OTVETSTVENNOSTYU SLAVKALIY")
    assert normalized.kinds == ("word", "word")
    assert normalize_name("Joint Stock Company Sudoexport").kinds == ("word",)
    assert normalize_name("UNITED INDUSTRIAL CORPORATION OBORONPROM OJSC").kinds[-1] == "word"


def test_bracketed_places_qualify_and_other_brackets_are_listed_as_bracketed() -> None:
    assert normalize_name("GREENTECH BATTERY VIEETNAM (BAC NINH)").kinds[-2:] == ("qualifier", "qualifier")
    byd = normalize_name("FinDreams Battery (BYD)")
    assert byd.tokens == ("findreams", "battery")
    assert byd.extra_names == byd.bracketed == ("BYD",)
    formerly = normalize_name("Foo Ltd (formerly Bar Co)")
    assert formerly.extra_names == ("bar co",)
    assert formerly.bracketed == ()


def test_the_gazetteer_knows_countries_subdivisions_and_industrial_cities() -> None:
    assert is_place(["hefei", "anhui"])
    assert is_place(["bac", "ninh"])
    assert is_place(["kwinana"])
    assert not is_place(["central"])
    assert not is_place(["kelu"])
    assert is_country(["viet", "nam"])
    assert not is_country(["hefei"])


@pytest.mark.parametrize(
    ("pinyin", "english"),
    [
        ("Jixi Xingda Shimo Youxian Gongsi", "Jixi Xingda Graphite Co., Ltd."),
        ("Ningbo Tianyuan Hejin Cailiao Co., Ltd.", "Ningbo Tianyuan Alloy Materials Co., Ltd."),
        ("Baotou Hengsheng Xitu Jinshu Co., Ltd.", "Baotou Hengsheng Rare Earth Metals Co., Ltd."),
        ("Ganzhou Hengci Cixing Cailiao", "Ganzhou Hengci Magnetic Materials"),
        ("Ningde Shidai Xinnengyuan Keji", "Ningde Times New Energy Technology"),
        ("Changzhou Dinghui Dianji", "Changzhou Dinghui Motor"),
    ],
)
def test_pinyin_trade_words_read_as_their_english(pinyin: str, english: str) -> None:
    assert normalize_name(pinyin).tokens == normalize_name(english).tokens
    assert name_key(pinyin, "CN") == name_key(english, "CN")


def test_pinyin_readings_are_explained_and_han_words_agree() -> None:
    assert normalize_name("Jixi Xingda Shimo").readings == ("'shimo' read as pinyin for 'graphite'",)
    assert normalize_name("鸡西兴达石墨有限公司").tokens_pinyin == ("jixi", "xingda", "graphite")
    assert normalize_name("宁德时代").tokens_pinyin == ("ningde", "times")


def test_pinyin_trade_words_stand_for_english_words_that_stand_for_themselves() -> None:
    targets = {token for word in PINYIN_WORDS for token in ABBREVIATIONS[word]}
    assert {"graphite", "alloy", "rare", "earth", "metal", "power", "times"} <= targets
    assert not targets & PINYIN_WORDS
    assert all(ABBREVIATIONS.get(token, (token,)) == (token,) for token in targets)
