"""The rules engine's shortcuts change no verdict.

The engine tries a rule's phrases only where they can match: a phrase's bucket is
skipped when its anchor word (the longest plain word it needs after its first) is not
in the message, and a rule with a phrase that starts with a digit is tried whole only
at a digit or where another of its phrases may start. The reference here turns both
shortcuts off (no anchors; such rules tried whole at every candidate position, as
before) and must find exactly the same hits on a sample of the corpus and on
generated text full of digits, joined letters and gaps.
"""

from __future__ import annotations

import dataclasses
import random
from pathlib import Path

from safety.classifier import engine
from safety.classifier.evaluation import read_examples
from safety.classifier.rules import get_rules

DATA = Path(__file__).resolve().parents[2] / "safety" / "data"

WORDS = (
    "i im 30 days clean gone 2 weeks of pills saved 10th floor 5 cuts on my arm about to jump off the "
    "bridge going gonna will want to die kill myself k i l l m y s e l f kms bye love you all last "
    "message tonight took 20 paracetamol and a bottle of vodka relapsed after 100 days ruined it no "
    "urges lol homework tell my mum i love her cooking not anymore"
).split()


def _reference(rules):
    whole = tuple(sorted(set(rules.always_try) | set(rules.digit_try)))
    return dataclasses.replace(
        rules,
        first_words={w: tuple((i, c, rx, None) for i, c, rx, _ in ix) for w, ix in rules.first_words.items()},
        always_try=whole,
        digit_try=(),
        whole_regex={i: rules.rules[i].regex for i in whole},
        extra={},
    )


def _texts() -> list[str]:
    rng = random.Random(16)
    rows = [ex.text for ex in read_examples(DATA / "corpus" / "train.csv") if not ex.language or ex.language == "en"]
    sample = rng.sample(rows, 600)
    sample += [" ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 14))) for _ in range(600)]
    return sample


def _hits(text: str):
    an = engine._analyse_uncached(text, "en")
    return [(h.rule.id, h.start, h.end, h.level, h.person, h.note) for h in an.hits], an.ideation_person


def test_anchors_and_digit_rules_find_the_same_hits_as_trying_every_rule_whole(monkeypatch):
    texts = _texts()
    fast = [_hits(t) for t in texts]
    slow_rules = _reference(get_rules("en"))
    monkeypatch.setattr(engine, "get_rules", lambda language="en": slow_rules)
    slow = [_hits(t) for t in texts]
    differ = [(t, f, s) for t, f, s in zip(texts, fast, slow) if f != s]
    assert not differ, differ[:3]
    assert sum(1 for f in fast if f[0]) > 300  # the sample exercises the rules
