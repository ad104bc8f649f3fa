"""Watching the watcher: which resources are Trailwarden's own, the heartbeat and the liveness check.

The blinding detections (``chalicelib/rules/monitor_*``, ``detector_disabled``,
``organization_left``) read their tables from here; the Lambda runtime and ``simulate`` use
the heartbeat and liveness modules.
"""
