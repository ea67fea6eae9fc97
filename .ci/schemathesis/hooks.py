"""A check for schemathesis: a request the OpenAPI document calls valid is
accepted, or refused by a rule of the domain that the problem names; it is
never refused for its shape, and every refusal is a problem document."""

import json

import schemathesis

# Rules that refuse a request's form rather than what it asks.
SHAPE_RULES = {
    "malformed-json",
    "invalid-body",
    "json-required",
    "invalid-parameter",
    "idempotency-key-invalid",
}


@schemathesis.check
def valid_requests_meet_only_domain_rules(ctx, response, case):
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive:
        return None
    if not 400 <= response.status_code < 500 or response.status_code in (401, 404, 405):
        return None
    try:
        problem = json.loads(response.content)
    except ValueError:
        raise AssertionError(f"a {response.status_code} refusal that is not a problem document")
    rule = problem.get("rule") if isinstance(problem, dict) else None
    if not rule:
        raise AssertionError(f"a {response.status_code} refusal that names no rule: {problem}")
    if rule in SHAPE_RULES:
        raise AssertionError(
            f"a request the document calls valid was refused for its form ({rule}): "
            f"{problem.get('detail')}"
        )
    return None
