"""Outer ring: database engine, sessions, table models, repositories and alembic migrations."""
