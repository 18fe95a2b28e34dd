"""Load a rule folder into a RuleSet: strict validation, one-line errors, a content hash.

Layout of a folder (CONTRACT.md section 3):
- `hs_inputs.yaml`: the HS input map used by tracing (optional: without it tracing follows only
  the same goods);
- `industries.yaml` (optional): downstream industry labels by HS prefix;
- every other top-level `*.yaml` / `*.yml` file: `rules: [...]`;
- party lists (`lists/*.csv`) named by restricted_party rules.

Every file is read once; the same bytes are hashed (the version) and parsed, so the version
always describes what was loaded. Any problem raises RuleError(file, rule id, reason) whose
message is one line naming the field, e.g. `us.yaml, rule x: when.origin[1]: unknown country 'XX'`.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from screening.codes import normalize_country
from screening.errors import RuleError
from screening.model import Company
from screening.rules.evaluate import HsInputs, industry_of
from screening.rules.schema import FieldProblem, HsInputsFile, IndustriesFile, Industry, Rule, allowed_keys

try:  # libyaml's parser: the same safe construction, several times faster
    from yaml import CSafeLoader as _SafeLoader
except ImportError:  # PyYAML built without libyaml
    from yaml import SafeLoader as _SafeLoader  # type: ignore[assignment]

DEFAULT_RULES_DIR = Path(__file__).resolve().parents[2] / "rules"
"""The shipped rule folder at the repository root."""

HS_INPUTS_STEM = "hs_inputs"
INDUSTRIES_STEM = "industries"
PARTY_COLUMNS = ("name", "aliases", "country", "note")

_YAML_SUFFIXES = (".yaml", ".yml")
_HASHED_SUFFIXES = (*_YAML_SUFFIXES, ".csv")

_M = TypeVar("_M", bound=BaseModel)


@dataclass(frozen=True)
class RuleSet:
    """A validated rule folder. Two rule sets are equal when they come from the same folder and bytes."""

    directory: Path
    rules: tuple[Rule, ...] = field(compare=False)
    hs_inputs: HsInputs = field(compare=False)
    industries: tuple[Industry, ...] = field(compare=False)
    industry_inputs: tuple[str, ...] = field(compare=False)  # HS prefixes the industries rely on
    parties: Mapping[str, tuple[Company, ...]] = field(compare=False)  # rule id -> parties
    version: str  # first 16 hex digits of the folder's content hash (see `folder_version`)

    def in_force(self, as_of: dt.date) -> tuple[Rule, ...]:
        """The rules that apply on `as_of`, in folder order (files by name, rules as written)."""
        return tuple(rule for rule in self.rules if rule.in_force(as_of))

    def rule(self, rule_id: str) -> Rule:
        """The rule with this id; KeyError when the folder has none."""
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)

    def review_due(self, as_of: dt.date) -> tuple[Rule, ...]:
        """Rules whose `review_by` date has arrived: their current state needs a check at the source."""
        return tuple(rule for rule in self.rules if rule.review_due(as_of))

    def relied_on(self, product: str) -> bool:
        """Whether the industries of `industries.yaml` rely on goods of this HS prefix (or within it)."""
        return any(product.startswith(p) or p.startswith(product) for p in self.industry_inputs)

    def industry_of(self, hs_code: str) -> str | None:
        """Downstream industry of an HS code by the longest listed prefix, None when unlisted."""
        return industry_of(self.industries, hs_code)


def load_rules(directory: Path | str) -> RuleSet:
    """Validate and load a rule folder; raises RuleError on the first problem found."""
    root = Path(directory)
    if not root.is_dir():
        raise RuleError(str(root), None, "rule folder not found" if not root.exists() else "not a folder")
    files = _read_folder(root)
    yaml_files = [rel for rel in files if "/" not in rel and rel.endswith(_YAML_SUFFIXES)]
    special = {rel for rel in yaml_files if Path(rel).stem in (HS_INPUTS_STEM, INDUSTRIES_STEM)}
    for stem in (HS_INPUTS_STEM, INDUSTRIES_STEM):
        both = sorted(rel for rel in special if Path(rel).stem == stem)
        if len(both) > 1:
            raise RuleError(_shown(root, both[1]), None, f"{both[0]} exists too; keep one {stem} file")
    rule_files = [rel for rel in yaml_files if rel not in special]
    if not rule_files:
        raise RuleError(str(root), None, "no rule files: expected *.yaml files holding 'rules:' lists")

    rules: list[Rule] = []
    defined_in: dict[str, str] = {}
    for rel in rule_files:
        for rule in _load_rule_file(root, rel, files[rel]):
            if rule.id in defined_in:
                raise RuleError(
                    _shown(root, rel),
                    rule.id,
                    f"id: duplicate rule id {rule.id!r}, first defined in {defined_in[rule.id]}",
                )
            defined_in[rule.id] = rel
            rules.append(rule)

    hs_inputs = HsInputs()
    industries: tuple[Industry, ...] = ()
    industry_inputs: tuple[str, ...] = ()
    for rel in sorted(special):
        if Path(rel).stem == HS_INPUTS_STEM:
            hs_inputs = HsInputs(_load_model(root, rel, files[rel], HsInputsFile).products)
        else:
            industries_file = _load_model(root, rel, files[rel], IndustriesFile)
            industries, industry_inputs = industries_file.industries, industries_file.inputs

    parties = {
        rule.id: _load_parties(root, defined_in[rule.id], files, rule)
        for rule in rules
        if rule.kind == "restricted_party"
    }
    return RuleSet(
        directory=root,
        rules=tuple(rules),
        hs_inputs=hs_inputs,
        industries=industries,
        industry_inputs=industry_inputs,
        parties=MappingProxyType(parties),
        version=_content_hash(files),
    )


def folder_version(directory: Path | str) -> str:
    """The version a RuleSet of this folder would carry, without validating it.

    sha256 over every `.yaml`, `.yml` and `.csv` file below the folder (hidden files and folders
    skipped), in order of their relative `/`-separated paths; for each file: the path in UTF-8,
    a NUL byte, the byte length in decimal, a NUL byte, then the bytes. First 16 hex digits.
    """
    root = Path(directory)
    if not root.is_dir():
        raise RuleError(str(root), None, "rule folder not found")
    return _content_hash(_read_folder(root))


def _content_hash(files: Mapping[str, bytes]) -> str:
    digest = hashlib.sha256()
    for rel in sorted(files):
        data = files[rel]
        digest.update(f"{rel}\0{len(data)}\0".encode())
        digest.update(data)
    return digest.hexdigest()[:16]


def _read_folder(root: Path) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        hidden = any(part.startswith(".") for part in rel.split("/"))
        if hidden or path.suffix.lower() not in _HASHED_SUFFIXES or not path.is_file():
            continue
        try:
            files[rel] = path.read_bytes()
        except OSError as exc:
            raise RuleError(str(path), None, f"cannot read the file: {exc.strerror or exc}") from None
    return dict(sorted(files.items()))


def _shown(root: Path, rel: str) -> str:
    return str(root / rel)


# --- YAML ----------------------------------------------------------------------------------------

_BOOL_TAG = "tag:yaml.org,2002:bool"
_INT_TAG = "tag:yaml.org,2002:int"
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"


class _RuleYamlLoader(_SafeLoader):
    """A safe loader with YAML 1.2-like scalars and no duplicate keys.

    Only true/false are booleans (so `NO`, Norway, stays a country code), only plain decimals are
    integers (`0101` stays the HS code it looks like, not octal 65), and dates stay text so that a
    bad date is reported with its rule and field instead of as a YAML error.
    """

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Hashable, Any]:
        seen: set[str] = set()
        for key_node, _ in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                if key_node.value in seen:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"duplicate key {key_node.value!r}", key_node.start_mark
                    )
                seen.add(key_node.value)
        return super().construct_mapping(node, deep=deep)


_RuleYamlLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag not in (_BOOL_TAG, _INT_TAG, _TIMESTAMP_TAG)]
    for first, resolvers in _SafeLoader.yaml_implicit_resolvers.items()
}
_RuleYamlLoader.add_implicit_resolver(
    _BOOL_TAG, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
_RuleYamlLoader.add_implicit_resolver(_INT_TAG, re.compile(r"^[-+]?(?:0|[1-9][0-9]*)$"), list("-+0123456789"))


def _parse_yaml(shown: str, data: bytes) -> object:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise RuleError(shown, None, f"not UTF-8 text (byte {exc.start})") from None
    try:
        return yaml.load(text, Loader=_RuleYamlLoader)  # a SafeLoader subclass: plain data only
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        raise RuleError(shown, None, f"YAML error{where}: {exc.problem or exc.context}") from None
    except yaml.YAMLError as exc:
        raise RuleError(shown, None, f"YAML error: {exc}") from None


def _load_rule_file(root: Path, rel: str, data: bytes) -> list[Rule]:
    shown = _shown(root, rel)
    document = _parse_yaml(shown, data)
    if document is None:
        raise RuleError(shown, None, "the file is empty; expected 'rules:' with a list of rules")
    if not isinstance(document, dict):
        raise RuleError(shown, None, f"expected a mapping with the key 'rules', got {_kind(document)}")
    for key in document:
        if key != "rules":
            raise RuleError(
                shown, None, f"{key}: unknown key; a rule file holds only 'rules' (allowed: rules)"
            )
    if "rules" not in document:
        raise RuleError(shown, None, "rules: missing required field")
    items = document["rules"]
    if not isinstance(items, list):
        raise RuleError(shown, None, f"rules: expected a list of rules, got {_kind(items)}")
    rules: list[Rule] = []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise RuleError(
                shown, None, f"rules[{index}]: expected a mapping (key: value), got {_kind(item)}"
            )
        rule_id = _id_hint(item.get("id"))
        try:
            rules.append(Rule.model_validate(item))
        except ValidationError as exc:
            prefix = "" if rule_id else f"rules[{index}]"
            raise RuleError(shown, rule_id, _describe(exc, Rule, prefix)) from None
    return rules


def _load_model(root: Path, rel: str, data: bytes, model: type[_M]) -> _M:
    shown = _shown(root, rel)
    document = _parse_yaml(shown, data)
    if not isinstance(document, dict):
        keys = ", ".join(allowed_keys(model, ()))
        got = "an empty file" if document is None else _kind(document)
        raise RuleError(shown, None, f"expected a mapping with the key {keys}, got {got}")
    try:
        return model.model_validate(document)
    except ValidationError as exc:
        raise RuleError(shown, None, _describe(exc, model, "")) from None


def _id_hint(value: object) -> str | None:
    """The rule id to name in an error, when the rule has a usable one."""
    if isinstance(value, str) and value.strip() and len(value.split()) == 1 and len(value) <= 80:
        return value.strip()
    return None


# --- pydantic errors as one plain line -----------------------------------------------------------


def _describe(exc: ValidationError, model: type[BaseModel], prefix: str) -> str:
    """The first validation error as `field.path: reason`."""
    error = exc.errors()[0]
    loc = tuple(error["loc"])
    path = _join(prefix, loc)
    reason = _reason(error, model, loc)
    problem = (error.get("ctx") or {}).get("error")
    if isinstance(problem, FieldProblem):
        path = _join(path, tuple(problem.field.split(".")))
        reason = problem.reason
    return f"{path}: {reason}" if path else reason


def _reason(error: ErrorDetails, model: type[BaseModel], loc: tuple[int | str, ...]) -> str:
    kind = error["type"]
    value = error.get("input")
    ctx = error.get("ctx") or {}
    if kind == "missing":
        return "missing required field"
    if kind == "extra_forbidden":
        keys = allowed_keys(model, loc[:-1])
        return "unknown key" + (f" (allowed: {', '.join(keys)})" if keys else "")
    if kind == "value_error":
        return str(ctx.get("error", error["msg"])).removeprefix("Value error, ")
    if kind == "literal_error":
        return f"got {_show(value)}; expected {ctx.get('expected', '')}"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return f"expected a mapping (key: value), got {_kind(value)}"
    if kind in ("tuple_type", "list_type"):
        return f"expected a list, got {_kind(value)}"
    if kind == "too_short":
        return "must not be empty (omit the key to mean any)"
    if kind == "string_type":
        return f"expected text, got {_kind(value)} {_show(value)}"
    message = error["msg"]
    return f"{message[:1].lower()}{message[1:]} (got {_show(value)})"


def _join(prefix: str, loc: tuple[int | str, ...]) -> str:
    path = prefix
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path = f"{path}.{part}" if path else part
    return path


def _kind(value: object) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text"
    return type(value).__name__


def _show(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


# --- party lists ---------------------------------------------------------------------------------


def _load_parties(root: Path, rule_file: str, files: Mapping[str, bytes], rule: Rule) -> tuple[Company, ...]:
    """The parties of a restricted_party rule as Companies with ids `<rule id>:<n>`, n from 1 by data row."""
    reference = rule.when.parties or ""
    shown_rule_file = _shown(root, rule_file)
    target = (root / reference).resolve()
    try:
        rel = target.relative_to(root.resolve()).as_posix()
    except ValueError:
        raise RuleError(
            shown_rule_file, rule.id, f"when.parties: {reference!r} points outside the rule folder"
        ) from None
    if rel not in files:
        if target.is_file():
            reason = f"when.parties: {reference!r} must be a .csv file inside the rule folder"
        else:
            reason = f"when.parties: file {reference!r} not found in the rule folder"
        raise RuleError(shown_rule_file, rule.id, reason)
    return _parse_parties(_shown(root, rel), files[rel], rule.id)


def _parse_parties(shown: str, data: bytes, rule_id: str) -> tuple[Company, ...]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise RuleError(shown, rule_id, f"not UTF-8 text (byte {exc.start})") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
        if header is None:
            raise RuleError(shown, rule_id, "the file is empty; expected a header with a 'name' column")
        columns = [cell.strip().lower() for cell in header]
        for column in columns:
            if column not in PARTY_COLUMNS:
                raise RuleError(
                    shown, rule_id, f"unknown column {column!r} (allowed: {', '.join(PARTY_COLUMNS)})"
                )
            if columns.count(column) > 1:
                raise RuleError(shown, rule_id, f"column {column!r} appears twice")
        if "name" not in columns:
            raise RuleError(shown, rule_id, f"no 'name' column (header: {', '.join(columns)})")
        parties: list[Company] = []
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            parties.append(_party(shown, rule_id, reader.line_num, columns, row, len(parties) + 1))
    except csv.Error as exc:
        raise RuleError(shown, rule_id, f"line {reader.line_num}: {exc}") from None
    if not parties:
        raise RuleError(shown, rule_id, "no parties listed")
    return tuple(parties)


def _party(shown: str, rule_id: str, line: int, columns: list[str], row: list[str], number: int) -> Company:
    if len(row) > len(columns):
        raise RuleError(shown, rule_id, f"line {line}: {len(row)} cells for {len(columns)} columns")
    cells = {column: cell.strip() for column, cell in zip(columns, row, strict=False)}
    name = cells.get("name", "")
    if not name:
        raise RuleError(shown, rule_id, f"line {line}: name is empty")
    country: str | None = None
    if cells.get("country"):
        try:
            country = normalize_country(cells["country"])
        except ValueError as exc:
            raise RuleError(shown, rule_id, f"line {line}: country: {exc}") from None
    aliases = dict.fromkeys(
        alias
        for alias in (part.strip() for part in cells.get("aliases", "").split("|"))
        if alias and alias != name
    )
    return Company(company_id=f"{rule_id}:{number}", name=name, country=country, aliases=tuple(aliases))
