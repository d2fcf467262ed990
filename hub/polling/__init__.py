"""Following referrals up: polling agencies for progress and applying what they say (the
status map, re-routing a returned case through intake, telling the citizen the result), and
applying what a person decides a reply the hub could not read meant (``review``).

May import: hub.intake and below.
"""
