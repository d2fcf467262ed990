"""The Celery side: tasks, the sweeps beat runs, starting and stopping worker processes.

May import: hub.supervision and below.
"""
