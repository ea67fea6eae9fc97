#!/usr/bin/env python3
"""Independent verifier of an Agora Ledger export (JSON lines).

Standard library only. It follows docs/canonical-form.md and nothing else:
for each stream, events must come with revisions 0, 1, 2, ...; each one's
prev_hash must be the hash of the one before (64 zeros for the first); and
its hash must be SHA-256 of the 32 raw bytes of prev_hash followed by the
canonical JSON of {"data", "event_id", "metadata", "type", "version"}.
Then every closed ballot is recounted from its votes (sealed ones opened
with the key its closing reveals) and compared with the recorded result
(tools/ballots.py, docs/ballots.md).

Usage: python3 tools/verify_chain.py export.jsonl
Exit status 0 when every chain verifies, 1 when one does not, 2 on bad input.
"""

import hashlib
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ballots  # noqa: E402  (beside this file)

GENESIS = "0" * 64


def no_fractions(text):
    raise ValueError(f"fractional number {text} has no canonical form")


def canonical(value):
    """The canonical bytes of a JSON value (docs/canonical-form.md)."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    ).encode("utf-8")


def event_hash(prev_hash, event):
    hashed = {key: event[key] for key in ("data", "event_id", "metadata", "type", "version")}
    return hashlib.sha256(bytes.fromhex(prev_hash) + canonical(hashed)).hexdigest()


def verify(lines, by_stream=None):
    """Returns {stream: (count, head, first_break or None)}; collects each
    stream's events into `by_stream` when given."""
    streams = {}
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            event = json.loads(line, parse_float=no_fractions)
        except ValueError as error:
            raise SystemExit(f"line {number}: not a JSON event: {error}") from None
        stream = event["stream"]
        if by_stream is not None:
            by_stream.setdefault(stream, []).append(event)
        count, head, broken = streams.get(stream, (0, GENESIS, None))
        if broken is None:
            if event["revision"] != count:
                broken = f"event {event['event_id']}: revision {event['revision']} where {count} was expected"
            elif event["prev_hash"] != head:
                broken = f"event {event['event_id']} (revision {count}): links to {event['prev_hash']}, not {head}"
            else:
                computed = event_hash(event["prev_hash"], event)
                if computed != event["hash"]:
                    broken = (
                        f"event {event['event_id']} (revision {count}): recorded hash {event['hash']}, "
                        f"content hashes to {computed}"
                    )
                else:
                    count, head = count + 1, event["hash"]
        streams[stream] = (count, head, broken)
    return streams


def main(argv):
    if len(argv) != 2:
        print(__doc__.strip().splitlines()[-3], file=sys.stderr)
        return 2
    events = {}
    with open(argv[1], encoding="utf-8") as export:
        streams = verify(export, events)
    ok = True
    for stream, (count, head, broken) in sorted(streams.items()):
        print(f"{stream}: {count} events verified, chain head {head}")
        if broken:
            ok = False
            print(f"  BROKEN: {broken}")
            continue
        for ballot, problem in ballots.recount(events[stream]):
            if problem:
                ok = False
                print(f"  ballot {ballot}: RECOUNT DIFFERS: {problem}")
            else:
                print(f"  ballot {ballot}: recounted from its votes, as recorded")
    if not streams:
        print("no events")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
