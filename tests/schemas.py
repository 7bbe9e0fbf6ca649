"""Validate what syncd sends (and what our simulators answer) against the published schemas.

Zoom silently ignores fields it does not know, so a misspelt setting "works" against Zoom and
against any simulator we write ourselves. These helpers check request bodies and query strings
against Zoom's published OpenAPI document and Google Calendar's discovery document in a strict
mode: every object schema that lists ``properties`` rejects any other property.

Public API: ``SchemaViolation``, ``validate_zoom_request``, ``validate_zoom_response``,
``zoom_response_schema``, ``validate_google_request``, ``validate_google_resource``.

Google methods are named by their discovery id: "calendar.events.patch" is checked against the
Calendar v3 document, "directory.users.list" against the Admin SDK's directory_v1 one (both as
googleapiclient bundles them).

Deliberate deviations from the letter of the published documents (spec bugs):

* Zoom ``recurrence.weekly_days`` has ``enum: ["1".."7"]`` although its description asks for a
  comma-separated list ("1,3"); we check ``^[1-7](,[1-7])*$`` instead.
* Zoom array schemas bounded with ``maximum`` (meant: ``maxItems``) get ``maxItems``.
* Zoom ``oneOf`` is checked as ``anyOf``: its branches overlap, so ``oneOf`` would reject
  valid bodies.
* Zoom ``date-time`` is the documented ``yyyy-MM-ddTHH:mm:ss`` with an optional ``Z`` (local
  time plus a ``timezone`` field, or UTC); offsets like ``+00:00`` are not documented.
* Google PATCH bodies may contain ``null`` for a property or map value: that is how a patch
  clears a field (e.g. removes a private extended property).
"""

from __future__ import annotations

import copy
import difflib
import functools
import json
import re
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import googleapiclient
from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError

# The operations syncd uses, cut from Zoom's published document by tools/cut_zoom_spec.py.
ZOOM_SPEC_PATH = Path(__file__).parent / "reference" / "zoom-meeting-api.openapi.json"
ZOOM_BASE_URL = "https://api.zoom.us/v2"
GOOGLE_DOCUMENTS = Path(googleapiclient.__file__).parent / "discovery_cache" / "documents"
GOOGLE_DISCOVERY_PATH = GOOGLE_DOCUMENTS / "calendar.v3.json"
DIRECTORY_DISCOVERY_PATH = GOOGLE_DOCUMENTS / "admin.directory_v1.json"
GOOGLE_APIS = {"calendar": GOOGLE_DISCOVERY_PATH, "directory": DIRECTORY_DISCOVERY_PATH}
"""Discovery documents by the first part of their method ids."""

Json = dict[str, Any]
Query = Mapping[str, str | list[str]]

# Zoom documents its error body in the general API docs, not per operation in the spec.
ZOOM_ERROR_SCHEMA: Json = {
    "type": "object",
    "required": ["code", "message"],
    "properties": {"code": {"type": "integer"}, "message": {"type": "string"}},
}


class SchemaViolation(AssertionError):
    """A request or response does not conform to the published schema.

    ``problems`` lists one "<where>: <what>" line per problem; the message contains them all.
    """

    def __init__(self, subject: str, problems: list[str]) -> None:
        self.subject = subject
        self.problems = problems
        lines = "\n".join(f"  - {problem}" for problem in problems)
        super().__init__(f"{subject}: {len(problems)} schema problem(s)\n{lines}")


# --------------------------------------------------------------------------- formats


def _is_valid_datetime(text: str) -> bool:
    text = re.sub(r"\.\d+", "", text).replace("Z", "+00:00")
    try:
        datetime.fromisoformat(text)
    except ValueError:
        return False
    return True


def _checker(pattern: str, parse: Callable[[str], bool]) -> Callable[[object], bool]:
    regex = re.compile(pattern)

    def check(value: object) -> bool:
        return not isinstance(value, str) or (regex.fullmatch(value) is not None and parse(value))

    return check


def _is_valid_date(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def _int_range(bits: int) -> Callable[[object], bool]:
    def check(value: object) -> bool:
        return not isinstance(value, int) or -(2 ** (bits - 1)) <= value < 2 ** (bits - 1)

    return check


def _always(_: str) -> bool:
    return True


_DATE = r"\d{4}-\d{2}-\d{2}"
_ZOOM_DATETIME = _DATE + r"T\d{2}:\d{2}:\d{2}Z?"
_RFC3339 = _DATE + r"T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})"


def _format_checker(checks: Mapping[str, Callable[[object], bool]]) -> FormatChecker:
    """A checker for exactly these formats; any other format name is an annotation only."""
    checker = FormatChecker(formats=())
    for name, check in checks.items():
        checker.checks(name)(check)
    return checker


ZOOM_FORMATS = _format_checker(
    {
        "date-time": _checker(_ZOOM_DATETIME, _is_valid_datetime),
        "date": _checker(_DATE, _is_valid_date),
        "email": _checker(r"[^@\s]+@[^@\s]+", _always),
        "int32": _int_range(32),
        "int64": _int_range(64),
    }
)
GOOGLE_FORMATS = _format_checker(
    {
        "date-time": _checker(_RFC3339, _is_valid_datetime),
        "date": _checker(_DATE, _is_valid_date),
        "int32": _int_range(32),
        "int64": _checker(r"-?\d+", _always),  # int64 travels as a JSON string
    }
)


# --------------------------------------------------------------------------- shared checks


def _where(root: str, path: Iterable[str | int]) -> str:
    return root + "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in path)


def _guess(name: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(known), n=1)
    return f"; did you mean {close[0]!r}?" if close else f" (known: {', '.join(sorted(known))})"


def _describe(error: ValidationError, root: str) -> list[str]:
    where = _where(root, error.absolute_path)
    if error.validator != "additionalProperties" or error.validator_value is not False:
        return [f"{where}: {error.message}"]
    known = list(error.schema.get("properties", {}))
    problems = []
    for key in error.instance:
        if key not in known:
            hint = _guess(key, known)
            problems.append(f"{where}.{key}: unknown field, not in the published schema{hint}")
    return problems


def _schema_problems(
    schema: Json, instance: object, root: str, formats: FormatChecker
) -> list[str]:
    validator = Draft202012Validator(schema, format_checker=formats)
    errors = sorted(validator.iter_errors(instance), key=lambda e: [str(p) for p in e.path])
    return [problem for error in errors for problem in _describe(error, root)]


def _coerce(raw: object, schema: Json) -> tuple[object, str | None]:
    """Turn a query/path string into the JSON value its declared type expects."""
    kind = schema.get("type")
    if kind == "array":
        items = raw if isinstance(raw, list) else [raw]
        pairs = [_coerce(item, schema.get("items", {})) for item in items]
        problem = next((p for _, p in pairs if p), None)
        return [value for value, _ in pairs], problem
    if isinstance(raw, list):
        if len(raw) != 1:
            return raw, f"given {len(raw)} times, but is not a repeated parameter"
        raw = raw[0]
    if not isinstance(raw, str):
        return raw, f"must be a string as sent on the wire, got {type(raw).__name__}"
    if kind == "boolean":
        if raw not in ("true", "false"):
            return raw, f"{raw!r} is not 'true' or 'false'"
        return raw == "true", None
    if kind == "integer":
        if not re.fullmatch(r"-?\d+", raw):
            return raw, f"{raw!r} is not an integer"
        return int(raw), None
    if kind == "number":
        try:
            return float(raw), None
        except ValueError:
            return raw, f"{raw!r} is not a number"
    return raw, None


def _parameter_problems(
    values: Query,
    declared: Mapping[str, Json],
    required: Iterable[str],
    root: str,
    formats: FormatChecker,
) -> list[str]:
    """Check names against ``declared`` (name -> JSON Schema), then each value's type/enum."""
    problems = [
        f"{root}.{name}: required parameter missing" for name in required if name not in values
    ]
    for name, raw in values.items():
        if name not in declared:
            problems.append(f"{root}.{name}: unknown parameter{_guess(name, declared)}")
            continue
        value, problem = _coerce(raw, declared[name])
        if problem:
            problems.append(f"{root}.{name}: {problem}")
        else:
            problems += _schema_problems(declared[name], value, f"{root}.{name}", formats)
    return problems


def _raise_if(subject: str, problems: list[str]) -> None:
    if problems:
        raise SchemaViolation(subject, problems)


# --------------------------------------------------------------------------- Zoom (OpenAPI 3.0)

_OPENAPI_ANNOTATIONS = {
    "description",
    "example",
    "examples",
    "extensions",
    "deprecated",
    "title",
    "default",
    "xml",
    "externalDocs",
    "readOnly",
    "writeOnly",
    "discriminator",
    "nullable",
}
_WEEKDAYS_ENUM = [str(day) for day in range(1, 8)]


@functools.cache
def _zoom_spec() -> Json:
    with ZOOM_SPEC_PATH.open(encoding="utf-8") as handle:
        return json.load(handle)


def _resolve_pointer(document: Json, ref: str) -> Json:
    if not ref.startswith("#/"):
        raise ValueError(f"only local $ref is supported, got {ref!r}")
    node: Any = document
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def _fix_zoom_quirks(schema: Json) -> None:
    if schema.get("type") == "array" and "maximum" in schema:
        schema["maxItems"] = schema.pop("maximum")
    if schema.get("enum") == _WEEKDAYS_ENUM:  # recurrence.weekly_days: really a list
        del schema["enum"]
        schema["pattern"] = r"^[1-7](,[1-7])*$"


def _make_nullable(schema: Json) -> None:
    kind = schema.get("type")
    if isinstance(kind, str):
        schema["type"] = [kind, "null"]
    if "enum" in schema and None not in schema["enum"]:
        schema["enum"] = [*schema["enum"], None]


def _convert_openapi(node: Json, *, strict: bool, seen: tuple[str, ...] = ()) -> Json:
    """OpenAPI 3.0 schema object -> JSON Schema 2020-12, with $ref inlined."""
    if "$ref" in node:
        ref = node["$ref"]
        if ref in seen:
            raise ValueError(f"recursive $ref {ref!r} is not supported")
        target = _resolve_pointer(_zoom_spec(), ref)
        return _convert_openapi(target, strict=strict, seen=(*seen, ref))

    def convert(sub: Json) -> Json:
        return _convert_openapi(sub, strict=strict, seen=seen)

    out: Json = {}
    for key, value in node.items():
        if key in _OPENAPI_ANNOTATIONS or key.startswith("x-"):
            continue
        if key == "properties":
            out[key] = {name: convert(sub) for name, sub in value.items()}
        elif key in ("items", "not", "additionalProperties") and isinstance(value, dict):
            out[key] = convert(value)
        elif key in ("oneOf", "anyOf", "allOf"):
            out["anyOf" if key == "oneOf" else key] = [convert(sub) for sub in value]
        else:
            out[key] = value
    _fix_zoom_quirks(out)
    if node.get("nullable") is True:
        _make_nullable(out)
    if strict and "properties" in out:
        out.setdefault("additionalProperties", False)
    return out


@functools.cache
def _zoom_routes() -> list[tuple[tuple[str, ...], str]]:
    """(segments, template) for every path, most literal segments first."""
    routes = [(tuple(template.split("/")), template) for template in _zoom_spec()["paths"]]
    return sorted(routes, key=lambda route: -sum(not s.startswith("{") for s in route[0]))


def _match_zoom_path(path: str) -> tuple[str, dict[str, str]] | None:
    segments = path.split("/")
    for template_segments, template in _zoom_routes():
        if len(template_segments) != len(segments):
            continue
        params: dict[str, str] = {}
        for pattern, segment in zip(template_segments, segments, strict=True):
            if pattern.startswith("{") and pattern.endswith("}") and segment:
                params[pattern[1:-1]] = unquote(segment)
            elif pattern != segment:
                break
        else:
            return template, params
    return None


def _zoom_parameters(template: str, method: str, location: str) -> list[Json]:
    item = _zoom_spec()["paths"][template]
    merged = {p["name"]: p for p in item.get("parameters", []) if p["in"] == location}
    merged |= {p["name"]: p for p in item[method].get("parameters", []) if p["in"] == location}
    return list(merged.values())


@functools.cache
def _zoom_parameter_schemas(template: str, method: str, location: str) -> dict[str, Json]:
    params = _zoom_parameters(template, method, location)
    return {p["name"]: _convert_openapi(p.get("schema", {}), strict=False) for p in params}


@functools.cache
def _zoom_request_schema(template: str, method: str) -> Json | None:
    body = _zoom_spec()["paths"][template][method].get("requestBody")
    if body is None:
        return None
    content = body.get("content", {}).get("application/json")
    if content is None:
        raise ValueError(f"{method.upper()} {template} takes no JSON body")
    return _convert_openapi(content.get("schema", {}), strict=True)


@functools.cache
def _zoom_operations_by_id() -> dict[str, Json]:
    return {
        op["operationId"]: op
        for item in _zoom_spec()["paths"].values()
        for method, op in item.items()
        if method != "parameters" and "operationId" in op
    }


@functools.cache
def _zoom_response_schema(operation_id: str, status: str) -> Json:
    operation = _zoom_operations_by_id().get(operation_id)
    if operation is None:
        raise KeyError(f"Zoom spec has no operationId {operation_id!r}")
    response = operation.get("responses", {}).get(status)
    if response is None:
        raise KeyError(f"{operation_id} documents no {status} response")
    content = (response.get("content") or {}).get("application/json")
    if content is None:
        raise KeyError(f"{operation_id} {status} response has no JSON body")
    return _convert_openapi(content.get("schema", {}), strict=False)


def zoom_response_schema(operation_id: str, status: str) -> dict:
    """Resolved, non-strict JSON Schema of a documented Zoom response body (a fresh copy)."""
    return copy.deepcopy(_zoom_response_schema(operation_id, str(status)))


def _find_zoom_operation(method: str, path: str) -> tuple[str, str, dict[str, str]]:
    """(template, lower-case method, path params), or SchemaViolation for undocumented calls."""
    method = method.lower()
    path = path.removeprefix(ZOOM_BASE_URL)
    if "?" in path:
        raise ValueError(f"pass the query string separately, not in {path!r}")
    subject = f"Zoom {method.upper()} {path}"
    match = _match_zoom_path(path)
    if match is None:
        raise SchemaViolation(subject, [f"path: {path!r} matches no documented path"])
    template, params = match
    if method not in _zoom_spec()["paths"][template]:
        raise SchemaViolation(subject, [f"method: {template} has no {method.upper()} operation"])
    return template, method, params


def _zoom_body_problems(template: str, method: str, body: dict | None) -> list[str]:
    operation = _zoom_spec()["paths"][template][method]
    schema = _zoom_request_schema(template, method)
    if schema is None:
        return [] if body is None else [f"body: operation takes no request body, got {body!r}"]
    if body is None:
        required = operation["requestBody"].get("required", False)
        return ["body: operation requires a request body"] if required else []
    return _schema_problems(schema, body, "body", ZOOM_FORMATS)


def validate_zoom_request(
    method: str, path: str, body: dict | None, query: Query | None = None
) -> None:
    """Check a Zoom request (path after the base URL) against the published spec, strictly.

    Raises SchemaViolation listing every problem: unknown/misspelt body fields at any depth,
    wrong types, enum/length violations, undeclared or mistyped query and path parameters.
    """
    template, method, path_params = _find_zoom_operation(method, path)
    operation_id = _zoom_spec()["paths"][template][method].get("operationId", "?")
    subject = f"Zoom {method.upper()} {path} ({operation_id})"
    problems = _parameter_problems(
        path_params, _zoom_parameter_schemas(template, method, "path"), (), "path", ZOOM_FORMATS
    )
    required = [p["name"] for p in _zoom_parameters(template, method, "query") if p.get("required")]
    problems += _parameter_problems(
        query or {},
        _zoom_parameter_schemas(template, method, "query"),
        required,
        "query",
        ZOOM_FORMATS,
    )
    problems += _zoom_body_problems(template, method, body)
    _raise_if(subject, problems)


def validate_zoom_response(method: str, path: str, status: int, body: object) -> None:
    """Check a (simulated) Zoom response against the documented response for that call.

    Documented JSON bodies are checked non-strictly (Zoom returns more than it documents).
    A documented response without a body must have none; an error status (documented or not,
    e.g. 401) may carry Zoom's generic ``{"code", "message"}`` error body.
    """
    template, method, _ = _find_zoom_operation(method, path)
    operation = _zoom_spec()["paths"][template][method]
    operation_id = operation.get("operationId", "?")
    subject = f"Zoom {method.upper()} {path} ({operation_id}) -> {status}"
    response = operation.get("responses", {}).get(str(status))
    has_json = response is not None and "application/json" in (response.get("content") or {})
    if has_json:
        schema = _zoom_response_schema(operation_id, str(status))
        problems = _schema_problems(schema, body, "body", ZOOM_FORMATS)
    elif status >= 400:
        problems = (
            [] if body is None else _schema_problems(ZOOM_ERROR_SCHEMA, body, "body", ZOOM_FORMATS)
        )
    elif response is None:
        problems = [f"status: {operation_id} documents no {status} response"]
    else:
        problems = [] if body is None else [f"body: {status} response has no body, got {body!r}"]
    _raise_if(subject, problems)


# --------------------------------------------------------------------------- Google (discovery)


@functools.cache
def _google_discovery(api: str = "calendar") -> Json:
    with GOOGLE_APIS[api].open(encoding="utf-8") as handle:
        return json.load(handle)


def _api_of(method_id: str) -> str:
    api = method_id.partition(".")[0]
    if api not in GOOGLE_APIS:
        raise KeyError(f"no discovery document for {method_id!r} (known: {', '.join(GOOGLE_APIS)})")
    return api


def _number(value: object) -> int | float:
    """Discovery documents write numeric bounds as strings ("1")."""
    text = str(value)
    return int(text) if re.fullmatch(r"-?\d+", text) else float(text)


def _convert_discovery(
    node: Json, *, nullable: bool, api: str = "calendar", seen: tuple[str, ...] = ()
) -> Json:
    """Discovery schema -> strict JSON Schema 2020-12, with $ref (a schema name) inlined."""
    if "$ref" in node:
        name = node["$ref"]
        if name in seen:
            raise ValueError(f"recursive $ref {name!r} is not supported")
        target = _google_discovery(api)["schemas"][name]
        return _convert_discovery(target, nullable=nullable, api=api, seen=(*seen, name))

    def convert(sub: Json) -> Json:
        schema = _convert_discovery(sub, nullable=nullable, api=api, seen=seen)
        if nullable:
            _make_nullable(schema)
        return schema

    out: Json = {}
    if node.get("type") not in (None, "any"):
        out["type"] = node["type"]
    for key in ("enum", "pattern", "format"):
        if key in node:
            out[key] = node[key]
    for key in ("minimum", "maximum"):
        if key in node:
            out[key] = _number(node[key])
    if "items" in node:
        out["items"] = _convert_discovery(node["items"], nullable=nullable, api=api, seen=seen)
    if "properties" in node:
        out["properties"] = {name: convert(sub) for name, sub in node["properties"].items()}
        out["additionalProperties"] = False
    if "additionalProperties" in node:
        out["additionalProperties"] = convert(node["additionalProperties"])
    return out


@functools.cache
def _google_schema(schema_name: str, nullable: bool, api: str = "calendar") -> Json:
    if schema_name not in _google_discovery(api)["schemas"]:
        raise KeyError(f"{api} discovery has no schema {schema_name!r}")
    return _convert_discovery({"$ref": schema_name}, nullable=nullable, api=api)


def _find_method(resource: Json, method_id: str) -> Json | None:
    for method in resource.get("methods", {}).values():
        if method.get("id") == method_id:
            return method
    for sub in resource.get("resources", {}).values():
        found = _find_method(sub, method_id)
        if found is not None:
            return found
    return None


@functools.cache
def _google_method(method_id: str) -> Json:
    api = _api_of(method_id)
    method = _find_method(_google_discovery(api), method_id)
    if method is None:
        raise KeyError(f"{api} discovery has no method {method_id!r}")
    return method


def _discovery_parameter_schema(param: Json, api: str) -> Json:
    schema = _convert_discovery(param, nullable=False, api=api)
    return {"type": "array", "items": schema} if param.get("repeated") else schema


@functools.cache
def _google_query_schemas(method_id: str) -> dict[str, Json]:
    """Query parameters of the method plus the API-wide ones (alt, fields, key, ...)."""
    api = _api_of(method_id)
    params = {
        **_google_discovery(api).get("parameters", {}),
        **_google_method(method_id)["parameters"],
    }
    return {
        name: _discovery_parameter_schema(param, api)
        for name, param in params.items()
        if param.get("location") == "query"
    }


def validate_google_request(method_id: str, body: dict | None, query: Query | None = None) -> None:
    """Check a Calendar or Directory request (e.g. "calendar.events.patch",
    "directory.users.list") against its discovery document.

    Body fields are checked strictly (unknown property fails; PATCH bodies may use null to
    clear a field). Query names must be declared by the method or API-wide; values are parsed
    as their declared type (integer, boolean) and checked against enum and bounds.
    """
    method = _google_method(method_id)
    subject = f"Google {method_id}"
    api = _api_of(method_id)
    params = {**_google_discovery(api).get("parameters", {}), **method["parameters"]}
    required = [n for n, p in params.items() if p.get("location") == "query" and p.get("required")]
    problems = _parameter_problems(
        query or {}, _google_query_schemas(method_id), required, "query", GOOGLE_FORMATS
    )
    request = method.get("request")
    if request is None and body is not None:
        problems.append(f"body: {method_id} takes no request body, got {body!r}")
    elif request is not None and body is None:
        problems.append(f"body: {method_id} requires a {request['$ref']} body")
    elif request is not None:
        schema = _google_schema(request["$ref"], method["httpMethod"] == "PATCH", api)
        problems += _schema_problems(schema, body, "body", GOOGLE_FORMATS)
    _raise_if(subject, problems)


def validate_google_resource(schema_name: str, body: dict, api: str = "calendar") -> None:
    """Check a (simulated) resource strictly: a Calendar one, e.g. "Event" or "Events", or
    with `api="directory"` an Admin SDK Directory one, e.g. "Users" or "Members"."""
    schema = _google_schema(schema_name, False, api)
    _raise_if(f"Google {schema_name}", _schema_problems(schema, body, "body", GOOGLE_FORMATS))
