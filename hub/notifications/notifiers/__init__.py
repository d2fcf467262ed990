"""Notifiers: how the hub tells people things — citizens their tracking code and result,
agencies, supervisors and the inspection office that a deadline is near or missed.

A notifier is a class with a ``channel`` name (``sms``, ``email``, or one a plugin adds) whose
``send(message)`` hands one message to a gateway and returns the gateway's id for it, raising
:class:`hub.core.errors.NotifierError` (``permanent`` or not) when it cannot. Plugins add notifiers
through the ``hub_register_notifiers`` hook; the built-in ones
(:mod:`hub.notifications.notifiers.builtin`)
are registered by the same path.
"""

from hub.plugins.notifier import Notifier, NotifierRegistry, OutgoingMessage

__all__ = ["Notifier", "NotifierRegistry", "OutgoingMessage"]
