"""``python -m hub`` is ``samad-hub``."""

from hub.cli.main import run

run()
