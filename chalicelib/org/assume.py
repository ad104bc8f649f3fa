"""Sessions in member accounts: the central account assumes each member's read-only role."""

from __future__ import annotations

from typing import Any

from chalicelib.org.names import member_role_arn

SESSION_NAME = "trailwarden-coverage"


class Assumer:
    """``session(account)`` → a boto3 Session in that account (raises the AWS error when it cannot)."""

    def __init__(self, base: Any = None, role_name_arn: Any = member_role_arn) -> None:
        import boto3

        self._base = base or boto3.session.Session()
        self._arn = role_name_arn
        self._cache: dict[str, Any] = {}

    def session(self, account: str) -> Any:
        if account not in self._cache:
            import boto3

            creds = self._base.client("sts").assume_role(RoleArn=self._arn(account), RoleSessionName=SESSION_NAME,
                                                          DurationSeconds=3600)["Credentials"]
            self._cache[account] = boto3.session.Session(
                aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                aws_session_token=creds["SessionToken"])
        return self._cache[account]
