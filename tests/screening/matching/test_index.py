"""The blocking index and search, on real company names (battery and magnet makers, see the regulatory
fact sheet, section 7: names and aliases for fuzzy matching)."""

from __future__ import annotations

import pytest

from screening.matching import MatchConfig, MatchIndex, classify, prepare_name
from screening.model import Company

# Names as published (English legal name, Chinese legal name, a few aliases); CATL's own acronym and its
# short Chinese name are left out so that the matcher has to find them.
NETWORK = (
    Company(
        "catl",
        "Contemporary Amperex Technology Co., Limited",
        "CN",
        aliases=("宁德时代新能源科技股份有限公司",),
    ),
    Company("byd", "BYD Company Limited", "CN", aliases=("比亚迪股份有限公司",)),
    Company("findreams", "FinDreams Battery Co., Ltd.", "CN", aliases=("弗迪电池有限公司",)),
    Company("eve", "EVE Energy Co., Ltd.", "CN", aliases=("惠州亿纬锂能股份有限公司", "EVE")),
    Company("gotion", "Gotion High-tech Co., Ltd.", "CN", aliases=("国轩高科股份有限公司", "Gotion")),
    Company(
        "hithium",
        "Xiamen Hithium Energy Storage Technology Co., Ltd.",
        "CN",
        aliases=("厦门海辰储能科技股份有限公司",),
    ),
    Company("envision", "Envision Energy, Ltd.", "CN", aliases=("远景能源有限公司",)),
    Company(
        "aesc",
        "Envision AESC",
        "CN",
        aliases=("远景动力技术(江苏)有限公司", "Automotive Energy Supply Corporation"),
    ),
    Company("calb", "CALB Group Co., Ltd.", "CN", aliases=("中创新航科技集团股份有限公司",)),
    Company("sunwoda", "Sunwoda Electronic Co., Ltd.", "CN", aliases=("欣旺达电子股份有限公司",)),
    Company("farasis", "Farasis Energy (Ganzhou) Co., Ltd.", "CN", aliases=("孚能科技（赣州）股份有限公司",)),
    Company("jlmag", "JL MAG Rare-Earth Co., Ltd.", "CN", aliases=("江西金力永磁科技股份有限公司",)),
    Company("yunsheng", "Ningbo Yunsheng Co., Ltd.", "CN", aliases=("宁波韵升股份有限公司",)),
    Company(
        "sanhuan",
        "Beijing Zhong Ke San Huan High-Tech Co., Ltd.",
        "CN",
        aliases=("北京中科三环高技术股份有限公司",),
    ),
    Company(
        "zhenghai",
        "Yantai Zhenghai Magnetic Material Co., Ltd.",
        "CN",
        aliases=("烟台正海磁性材料股份有限公司",),
    ),
    Company(
        "northern",
        "China Northern Rare Earth (Group) High-Tech Co., Ltd.",
        "CN",
        aliases=("中国北方稀土(集团)高科技股份有限公司",),
    ),
    Company("cre", "China Rare Earth Group Co., Ltd.", "CN", aliases=("中国稀土集团有限公司",)),
    Company("shenghe", "Shenghe Resources Holding Co., Ltd.", "CN", aliases=("盛和资源控股股份有限公司",)),
    Company("anker", "Anker Innovations Technology Co., Ltd.", "CN", aliases=("安克创新科技股份有限公司",)),
    Company("ecoflow", "EcoFlow Inc.", "CN", aliases=("深圳市正浩创新科技股份有限公司",)),
    Company("rheinmetall", "Rheinmetall AG", "DE"),
    Company("tesla", "Tesla, Inc.", "US", address="1 Tesla Road, Austin, Texas"),
)
MAGNET_MAKERS = {"jlmag", "yunsheng", "sanhuan", "zhenghai"}


@pytest.fixture(scope="module")
def index() -> MatchIndex:
    return MatchIndex(NETWORK)


@pytest.mark.parametrize(
    ("query", "country", "expected"),
    [
        ("CATL", "CN", "catl"),
        ("宁德时代新能源科技股份有限公司", None, "catl"),
        ("宁德时代新能源科技有限公司", "CN", "catl"),
        ("Ningde Shidai New Energy Technology Co., Ltd.", "CN", "catl"),
        ("CONTEMPORARY AMPEREX TECH. CO LTD", None, "catl"),
        ("BYD Co., Ltd.", "CN", "byd"),
        ("比亚迪", "CN", "byd"),
        ("Guoxuan High-Tech Co Ltd", "CN", "gotion"),
        ("国轩高科", None, "gotion"),
        ("Gotion Hi-Tech", "CN", "gotion"),
        ("Zhongke Sanhuan Hi-Tech", "CN", "sanhuan"),
        ("Shenzhen Zhenghao Chuangxin Keji", "CN", "ecoflow"),
        ("JL Mag Rare Earth", "CN", "jlmag"),
        ("Xiamen Haichen Energy Storage Technology", "CN", "hithium"),
        ("Envision AESC", "CN", "aesc"),
        ("Sunwoda Electronics", "CN", "sunwoda"),
        ("Tesla Inc", "US", "tesla"),
    ],
)
def test_real_names_match_their_company(
    index: MatchIndex, query: str, country: str | None, expected: str
) -> None:
    match = classify(index.search(query, country))
    assert match.status == "matched", match.explanation
    assert match.company_id == expected


def test_rare_earth_magnesium_does_not_match_a_magnet_maker(index: MatchIndex) -> None:
    candidates = index.search("Rare Earth Magnesium Technology Group Co., Ltd.", "CN")
    assert classify(candidates).status != "matched"
    assert all(c.score < MatchConfig().review_threshold for c in candidates if c.company_id in MAGNET_MAKERS)


def test_envision_energy_and_envision_aesc_stay_apart(index: MatchIndex) -> None:
    energy = index.search("Envision Energy Ltd", "CN")
    aesc = index.search("Envision AESC Japan", "CN")
    assert classify(energy).company_id == "envision"
    assert classify(aesc).company_id == "aesc"
    assert next(c.score for c in energy if c.company_id == "aesc") < MatchConfig().review_threshold
    assert next(c.score for c in aesc if c.company_id == "envision") < MatchConfig().review_threshold


def test_an_unknown_company_is_unmatched(index: MatchIndex) -> None:
    assert classify(index.search("Northvolt Ett AB", "SE")).status == "unmatched"
    assert index.search("") == []


def test_search_returns_one_candidate_per_company_best_first_within_limit(index: MatchIndex) -> None:
    candidates = index.search("China Rare Earth High-Tech Group", "CN", limit=3)
    assert len(candidates) == 3
    assert len({c.company_id for c in candidates}) == 3
    assert [c.score for c in candidates] == sorted((c.score for c in candidates), reverse=True)
    assert all(0.0 <= c.score <= 1.0 for c in candidates)


def test_every_alias_is_indexed_as_a_name(index: MatchIndex) -> None:
    best = index.search("惠州亿纬锂能股份有限公司")[0]
    assert best.company_id == "eve"
    assert best.name == "EVE Energy Co., Ltd."
    assert best.matched_name == "惠州亿纬锂能股份有限公司"
    assert best.explanation.startswith("alias '惠州亿纬锂能股份有限公司' matched")


def test_explanation_names_the_matched_name_and_the_reasons(index: MatchIndex) -> None:
    best = index.search("CATL", "CN")[0]
    assert best.matched_name == "Contemporary Amperex Technology Co., Limited"
    assert "'catl' is the acronym of 'contemporary amperex tech co'" in best.explanation
    assert "country CN agrees" in best.explanation
    assert "legal form 'limited' ignored" in best.explanation


def test_address_is_a_small_qualifier(index: MatchIndex) -> None:
    plain = index.search("Tesla Motors", "US")[0].score
    located = index.search("Tesla Motors", "US", address="Tesla Road, Austin TX")[0]
    assert 0 < located.score - plain <= 0.05 + 1e-9
    assert "address shares" in located.explanation


def test_add_after_build_indexes_new_companies_and_new_names() -> None:
    index = MatchIndex(NETWORK[:3])
    assert classify(index.search("Gotion High Tech", "CN")).status == "unmatched"
    index.add(NETWORK[4])
    assert classify(index.search("Gotion High Tech", "CN")).company_id == "gotion"
    index.add(Company("catl", "CATL", aliases=("Ningde Times",)))
    catl = index.get("catl")
    assert catl is not None
    assert catl.name == "Contemporary Amperex Technology Co., Limited"
    assert catl.country == "CN"
    assert catl.aliases[-2:] == ("CATL", "Ningde Times")
    assert index.search("Ningde Times", "CN")[0].score == 1.0
    assert len(index) == 4


def test_typo_in_a_rare_word_is_found_through_similar_known_words(index: MatchIndex) -> None:
    best = index.search("Rheinmetal AG", "DE")[0]
    assert best.company_id == "rheinmetall"
    assert "typo" in best.explanation


def test_candidate_generation_never_scores_the_whole_network() -> None:
    companies = [Company(f"C{i}", f"Shenzhen Company {i:05d} Trading Co Ltd", "CN") for i in range(3000)]
    companies.append(Company("target", "Shenzhen Lumina Optoelectronics Trading Co Ltd", "CN"))
    config = MatchConfig(max_candidates=50)
    index = MatchIndex(companies, config)
    entries = index.candidate_entries(prepare_name("Lumina Optoelectronics Shenzhen"))
    assert len(entries) <= 50
    assert classify(index.search("Lumina Optoelectronics Shenzhen", "CN"), config).company_id == "target"


def test_words_written_together_are_found_by_blocking() -> None:
    index = MatchIndex(
        [Company("g", "Gold Star Electronics", "KR"), Company("s", "Silver Star Electronics", "KR")]
    )
    assert index.search("Goldstar Electronics", "KR")[0].company_id == "g"


def test_phonetic_spelling_is_found_by_blocking() -> None:
    index = MatchIndex([Company("s", "Sovcomcard LLC", "RU"), Company("x", "Sovcombank", "RU")])
    best = index.search("Sovkomkard", "RU")[0]
    assert best.company_id == "s"
    assert "sounds alike" in best.explanation


def test_query_mixing_words_of_several_aliases_is_explained_by_all_names() -> None:
    company = Company("f", "Sanati Doodeh Fam Co", "IR", aliases=("Sherkate Doodeh Faam-e Sadaf",))
    index = MatchIndex([company, Company("p", "Parto Sanat Co", "IR")])
    best = index.search("Sanati Doodeh Sadaf", "IR")[0]
    assert best.company_id == "f"
    assert best.explanation.startswith("all names together matched")


KELU = (
    Company(
        "kelu",
        "Shenzhen Kelu Electronic Co., Ltd.",
        "CN",
        address="Shenzhen, Guangdong",
        aliases=("Kelu Electronic",),
    ),
    Company(
        "kelu_decoy",
        "Shenzhen Kelu Optoelectronics Co., Ltd.",
        "CN",
        address="No. 9 Keji Road, Bao'an District, Shenzhen, Guangdong",
        aliases=("Kelu Optoelectronics",),
    ),
)
TAIYAN = Company(
    "taiyan",
    "Shantou Taiyan New Energy Technology Co., Ltd.",
    "CN",
    address="Shantou, Guangdong",
    aliases=("Taiyan New Energy Technology",),  # the registry's alias names no city
)


@pytest.mark.parametrize(
    "query",
    [
        "SHENZEN KELU ELECTRONIC",
        "SHENZEN KELU EELCTRONIC, SHENZHEN GUANGDONG",
        "SHENZHEN KELU ELECTRONIC CCO., LTD.",
        "Shenzhen Kelu Electronics Co Ltd",
    ],
)
def test_misspelt_bill_names_find_the_company_not_its_lookalike(query: str) -> None:
    match = classify(MatchIndex(KELU).search(query, "CN"))
    assert match.status == "matched", match.explanation
    assert match.company_id == "kelu"


def test_a_company_in_another_city_is_not_matched_on_an_alias_without_a_city() -> None:
    index = MatchIndex([*KELU, TAIYAN])
    assert classify(index.search("Shantou Taiyan New Energy Tech Co Ltd", "CN")).company_id == "taiyan"
    candidates = index.search("Jingmen Taiyan Xinnengyuan Keji Youxian Gongsi", "CN")
    assert classify(candidates).status != "matched"
    assert "'jingmen' is not where the company is (guangdong, shantou)" in candidates[0].explanation
