"""A referral in motion: its events, the state machine's compare-and-set moves, handling
times stamped on the way, and what a connector sees of it.

May import: hub.calendars, hub.agreements, hub.plugins, hub.auth, hub.db, hub.core.
"""
