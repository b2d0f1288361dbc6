"""Checks every response the black-box tests receive against the OpenAPI
description (docs/openapi.json), so the description cannot drift from the
code: the status must be documented for the operation, the Content-Type must
be one the response documents, and a JSON body must validate against its
schema (JSON Schema 2020-12, as OpenAPI 3.1 uses it).

harness.request_on() calls check() after each exchange. Requests to paths the
description does not have (an unknown endpoint, a mangled link) are not
checked, nor are the raw-socket exchanges of the protocol tests.
"""

import json
import os
import re

import jsonschema

HERE = os.path.dirname(os.path.abspath(__file__))
DOCUMENT_PATH = os.path.normpath(os.path.join(HERE, "..", "..", "docs", "openapi.json"))

with open(DOCUMENT_PATH, encoding="utf-8") as f:
    DOCUMENT = json.load(f)


class DescriptionMismatch(AssertionError):
    pass


def _compile_paths():
    out = []
    for template in DOCUMENT["paths"]:
        segments = template.strip("/").split("/")
        pattern = "^/" + "/".join("[^/]+" if s.startswith("{") else re.escape(s) for s in segments) + "$"
        literals = sum(1 for s in segments if not s.startswith("{"))
        out.append((re.compile(pattern), literals, template))
    # The most literal template first: /reports/{id}/links before /reports/{id}/{option}.
    out.sort(key=lambda t: -t[1])
    return out


_PATHS = _compile_paths()


def path_template(path):
    """The template of DOCUMENT["paths"] that `path` (without its query) matches, or None."""
    for regex, _, template in _PATHS:
        if regex.match(path):
            return template
    return None


def _validator_for(schema):
    """A validator that resolves "#/components/..." against the whole document."""
    try:  # jsonschema >= 4.18: the referencing library
        import referencing
        import referencing.jsonschema
        resource = referencing.Resource.from_contents(DOCUMENT, default_specification=referencing.jsonschema.DRAFT202012)
        registry = referencing.Registry().with_resource("urn:openapi", resource)
        return jsonschema.Draft202012Validator({"$ref": "urn:openapi#" + schema["$ref"][1:]} if "$ref" in schema
                                               else schema, registry=registry)
    except ImportError:  # Debian 12's jsonschema 4.10
        resolver = jsonschema.RefResolver(base_uri="", referrer=DOCUMENT)
        return jsonschema.Draft202012Validator(schema, resolver=resolver)


_validators = {}


def _resolve(obj):
    while isinstance(obj, dict) and "$ref" in obj and obj["$ref"].startswith("#/components/"):
        node = DOCUMENT
        for part in obj["$ref"][2:].split("/"):
            node = node[part]
        obj = node
    return obj


def check(method, path, response):
    """Raises DescriptionMismatch if `response` (harness.Response) to
    `method path` is not what the description documents."""
    bare = path.split("?", 1)[0]
    template = path_template(bare)
    if template is None:
        return
    item = DOCUMENT["paths"][template]
    op = item.get(method.lower()) or (item.get("get") if method == "HEAD" else None)
    where = "%s %s (%s)" % (method, bare, template)
    if op is None:
        # Not an operation of the path: the server must refuse it with 405.
        if response.status != 405:
            raise DescriptionMismatch("%s: undocumented method answered %d" % (where, response.status))
        op = {"responses": {"405": {"$ref": "#/components/responses/MethodNotAllowed"}}}
    documented = op["responses"].get(str(response.status)) or op["responses"].get("default")
    if documented is None:
        raise DescriptionMismatch("%s: status %d is not documented (documented: %s); body %r"
                                  % (where, response.status, ", ".join(sorted(op["responses"])), response.body[:200]))
    documented = _resolve(documented)
    content = documented.get("content")
    if method == "HEAD" or not response.body or not content:
        return
    ctype = response.content_type
    if ctype not in content:
        raise DescriptionMismatch("%s: %d with Content-Type %r, documented: %s"
                                  % (where, response.status, ctype, ", ".join(sorted(content))))
    if ctype != "application/json":
        return
    schema = content[ctype].get("schema")
    if not schema:
        return
    key = json.dumps(schema, sort_keys=True)
    validator = _validators.get(key)
    if validator is None:
        validator = _validators[key] = _validator_for(schema)
    try:
        body = json.loads(response.body.decode("utf-8"))
    except ValueError as e:
        raise DescriptionMismatch("%s: %d body is not JSON: %s" % (where, response.status, e))
    errors = sorted(validator.iter_errors(body), key=lambda e: list(e.path))
    if errors:
        e = errors[0]
        raise DescriptionMismatch("%s: %d body does not match the description at %s: %s"
                                  % (where, response.status, "/".join(str(p) for p in e.path) or "(root)",
                                     e.message[:300]))
