"""``python -m hub`` is ``samad-hub``."""

from hub.cli.main import app

app(prog_name="samad-hub")
