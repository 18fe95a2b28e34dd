"""Rule files: strict schema, loader and evaluation functions (CONTRACT.md section 3).

ruleset = load_rules(Path("rules"))          # RuleError(file, rule id, reason) when invalid
for rule in ruleset.in_force(as_of):
    if rule.matches_goods(origin, hs_code, tier): ...
ruleset.hs_inputs.input_set("850760")         # tracing's input set I(h)
"""

from screening.rules.evaluate import HsInputs
from screening.rules.loader import DEFAULT_RULES_DIR, RuleSet, folder_version, load_rules
from screening.rules.schema import Industry, Product, ProductInput, Rule, Tariff, Tiers, When, Window

__all__ = [
    "DEFAULT_RULES_DIR",
    "HsInputs",
    "Industry",
    "Product",
    "ProductInput",
    "Rule",
    "RuleSet",
    "Tariff",
    "Tiers",
    "When",
    "Window",
    "folder_version",
    "load_rules",
]
