"""The plugin system: hook specifications, the plugin manager, one registry, and the two
contracts plugins fill — connectors (agency systems) and notifiers (SMS, e-mail …).

May import: hub.core.
"""
