"""The one table of matching thresholds and tuning parameters.

Feature weights live next to the features (`features.FEATURES`); `MatchConfig.weights` overrides them
by feature name, so a tuned configuration is one value that can be stored with a screening and replayed.
"""

from __future__ import annotations

import hashlib

from pydantic import BaseModel, ConfigDict, Field


class MatchConfig(BaseModel):
    """Thresholds that turn scores into matched / ambiguous / unmatched, and the scorer's parameters."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    # verdict bands (classify)
    match_threshold: float = Field(0.88, ge=0.0, le=1.0)  # the best candidate is the company ...
    review_threshold: float = Field(0.65, ge=0.0, le=1.0)  # ... or a person should look at it
    margin: float = Field(0.03, ge=0.0, le=1.0)  # lead over the best *other* company needed to match

    # feature weights by feature name; empty = the defaults declared in features.FEATURES
    weights: dict[str, float] = Field(default_factory=dict)

    # how much a token counts, by kind, before rarity (IDF) is applied
    kind_weights: dict[str, float] = Field(
        default_factory=lambda: {
            "word": 1.0,
            "number": 1.0,
            "place": 0.3,
            "qualifier": 0.3,  # words after the legal form or in a trailing part ("... LTD. KWINANA")
            "domain": 0.4,
            "generic": 0.15,
        }
    )
    # places and qualifying words that only one side names ("HUBEI EVE POWER ... JINGMEN" for "Hubei EVE
    # Power") count this share of their weight, when the names otherwise agree and the other side names no
    # place of its own (two different places still count in full)
    omitted_place_factor: float = 0.0
    # a line of business that only one side names ("Gazprom Invest" for "Gazprom") weighs at least this
    # much (before rarity), generic as the word is
    line_word_weight: float = 0.8
    # when one side's distinctive words are all found in the other, the other's remaining distinctive
    # words (a description the short name leaves out) count this share of their weight
    tail_factor: float = 0.4

    # typo tolerance: tokens of at least this length may match with rapidfuzz ratio >= the similarity;
    # a typo counts similarity ** typo_power of an equal token
    fuzzy_min_length: int = 4
    fuzzy_min_similarity: float = 0.8
    typo_power: float = 1.5
    # a typo differs in length by at most this much, unless one word begins or ends the other
    # ("petrochem", "gunpowder")
    typo_max_length_difference: int = 2
    # two neighbouring letters swapped ("wnid", "ecolfow") in a word of four letters or more is at least
    # this similar (rapidfuzz's ratio counts a swap as two edits)
    slip_similarity: float = 0.9
    # a short word standing for the initials of several words of the other name ("IC" = International
    # Company) counts this share of equal words
    initials_credit: float = 0.8
    # words that sound alike (same metaphone code) but differ more than a typo count as this similar
    phonetic_similarity: float = 0.88
    # two- and three-letter acronyms are weaker evidence than longer ones
    short_acronym_factor: float = 0.8
    three_letter_acronym_factor: float = 0.9
    # an acronym shared by n indexed names counts 1 / (1 + penalty * ln n)
    shared_acronym_penalty: float = 0.5
    # a name found after "formerly", "a.k.a." in the query ("Foo (formerly Bar)") scores this share of a
    # full name; a plain bracketed part ("FinDreams Battery (BYD)") qualifies the name more often than it
    # names the company, and scores less
    extra_name_factor: float = 0.9
    bracket_name_factor: float = 0.8

    # candidate generation (MatchIndex): names scored per query, and the posting-list length above which
    # a key is skipped when rarer keys already proposed candidates
    max_candidates: int = 60
    # companies (best first) whose names are also scored all together (words_across_names)
    combined_candidates: int = 20
    common_key_postings: int = 20_000
    fuzzy_vocabulary_limit: int = 5

    def weight(self, feature: str, default: float) -> float:
        return self.weights.get(feature, default)

    def fingerprint(self) -> str:
        """Short content hash of the settings, for provenance (same settings, same fingerprint)."""
        return hashlib.sha256(self.model_dump_json().encode()).hexdigest()[:12]
