"""Durable state: the tables, the engine and sessions, and Alembic migrations."""
