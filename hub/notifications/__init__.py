"""Telling people: notifications recorded first and sent by a sweep through the notifier of
their channel; reminders to agencies; the daily failure digest.

May import: hub.delivery and below.
"""
