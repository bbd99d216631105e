"""Long runs of emoji, control characters, lone surrogates and other scripts are read
as the short text they amount to: the same verdict, and spans that still point into
the text the sender typed."""

import pytest

from safety.classifier import Level, assess
from safety.classifier.charmap import CharMap, thin_symbol_runs
from safety.classifier.normalise import normalise
from safety.classifier.rules import get_rules


@pytest.mark.parametrize(
    "text, level",
    [
        ("i want to die " + "😭" * 1980, Level.ELEVATED),
        ("😂" * 1000 + " i took all my pills " + "💊" * 900, Level.IMMINENT),
        ("\x00\x01\x02" * 300 + " i want to kill myself " + "\x1b" * 600, Level.ELEVATED),
        ("\ud800" * 900 + " i want to die " + "\udfff" * 900, Level.ELEVATED),
        ("Привет 你好 مرحبا שלום 안녕 नमस्ते " * 30 + "i want to die", Level.ELEVATED),
        ("😂" * 2000, Level.NONE),
        ("\u200b" * 2000, Level.NONE),
    ],
)
def test_risk_inside_long_noise_is_still_read_and_its_span_points_at_it(text, level):
    a = assess(text)
    assert a.level is level
    for s in a.spans:
        assert 0 <= s.start < s.end <= len(text)
        if a.level >= Level.ELEVATED:
            assert any(w in text[s.start : s.end] for w in ("die", "pills", "kill", "took"))


def test_an_emoji_counts_at_most_three_times_in_a_run_and_the_map_leads_back():
    text = "ok " + "😂💀" * 10 + " bye"
    thinned, origin = thin_symbol_runs(text)
    assert thinned == "ok " + "😂💀" * 3 + " bye"
    assert [text[i] for i in origin] == list(thinned)
    assert thin_symbol_runs("😂😂😂 fine") == ("😂😂😂 fine", None)


def test_a_run_of_separators_is_one_gap_in_the_normalised_text():
    norm, origin = normalise("kill\x00\x00\x00\ud800\ud800   myself", get_rules("en"))
    assert norm == "kill myself"
    assert origin[norm.index("m")] == len("kill\x00\x00\x00\ud800\ud800   ")


def test_the_character_map_gives_each_output_character_its_source():
    m = CharMap(lambda ch: {"é": "e", "\u200b": "", "😂": " lol "}.get(ch, ch))
    text = "Caf\u00e9\u200b😂!"
    out, origin = m(text)
    assert out == "cafe lol !"
    assert [text[i] for i in origin] == ["C", "a", "f", "é"] + ["😂"] * 5 + ["!"]
    assert m("PLAIN") == ("plain", None)
