"""The plugin hooks of samad-hub.

A plugin is a module or object with functions marked ``@hookimpl``; an installable plugin
package names it in the entry-point group ``samad_hub``. The built-in connectors are loaded by
exactly that path. Every hook here is documented in ``docs/connectors.md`` (a test keeps the two
in step).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from hub.plugins.connector import ConnectorRegistry
    from hub.plugins.notifier import NotifierRegistry

PROJECT = "samad_hub"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def hub_register_connectors(registry: ConnectorRegistry) -> None:
    """Add connector types: ``registry.add(MyConnector)``.

    Each class is a :class:`hub.plugins.connector.Connector` with a unique ``kind``; a second class
    with a
    kind already registered stops the hub at start-up.
    """


@hookspec
def hub_register_notifiers(registry: NotifierRegistry) -> None:
    """Add notifier types: ``registry.add(MyNotifier)``.

    Each class is a :class:`hub.notifications.notifiers.Notifier` with a unique ``channel``
    (``sms``,
    ``email`` are built in); a second class for a channel already registered stops the hub.
    """
