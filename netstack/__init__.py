"""Network plumbing over netlink (pyroute2) and the network stacks the conformance suite drives.

Imports nothing of the project above it; each module handles one kind of object.
"""
