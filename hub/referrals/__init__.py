"""A referral in motion: its events, the state machine's compare-and-set moves, handling
times stamped on the way, what a connector sees of it, the agency's messages kept whole, and the
review queue of replies the hub could not read.

May import: hub.calendars, hub.agreements, hub.plugins, hub.auth, hub.db, hub.core.
"""
