"""History where it lives: a trail bucket read in place (S3) and CloudTrail Event history."""
