"""Trailwarden: judge CloudTrail events against a declared identity model."""
