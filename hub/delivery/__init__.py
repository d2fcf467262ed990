"""Delivering referrals to agencies: waking and claiming batches, the breaker, throttle and
gate before a push, settling what each push answered, dead letters; a dry run to an agency's
test system.

May import: hub.referrals and below.
"""
