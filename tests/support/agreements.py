"""The agreements a test run works under: the shipped samples, pointed at this run's sandboxes."""

from __future__ import annotations

import re
from pathlib import Path

from hub.core.settings import REPO_ROOT

SAMPLES = REPO_ROOT / "config" / "agreements"


def _with_polling(text: str, seconds: int) -> str:
    return re.sub(r"interval_seconds: \d+", f"interval_seconds: {seconds}", text)


def write_test_agreements(
    directory: Path, *, water_url: str, rural_url: str, power_url: str, smtp_port: int
) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    water = (SAMPLES / "golestan-water.yaml").read_text(encoding="utf-8")
    water = _with_polling(water.replace("http://127.0.0.1:8731", water_url), 1)
    water = re.sub(r"max_attempts: \d+", "max_attempts: 4", water)
    water = re.sub(r"backoff_seconds: \d+", "backoff_seconds: 0.2", water)
    water = re.sub(r"backoff_max_seconds: \d+", "backoff_max_seconds: 1", water)
    (directory / "golestan-water.yaml").write_text(water, encoding="utf-8")
    # A second water agency for rural areas: where the city company returns a case, it goes here.
    rural = water.replace("id: golestan-water", "id: golestan-rural-water")
    rural = rural.replace(water_url, rural_url).replace("priority: 0", "priority: -1")
    rural = re.sub(
        r"auth:\n\s+type: bearer\n\s+token: \$\{env:SAMAD_WATER_TOKEN\}\n",
        "auth:\n      type: none\n",
        rural,
    )
    rural = rural.replace(
        "name_en: Golestan Province Water and Wastewater Company",
        "name_en: Golestan Rural Water and Wastewater Company",
    )
    (directory / "golestan-rural-water.yaml").write_text(rural, encoding="utf-8")
    power = (SAMPLES / "golestan-power.yaml").read_text(encoding="utf-8")
    power = _with_polling(power.replace("http://127.0.0.1:8732", power_url), 1)
    (directory / "golestan-power.yaml").write_text(power, encoding="utf-8")
    name = "golestan-gorgan-municipality.yaml"
    municipality = (SAMPLES / name).read_text(encoding="utf-8")
    municipality = _with_polling(municipality.replace("port: 8725", f"port: {smtp_port}"), 1)
    (directory / name).write_text(municipality, encoding="utf-8")
