"""Agencies whose systems were not written by us, onboarded as an admin would: drafted from what
they publish, completed, checked, then pushed to through their faults by the real worker.

- ``gas_crm``: a gas company's REST complaint CRM — its own ``X-Gas-Token`` header, answers
  wrapped in ``{"data": …, "meta": …}``, Persian stage names, and no idempotency: every POST opens
  a complaint. A search by our reference lets the hub look a lost push up.
- ``ticket_service``: a power company's SOAP 1.1 TicketService — document/literal, one-element
  answers, HTTP basic auth, no de-duplication, and a search by our reference.
"""
