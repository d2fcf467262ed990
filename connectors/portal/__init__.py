"""The ``portal`` connector: the hub's own kartabl, for agencies with no software of their own.

Its push puts the referral in the agency's kartabl (hub/web/kartabl) and needs no network; its
staff's actions reach the referral through the same path as any agency's update.
"""
