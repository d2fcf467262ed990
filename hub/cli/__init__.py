"""The ``samad-hub`` command line: one module per command group, each with ``--help``.

May import: every room (the demo's runner too); nothing imports it.
"""
