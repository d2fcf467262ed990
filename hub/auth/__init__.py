"""Access control: roles, API tokens, passwords, dashboard sessions, CSRF, rate limits, masking.

The HTTP side (dependencies that routes declare) lives in :mod:`hub.api.auth`; this package holds
the ideas it is built from, usable from the CLI and the demo without a web server.
May import: hub.calendars and below.
"""
