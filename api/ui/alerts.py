"""The UI's alerts page(s)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/ui")
