"""Sandbox agency systems: real servers on loopback that behave like agencies' own software.

Used by the tests, the demo and the benchmarks; never by production.
Imports nothing of the hub outside itself: it stands for the agencies' own software.
"""
