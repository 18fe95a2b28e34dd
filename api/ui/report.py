"""The UI's report page(s)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/ui")
