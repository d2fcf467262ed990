"""The JSON HTTP API (FastAPI), versioned under /v1: routes, dependencies, auth, errors.

May import: hub.worker and below.
"""
