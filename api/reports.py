"""A stored report (CONTRACT section 6 JSON, as `screening.report.render_json` wrote it) read back into
`screening.model.Report`, so that the CSV, HTML and XLSX downloads are rendered from the one stored
source. The value types are validated by pydantic; the JSON's few reshaped parts (provenance at the top
level, `value_by_tier` as objects) are put back first, and derived parts (`tariffs`) are ignored."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from pydantic import TypeAdapter, ValidationError

from screening.errors import InternalError
from screening.model import Report

_REPORT = TypeAdapter(Report)
_PROVENANCE = (
    "rules_version",
    "network_version",
    "matcher_version",
    "input_sha256",
    "input_name",
    "generated_at",
)


def report_from_json(text: str) -> Report:
    """The stored report as a `Report`; a stored text that does not parse is an internal error."""
    try:
        data = json.loads(text)
        return _REPORT.validate_python(_reshaped(data))
    except (ValueError, TypeError, KeyError, ValidationError) as exc:
        raise InternalError(f"the stored report cannot be read back: {exc}") from exc


def _reshaped(data: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(data)
    out["provenance"] = {key: data[key] for key in _PROVENANCE}
    out["lines"] = [_line(line) for line in data["lines"]]
    return out


def _line(line: Mapping[str, Any]) -> dict[str, Any]:
    return {**line, "flags": [_flag(flag) for flag in line.get("flags", ())]}


def _flag(flag: Mapping[str, Any]) -> dict[str, Any]:
    cells = flag.get("value_by_tier", ())
    return {**flag, "value_by_tier": [(cell["tier"], cell["value_usd"]) for cell in cells]}
