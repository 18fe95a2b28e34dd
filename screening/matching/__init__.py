"""Matching a written supplier name to the companies of the network.

    index = MatchIndex(companies)                     # every name and alias indexed
    candidates = index.search("Ningde Shidai", country="CN")
    verdict = classify(candidates)                    # matched / ambiguous / unmatched

`compare_names` scores one name against one company without an index (restricted-party lists).
Features and their weights: `features.FEATURES`; thresholds and parameters: `MatchConfig`.
"""

from screening.matching.config import MatchConfig
from screening.matching.features import FEATURES, Evidence, PreparedName, prepare_name
from screening.matching.index import MatchIndex
from screening.matching.scoring import MATCHER_VERSION, classify, compare_names, matcher_version

__all__ = [
    "FEATURES",
    "MATCHER_VERSION",
    "Evidence",
    "MatchConfig",
    "MatchIndex",
    "PreparedName",
    "classify",
    "compare_names",
    "matcher_version",
    "prepare_name",
]
