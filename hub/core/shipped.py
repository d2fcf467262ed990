"""Where the files the hub ships beside its code are: ``schemas/`` and ``config/``.

They live at the repository root. A checkout (run in place or installed editable) reads them
there, so an agreement or a schema edited in the checkout is what a dev run uses. A wheel cannot
reach the root, so setup.py copies both into the package as ``hub/_shipped/`` at build time, and an
installed hub reads that copy.
"""

from __future__ import annotations

from pathlib import Path

HUB_DIR = Path(__file__).resolve().parents[1]
WHEEL_COPY = HUB_DIR / "_shipped"
REPO_ROOT = HUB_DIR.parent  # in a checkout, the repository; in an installed hub, site-packages


def _checkout_root() -> Path | None:
    # site-packages never holds a pyproject.toml, so this cannot mistake an installed hub for a
    # checkout.
    is_checkout = (REPO_ROOT / "pyproject.toml").is_file() and (REPO_ROOT / "schemas").is_dir()
    return REPO_ROOT if is_checkout else None


CHECKOUT = _checkout_root()  # the repository root, or None for a hub installed from a wheel
SHIPPED_ROOT = CHECKOUT or WHEEL_COPY
SCHEMAS_DIR = SHIPPED_ROOT / "schemas"
CONFIG_DIR = SHIPPED_ROOT / "config"
