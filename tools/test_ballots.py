"""Tests of tools/ballots.py: the cipher against published vectors, and
recounts that must hold or must fail. Run: python3 -m unittest discover -s tools"""

import unittest
import uuid

import ballots


def elector(pioneer, college):
    return {"pioneer_id": pioneer, "college": college}


class Cipher(unittest.TestCase):
    def test_hchacha20_vector(self):
        # draft-irtf-cfrg-xchacha, section 2.2.1.
        key = bytes(range(32))
        nonce = bytes.fromhex("000000090000004a0000000031415927")
        self.assertEqual(
            ballots._hchacha20(key, nonce).hex(),
            "82413b4227b27bfed30e42508a877d73a0f9e4d58a74a853c12ec41326d3ecdc",
        )

    def test_chacha20_block_vector(self):
        # RFC 8439, section 2.3.2.
        key = bytes(range(32))
        nonce = bytes.fromhex("000000090000004a00000000")
        block = ballots._chacha20_block(key, 1, nonce)
        self.assertEqual(block[:16].hex(), "10f1e7e4d13b5915500fdd1fa32071c4")

    def test_poly1305_vector(self):
        # RFC 8439, section 2.5.2.
        key = bytes.fromhex("85d6be7857556d337f4452fe42d506a80103808afb0db2fd4abff6af4149f51b")
        tag = ballots._poly1305(key, b"Cryptographic Forum Research Group")
        self.assertEqual(tag.hex(), "a8061dc1305136c6c22b8baf0c0127a9")

    def test_a_wrong_tag_does_not_open(self):
        key = bytes(32)
        self.assertIsNone(ballots.xchacha20poly1305_open(key, bytes(24), bytes(20), b""))


class Recount(unittest.TestCase):
    def setUp(self):
        self.a, self.b, self.c, self.d = (str(uuid.UUID(int=n)) for n in range(1, 5))
        self.opened = {
            "ballot_id": "ballot",
            "options": [{"option_id": "a"}, {"option_id": "b"}],
            "method": "single",
            "kind": "assembly",
            "electorate": [
                elector(self.a, "founders"),
                elector(self.b, "beneficiaries"),
                elector(self.c, "beneficiaries"),
                elector(self.d, "beneficiaries"),
            ],
            "college_weights": [
                {"college": "founders", "vote_weight_percent": 25},
                {"college": "beneficiaries", "vote_weight_percent": 25},
            ],
        }

    def events(self, results, winner):
        events = [{"type": "BallotOpened", "data": self.opened}]
        for voter, option in [(self.a, "a"), (self.b, "b"), (self.c, "b"), (self.d, "b")]:
            choice = {"method": "single", "option_id": option}
            events.append({"type": "VoteCast", "data": {"ballot_id": "ballot", "voter": voter, "choice": choice}})
        events.append(
            {
                "type": "BallotClosed",
                "data": {"ballot_id": "ballot", "votes_counted": 4, "results": results, "winner": winner},
            }
        )
        return events

    def test_three_thirds_of_a_college_tie_with_the_whole_of_another(self):
        results = [{"option_id": "a", "score": "25"}, {"option_id": "b", "score": "25"}]
        self.assertEqual(ballots.recount(self.events(results, None)), [("ballot", None)])

    def test_a_recorded_result_that_the_votes_do_not_give_is_named(self):
        results = [{"option_id": "a", "score": "25"}, {"option_id": "b", "score": "25"}]
        [(ballot, problem)] = ballots.recount(self.events(results, "a"))
        self.assertIn("recounted", problem)

    def test_a_sealed_vote_without_its_key_is_named(self):
        events = self.events([], None)
        events[1]["data"] = {
            "ballot_id": "ballot",
            "voter": self.a,
            "sealed_choice": {"algorithm": "xchacha20poly1305", "nonce": "", "ciphertext": ""},
        }
        [(ballot, problem)] = ballots.recount(events)
        self.assertIn("does not open", problem)


if __name__ == "__main__":
    unittest.main()
