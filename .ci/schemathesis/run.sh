#!/usr/bin/env bash
# Fuzzes the demo service from its own OpenAPI document with schemathesis:
# no 5xx, no answer outside the document, and no request the document calls
# valid refused for its form (hooks.py). Two callers: an operator with every
# operator role, and a pioneer of the demo community (for what only members
# do). Usage: run.sh AGORA_BINARY SCHEMATHESIS_BINARY EXAMPLES_PER_OPERATION
set -euo pipefail
agora=$1
schemathesis=$2
examples=${3:-60}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
secret="schemathesis-secret-of-at-least-thirty-two-bytes"
port=18181

AGORA_JWT_SECRET=$secret "$agora" serve --demo --store "sqlite://$work/agora.db" \
  --listen "127.0.0.1:$port" > "$work/serve.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; rm -rf "$work"' EXIT
ready() {
  python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/readyz', timeout=2)" \
    > /dev/null 2>&1
}
for _ in $(seq 1 120); do
  ready && break
  sleep 0.5
done
ready || { echo "the demo service did not start:" >&2; cat "$work/serve.log" >&2; exit 1; }

operator=$(AGORA_JWT_SECRET=$secret "$agora" token --community '*' --subject schemathesis \
  --role admin --role gardener --role treasurer --role auditor)
# The demo prints a sign-in link, then a bearer token, for each role.
pioneer=$(grep -o '^  pioneer  *[^ ]*' "$work/serve.log" | awk '{print $2}' | grep -v '^http' | head -n 1)

# The live feed (`…/events`) is left out: its answer never ends, and its
# tests are in tests/api/feed.rs. One worker: hypothesis parses lambdas' source with `ast` from several
# threads otherwise, which CPython 3.11 does not always survive
# ("AST constructor recursion depth mismatch"), failing the run for nothing
# the service did.
status=0
for token in "$operator" "$pioneer"; do
  SCHEMATHESIS_HOOKS=hooks PYTHONPATH="$here" "$schemathesis" \
    --config-file "$here/schemathesis.toml" \
    run "http://127.0.0.1:$port/v1/openapi.json" \
    --header "Authorization: Bearer $token" \
    --checks all \
    --exclude-checks positive_data_acceptance,negative_data_rejection \
    --max-examples "$examples" --workers 1 --seed 1 \
    --exclude-path-regex '/events$' \
    || status=1
done
exit $status
