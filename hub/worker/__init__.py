"""The Celery side: tasks, the sweeps beat runs and their watchdog, starting and stopping worker
processes.

May import: hub.supervision and below.
"""
