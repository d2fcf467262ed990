"""Intake: a request registered once — validated against the shared schema, normalised,
given a tracking code, stored, routed, referred — and later the citizen's feedback on it.

May import: hub.deadlines and below.
"""
