"""What the fault tests share: an agreement of their own, pointed at a sandbox of their own."""

from __future__ import annotations

import re
from pathlib import Path

from tests.support.agreements import SAMPLES


def write_roads_agreement(
    directory: Path, url: str, agreement_id: str = "golestan-roads", **delivery: object
) -> Path:
    """A REST agreement for ``roads.*`` requests (no test of the core uses them), its
    ``delivery`` block replaced by ``delivery``."""
    text = (SAMPLES / "golestan-water.yaml").read_text(encoding="utf-8")
    text = text.replace("id: golestan-water", f"id: {agreement_id}")
    text = text.replace("http://127.0.0.1:8731", url)
    text = text.replace('categories: ["water.*", "wastewater.*"]', 'categories: ["roads.*"]')
    text = re.sub(r"interval_seconds: \d+", "interval_seconds: 1", text)
    text = re.sub(
        r"auth:\n\s+type: bearer\n\s+token: \$\{env:SAMAD_WATER_TOKEN\}\n",
        "auth:\n      type: none\n",
        text,
    )
    block = "delivery:\n" + "".join(f"  {key}: {value}\n" for key, value in delivery.items())
    text = re.sub(r"delivery:\n(  .*\n)+", block, text)
    # Written aside and renamed in: a worker reloading mid-write must never see half a file.
    path = directory / f"{agreement_id}.yaml"
    partial = directory / f".{agreement_id}.partial"
    partial.write_text(text, encoding="utf-8")
    partial.replace(path)
    return path
