"""The trail bucket fixtures of tests/trailbucket, for the backfill tests."""

from tests.trailbucket.conftest import aws, layout, s3

__all__ = ["aws", "layout", "s3"]
