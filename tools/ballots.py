"""Closed ballots recounted from an Agora Ledger export, independently of
the service: standard library only, following docs/ballots.md and the
"Sealed votes" section of docs/canonical-form.md.

Each vote is the voter's last `VoteCast`; a sealed one is opened with the
key its ballot's `BallotClosed` reveals (XChaCha20-Poly1305, written out
below from RFC 8439 and the XChaCha20 draft). Weights are exact fractions.
"""

import base64
import hmac
import json
import struct
from fractions import Fraction

MASK = 0xFFFFFFFF


def _rotl(value, shift):
    return ((value << shift) & MASK) | (value >> (32 - shift))


def _quarter(state, a, b, c, d):
    state[a] = (state[a] + state[b]) & MASK
    state[d] = _rotl(state[d] ^ state[a], 16)
    state[c] = (state[c] + state[d]) & MASK
    state[b] = _rotl(state[b] ^ state[c], 12)
    state[a] = (state[a] + state[b]) & MASK
    state[d] = _rotl(state[d] ^ state[a], 8)
    state[c] = (state[c] + state[d]) & MASK
    state[b] = _rotl(state[b] ^ state[c], 7)


def _rounds(state):
    for _ in range(10):
        _quarter(state, 0, 4, 8, 12)
        _quarter(state, 1, 5, 9, 13)
        _quarter(state, 2, 6, 10, 14)
        _quarter(state, 3, 7, 11, 15)
        _quarter(state, 0, 5, 10, 15)
        _quarter(state, 1, 6, 11, 12)
        _quarter(state, 2, 7, 8, 13)
        _quarter(state, 3, 4, 9, 14)


CONSTANTS = (0x61707865, 0x3320646E, 0x79622D32, 0x6B206574)


def _chacha20_block(key, counter, nonce):
    state = list(CONSTANTS) + list(struct.unpack("<8I", key))
    state += [counter] + list(struct.unpack("<3I", nonce))
    working = state[:]
    _rounds(working)
    return struct.pack("<16I", *((w + s) & MASK for w, s in zip(working, state)))


def _hchacha20(key, nonce16):
    state = list(CONSTANTS) + list(struct.unpack("<8I", key)) + list(struct.unpack("<4I", nonce16))
    _rounds(state)
    return struct.pack("<8I", *(state[0:4] + state[12:16]))


def _chacha20_xor(key, counter, nonce, data):
    out = bytearray()
    for offset in range(0, len(data), 64):
        block = _chacha20_block(key, counter + offset // 64, nonce)
        chunk = data[offset : offset + 64]
        out += bytes(x ^ y for x, y in zip(chunk, block))
    return bytes(out)


def _poly1305(key, message):
    r = int.from_bytes(key[:16], "little") & 0x0FFFFFFC0FFFFFFC0FFFFFFC0FFFFFFF
    s = int.from_bytes(key[16:], "little")
    p = (1 << 130) - 5
    accumulator = 0
    for offset in range(0, len(message), 16):
        chunk = message[offset : offset + 16] + b"\x01"
        accumulator = (accumulator + int.from_bytes(chunk, "little")) * r % p
    return ((accumulator + s) % (1 << 128)).to_bytes(16, "little")


def _pad16(data):
    return b"\x00" * (-len(data) % 16)


def xchacha20poly1305_open(key, nonce, sealed, aad):
    """The plaintext, or None when the tag does not verify."""
    subkey = _hchacha20(key, nonce[:16])
    inner_nonce = b"\x00" * 4 + nonce[16:24]
    ciphertext, tag = sealed[:-16], sealed[-16:]
    poly_key = _chacha20_block(subkey, 0, inner_nonce)[:32]
    mac_data = aad + _pad16(aad) + ciphertext + _pad16(ciphertext)
    mac_data += struct.pack("<QQ", len(aad), len(ciphertext))
    if not hmac.compare_digest(_poly1305(poly_key, mac_data), tag):
        return None
    return _chacha20_xor(subkey, 1, inner_nonce, ciphertext)


def open_choice(key_text, voter, sealed):
    """A sealed choice opened with the revealed key, or None."""
    if sealed.get("algorithm") != "xchacha20poly1305":
        return None
    key = base64.b64decode(key_text)
    nonce = base64.b64decode(sealed["nonce"])
    plaintext = xchacha20poly1305_open(
        key, nonce, base64.b64decode(sealed["ciphertext"]), _uuid_bytes(voter)
    )
    return None if plaintext is None else json.loads(plaintext)


def _uuid_bytes(text):
    return bytes.fromhex(text.replace("-", ""))


def _schulze(options, rankings):
    d = [[Fraction(0)] * options for _ in range(options)]
    for ranking, weight in rankings:
        rank = [None] * options
        for position, option in enumerate(ranking):
            if rank[option] is None:
                rank[option] = position
        for a in range(options):
            for b in range(options):
                ra = rank[a] if rank[a] is not None else float("inf")
                rb = rank[b] if rank[b] is not None else float("inf")
                if a != b and ra < rb:
                    d[a][b] += weight
    p = [[d[a][b] if a != b and d[a][b] > d[b][a] else Fraction(0) for b in range(options)] for a in range(options)]
    for i in range(options):
        for j in range(options):
            if i == j:
                continue
            for k in range(options):
                if i != k and j != k:
                    p[j][k] = max(p[j][k], min(p[j][i], p[i][k]))
    return [sum(1 for b in range(options) if a != b and p[a][b] > p[b][a]) for a in range(options)]


def _shown(value):
    """A score as the service writes it: 6 decimals, half away from zero,
    without trailing zeros."""
    scaled = value * 1_000_000
    rounded = int(scaled + Fraction(1, 2)) if scaled >= 0 else -int(-scaled + Fraction(1, 2))
    sign = "-" if rounded < 0 else ""
    whole, fraction = divmod(abs(rounded), 1_000_000)
    text = f"{sign}{whole}.{fraction:06d}".rstrip("0").rstrip(".")
    return text


def tally(opened, votes, withdrawn=()):
    """(votes_counted, [(option_id, score)], winner) for `votes`, each
    voter's last choice, the `withdrawn` options left out."""
    options = [option["option_id"] for option in opened["options"] if option["option_id"] not in withdrawn]
    index = {option: position for position, option in enumerate(options)}
    college_of = {elector["pioneer_id"]: elector["college"] for elector in opened["electorate"]}
    weights = {}
    if opened["kind"] == "community":
        weights = {voter: Fraction(1) for voter in votes}
    else:
        percents = {weight["college"]: weight["vote_weight_percent"] for weight in opened["college_weights"]}
        voters_per_college = {}
        for voter in votes:
            if voter in college_of:
                college = college_of[voter]
                voters_per_college[college] = voters_per_college.get(college, 0) + 1
        for voter in votes:
            college = college_of.get(voter)
            if college is not None and college in percents:
                weights[voter] = Fraction(percents[college], voters_per_college[college])
    scores = [Fraction(0)] * len(options)
    chosen = [False] * len(options)  # named, approved or ranked by a counted vote
    rankings = []
    for voter, choice in votes.items():
        weight = weights.get(voter)
        if weight is None:
            continue
        method = choice["method"]
        if method == "single":
            if choice["option_id"] in index:
                scores[index[choice["option_id"]]] += weight
                chosen[index[choice["option_id"]]] = True
        elif method == "approval":
            for option in choice["option_ids"]:
                if option in index:
                    scores[index[option]] += weight
                    chosen[index[option]] = True
        else:
            ranking = [index[o] for o in choice["ranking"] if o in index]
            for at in ranking:
                chosen[at] = True
            rankings.append((ranking, weight))
    if opened["method"] == "ranked":
        scores = [Fraction(count) for count in _schulze(len(options), rankings)]
    order = sorted(range(len(options)), key=lambda at: (-scores[at], at))
    winner = None
    if order and chosen[order[0]]:
        first = order[0]
        beats_everyone = opened["method"] != "ranked" or scores[first] == len(options) - 1
        if len(order) == 1 or (scores[first] > scores[order[1]] and beats_everyone):
            winner = options[first]
    return len(votes), [(options[at], _shown(scores[at])) for at in order], winner


def recount(events):
    """For each closed ballot of a stream's events (as exported, in order):
    (ballot_id, None) when the recount matches, or (ballot_id, why not)."""
    opened, votes, outcomes = {}, {}, []
    for event in events:
        data, kind = event["data"], event["type"]
        if kind == "BallotOpened":
            opened[data["ballot_id"]] = data
            votes[data["ballot_id"]] = {}
        elif kind == "VoteCast":
            votes.setdefault(data["ballot_id"], {})[data["voter"]] = data
        elif kind == "BallotClosed":
            ballot = data["ballot_id"]
            clear = {}
            problem = None
            for voter, vote in votes.get(ballot, {}).items():
                if vote.get("choice") is not None:
                    clear[voter] = vote["choice"]
                    continue
                key = data.get("ballot_key")
                choice = open_choice(key, voter, vote["sealed_choice"]) if key else None
                if choice is None:
                    problem = f"the vote of {voter} does not open with the revealed key"
                    break
                clear[voter] = choice
            if problem is None and ballot in opened:
                counted, results, winner = tally(opened[ballot], clear, set(data.get("withdrawn", [])))
                recorded = [(r["option_id"], r["score"]) for r in data["results"]]
                if (counted, results, winner) != (data["votes_counted"], recorded, data.get("winner")):
                    problem = f"recorded {data['votes_counted']} {recorded} {data.get('winner')}, recounted {counted} {results} {winner}"
            outcomes.append((ballot, problem))
    return outcomes
