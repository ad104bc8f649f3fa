"""Trailwarden for an AWS Organization: the central bus, the member StackSet, coverage and names."""
