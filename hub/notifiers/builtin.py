"""The built-in notifiers, registered through the hook exactly as a plugin's would be."""

from __future__ import annotations

from hub.hookspecs import hookimpl
from hub.notifiers.agency_connector import AgencyConnectorNotifier
from hub.notifiers.base import NotifierRegistry
from hub.notifiers.email import EmailNotifier
from hub.notifiers.sms import KavenegarSmsNotifier


@hookimpl
def hub_register_notifiers(registry: NotifierRegistry) -> None:
    registry.add(EmailNotifier)
    registry.add(KavenegarSmsNotifier)
    registry.add(AgencyConnectorNotifier)
