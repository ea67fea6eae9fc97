#!/usr/bin/env bash
# Drives `agora serve --demo` from outside with wrk: authenticated transfers
# of time credits at 64 connections, beside wrk against /healthz of the same
# process (a handler that does nothing) as the baseline.
#
#   apt-get install wrk        # once
#   bash benches/wrk/run.sh [seconds] [connections]
#
# It builds the release binary, starts the service on a temporary store
# with the demo community, picks 64 active pioneers whose balances leave
# room, mints their tokens, and runs wrk (2 threads) for each target.
# AGORA_BIN=path/to/agora runs that build instead, without building (to
# compare two builds, one run each in turn). AGORA_WRK_LOG=N measures the
# transfers a second time once N more have been recorded (wrk runs of 30 s
# until then): the rate, the tail and the CPU per answer with a long log
# beside those with a fresh one, in the same process.
set -euo pipefail
agora_bin=${AGORA_BIN:+$(realpath "$AGORA_BIN")}
cd "$(dirname "$0")/../.."
seconds=${1:-10}
connections=${2:-64}
command -v wrk >/dev/null || { echo "wrk is not installed: apt-get install wrk" >&2; exit 1; }

if [ -n "$agora_bin" ]; then
  agora=$agora_bin
else
  cargo build --release --quiet
  agora=target/release/agora
fi
work=$(mktemp -d)
secret="a wrk benchmark secret of thirty-two bytes or more"
port=${AGORA_WRK_PORT:-18089}
base="http://127.0.0.1:$port"

"$agora" serve --demo --store "sqlite://$work/agora.db" --listen "127.0.0.1:$port" \
  --jwt-secret "$secret" --log error > "$work/serve.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 1 600); do
  curl -sf "$base/readyz" > /dev/null 2>&1 && break
  sleep 0.1
done

operator=$("$agora" token --jwt-secret "$secret" --community '*' --subject wrk --role admin)
community="$base/v1/communities/lanceurs-davenir"
curl -sf -H "Authorization: Bearer $operator" "$community/pioneers?limit=500" > "$work/pioneers.json"
curl -sf -H "Authorization: Bearer $operator" "$community/accounts" > "$work/accounts.json"
python3 - "$work" <<'PY' > "$work/ids.txt"
import json, sys
work = sys.argv[1]
pioneers = json.load(open(f"{work}/pioneers.json"))
pioneers = pioneers.get("pioneers", pioneers) if isinstance(pioneers, dict) else pioneers
balances = {a["account"]: float(a["balance"]) for a in json.load(open(f"{work}/accounts.json"))["accounts"]}
chosen = [p["id"] for p in pioneers
          if p["membership"]["status"] == "active" and abs(balances.get("pioneer:" + p["id"], 0.0)) <= 10]
print("\n".join(chosen[:64]))
PY
{
  echo "transfer_pairs = {"
  mapfile -t ids < "$work/ids.txt"
  for ((i = 0; i + 1 < ${#ids[@]}; i += 2)); do
    a=${ids[i]} b=${ids[i + 1]}
    ta=$("$agora" token --jwt-secret "$secret" --community lanceurs-davenir --subject "$a" --role pioneer)
    tb=$("$agora" token --jwt-secret "$secret" --community lanceurs-davenir --subject "$b" --role pioneer)
    echo "  { \"$ta\", \"$a\", \"$tb\", \"$b\" },"
  done
  echo "}"
} > "$work/pairs.lua"
echo "$(grep -c '{ "' "$work/pairs.lua") pairs of demo pioneers"

# The service's CPU time (user and system, in clock ticks) so far: read
# before and after each run, it gives the CPU each answer cost, a figure
# the machine's noise moves far less than the rate.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$server/stat"; }
cpu_per_request() { # ticks before, ticks after, wrk's output
  local requests
  requests=$(awk '/ requests in /{ print $1 }' <<< "$3")
  awk -v ticks=$(($2 - $1)) -v hz="$(getconf CLK_TCK)" -v n="$requests" \
    'BEGIN { printf "service CPU per answer: %.1f µs (%d answers)\n", ticks / hz / n * 1e6, n }'
}

transfers() { # seconds
  AGORA_WRK_PAIRS="$work/pairs.lua" wrk -t2 -c"$connections" -d"$1s" --latency \
    -s benches/wrk/transfers.lua "$base"
}
# CPU ticks so far per thread name (the runtime's workers, the log's and
# the index's SQLite writers), one "name ticks" line each.
thread_ticks() {
  for task in /proc/"$server"/task/*; do
    # The name sits in parentheses and may hold spaces: fields after it.
    sed -E 's/^[0-9]+ \((.*)\) (.*)$/\1|\2/' "$task/stat" |
      awk -F'|' '{ split($2, f, " "); print $1, f[12] + f[13] }'
  done | awk '{ ticks[$1] += $2 } END { for (name in ticks) print name, ticks[name] }' | sort
}
measure_transfers() {
  local before out threads_before
  before=$(cpu_ticks)
  threads_before=$(thread_ticks)
  out=$(transfers "$seconds")
  echo "$out"
  cpu_per_request "$before" "$(cpu_ticks)" "$out"
  local answers
  answers=$(awk '/ requests in /{ print $1 }' <<< "$out")
  join <(echo "$threads_before") <(thread_ticks) |
    awk -v hz="$(getconf CLK_TCK)" -v n="$answers" \
      '{ printf "  of which %s: %.1f µs\n", $1, ($3 - $2) / hz / n * 1e6 }'
  grep VmRSS "/proc/$server/status"
}

echo "== transfers (POST, authenticated, decided, chained, durable)"
measure_transfers
if [ -n "${AGORA_WRK_LOG:-}" ]; then
  recorded=0
  while [ "$recorded" -lt "$AGORA_WRK_LOG" ]; do
    more=$(transfers 30 | awk -F'[:,] *' '/^transfers recorded/{ print $2 }')
    recorded=$((recorded + more))
    echo "  $recorded transfers recorded since the first measure"
  done
  echo "== transfers again, after $recorded more"
  measure_transfers
fi
echo "== baseline: GET /healthz on the same process"
before=$(cpu_ticks)
out=$(wrk -t2 -c"$connections" -d"${seconds}s" --latency "$base/healthz")
echo "$out"
cpu_per_request "$before" "$(cpu_ticks)" "$out"
