"""Backfill at organization scale: a Step Functions Distributed Map over a trail bucket."""
