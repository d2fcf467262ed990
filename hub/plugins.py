"""Loading plugins and the registries they fill.

Plugins come from the entry-point group ``samad_hub`` — the built-in connectors too, declared in
this project's own ``pyproject.toml`` exactly as a third-party package would declare them.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Iterable

import pluggy

from hub import hookspecs
from hub.connector import Connector
from hub.errors import PluginError
from hub.notifiers.base import NotifierRegistry

# Built-in plugins that are part of the hub itself (the connectors ship as entry points).
DEFAULT_PLUGINS: tuple[str, ...] = ("hub.notifiers.builtin",)


class ConnectorRegistry:
    """Connector types by kind; a kind may be registered once."""

    def __init__(self) -> None:
        self._types: dict[str, type[Connector]] = {}

    def add(self, connector_type: type[Connector]) -> None:
        kind = getattr(connector_type, "kind", None)
        if not isinstance(kind, str) or not kind:
            raise PluginError(f"{connector_type.__qualname__} has no 'kind' name")
        if not isinstance(getattr(connector_type, "settings_schema", None), dict):
            raise PluginError(f"connector {kind!r} has no settings_schema")
        if kind in self._types:
            other = self._types[kind]
            raise PluginError(
                f"connector type {kind!r} is registered twice: by {_where(other)} and by "
                f"{_where(connector_type)}; uninstall one of the two plugins"
            )
        self._types[kind] = connector_type

    def get(self, kind: str) -> type[Connector]:
        try:
            return self._types[kind]
        except KeyError:
            known = ", ".join(sorted(self._types)) or "none"
            raise PluginError(
                f"no connector of type {kind!r} is installed (known: {known})"
            ) from None

    def kinds(self) -> list[str]:
        return sorted(self._types)


def _where(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


class Plugins:
    """A typed facade over the plugin manager and the registries its hooks filled."""

    def __init__(self, manager: pluggy.PluginManager) -> None:
        self.manager = manager
        self.connectors = ConnectorRegistry()
        manager.hook.hub_register_connectors(registry=self.connectors)
        self.notifiers = NotifierRegistry()
        manager.hook.hub_register_notifiers(registry=self.notifiers)


def make_plugin_manager(extra: Iterable[object] = (), entry_points: bool = True) -> Plugins:
    """Build a plugin manager: entry-point plugins, then ``extra`` ones (tests, embedders)."""
    manager = pluggy.PluginManager(hookspecs.PROJECT)
    manager.add_hookspecs(hookspecs)
    try:
        if entry_points:
            manager.load_setuptools_entrypoints(hookspecs.PROJECT)
        for name in DEFAULT_PLUGINS:
            manager.register(importlib.import_module(name), name=name)
        for plugin in extra:
            manager.register(plugin)
        manager.check_pending()
    except pluggy.PluginValidationError as exc:
        raise PluginError(f"plugin {exc.plugin!r} is not valid: {exc}") from exc
    except ImportError as exc:
        raise PluginError(f"a samad_hub plugin could not be imported: {exc}") from exc
    return Plugins(manager)


@functools.cache
def plugins() -> Plugins:
    """The process-wide plugins, loaded once."""
    return make_plugin_manager()
