"""The built-in notifiers, registered through the hook exactly as a plugin's would be."""

from __future__ import annotations

from hub.notifications.notifiers.agency_connector import AgencyConnectorNotifier
from hub.notifications.notifiers.email import EmailNotifier
from hub.notifications.notifiers.sms import KavenegarSmsNotifier
from hub.plugins.hookspecs import hookimpl
from hub.plugins.notifier import NotifierRegistry


@hookimpl
def hub_register_notifiers(registry: NotifierRegistry) -> None:
    registry.add(EmailNotifier)
    registry.add(KavenegarSmsNotifier)
    registry.add(AgencyConnectorNotifier)
