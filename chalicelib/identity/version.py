"""The identity model's version: a short digest of what was validated, stamped on every incident.

An auditor reading an old incident must know which model judged it (the model changes as
people join and leave); the digest names it exactly, and matches ``model check``'s output
for the same file. Computed from the validated spec, so formatting and comments do not count.
"""

from __future__ import annotations

import hashlib
import json

from chalicelib.identity.model import IdentityModel

VERSION_KEY = "model_version"  # the key in a finding's ``details``


def model_version(model: IdentityModel) -> str:
    """``m-`` and the first 12 hex digits of the sha256 of the spec as canonical JSON."""
    data = model.spec.model_dump(mode="json")
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "m-" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]
