"""Loading rule folders: validation errors, party lists, the content hash (screening/rules/loader.py)."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from screening.errors import RuleError
from screening.rules import DEFAULT_RULES_DIR, folder_version, load_rules

RULE = """\
rules:
  - id: r1
    title: Test rule
    kind: export_control
    authority: Test authority
    document: Test document
    source: https://example.org/r1
    effective_from: 2025-01-10
    severity: high
    when:
      origin: [CN]
      hs: ["850511"]
"""

PARTY_RULE = """\
rules:
  - id: p1
    title: Test party rule
    kind: restricted_party
    authority: Test authority
    document: Test document
    source: https://example.org/p1
    effective_from: 2025-01-10
    severity: high
    when:
      parties: lists/p.csv
"""

PARTIES = "name,aliases,country\nAcme Magnets Co.,ACME|艾克美,China\n"

HS_INPUTS = """\
products:
  - hs: "850511"
    name: magnets
    inputs:
      - {hs: "280530", kind: direct, materials: [rare_earth]}
"""


def folder(root: Path, files: dict[str, str | bytes]) -> Path:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return root


def refusal(root: Path, files: dict[str, str | bytes]) -> RuleError:
    with pytest.raises(RuleError) as caught:
        load_rules(folder(root, files))
    message = str(caught.value)
    assert "\n" not in message
    return caught.value


def test_default_folder_loads() -> None:
    ruleset = load_rules(DEFAULT_RULES_DIR)
    assert len(ruleset.rules) > 30
    assert len(ruleset.version) == 16
    assert int(ruleset.version, 16) >= 0
    assert ruleset.hs_inputs.products
    assert ruleset.industries


def test_version_is_stable_across_loads() -> None:
    assert load_rules(DEFAULT_RULES_DIR).version == load_rules(DEFAULT_RULES_DIR).version
    assert load_rules(DEFAULT_RULES_DIR) == load_rules(DEFAULT_RULES_DIR)


def test_version_changes_when_one_byte_changes(tmp_path: Path) -> None:
    copy = tmp_path / "rules"
    shutil.copytree(DEFAULT_RULES_DIR, copy)
    before = load_rules(copy).version
    assert before == load_rules(DEFAULT_RULES_DIR).version
    party_list = copy / "lists" / "ndaa-2024-154.csv"
    data = bytearray(party_list.read_bytes())
    data[-2] = ord("X") if data[-2] != ord("X") else ord("Y")
    party_list.write_bytes(bytes(data))
    after = load_rules(copy).version
    assert after != before
    assert after == folder_version(copy)


def test_version_ignores_files_that_are_not_rule_data(tmp_path: Path) -> None:
    root = folder(tmp_path, {"a.yaml": RULE})
    before = load_rules(root).version
    (root / "README.md").write_text("notes", encoding="utf-8")
    (root / ".backup.yaml").write_text("editor junk", encoding="utf-8")
    (root / ".git").mkdir()
    (root / ".git" / "x.csv").write_text("name\nx\n", encoding="utf-8")
    assert load_rules(root).version == before


def test_version_changes_when_a_file_is_renamed(tmp_path: Path) -> None:
    root = folder(tmp_path, {"a.yaml": RULE})
    before = load_rules(root).version
    (root / "a.yaml").rename(root / "b.yaml")
    assert load_rules(root).version != before


def test_minimal_folder_without_hs_inputs_passes_codes_through(tmp_path: Path) -> None:
    ruleset = load_rules(folder(tmp_path, {"a.yaml": RULE}))
    assert [rule.id for rule in ruleset.rules] == ["r1"]
    assert ruleset.hs_inputs.input_set("850511") == ("850511",)
    assert ruleset.industries == ()
    assert dict(ruleset.parties) == {}


def test_rules_keep_folder_order_and_in_force_filters_by_date(tmp_path: Path) -> None:
    later = RULE.replace("id: r1", "id: r0").replace("2025-01-10", "2026-01-01")
    ruleset = load_rules(folder(tmp_path, {"b.yaml": later, "a.yaml": RULE}))
    assert [rule.id for rule in ruleset.rules] == ["r1", "r0"]
    assert [rule.id for rule in ruleset.in_force(dt.date(2025, 6, 1))] == ["r1"]
    assert [rule.id for rule in ruleset.in_force(dt.date(2026, 1, 1))] == ["r1", "r0"]
    assert ruleset.rule("r0").effective_from == dt.date(2026, 1, 1)


def test_party_rows_become_companies(tmp_path: Path) -> None:
    csv_text = (
        "\ufeffName , Aliases,COUNTRY,note\n"
        "Acme Magnets Co.,ACME| 艾克美 ||ACME|Acme Magnets Co.,China,first\n"
        "\n"
        '"Beta Battery, Ltd.",,,\n'
    )
    ruleset = load_rules(folder(tmp_path, {"a.yaml": PARTY_RULE, "lists/p.csv": csv_text}))
    acme, beta = ruleset.parties["p1"]
    assert (acme.company_id, acme.name, acme.aliases, acme.country) == (
        "p1:1",
        "Acme Magnets Co.",
        ("ACME", "艾克美"),
        "CN",
    )
    assert (beta.company_id, beta.name, beta.aliases, beta.country) == (
        "p1:2",
        "Beta Battery, Ltd.",
        (),
        None,
    )


def test_yaml_scalars_that_look_like_other_types_stay_codes(tmp_path: Path) -> None:
    text = RULE.replace("origin: [CN]", "origin: [NO, CN]").replace('hs: ["850511"]', "hs: [0101, 850511]")
    rule = load_rules(folder(tmp_path, {"a.yaml": text})).rules[0]
    assert rule.when.origin == ("NO", "CN")
    assert rule.when.hs == ("0101", "850511")


def test_industries_and_hs_inputs_are_read(tmp_path: Path) -> None:
    industries = 'industries:\n  - {hs: "8703", industry: autos}\n'
    ruleset = load_rules(
        folder(tmp_path, {"a.yaml": RULE, "hs_inputs.yaml": HS_INPUTS, "industries.yaml": industries})
    )
    assert ruleset.hs_inputs.input_set("850511") == ("280530", "850511")
    assert ruleset.industry_of("870380") == "autos"


def test_review_due_lists_rules_whose_check_date_arrived(tmp_path: Path) -> None:
    text = RULE.replace("    severity: high\n", "    severity: high\n    review_by: 2026-11-10\n")
    ruleset = load_rules(folder(tmp_path, {"a.yaml": text}))
    assert ruleset.review_due(dt.date(2026, 11, 9)) == ()
    assert [rule.id for rule in ruleset.review_due(dt.date(2026, 11, 10))] == ["r1"]


# --- refusals: each names the file, the rule and the field, on one line --------------------------

BAD_RULES = [
    (
        "unknown key",
        RULE.replace("    severity: high\n", "    severity: high\n    colour: red\n"),
        "colour: unknown key",
    ),
    ("unknown nested key", RULE.replace("origin: [CN]", "orgin: [CN]"), "when.orgin: unknown key"),
    ("missing field", RULE.replace("    severity: high\n", ""), "severity: missing required field"),
    ("bad date", RULE.replace("2025-01-10", "2025-02-30"), "effective_from: '2025-02-30' is not a valid"),
    ("date with words", RULE.replace("2025-01-10", "10 January 2025"), "effective_from: "),
    ("unknown country", RULE.replace("origin: [CN]", "origin: [CN, XX]"), "when.origin[1]: unknown country"),
    ("bad HS prefix", RULE.replace('hs: ["850511"]', 'hs: ["8505x1"]'), "when.hs[0]: HS code '8505x1'"),
    (
        "HS prefix as a float",
        RULE.replace('hs: ["850511"]', "hs: [8505.11]"),
        "when.hs[0]: HS prefix 8505.11",
    ),
    ("bad severity", RULE.replace("severity: high", "severity: critical"), "severity: got 'critical'"),
    (
        "inverted suspension",
        RULE.replace(
            "    severity: high\n",
            "    severity: high\n    suspended: [{from: 2025-03-01, to: 2025-02-01}]\n",
        ),
        "suspended[0].to: 2025-02-01 is before from 2025-03-01",
    ),
    (
        "effective_to before effective_from",
        RULE.replace("    severity: high\n", "    severity: high\n    effective_to: 2025-01-09\n"),
        "effective_to: 2025-01-09 is before effective_from 2025-01-10",
    ),
    (
        "tariff block on an export control",
        RULE.replace(
            "    severity: high\n", "    severity: high\n    tariff: {rate_pct: 25, importing_country: US}\n"
        ),
        "tariff: only tariff rules",
    ),
    ("tariff rule without tariff", RULE.replace("kind: export_control", "kind: tariff"), "tariff: missing"),
    (
        "bad importing country",
        RULE.replace("kind: export_control", "kind: tariff").replace(
            "    severity: high\n",
            "    severity: high\n    tariff: {rate_pct: 25, importing_country: Atlantis}\n",
        ),
        "tariff.importing_country: unknown country",
    ),
    (
        "negative rate",
        RULE.replace("kind: export_control", "kind: tariff").replace(
            "    severity: high\n", "    severity: high\n    tariff: {rate_pct: -5, importing_country: US}\n"
        ),
        "tariff.rate_pct: ",
    ),
    (
        "restricted party without list",
        RULE.replace("kind: export_control", "kind: restricted_party"),
        "when.parties: missing",
    ),
    (
        "party list on an export control",
        RULE.replace("hs: [", "parties: lists/p.csv\n      hs: ["),
        "when.parties: only",
    ),
    ("origin not a list", RULE.replace("origin: [CN]", "origin: CN"), "when.origin: expected a list"),
    ("empty origin", RULE.replace("origin: [CN]", "origin: []"), "when.origin: must not be empty"),
    (
        "bad URL",
        RULE.replace("https://example.org/r1", "example.org/r1"),
        "source: 'example.org/r1' is not an http(s) URL",
    ),
]


@pytest.mark.parametrize(
    ("text", "fragment"), [case[1:] for case in BAD_RULES], ids=[case[0] for case in BAD_RULES]
)
def test_bad_rule_is_refused_with_file_rule_and_field(tmp_path: Path, text: str, fragment: str) -> None:
    error = refusal(tmp_path, {"bad.yaml": text})
    message = str(error)
    assert "bad.yaml" in message
    assert "rule r1" in message
    assert fragment in message
    assert error.rule_id == "r1"


def test_yaml_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    error = refusal(tmp_path, {"broken.yaml": RULE.replace('hs: ["850511"]', 'hs: ["850511"')})
    assert "broken.yaml" in str(error)
    assert "YAML error at line" in str(error)


def test_duplicate_key_in_a_mapping_is_refused(tmp_path: Path) -> None:
    error = refusal(
        tmp_path,
        {"dup.yaml": RULE.replace("    severity: high\n", "    severity: high\n    severity: low\n")},
    )
    assert "dup.yaml" in str(error)
    assert "duplicate key 'severity'" in str(error)


def test_duplicate_id_across_two_files_names_both(tmp_path: Path) -> None:
    error = refusal(tmp_path, {"a.yaml": RULE, "b.yaml": RULE})
    message = str(error)
    assert "b.yaml, rule r1: id: duplicate rule id 'r1', first defined in a.yaml" in message


def test_rule_without_id_is_named_by_position(tmp_path: Path) -> None:
    text = RULE + RULE.removeprefix("rules:\n").replace("  - id: r1\n    title:", "  - title:")
    error = refusal(tmp_path, {"a.yaml": text})
    assert "a.yaml: rules[1].id: missing required field" in str(error)
    assert error.rule_id is None


def test_rule_that_is_not_a_mapping_is_refused(tmp_path: Path) -> None:
    error = refusal(tmp_path, {"a.yaml": "rules:\n  - just text\n"})
    assert "rules[0]: expected a mapping" in str(error)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "the file is empty"),
        ("- a\n- b\n", "expected a mapping with the key 'rules'"),
        ("rules: {}\n", "rules: expected a list"),
        ("products: []\n", "products: unknown key"),
    ],
)
def test_malformed_rule_file_is_refused(tmp_path: Path, text: str, fragment: str) -> None:
    error = refusal(tmp_path, {"a.yaml": RULE, "odd.yaml": text})
    assert "odd.yaml" in str(error)
    assert fragment in str(error)


def test_missing_party_file_names_rule_file_rule_and_field(tmp_path: Path) -> None:
    error = refusal(tmp_path, {"parties.yaml": PARTY_RULE})
    assert "parties.yaml, rule p1: when.parties: file 'lists/p.csv' not found" in str(error)


def test_party_file_outside_the_folder_is_refused(tmp_path: Path) -> None:
    (tmp_path / "outside.csv").write_text(PARTIES, encoding="utf-8")
    text = PARTY_RULE.replace("lists/p.csv", "../outside.csv")
    error = refusal(tmp_path / "rules", {"parties.yaml": text})
    assert "rule p1: when.parties: '../outside.csv' points outside the rule folder" in str(error)


def test_party_file_that_is_not_csv_is_refused(tmp_path: Path) -> None:
    text = PARTY_RULE.replace("lists/p.csv", "lists/p.txt")
    error = refusal(tmp_path, {"parties.yaml": text, "lists/p.txt": PARTIES})
    assert "when.parties: 'lists/p.txt' must be a .csv file" in str(error)


@pytest.mark.parametrize(
    ("csv_text", "fragment"),
    [
        ("company,country\nAcme,CN\n", "unknown column 'company'"),
        ("aliases,country\nAcme,CN\n", "no 'name' column"),
        ("", "the file is empty"),
        ("name,country\n", "no parties listed"),
        ("name,country\nAcme,CN\n,CN\n", "line 3: name is empty"),
        ("name,country\nAcme,Atlantis\n", "line 2: country: unknown country"),
        ("name,country\nAcme,CN,extra\n", "line 2: 3 cells for 2 columns"),
        ("name,Name\nAcme,Acme\n", "column 'name' appears twice"),
        (b"name,country\nAcme \xff,CN\n", "not UTF-8 text"),
    ],
)
def test_bad_party_file_names_the_list_rule_and_reason(
    tmp_path: Path, csv_text: str | bytes, fragment: str
) -> None:
    error = refusal(tmp_path, {"parties.yaml": PARTY_RULE, "lists/p.csv": csv_text})
    message = str(error)
    assert "p.csv, rule p1: " in message
    assert fragment in message


def test_bad_hs_inputs_names_the_field(tmp_path: Path) -> None:
    error = refusal(
        tmp_path, {"a.yaml": RULE, "hs_inputs.yaml": HS_INPUTS.replace("kind: direct", "kind: indirect")}
    )
    assert "hs_inputs.yaml: products[0].inputs[0].kind: got 'indirect'" in str(error)


def test_product_listed_twice_in_hs_inputs_is_refused(tmp_path: Path) -> None:
    twice = HS_INPUTS + HS_INPUTS.removeprefix("products:\n")
    error = refusal(tmp_path, {"a.yaml": RULE, "hs_inputs.yaml": twice})
    assert "hs_inputs.yaml: products[1].hs: product '850511' is listed twice" in str(error)


def test_bad_industries_file_names_the_field(tmp_path: Path) -> None:
    error = refusal(tmp_path, {"a.yaml": RULE, "industries.yaml": 'industries:\n  - {hs: "8703"}\n'})
    assert "industries.yaml: industries[0].industry: missing required field" in str(error)


def test_two_input_maps_are_refused(tmp_path: Path) -> None:
    error = refusal(tmp_path, {"a.yaml": RULE, "hs_inputs.yaml": HS_INPUTS, "hs_inputs.yml": HS_INPUTS})
    assert "hs_inputs.yml: hs_inputs.yaml exists too" in str(error)


def test_folder_without_rule_files_is_refused(tmp_path: Path) -> None:
    error = refusal(tmp_path, {"hs_inputs.yaml": HS_INPUTS})
    assert "no rule files" in str(error)


def test_missing_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(RuleError, match="rule folder not found"):
        load_rules(tmp_path / "nowhere")
