"""``samad-hub demo``: the whole hub on embedded defaults, with sandboxed agencies, no servers.

May import: hub.sandbox and every room below it.
"""
