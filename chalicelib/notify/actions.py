"""The triage buttons on a Slack alert, and what each click means.

One table shared by the message builder (``message.slack_payload``) and the interaction
handler (``slack_interactions``), so a button can never mean two things.
"""

from __future__ import annotations

from typing import Any

BLOCK_ID = "trailwarden-triage"
# action_id → (label, triage action, resolution, button style)
BUTTONS: dict[str, tuple[str, str, str | None, str | None]] = {
    "triage-ack": ("Acknowledge", "ack", None, "primary"),
    "triage-resolve-expected": ("Resolve as expected", "resolve", "expected", None),
    "triage-false-positive": ("False positive", "resolve", "false-positive", "danger"),
}


def triage_block(incident_id: str) -> dict[str, Any]:
    """An ``actions`` block whose buttons carry the incident id as their value."""
    elements = []
    for action_id, (label, _, _, style) in BUTTONS.items():
        button: dict[str, Any] = {"type": "button", "action_id": action_id, "value": incident_id,
                                  "text": {"type": "plain_text", "text": label, "emoji": False}}
        if style:
            button["style"] = style
        elements.append(button)
    return {"type": "actions", "block_id": BLOCK_ID, "elements": elements}
