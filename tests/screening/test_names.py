"""Normalisation of company names: legal forms, abbreviations, scripts, brackets, clustering keys."""

from __future__ import annotations

import pytest

from screening.names import ABBREVIATIONS, name_key, normalize_name


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
