"""The ``samad-hub`` command line."""
