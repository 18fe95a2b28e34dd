"""Evaluating loaded rule files: the HS input map used by tracing, and prefix lookups.

Prefixes are digit strings of 2 to 10 characters, so the candidates for a code are its own leading
slices; lookups walk those slices instead of scanning every listed prefix.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from screening.rules.schema import Industry, Product

_MIN_PREFIX = 2


def leading_slices(code: str) -> list[str]:
    """The prefixes a listed HS prefix could equal for `code`, shortest first (`8507`: 85, 850, 8507)."""
    return [code[:length] for length in range(_MIN_PREFIX, len(code) + 1)]


@dataclass(frozen=True)
class HsInputs:
    """Which HS prefixes are inputs to which product prefixes (`hs_inputs.yaml`).

    An empty map is valid: tracing then follows only the same goods (pass-through).
    """

    products: tuple[Product, ...] = ()
    _by_product: Mapping[str, Product] = field(init=False, repr=False, compare=False)
    _memo: dict[str, tuple[str, ...]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_product", {product.hs: product for product in self.products})
        object.__setattr__(self, "_memo", {})

    def input_set(self, hs6: str) -> tuple[str, ...]:
        """CONTRACT section 4: every input prefix listed for any product prefix that `hs6` starts with,
        plus `hs6` itself (pass-through); sorted and without duplicates. Memoised per code."""
        cached = self._memo.get(hs6)
        if cached is not None:
            return cached
        found = {hs6}
        for prefix in leading_slices(hs6):
            product = self._by_product.get(prefix)
            if product is not None:
                found.update(item.hs for item in product.inputs)
        result = tuple(sorted(found))
        self._memo[hs6] = result
        return result

    def kind_of(self, product_hs: str, input_hs: str) -> str | None:
        """`direct` or `capital` for the most specific listed input prefix of `input_hs` (then the most
        specific product prefix of `product_hs`); None when the pair is not listed, which includes
        pass-through of the same goods."""
        best: tuple[int, int] | None = None
        kind: str | None = None
        for prefix in leading_slices(product_hs):
            product = self._by_product.get(prefix)
            if product is None:
                continue
            for item in product.inputs:
                if not input_hs.startswith(item.hs):
                    continue
                rank = (len(item.hs), len(prefix))
                if best is None or rank > best:
                    best, kind = rank, item.kind
        return kind

    def materials_of(self, product_hs: str, input_hs: str) -> tuple[str, ...]:
        """Material tags of every listed input prefix that `input_hs` falls under, for explanations."""
        tags: dict[str, None] = {}
        for prefix in leading_slices(product_hs):
            product = self._by_product.get(prefix)
            if product is None:
                continue
            for item in product.inputs:
                if input_hs.startswith(item.hs):
                    tags.update(dict.fromkeys(item.materials))
        return tuple(tags)


def industry_of(industries: Iterable[Industry], hs_code: str) -> str | None:
    """The industry of the longest listed prefix that `hs_code` starts with (8703 vs 870380: 870380 wins)."""
    best: Industry | None = None
    for item in industries:
        if hs_code.startswith(item.hs) and (best is None or len(item.hs) > len(best.hs)):
            best = item
    return None if best is None else best.industry
