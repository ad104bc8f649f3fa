"""Load an identity model file: safe YAML, schema validation, cross-references, line numbers.

Every problem is collected (not just the first) and reported as ``file:line: key.path: what``
so a user fixes the whole file in one pass, before any event is judged.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from chalicelib.errors import ModelError
from chalicelib.identity.hints import allowed_keys, did_you_mean, pattern_hint, set_aside, value_hint
from chalicelib.identity.model import IdentityModel
from chalicelib.identity.schema import ModelSpec

DEFAULT_MODEL = Path(__file__).resolve().parent.parent / "identity_model.yaml"
# libyaml's parser when PyYAML has it (its wheels do): the same safe constructor, ~10x faster to
# start a replay with; the pure-Python parser otherwise.
Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
Path_ = tuple[str | int, ...]
STR_TAG = "tag:yaml.org,2002:str"


def default_model_path() -> Path:
    """``TRAILWARDEN_MODEL`` overrides the model bundled with the Lambda."""
    env = os.environ.get("TRAILWARDEN_MODEL")
    return Path(env) if env else DEFAULT_MODEL


def format_path(loc: Path_) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(top level)"


def _line_index(node: yaml.Node | None, prefix: Path_ = (), index: dict[Path_, int] | None = None,
                texts: dict[Path_, str] | None = None) -> dict[Path_, int]:
    """Map each key path to its 1-based line in the YAML source.

    ``texts`` (when given) gets each plain scalar that YAML read as something other than a
    string, as written: ``012345670123`` is the octal number 1402433619 to YAML, and an error
    must quote the text the user typed, not the number YAML made of it.
    """
    index = {} if index is None else index
    if node is None:
        return index
    index.setdefault(prefix, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            path = (*prefix, str(key_node.value))
            index[path] = key_node.start_mark.line + 1
            _line_index(value_node, path, index, texts)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _line_index(item, (*prefix, i), index, texts)
    elif texts is not None and isinstance(node, yaml.ScalarNode) and node.tag != STR_TAG and not node.style:
        texts[prefix] = node.value
    return index


def _duplicate_keys(node: yaml.Node | None, prefix: Path_ = ()) -> list[tuple[Path_, str]]:
    """A key written twice in one mapping: YAML keeps the last value and drops the first without a
    word (a second ``principals:`` block appended at the end loses every principal above it)."""
    found: list[tuple[Path_, str]] = []
    if isinstance(node, yaml.MappingNode):
        first: dict[str, int] = {}
        for key_node, value_node in node.value:
            key, line = str(key_node.value), key_node.start_mark.line + 1
            if key in first:
                found.append(((*prefix, key), f"duplicate key (first at line {first[key]}); YAML keeps only "
                                              "this one, so the first is silently lost: merge them"))
            else:
                first[key] = line
            found += _duplicate_keys(value_node, (*prefix, key))
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            found += _duplicate_keys(item, (*prefix, i))
    return found


def _line_for(loc: Path_, lines: dict[Path_, int]) -> int | None:
    while loc:
        if loc in lines:
            return lines[loc]
        loc = loc[:-1]
    return lines.get(())


def _message(err: dict[str, Any], written: str | None = None) -> str:
    """What went wrong, in the user's terms; ``written`` is the scalar's text in the file, if plain."""
    kind, inp = err["type"], err.get("input")
    if kind == "extra_forbidden":
        return "unknown key"
    if kind == "literal_error":
        expected = err.get("ctx", {}).get("expected", "")
        return f"unknown value {inp!r} (expected {expected})"
    if kind == "string_pattern_mismatch" and isinstance(inp, str):
        return f"invalid value {inp!r}{pattern_hint(err['ctx']['pattern'])}"
    if kind == "string_type" and written is not None and isinstance(inp, (int, float)):
        what = "the boolean" if isinstance(inp, bool) else "the number"
        value = str(inp).lower() if isinstance(inp, bool) else str(inp)
        read = "" if written == value else f" (YAML reads it as {value})"
        return f"got {what} {written}{read}; quote it as a string (\"{written}\") so it is read as written"
    if kind == "string_type" and isinstance(inp, int):
        return "got a number; quote it as a string so it is read as written"
    if kind == "missing":
        return "required key is missing"
    hint = value_hint(kind, inp, err.get("ctx") or {})
    if hint:
        return hint
    msg = err["msg"]
    return msg.removeprefix("Value error, ")


def _checks_beside(data: dict[str, Any], err: ValidationError) -> list[tuple[Path_, str]]:
    """The cross-reference checks on the model with its invalid parts set aside (unknown keys, and
    the list items holding other errors); problems naming a set-aside principal are left out."""
    rest: Any = data
    dropped: set[str] = set()
    for _ in range(3):  # an item may fail only once its unknown key is gone (sso_user → no sso_users): drop it too
        locs = [(tuple(e["loc"]), e["type"] == "extra_forbidden") for e in err.errors()]
        rest, more, complete = set_aside(rest, locs)
        dropped |= more
        if not complete:  # an error outside any list item: what is left would mislead
            return []
        try:
            spec = ModelSpec.model_validate(rest)
        except ValidationError as again:
            err = again
            continue
        return [(loc, msg) for loc, msg in _cross_checks(spec) if not any(repr(d) in msg for d in dropped)]
    return []


def _cross_checks(spec: ModelSpec) -> list[tuple[Path_, str]]:
    """References between sections that a per-field schema cannot see."""
    problems: list[tuple[Path_, str]] = []
    seen: dict[str, int] = {}
    for i, acct in enumerate(spec.accounts):
        if acct.id in seen:
            problems.append((("accounts", i, "id"),
                             f"duplicate account id {acct.id!r} (also accounts[{seen[acct.id]}])"))
        seen.setdefault(acct.id, i)
    account_ids = set(seen)
    ids: dict[str, int] = {}
    owners: dict[tuple[str, str], str] = {}
    for i, p in enumerate(spec.principals):
        if p.id in ids:
            problems.append((("principals", i, "id"),
                             f"duplicate principal id {p.id!r} (also principals[{ids[p.id]}])"))
        ids.setdefault(p.id, i)
        for j, acct in enumerate(p.accounts):
            if acct not in account_ids:
                problems.append((("principals", i, "accounts", j), f"account {acct!r} is not declared under accounts"))
        claims = [("iam_user", p.iam_user)] if p.iam_user else []
        claims += [("role", r) for r in p.roles]
        for what, name in claims:
            key = (what, name.casefold())
            if key in owners and owners[key] != p.id:
                problems.append((("principals", i), f"{what} {name!r} is already claimed by principal {owners[key]!r}"))
            owners.setdefault(key, p.id)
    problems += _permission_set_checks(spec)
    names: dict[str, int] = {}
    for i, s in enumerate(spec.secrets):
        if s.name in names:
            problems.append((("secrets", i, "name"), f"duplicate secret {s.name!r} (also secrets[{names[s.name]}])"))
        names.setdefault(s.name, i)
        for j, reader in enumerate(s.readers):
            if reader not in ids:
                problems.append((("secrets", i, "readers", j), f"unknown principal {reader!r}"))
    return problems


def _permission_set_checks(spec: ModelSpec) -> list[tuple[Path_, str]]:
    """Declared permission sets are unique, and once any is declared, every set a principal
    lists must be one of them (an assignment names only the ARN, so the name must map to one)."""
    problems: list[tuple[Path_, str]] = []
    seen: dict[str, int] = {}
    for i, ps in enumerate(spec.permission_sets):
        for what, value in (("name", ps.name), ("arn", ps.arn)):
            key = f"{what}:{value.casefold()}"
            if key in seen:
                problems.append((("permission_sets", i, what),
                                 f"duplicate permission set {what} {value!r} (also permission_sets[{seen[key]}])"))
            seen.setdefault(key, i)
    if spec.permission_sets:
        for i, p in enumerate(spec.principals):
            for j, name in enumerate(p.permission_sets):
                if f"name:{name.casefold()}" not in seen:
                    problems.append((("principals", i, "permission_sets", j),
                                     f"permission set {name!r} is not declared under permission_sets"))
    return problems


def _refuse_aliases(text: str, source: str) -> None:
    """YAML aliases (``*x``) can expand exponentially ("billion laughs"); a model never needs them."""
    for event in yaml.parse(text, Loader=Loader):
        if isinstance(event, yaml.AliasEvent):
            line = event.start_mark.line + 1
            raise ModelError([f"YAML aliases (*{event.anchor}) are not allowed in an identity model"],
                             f"{source}:{line}")


def _compose_and_construct(text: str) -> tuple[yaml.Node | None, Any]:
    """The node tree (for line numbers) and the data built from that same tree: one parse."""
    loader = Loader(text)
    try:
        node = loader.get_single_node()
        return node, (loader.construct_document(node) if node is not None else None)
    finally:
        loader.dispose()


def parse_model(text: str, source: str = "<model>") -> IdentityModel:
    """Validate model text; raise ModelError listing every problem with file, line and path."""
    try:
        _refuse_aliases(text, source)
        node, data = _compose_and_construct(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"{source}:{mark.line + 1}" if mark else source
        raise ModelError([f"not valid YAML: {getattr(err, 'problem', None) or err}"], where) from None
    if not isinstance(data, dict):
        raise ModelError(["the model must be a YAML mapping with 'version', 'accounts', 'principals'"], source)
    texts: dict[Path_, str] = {}
    lines = _line_index(node, texts=texts)
    problems: list[tuple[Path_, str]] = []
    spec: ModelSpec | None = None
    try:
        spec = ModelSpec.model_validate(data)
    except ValidationError as err:
        problems = [(tuple(e["loc"]), _message(e, texts.get(tuple(e["loc"])))
                     + (did_you_mean(e["loc"][-1], allowed_keys(ModelSpec, tuple(e["loc"])))
                        if e["type"] == "extra_forbidden" else "")) for e in err.errors()]
        problems += _checks_beside(data, err)  # one pass: the references too, not after a second run
    if spec is not None:
        problems = _cross_checks(spec)
    problems = _duplicate_keys(node) + problems  # the cause first: what the lost block held is then "unknown"
    if problems:
        errors = []
        for loc, msg in problems:
            line = _line_for(loc, lines)
            where = f"{source}:{line}" if line else source
            errors.append(f"{where}: {format_path(loc)}: {msg}")
        raise ModelError(errors)
    assert spec is not None
    return IdentityModel.compile(spec, source=source)


def load_model(path: str | os.PathLike[str] | None = None) -> IdentityModel:
    """The model at ``path`` (default: ``TRAILWARDEN_MODEL`` or the bundled file); an ``s3://`` URL is read from S3."""
    source = str(path) if path is not None else os.environ.get("TRAILWARDEN_MODEL", "")
    if source.startswith("s3://"):  # the model as configuration (issue 14): the published version, else bundled
        from chalicelib.identity.remote import S3Model

        return S3Model(source).model()
    target = Path(path) if path is not None else default_model_path()
    try:
        text = target.read_text(encoding="utf-8")
    except OSError as err:
        raise ModelError([f"cannot read identity model: {err.strerror or err}"], str(target)) from None
    except UnicodeDecodeError as err:  # a binary file, or a Windows editor's UTF-16: one line, not a traceback
        raise ModelError([f"not a UTF-8 text file (byte {err.object[err.start]:#04x} at offset {err.start}); "
                          "save the model as UTF-8 YAML"], str(target)) from None
    return parse_model(text, source=str(target))
