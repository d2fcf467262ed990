"""The hub's vocabulary and plumbing: errors, settings, referral states, retry policy, metrics,
the outbound HTTP client, the Celery app.

Imports nothing of the hub outside itself; every other room may import it.
"""
