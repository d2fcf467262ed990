"""Loading plugins and the registries they fill.

Plugins come from the entry-point group ``samad_hub`` — the built-in connectors too, declared in
this project's own ``pyproject.toml`` exactly as a third-party package would declare them — and
the built-in ones are registered directly as well (:data:`DEFAULT_PLUGINS`), under their entry
points' names, so each is loaded once either way. ``SAMAD_DISABLED_PLUGINS`` turns any off.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Iterable

import pluggy

from hub.core.errors import PluginError
from hub.core.settings import get_settings
from hub.plugins import hookspecs
from hub.plugins.connector import ConnectorRegistry
from hub.plugins.notifier import NotifierRegistry

# The hub's own plugins by name, registered directly, so a checkout that was never installed
# (``python -m hub`` from a clone, a wheel whose metadata was lost) still has them. The connectors'
# names are their entry points' names in pyproject.toml: an installed hub loads each once.
DEFAULT_PLUGINS: dict[str, str] = {
    "notifiers": "hub.notifications.notifiers.builtin",
    "rest": "connectors.rest.plugin",
    "soap": "connectors.soap.plugin",
    "email": "connectors.email.plugin",
    "open311": "connectors.open311.plugin",
    "portal": "connectors.portal.plugin",
}


class Plugins:
    """A typed facade over the plugin manager and the registries its hooks filled."""

    def __init__(self, manager: pluggy.PluginManager) -> None:
        self.manager = manager
        self.connectors = ConnectorRegistry()
        manager.hook.hub_register_connectors(registry=self.connectors)
        self.notifiers = NotifierRegistry()
        manager.hook.hub_register_notifiers(registry=self.notifiers)


def make_plugin_manager(
    extra: Iterable[object] = (),
    entry_points: bool = True,
    disabled: Iterable[str] | None = None,
) -> Plugins:
    """Build a plugin manager: the built-in plugins, entry-point plugins, then ``extra`` ones.

    ``disabled`` names plugins (built-in names or entry-point names) to leave out, by default
    those in ``SAMAD_DISABLED_PLUGINS``; pluggy blocks them, so they are never imported.
    """
    manager = pluggy.PluginManager(hookspecs.PROJECT)
    manager.add_hookspecs(hookspecs)
    for name in get_settings().disabled_plugin_names() if disabled is None else disabled:
        manager.set_blocked(name)
    try:
        for name, module in DEFAULT_PLUGINS.items():
            if not manager.is_blocked(name):
                manager.register(importlib.import_module(module), name=name)
        if entry_points:  # skips the names registered above and the blocked ones
            manager.load_setuptools_entrypoints(hookspecs.PROJECT)
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
