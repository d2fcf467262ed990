"""Durable state: the tables, the engine and sessions, bulk writes, and Alembic migrations.

May import: hub.core.
"""
