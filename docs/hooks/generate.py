"""Reference pages generated from the code, so that they cannot drift from it.

- `settings_markdown()`: every field of `Settings` (its variable, default, values and
  meaning), grouped by the section comments of `config.py`; the meaning is the prose of
  `settings_notes.yml` beside this file, else the field's own `description`.
  `undocumented_settings()` and `stale_notes()` name what is missing or left over: the build
  and `tests/unit/test_docs.py` fail on either.
- `rest_markdown(spec)`: the app's OpenAPI document as Markdown (operations, then schemas).
- `mcp_markdown(tools)`: the MCP server's tools, their descriptions and parameters.
- `external_resources(site_dir)`: anything the built site would fetch from another host.

Used by `mkdocs_hooks.py` (the build) and the tests; imports nothing of mkdocs.
"""

from __future__ import annotations

import json
import re
import types
import typing
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from agent_memory_server import config, config_base
from agent_memory_server.config import Settings

HERE = Path(__file__).resolve().parent
NOTES_FILE = HERE / "settings_notes.yml"
# The settings class and its base, in field order (the base's fields come first).
CONFIG_SOURCES = (Path(config_base.__file__), Path(config.__file__))


# --- Settings -------------------------------------------------------------------------------


def load_notes() -> dict[str, dict[str, str]]:
    """`settings_notes.yml`: VARIABLE -> {text: markdown, default: text for a derived default}."""
    raw = yaml.safe_load(NOTES_FILE.read_text(encoding="utf-8")) or {}
    return {
        str(k).upper(): ({"text": v} if isinstance(v, str) else dict(v)) for k, v in raw.items()
    }


def env_name(name: str, field: FieldInfo) -> str:
    prefix = str(Settings.model_config.get("env_prefix") or "")
    alias = field.validation_alias if isinstance(field.validation_alias, str) else None
    return (prefix + (alias or name)).upper()


def _fields() -> dict[str, tuple[str, FieldInfo]]:
    return {env_name(n, f): (n, f) for n, f in Settings.model_fields.items()}


def undocumented_settings() -> list[str]:
    notes = load_notes()
    return [
        var
        for var, (_, field) in _fields().items()
        if not (notes.get(var, {}).get("text") or field.description)
    ]


def stale_notes() -> list[str]:
    """Notes naming no field, and default texts given for a field whose default is concrete."""
    fields, problems = _fields(), []
    for var, note in load_notes().items():
        if var not in fields:
            problems.append(f"{var}: no such setting")
        elif "default" in note and not _derived_default(fields[var][1]):
            problems.append(f"{var}: its default comes from Settings, drop `default:`")
    return problems


def _derived_default(field: FieldInfo) -> bool:
    """Unset (None) or computed at run time: the notes may say what it stands for."""
    return field.default_factory is not None or field.default is None


def _groups() -> dict[str, str]:
    """Field name -> the `# --- Section ---` comment above it in config_base.py/config.py."""
    group, found = "Other", {}
    source = "\n".join(path.read_text(encoding="utf-8") for path in CONFIG_SOURCES)
    for line in source.splitlines():
        heading = re.match(r"\s+# --- (.+?) -+\s*$", line)
        if heading:
            group = heading.group(1)
        elif match := re.match(r"    (\w+): ", line):
            found[match.group(1)] = group
    return found


NAMES = {
    "str": "string",
    "int": "integer",
    "float": "number",
    "bool": "`true` or `false`",
    "Path": "path",
    "SecretStr": "secret string",
}


def _literal(values: Iterable[object]) -> str:
    return ", ".join(f"`{v}`" for v in values)


def _values(annotation: Any, field: FieldInfo) -> str:
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:  # a constrained alias such as Identifier
        base, *metadata = typing.get_args(annotation)
        return _values(base, FieldInfo.merge_field_infos(field, *metadata))
    if origin is typing.Literal:
        text = _literal(typing.get_args(annotation))
    elif origin in (typing.Union, types.UnionType):
        text = _values(args[0], field) if len(args) == 1 else " or ".join(map(str, args))
    elif origin is list:
        inner = typing.get_args(annotation)[0]
        if typing.get_origin(inner) is typing.Literal:
            text = "JSON list of " + _literal(typing.get_args(inner))
        else:
            text = f"JSON list of {NAMES.get(getattr(inner, '__name__', 'str'), 'values')}s"
    else:
        name = getattr(annotation, "__name__", str(annotation))
        text = NAMES.get(name, name)
    bounds = []
    for meta in field.metadata:
        for attr, sign in (("ge", ">="), ("gt", ">"), ("le", "<="), ("lt", "<")):
            if getattr(meta, attr, None) is not None:
                bounds.append(f"{sign} {getattr(meta, attr):,}")
        for attr, label in (("min_length", "length >="), ("max_length", "length <=")):
            if getattr(meta, attr, None) is not None:
                bounds.append(f"{label} {getattr(meta, attr):,}")
        if getattr(meta, "pattern", None):
            bounds.append(f"matching `{meta.pattern}`")
    return text + (f" ({', '.join(bounds)})" if bounds else "")


def _default(field: FieldInfo, note: Mapping[str, str]) -> str:
    if "default" in note:
        return str(note["default"])
    value = field.get_default(call_default_factory=True)
    if value is None or value is PydanticUndefined:
        return "unset"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, list):
        return f"`{json.dumps(value)}`"
    return f"`{value}`"


def _cell(text: str) -> str:
    """One table cell: one line, pipes escaped outside code spans (inside them they are text)."""
    parts = re.split(r"(`[^`]*`)", " ".join(text.split()))
    return "".join(p if p.startswith("`") else p.replace("|", "\\|") for p in parts)


def settings_markdown() -> str:
    """The configuration reference: one table per section of config.py, in field order."""
    notes, groups = load_notes(), _groups()
    tables: dict[str, list[str]] = {}
    for var, (name, field) in _fields().items():
        note = notes.get(var, {})
        meaning = note.get("text") or field.description or ""
        row = (
            f"| `{var}` | {_cell(_default(field, note))} | "
            f"{_cell(_values(field.annotation, field))} | {_cell(meaning)} |"
        )
        tables.setdefault(groups.get(name, "Other"), []).append(row)
    out = []
    for group, rows in tables.items():
        out += [
            f"### {group}",
            "",
            "| Variable | Default | Values | Meaning |",
            "|---|---|---|---|",
        ]
        out += [*rows, ""]
    return "\n".join(out)


# --- OpenAPI --------------------------------------------------------------------------------


def _ref_name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


def schema_type(schema: Mapping[str, Any]) -> str:
    """A short Markdown type: `string`, [SearchRequest](#schema-searchrequest), list of ..."""
    if "$ref" in schema:
        name = _ref_name(schema["$ref"])
        return f"[{name}](#schema-{name.lower()})"
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            parts = [schema_type(s) for s in schema[key] if s.get("type") != "null"]
            nullable = any(s.get("type") == "null" for s in schema[key])
            return " or ".join(dict.fromkeys(parts)) + (" or null" if nullable else "")
    if "enum" in schema:
        return " \\| ".join(f"`{v}`" for v in schema["enum"])
    if "const" in schema:
        return f"`{schema['const']}`"
    kind = schema.get("type", "any")
    if kind == "array":
        return "list of " + schema_type(schema.get("items", {}))
    if kind == "object" and schema.get("properties"):  # inline: name its fields
        return "object with " + ", ".join(f"`{name}`" for name in schema["properties"])
    if kind == "object" and isinstance(schema.get("additionalProperties"), dict):
        return "object of " + schema_type(schema["additionalProperties"])
    return str(kind) + (f" ({schema['format']})" if "format" in schema else "")


def _constraints(schema: Mapping[str, Any]) -> str:
    parts = []
    for sub in [schema, *schema.get("anyOf", [])]:
        for key, label in (
            ("minimum", ">="),
            ("exclusiveMinimum", ">"),
            ("maximum", "<="),
            ("exclusiveMaximum", "<"),
            ("minLength", "min length"),
            ("maxLength", "max length"),
            ("minItems", "min items"),
            ("maxItems", "max items"),
        ):
            if key in sub:
                value = sub[key]
                value = int(value) if isinstance(value, float) and value.is_integer() else value
                parts.append(f"{label} {value}")
    if "default" in schema:
        parts.append(f"default `{json.dumps(schema['default'])}`")
    return "; ".join(parts)


def _describe(schema: Mapping[str, Any], description: str | None = None) -> str:
    text = description or schema.get("description") or ""
    extra = _constraints(schema)
    return _cell(f"{text} ({extra})" if text and extra else text or extra)


def _body_schema(content: Mapping[str, Any] | None) -> str:
    if not content:
        return ""
    media, body = next(iter(content.items()))
    return f"{schema_type(body.get('schema', {}))} (`{media}`)"


def _operation(method: str, path: str, op: Mapping[str, Any]) -> list[str]:
    out = [f"### `{method.upper()} {path}`", "", op.get("description") or op.get("summary", ""), ""]
    params = op.get("parameters", [])
    if params:
        out += ["| Parameter | In | Type | Required | Description |", "|---|---|---|---|---|"]
        for p in params:
            schema = p.get("schema", {})
            required = "yes" if p.get("required") else "no"
            out.append(
                f"| `{p['name']}` | {p['in']} | {schema_type(schema)} | {required} | "
                f"{_describe(schema, p.get('description'))} |"
            )
        out.append("")
    if "requestBody" in op:
        out += [f"**Body:** {_body_schema(op['requestBody'].get('content'))}", ""]
    out += ["| Status | Meaning | Body |", "|---|---|---|"]
    for status, response in op.get("responses", {}).items():
        out.append(
            f"| {status} | {_cell(response.get('description', ''))} | "
            f"{_body_schema(response.get('content'))} |"
        )
    return [*out, ""]


def _schema(name: str, schema: Mapping[str, Any]) -> list[str]:
    out = [f"### {name} {{#schema-{name.lower()}}}", "", schema.get("description", ""), ""]
    properties = schema.get("properties", {})
    if "enum" in schema:
        out += [f"One of {schema_type(schema)}.", ""]
    if properties:
        required = set(schema.get("required", []))
        out += ["| Field | Type | Required | Description |", "|---|---|---|---|"]
        for field, sub in properties.items():
            out.append(
                f"| `{field}` | {schema_type(sub)} | {'yes' if field in required else 'no'} | "
                f"{_describe(sub)} |"
            )
        out.append("")
    return out


def rest_markdown(spec: Mapping[str, Any]) -> str:
    """Operations grouped by tag, in the app's route order, then every component schema."""
    by_tag: dict[str, list[str]] = {}
    for path, operations in spec["paths"].items():
        for method, op in operations.items():
            tag = (op.get("tags") or ["other"])[0]
            by_tag.setdefault(tag, []).extend(_operation(method, path, op))
    out = []
    for tag, lines in by_tag.items():
        out += [f"## {tag[0].upper()}{tag[1:]}", "", *lines]
    out += ["## Schemas", ""]
    for name, schema in spec.get("components", {}).get("schemas", {}).items():
        out += _schema(name, schema)
    return "\n".join(out)


# --- MCP ------------------------------------------------------------------------------------


def mcp_markdown(tools: Iterable[Any]) -> str:
    """One section per tool (`name`, `description`, `parameters` as FastMCP lists them)."""
    out = []
    for tool in tools:
        parameters = tool.parameters or {}
        prose, _, example = (tool.description or "").partition("Example:")
        out += [f"### `{tool.name}`", "", " ".join(prose.split()), ""]
        if example.strip():
            out += ["Example:", "", "```json", " ".join(example.split()), "```", ""]
        properties = parameters.get("properties", {})
        if not properties:
            out += ["No parameters.", ""]
            continue
        required = set(parameters.get("required", []))
        out += ["| Parameter | Type | Required | Description |", "|---|---|---|---|"]
        for name, schema in properties.items():
            out.append(
                f"| `{name}` | {_mcp_type(schema)} | {'yes' if name in required else 'no'} "
                f"| {_describe(schema)} |"
            )
        out.append("")
    return "\n".join(out)


def _mcp_type(schema: Mapping[str, Any]) -> str:
    """Like schema_type, with `$defs` named in code: the tools have no schema section."""
    text = schema_type(schema)
    return re.sub(r"\[(\w+)\]\(#schema-\w+\)", r"`\1`", text)


# --- Offline check --------------------------------------------------------------------------

_FETCHED = [
    re.compile(r"<(?:script|img|iframe|source|audio|video)\b[^>]*\bsrc=[\"']?"
               r"((?:https?:)?//[^\"' >]+)"),
    re.compile(r"<link\b(?=[^>]*\brel=[\"']?(?:stylesheet|preload|prefetch|preconnect|icon|"
               r"modulepreload|manifest|dns-prefetch))[^>]*\bhref=[\"']?((?:https?:)?//[^\"' >]+)"),
    re.compile(r"@import\s+(?:url\()?[\"']?((?:https?:)?//[^\"') ;]+)"),
    re.compile(r"url\(\s*[\"']?((?:https?:)?//[^\"')]+)"),
]  # fmt: skip


def external_resources(site_dir: Path) -> list[str]:
    """`file: url` for every script, style, font, image or frame the site loads from elsewhere."""
    found = []
    for path in sorted(site_dir.rglob("*")):
        if path.suffix not in {".html", ".css"}:
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        for pattern in _FETCHED:
            for url in pattern.findall(text):
                found.append(f"{path.relative_to(site_dir)}: {url}")
    return found
