"""Plugins load through entry points, duplicates stop start-up, and the docs match the hooks."""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any, ClassVar

import pytest

from hub.core.errors import PluginError
from hub.core.settings import REPO_ROOT
from hub.plugins import hookspecs
from hub.plugins.connector import AgencyUpdate, Connector, Health, OutgoingReferral, Receipt
from hub.plugins.hookspecs import hookimpl
from hub.plugins.manager import make_plugin_manager

DOCS = (REPO_ROOT / "docs" / "connectors.md").read_text(encoding="utf-8")


class _Echo(Connector):
    kind = "rest"
    settings_schema: ClassVar[dict[str, Any]] = {"type": "object"}

    def push(self, referral: OutgoingReferral) -> Receipt:
        return Receipt(referral.referral_id, "x")

    def poll(self, receipts: Any) -> list[AgencyUpdate]:
        return []

    def check(self) -> Health:
        return Health(True, "fine")


class _DuplicateRestPlugin:
    @hookimpl
    def hub_register_connectors(self, registry: Any) -> None:
        registry.add(_Echo)


def test_the_built_in_connectors_load_through_the_entry_point_group() -> None:
    kinds = make_plugin_manager().connectors.kinds()
    assert {"rest", "soap", "email"} <= set(kinds)


def test_a_second_plugin_claiming_a_kind_stops_start_up_naming_both() -> None:
    with pytest.raises(PluginError) as caught:
        make_plugin_manager(extra=[_DuplicateRestPlugin()])
    message = str(caught.value)
    assert "'rest' is registered twice" in message
    assert "RestConnector" in message and "_Echo" in message


def test_an_unknown_connector_type_names_the_known_ones() -> None:
    with pytest.raises(PluginError, match=r"no connector of type 'fax'.*known: .*rest"):
        make_plugin_manager().connectors.get("fax")


def _hookspecs() -> list[Any]:
    return [
        fn
        for name, fn in inspect.getmembers(hookspecs, inspect.isfunction)
        if name.startswith("hub_")
    ]


def test_every_hook_is_documented_with_its_exact_signature() -> None:
    assert _hookspecs(), "no hooks found"
    for hook in _hookspecs():
        signature = str(inspect.signature(hook)).replace("'", "")
        assert f"def {hook.__name__}{signature}" in DOCS, f"{hook.__name__} is not documented"


@pytest.mark.parametrize(
    "method",
    ["push", "poll", "check", "acknowledge", "can_remind", "remind", "can_find", "find", "close"],
)
def test_every_connector_method_is_documented_with_its_exact_signature(method: str) -> None:
    signature = str(inspect.signature(getattr(Connector, method))).replace("'", "")
    signature = signature.replace("collections.abc.", "")
    assert f"def {method}{signature}" in DOCS, f"Connector.{method} is not documented"


def test_the_docs_exist_where_the_readme_points() -> None:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    for link in ("docs/agreements.md", "docs/connectors.md", "bench/RESULTS.md"):
        assert link in readme and Path(REPO_ROOT / link).exists(), link


def _schema_keys(schema: dict[str, Any]) -> set[str]:
    keys: set[str] = set()
    for name, sub in schema.get("properties", {}).items():
        keys.add(name)
        keys |= _schema_keys(sub)
    return keys


def test_every_agreement_key_is_documented() -> None:
    import json

    schema = json.loads((REPO_ROOT / "schemas" / "agreement.schema.json").read_text())
    docs = (REPO_ROOT / "docs" / "agreements.md").read_text(encoding="utf-8")
    missing = sorted(k for k in _schema_keys(schema) if f"`{k}" not in docs and f".{k}" not in docs)
    assert not missing, f"undocumented agreement keys: {missing}"


def test_the_readme_says_how_many_sample_requests_the_demo_submits() -> None:
    from hub.demo.samples import SAMPLES

    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    assert f"submits {len(SAMPLES)} Persian sample requests" in readme
