"""Auditor queries on DynamoDB: always a ``Query`` on a GSI, never a ``Scan``.

The most selective index wins (principal → rule → account → month partitions); remaining
criteria become a ``FilterExpression``. ``since``/``until`` and the pagination cursor are
range conditions on ``g_ts`` (``first_seen#incident_id``), so every index reads newest
first and a page resumes exactly after the last item it returned. GSI reads are eventually
consistent: an incident recorded a moment ago may take a moment to appear.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from chalicelib.incidents.dynamodb_schema import RANGE_ATTRIBUTE, deserialize, parse_incident, value
from chalicelib.incidents.keys import format_ts, is_role_arn, month_of, months_descending, principal_key
from chalicelib.incidents.paging import decode_token, encode_token
from chalicelib.incidents.store import Incident, IncidentQuery, Page


@dataclass(frozen=True)
class QueryPlan:
    """Which index and partitions to read, and what to filter on the way."""

    index: str
    hash_attribute: str
    partitions: tuple[str, ...]
    filters: tuple[tuple[str, str, Any], ...] = field(default_factory=tuple)  # (attribute, op, value)
    lower: str | None = None  # inclusive bound on g_ts
    upper: str | None = None  # exclusive bound on g_ts


def plan_query(query: IncidentQuery, months: tuple[str, str] | None) -> QueryPlan:
    """``months`` is (oldest, newest) ``YYYY-MM`` present in the table, from the chain head."""
    filters: list[tuple[str, str, Any]] = []
    lower = format_ts(query.since) if query.since else None
    upper = format_ts(query.until) if query.until else None
    cursor = decode_token(query.next_token)
    if cursor is not None and (upper is None or cursor < upper):
        upper = cursor
    if query.principal_arn:
        index, attribute = "gsi_principal", "g_principal"
        partitions: tuple[str, ...] = (principal_key(query.principal_arn) or query.principal_arn,)
        if not is_role_arn(query.principal_arn):
            filters.append(("principal_arn", "=", query.principal_arn))
    elif query.rule:
        index, attribute, partitions = "gsi_rule", "g_rule", (query.rule,)
    elif query.account:
        index, attribute, partitions = "gsi_account", "g_account", (query.account,)
    else:
        index, attribute = "gsi_time", "g_month"
        partitions = ()
        if months is not None:
            newest = min(months[1], month_of(upper)) if upper else months[1]
            oldest = max(months[0], month_of(lower)) if lower else months[0]
            partitions = tuple(f"T#{m}" for m in months_descending(newest, oldest))
    if query.rule and index != "gsi_rule":
        filters.append(("rule", "=", query.rule))
    if query.account and index != "gsi_account":
        filters.append(("account", "=", query.account))
    if query.severity_floor is not None:
        filters.append(("sev", ">=", int(query.severity_floor)))
    return QueryPlan(index, attribute, partitions, tuple(filters), lower, upper)


def _request(table: str, plan: QueryPlan, partition: str, page_size: int) -> dict[str, Any] | None:
    names = {"#h": plan.hash_attribute}
    values: dict[str, Any] = {":h": value(partition)}
    key = "#h = :h"
    if plan.lower is not None or plan.upper is not None:
        names["#r"] = RANGE_ATTRIBUTE
    if plan.lower is not None and plan.upper is not None:
        if plan.lower > plan.upper:
            return None
        key += " AND #r BETWEEN :lo AND :hi"  # inclusive: the cursor item itself is skipped below
        values.update({":lo": value(plan.lower), ":hi": value(plan.upper)})
    elif plan.upper is not None:
        key += " AND #r < :hi"
        values[":hi"] = value(plan.upper)
    elif plan.lower is not None:
        key += " AND #r >= :lo"
        values[":lo"] = value(plan.lower)
    request: dict[str, Any] = {
        "TableName": table,
        "IndexName": plan.index,
        "KeyConditionExpression": key,
        "ScanIndexForward": False,
        "Limit": page_size,
    }
    clauses = []
    for i, (attribute, op, operand) in enumerate(plan.filters):
        names[f"#f{i}"] = attribute
        values[f":f{i}"] = value(operand)
        clauses.append(f"#f{i} {op} :f{i}")
    if clauses:
        request["FilterExpression"] = " AND ".join(clauses)
    request["ExpressionAttributeNames"] = names
    request["ExpressionAttributeValues"] = values
    return request


def _read_partition(client: Any, table: str, plan: QueryPlan, partition: str, page_size: int) -> Iterator[dict]:
    request = _request(table, plan, partition, page_size)
    while request is not None:
        response = client.query(**request)
        for raw in response.get("Items", []):
            item = deserialize(raw)
            if item.get(RANGE_ATTRIBUTE) != plan.upper:
                yield item
        start = response.get("LastEvaluatedKey")
        request = {**request, "ExclusiveStartKey": start} if start else None


def run_query(client: Any, table: str, query: IncidentQuery, months: tuple[str, str] | None) -> Page:
    plan = plan_query(query, months)
    page_size = query.limit + 1 if not plan.filters else max(query.limit + 1, 100)
    items: list[dict[str, Any]] = []
    for partition in plan.partitions:
        for item in _read_partition(client, table, plan, partition, page_size):
            items.append(item)
            if len(items) > query.limit:
                break
        if len(items) > query.limit:
            break
    incidents: list[Incident] = []
    for item in items[: query.limit]:
        _, incident, _ = parse_incident(item)
        if incident is not None:  # an unreadable item is verify's to report, not a query's
            incidents.append(incident)
    token = encode_token(items[query.limit - 1][RANGE_ATTRIBUTE]) if len(items) > query.limit else None
    return Page(items=tuple(incidents), next_token=token)
