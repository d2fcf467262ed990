"""Deadlines in working time: when view, act and result are due, the ladder's next firing,
the deadline sweep that takes its steps, and the sweep's clock.

May import: hub.notifications and below.
"""
