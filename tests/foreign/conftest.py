"""The foreign agencies' credentials, set while the tests are collected: the worker the run
starts later inherits them, as a production worker inherits its ``${env:…}`` secrets."""

from __future__ import annotations

import os

GAS_TOKEN = "gas-token-7f3a"
POWER_PASSWORD = "tavanir-1405"

os.environ.setdefault("SAMAD_GAS_CRM_TOKEN", GAS_TOKEN)
os.environ.setdefault("SAMAD_TICKET_PASSWORD", POWER_PASSWORD)
