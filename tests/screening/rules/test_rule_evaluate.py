"""HS input map and prefix lookups (screening/rules/evaluate.py)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from screening.rules.evaluate import HsInputs, industry_of
from screening.rules.schema import HsInputsFile, IndustriesFile, Industry


def hs_inputs(products: list[dict[str, object]]) -> HsInputs:
    return HsInputs(HsInputsFile.model_validate({"products": products}).products)


# A hand-built map: one heading-level product (8507) and one subheading under it (850760).
MAP = hs_inputs(
    [
        {
            "hs": "8507",
            "inputs": [
                {"hs": "850790", "kind": "direct", "materials": ["cells"]},
                {"hs": "2504", "kind": "direct", "materials": ["graphite"]},
            ],
        },
        {
            "hs": "850760",
            "inputs": [
                {"hs": "7318", "kind": "capital", "materials": ["screws"]},
                {"hs": "250410", "kind": "capital", "materials": ["odd_but_test"]},
            ],
        },
    ]
)


def test_input_set_takes_inputs_of_every_product_prefix_plus_the_code_itself() -> None:
    assert MAP.input_set("850760") == ("2504", "250410", "7318", "850760", "850790")


def test_input_set_of_a_longer_code_includes_its_product_prefixes() -> None:
    assert MAP.input_set("8507600020") == ("2504", "250410", "7318", "8507600020", "850790")


def test_input_set_of_a_sibling_code_gets_only_the_shared_prefix_inputs() -> None:
    assert MAP.input_set("850790") == ("2504", "850790")


def test_input_set_of_an_unrelated_code_is_the_code_alone() -> None:
    assert MAP.input_set("850511") == ("850511",)


def test_empty_map_passes_codes_through() -> None:
    assert HsInputs().input_set("850760") == ("850760",)


def test_input_set_is_memoised_but_stable() -> None:
    first = MAP.input_set("850760")
    assert MAP.input_set("850760") is first


def test_kind_of_prefers_the_most_specific_input_prefix() -> None:
    assert MAP.kind_of("850760", "2504100000") == "capital"  # 250410 (capital) beats 2504 (direct)
    assert MAP.kind_of("850760", "2504900000") == "direct"
    assert MAP.kind_of("850760", "731815") == "capital"


def test_kind_of_is_none_for_unlisted_pairs_and_pass_through() -> None:
    assert MAP.kind_of("850511", "2504") is None
    assert MAP.kind_of("850760", "850760") is None
    assert MAP.kind_of("850790", "7318") is None


def test_kind_of_ranks_input_specificity_before_product_specificity() -> None:
    crossed = hs_inputs(
        [
            {"hs": "85", "inputs": [{"hs": "250410", "kind": "direct"}]},
            {"hs": "8505", "inputs": [{"hs": "2504", "kind": "capital"}]},
        ]
    )
    assert crossed.kind_of("850511", "2504100000") == "direct"
    assert crossed.kind_of("850511", "2504900000") == "capital"


def test_kind_of_prefers_the_more_specific_product_for_the_same_input() -> None:
    narrow_direct = hs_inputs(
        [
            {"hs": "85", "inputs": [{"hs": "7202", "kind": "capital"}]},
            {"hs": "8505", "inputs": [{"hs": "7202", "kind": "direct"}]},
        ]
    )
    assert narrow_direct.kind_of("850511", "720299") == "direct"
    assert narrow_direct.kind_of("850760", "720299") == "capital"
    narrow_capital = hs_inputs(
        [
            {"hs": "85", "inputs": [{"hs": "7202", "kind": "direct"}]},
            {"hs": "8505", "inputs": [{"hs": "7202", "kind": "capital"}]},
        ]
    )
    assert narrow_capital.kind_of("850511", "720299") == "capital"


def test_materials_of_collects_tags_of_every_matching_input() -> None:
    assert MAP.materials_of("850760", "2504100000") == ("graphite", "odd_but_test")


def test_industry_of_uses_the_longest_listed_prefix() -> None:
    industries = IndustriesFile.model_validate(
        {"industries": [{"hs": "8703", "industry": "autos"}, {"hs": "870380", "industry": "ev"}]}
    ).industries
    assert industry_of(industries, "8703800000") == "ev"
    assert industry_of(industries, "870340") == "autos"
    assert industry_of(industries, "850511") is None
    assert industry_of((Industry(hs="85", industry="electrical"),), "850511") == "electrical"


@given(st.text(alphabet="0123456789", min_size=6, max_size=10))
def test_input_set_always_holds_the_code_sorted_and_unique(code: str) -> None:
    found = MAP.input_set(code)
    assert code in found
    assert list(found) == sorted(set(found))
    listed = {"850790", "2504", "7318", "250410"}
    assert set(found) - {code} <= listed
