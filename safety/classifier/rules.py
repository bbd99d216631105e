"""Loading and compiling the per-language rule files (TOML, stdlib ``tomllib``).

Rule files live in ``safety/classifier/rules/<language>.toml``; the format is
documented in ``docs/safety-rules.md``. A file is read and compiled once per
process and cached; any problem raises :class:`RuleFileError` naming the file
and the entry.
"""

from __future__ import annotations

import functools
import re
import sys
import threading
import tomllib
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .types import Category, Level, RuleFileError

RULES_DIR = Path(__file__).resolve().parent / "rules"

# separator between phrase words: spaces and sentence punctuation, possibly none
# (so that joined spellings like "killmyself" still match "kill myself")
SEP = r"[\s.,!?;:]*"
GAP_WORDS = 6
GAP = r"(?:[^\s.,!?;:]+[\s.,!?;:]+){0,%d}?" % GAP_WORDS
LEFT = r"(?<![a-z0-9])"
RIGHT = r"(?![a-z0-9])"

_TOKEN = re.compile(r"\{[^{}]*\}|<[a-z_0-9]+>|\S+")


def _tokens(phrase: str) -> list[str]:
    """Split a phrase into words, {groups} (which may nest) and <lists>."""
    if "{" not in phrase:
        return _TOKEN.findall(phrase)
    out: list[str] = []
    i, n = 0, len(phrase)
    while i < n:
        if phrase[i].isspace():
            i += 1
            continue
        if phrase[i] == "{":
            depth, j = 0, i
            while j < n:
                if phrase[j] == "{":
                    depth += 1
                elif phrase[j] == "}":
                    depth -= 1
                    if depth == 0:
                        break
                j += 1
            out.append(phrase[i : j + 1])  # unclosed: no "}" at the end, reported by the caller
            i = j + 1
            continue
        j = i
        while j < n and not phrase[j].isspace() and phrase[j] != "{":
            j += 1
        out.append(phrase[i:j])
        i = j
    return out


def _alternatives(group: str) -> list[str]:
    """The top-level alternatives of a {group}'s inside."""
    out, depth, start = [], 0, 0
    for k, ch in enumerate(group):
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        elif ch == "|" and depth == 0:
            out.append(group[start:k])
            start = k + 1
    out.append(group[start:])
    return out


_VALID_WORD = re.compile(r"^[a-z0-9'*~]+$")


# --------------------------------------------------------------------------
# phrase compiler


class _PhraseError(ValueError):
    pass


def _compile_word(word: str) -> str:
    if "\\" in word or "[" in word:
        # raw regular-expression fragment, e.g. \d~ or 1[0-7]
        stem = word[:-1] if word.endswith("~") else word
        try:
            re.compile(stem)
        except re.error as exc:
            raise _PhraseError(f"bad pattern {word!r}: {exc}") from None
        return stem + ("[a-z0-9]*" if word.endswith("~") else "")
    if not _VALID_WORD.match(word):
        raise _PhraseError(f"bad word {word!r}: use lower-case letters, digits, ' * ~ only")
    stem_flag = word.endswith("~")
    word = word.rstrip("~").replace("'", "")
    if not word:
        raise _PhraseError("empty word")
    out: list[str] = []
    prev = ""
    for ch in word:
        if ch == "*":
            if prev == "*":
                continue
            out.append(r"\*+")
        elif ch.isdigit():
            out.append(ch)
        elif ch == prev:
            continue  # "kill" -> k+i+l+ : repeated letters are squeezed
        elif not out:
            # "x" then "x*": same as "x+", but a leading literal lets sre skip
            # non-matching alternatives cheaply
            out.append(ch + ch + "*")
        else:
            out.append(ch + "+")
        prev = ch
    return "".join(out) + ("[a-z0-9]*" if stem_flag else "")


def _fold(phrase: str) -> str:
    """Accents off, as the normaliser does to messages: rule files may write "coupé"."""
    if phrase.isascii():
        return phrase
    return "".join(c for c in unicodedata.normalize("NFKD", phrase) if not unicodedata.combining(c))


_seq_cache: dict[tuple[str, int], str] = {}


def _compile_seq(phrase: str, vocab: dict[str, str] | None) -> str:
    """Compile a phrase (without outer boundaries) into a regex source (memoised: the
    same groups and word lists recur across a file's phrases)."""
    key = (phrase, id(vocab))
    src = _seq_cache.get(key)
    if src is None:
        src = _seq_cache[key] = _compile_seq_uncached(phrase, vocab)
    return src


def _compile_seq_uncached(phrase: str, vocab: dict[str, str] | None) -> str:
    phrase = _fold(phrase.strip().lower())
    if not phrase:
        return ""
    parts: list[str] = []
    pending_gap = False
    for tok in _tokens(phrase):
        if tok == "*":
            pending_gap = True
            continue
        if tok.startswith("{"):
            if not tok.endswith("}"):
                raise _PhraseError(f"unclosed '{{' in {phrase!r}")
            alts = _alternatives(tok[1:-1])
            src = "(?:" + "|".join(_compile_seq(a, vocab) for a in alts) + ")"
        elif tok.startswith("<"):
            name = tok[1:-1]
            if vocab is None:
                raise _PhraseError(f"<{name}> cannot be used inside [vocab]")
            if name not in vocab:
                raise _PhraseError(f"unknown vocab list <{name}>")
            src = vocab[name]
        elif "{" in tok or "}" in tok or "<" in tok or ">" in tok:
            raise _PhraseError(f"malformed token {tok!r} (nested braces?)")
        else:
            src = _compile_word(tok)
        if parts:
            parts.append(SEP + GAP + SEP if pending_gap else SEP)
        pending_gap = False
        parts.append(src)
    if pending_gap:
        raise _PhraseError(f"a gap '*' cannot end a phrase: {phrase!r}")
    return "".join(parts)


_MAX_EXPANSION = 5000


def _expand_leading(phrase: str, vocab_lists: dict[str, list[str]], depth: int = 0) -> list[str]:
    """Expand a leading {a|b} or <list> into separate phrases, so that every
    compiled alternative starts with a literal letter (fast to reject)."""
    tokens = _tokens(_fold(phrase.strip().lower()))
    if not tokens:
        return []
    first, rest = tokens[0], " ".join(tokens[1:])
    if depth > 8:
        return [phrase]
    if first.startswith("{") and first.endswith("}"):
        alts = _alternatives(first[1:-1])
    elif first.startswith("<") and first.endswith(">") and first[1:-1] in vocab_lists:
        alts = vocab_lists[first[1:-1]]
    else:
        return [" ".join(tokens)]
    out: list[str] = []
    for alt in alts:
        combined = (alt + " " + rest).strip()
        if combined.startswith("*"):
            combined = combined[1:].strip()
        if combined:
            out.extend(_expand_leading(combined, vocab_lists, depth + 1))
        if len(out) > _MAX_EXPANSION:
            raise _PhraseError("phrase expands to too many alternatives")
    return out


def _factor(sources: list[str]) -> str:
    """Group alternatives by their first literal character."""
    groups: dict[str, list[str]] = {}
    others: list[str] = []
    for src in dict.fromkeys(sources):  # de-duplicate, keep order
        head = src[:1]
        if head.isalnum() and head.isascii():
            groups.setdefault(head, []).append(src[1:])
        else:
            others.append(src)
    alts = []
    for head, rests in groups.items():
        if len(rests) == 1:
            alts.append(head + rests[0])
        else:
            alts.append(head + "(?:" + "|".join(rests) + ")")
    return "(?:" + "|".join(alts + others) + ")"


def compile_phrases(
    phrases: list[str],
    vocab: dict[str, str] | None,
    vocab_lists: dict[str, list[str]] | None = None,
    expand: bool = True,
) -> str:
    sources = []
    for p in phrases:
        if not expand or vocab is None:
            # rules: tried only where their first word occurs (rule_starts), so their
            # alternatives need not start with a literal; kept whole, they compile faster
            srcs = [_compile_seq(p, vocab)]
        else:
            srcs = [_compile_seq(q, vocab) for q in _expand_leading(p, vocab_lists or {})]
        sources.extend(src for src in srcs if src)
    if not sources:
        raise _PhraseError("empty phrase")
    return LEFT + _factor(sources) + RIGHT


PREFIX_TOKENS = 2
_PREFIX_MAX = 120


def compile_prefixes(phrases: list[str], vocab: dict[str, str], vocab_lists: dict[str, list[str]]) -> str:
    """A regex for the first words of ``phrases``, each alternative starting with a letter.

    It finds every position where one of the phrases may start (a necessary condition:
    the phrase's own regex begins the same way), and stays small however large the
    phrases' word lists are. No right boundary: "kill" must still find "killmyself"."""
    sources = []
    for p in phrases:
        for q in _expand_leading(p, vocab_lists):
            head: list[str] = []
            for tok in _tokens(q):
                if tok == "*" or len(head) == PREFIX_TOKENS:
                    break
                # a long word list as second word would repeat for every first word
                if head and len(_compile_seq(tok, vocab)) > _PREFIX_MAX:
                    break
                head.append(tok)
            src = _compile_seq(" ".join(head), vocab)
            if src:
                sources.append(src)
    if not sources:
        raise _PhraseError("empty phrase")
    return LEFT + _factor(sources)


# --------------------------------------------------------------------------
# compiled structures


@dataclass(frozen=True)
class Cue:
    name: str
    scope: str  # "before" | "after" | "message"
    window: int
    regex: re.Pattern[str] | LazyPattern | None
    # a compound cue: present when every named cue is (message scope, no phrases of its own)
    all_of: tuple[str, ...] = ()


def lazy_patterns(ruleset) -> list[LazyPattern]:
    """Every pattern of ``ruleset`` that is compiled on first use (for a warm-up to compile ahead)."""
    found: list[LazyPattern] = []
    seen: set[int] = set()

    def walk(value, depth: int = 0) -> None:
        if depth > 6 or id(value) in seen:
            return
        seen.add(id(value))
        if isinstance(value, LazyPattern):
            found.append(value)
        elif isinstance(value, dict):
            for item in value.values():
                walk(item, depth + 1)
        elif isinstance(value, (list, tuple, set, frozenset)):
            for item in value:
                walk(item, depth + 1)
        elif hasattr(value, "__dataclass_fields__"):
            for name in value.__dataclass_fields__:
                walk(getattr(value, name, None), depth + 1)

    walk(ruleset)
    return found


class LazyPattern:
    """A regular expression compiled on first use.

    The rules' alternations are large (word lists inlined many times) and sre compiles
    them slowly; a rule is only ever tried where its first word occurs, so most of them
    are not needed by the first messages a process screens. The source is validated
    piece by piece when the file is loaded, so compiling later cannot fail."""

    def __init__(self, pattern: str | Callable[[], str]):
        self._source = pattern
        self._rx: re.Pattern[str] | None = None

    @property
    def pattern(self) -> str:
        if callable(self._source):
            self._source = self._source()
        return self._source

    def compiled(self) -> re.Pattern[str]:
        rx = self._rx
        if rx is None:
            rx = self._rx = re.compile(self.pattern)
            # later calls go straight to the compiled pattern
            self.match, self.search, self.finditer = rx.match, rx.search, rx.finditer
        return rx

    def match(self, string: str, pos: int = 0, endpos: int = sys.maxsize):
        return self.compiled().match(string, pos, endpos)

    def search(self, string: str, pos: int = 0, endpos: int = sys.maxsize):
        return self.compiled().search(string, pos, endpos)

    def finditer(self, string: str, pos: int = 0, endpos: int = sys.maxsize):
        return self.compiled().finditer(string, pos, endpos)


@dataclass(frozen=True)
class Rule:
    id: str
    category: Category | None
    level: Level
    regex: re.Pattern[str] | LazyPattern
    third_person: bool = False
    minor_level: Level | None = None
    weight: float = 1.0
    # cue names: all of `requires` and one of `requires_any` must be present for the
    # match to count, and none of `unless` (harmless contexts: games, study, jokes)
    requires: tuple[str, ...] = ()
    requires_any: tuple[str, ...] = ()
    unless: tuple[str, ...] = ()


@dataclass(frozen=True)
class RuleSet:
    language: str
    path: Path
    context_messages: int
    leet_table: dict[int, str]
    leet_token: re.Pattern[str] | None
    leet_exempt: re.Pattern[str] | None
    confusables: dict[str, str]
    join_single_letters: int
    allow: re.Pattern[str] | None
    cues: dict[str, Cue]
    rules: tuple[Rule, ...]
    rule_starts: re.Pattern[str]
    imminent_when: dict[str, tuple[frozenset[str], ...]]
    context_cues: tuple[str, ...]
    role_weights: dict[str, float]
    # whole-token repairs applied while normalising: misspellings -> spelling
    spelling: dict[str, str] = field(default_factory=dict)
    spelling_regex: re.Pattern[str] | None = None
    # words restored from masked spellings ("k*ll", "s*icide"): length -> words
    unmask: dict[int, tuple[str, ...]] = field(default_factory=dict)
    # which rules can start with a word: the word with repeated letters squeezed -> rule
    # indexes; rules that start with a pattern are always tried
    # first word -> (rule index, letters the next word may start with, its phrases there, their anchors)
    first_words: dict[str, tuple[tuple[int, frozenset[str] | None, LazyPattern, tuple[str, ...] | None], ...]] = field(
        default_factory=dict
    )
    first_word_lengths: tuple[int, ...] = ()
    always_try: tuple[int, ...] = ()
    # rules with a phrase that starts with a digit (``\d~ days clean``): their whole regex is
    # tried where a digit starts, and where one of their other phrases may start
    digit_try: tuple[int, ...] = ()
    # rule index -> its whole regex, for the rules of always_try and digit_try
    whole_regex: dict[int, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)


# --------------------------------------------------------------------------
# loading

_TOP_KEYS = {"meta", "normalise", "vocab", "allow", "cues", "imminent_when", "rule", "roles"}
_RULE_KEYS = {
    "id",
    "category",
    "level",
    "phrases",
    "patterns",
    "third_person",
    "minor_level",
    "weight",
    "requires",
    "requires_any",
    "unless",
}
_CUE_KEYS = {"scope", "window", "phrases", "patterns", "all"}
_REQUIRED_CUES = {
    "negation",
    "past",
    "current",
    "second_person",
    "third_person",
    "first_person",
    "intent",
    "timing",
    "means",
    "plan",
    "minor",
}
_IMMINENT_WHEN_KEYS = {
    "self_harm_first_person",
    "self_harm_third_person",
    "harm_to_others",
    "abuse",
    "standalone",
    "context",
    "standalone_unless",
}
DEFAULT_ROLE_WEIGHTS = {"listener": 1.0, "member": 0.5, "seeker": 0.5}


def _fail(path: Path, where: str, msg: str) -> RuleFileError:
    return RuleFileError(f"{path}: {where}: {msg}")


def _str_list(path: Path, where: str, value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _fail(path, where, "expected a list of strings")
    return value


def _regex(path: Path, where: str, source: str, flags: int = 0) -> re.Pattern[str]:
    try:
        return re.compile(source, flags)
    except re.error as exc:
        raise _fail(path, where, f"invalid regular expression: {exc}") from None


def _phrases_regex(path, where, phrases, patterns, vocab, vocab_lists=None, expand=True, lazy=False):
    alts: list[str] = []
    if phrases:
        plist = _str_list(path, where + ".phrases", phrases)
        for i, p in enumerate(plist):
            try:  # validate each phrase on its own, for a precise error
                _compile_seq(p, vocab)
            except _PhraseError as exc:
                raise _fail(path, f"{where}.phrases[{i}] {p!r}", str(exc)) from None
        try:
            alts.append(compile_phrases(plist, vocab, vocab_lists, expand))
        except _PhraseError as exc:
            raise _fail(path, where + ".phrases", str(exc)) from None
    if patterns:
        for i, p in enumerate(_str_list(path, where + ".patterns", patterns)):
            _regex(path, f"{where}.patterns[{i}]", p)
            alts.append("(?:" + p + ")")
    if not alts:
        raise _fail(path, where, "needs at least one entry in 'phrases' or 'patterns'")
    if lazy:
        return LazyPattern("|".join(alts))
    return _regex(path, where, "|".join(alts))


def parse_rules(data: dict[str, Any], path: Path) -> RuleSet:
    """Validate and compile a parsed rule file."""
    _seq_cache.clear()
    try:
        return _parse_rules(data, path)
    finally:
        _seq_cache.clear()


def _parse_rules(data: dict[str, Any], path: Path) -> RuleSet:
    unknown = set(data) - _TOP_KEYS
    if unknown:
        raise _fail(path, "top level", f"unknown section(s): {', '.join(sorted(unknown))}")

    meta = data.get("meta", {})
    language = str(meta.get("language", path.stem))
    context_messages = int(meta.get("context_messages", 6))

    # normalisation
    norm = data.get("normalise", {})
    leet = norm.get("leet", {})
    if not isinstance(leet, dict) or not all(
        isinstance(k, str) and len(k) == 1 and isinstance(v, str) and len(v) == 1 for k, v in leet.items()
    ):
        raise _fail(path, "normalise.leet", "expected single characters mapped to single letters")
    leet_table = str.maketrans(leet) if leet else {}
    leet_token = None
    if leet:
        chars = "".join(re.escape(c) for c in leet if not c.isalpha())
        digit_syms = "".join(re.escape(c) for c in leet if not c.isalnum())
        cls = f"[a-z0-9{digit_syms}]"
        leet_token = re.compile(
            rf"(?<![a-z0-9])(?={cls}*[a-z])(?={cls}*[{chars}])[a-z0-9]+(?:[{digit_syms}]+[a-z0-9]+)*"
            if digit_syms
            else rf"(?<![a-z0-9])(?={cls}*[a-z])(?={cls}*[{chars}])[a-z0-9]+"
        )
    leet_exempt = _regex(path, "normalise.leet_exempt", norm["leet_exempt"]) if norm.get("leet_exempt") else None
    confusables = norm.get("confusables", {})
    if not isinstance(confusables, dict):
        raise _fail(path, "normalise.confusables", "expected a table of character -> replacement")
    join_single = int(norm.get("join_single_letters", 3))
    spelling_raw = norm.get("spelling", {})
    if not isinstance(spelling_raw, dict) or not all(
        isinstance(k, str) and isinstance(v, str) and re.fullmatch(r"[a-z0-9]+", k) and re.fullmatch(r"[a-z0-9 ]+", v)
        for k, v in spelling_raw.items()
    ):
        raise _fail(path, "normalise.spelling", "expected lower-case words mapped to lower-case words")
    unmask: dict[int, list[str]] = {}
    for w in _str_list(path, "normalise.unmask", norm.get("unmask", [])):
        if not re.fullmatch(r"[a-z]+", w):
            raise _fail(path, "normalise.unmask", f"{w!r}: expected a lower-case word")
        unmask.setdefault(len(w), []).append(w)

    # vocab
    vocab_raw = data.get("vocab", {})
    vocab: dict[str, str] = {}
    for name, entries in vocab_raw.items():
        where = f"vocab.{name}"
        alts = []
        for i, p in enumerate(_str_list(path, where, entries)):
            try:
                src = _compile_seq(p, None)
            except _PhraseError as exc:
                raise _fail(path, f"{where}[{i}] {p!r}", str(exc)) from None
            if src:
                alts.append(src)
        if not alts:
            raise _fail(path, where, "empty word list")
        vocab[name] = "(?:" + "|".join(alts) + ")"

    # allow-list (idioms)
    allow_sec = data.get("allow", {})
    allow = None
    if allow_sec.get("phrases") or allow_sec.get("patterns"):
        allow = _phrases_regex(path, "allow", allow_sec.get("phrases"), allow_sec.get("patterns"), vocab, vocab_raw)

    # cues
    cues: dict[str, Cue] = {}
    compound: dict[str, tuple[str, ...]] = {}
    for name, sec in data.get("cues", {}).items():
        where = f"cues.{name}"
        if not isinstance(sec, dict):
            raise _fail(path, where, "expected a table")
        bad = set(sec) - _CUE_KEYS
        if bad:
            raise _fail(path, where, f"unknown key(s): {', '.join(sorted(bad))}")
        scope = sec.get("scope", "message")
        if scope not in ("before", "after", "message"):
            raise _fail(path, where, f"scope must be 'before', 'after' or 'message', not {scope!r}")
        if "all" in sec:
            parts = tuple(_str_list(path, where + ".all", sec["all"]))
            if not parts or scope != "message" or sec.get("phrases") or sec.get("patterns"):
                raise _fail(path, where, "a compound cue ('all') names other cues and has message scope only")
            compound[name] = parts
            cues[name] = Cue(name, scope, 0, None, parts)
            continue
        cues[name] = Cue(
            name,
            scope,
            int(sec.get("window", 5)),
            _phrases_regex(path, where, sec.get("phrases"), sec.get("patterns"), vocab, vocab_raw, lazy=True),
        )
    for name, parts in compound.items():
        for n in parts:
            if n not in cues or cues[n].all_of or cues[n].scope != "message":
                raise _fail(path, f"cues.{name}.all", f"{n!r} is not a message-scope cue with phrases")
    missing = _REQUIRED_CUES - set(cues)
    if missing:
        raise _fail(path, "cues", f"missing cue list(s): {', '.join(sorted(missing))}")

    # rules
    rules: list[Rule] = []
    seen_ids: set[str] = set()
    raw_rules = data.get("rule", [])
    if not isinstance(raw_rules, list):
        raise _fail(path, "rule", "use [[rule]] tables")
    for i, r in enumerate(raw_rules):
        rid = r.get("id") if isinstance(r, dict) else None
        where = f"rule #{i + 1}" + (f" ({rid})" if rid else "")
        if not isinstance(r, dict):
            raise _fail(path, where, "expected a table")
        bad = set(r) - _RULE_KEYS
        if bad:
            raise _fail(path, where, f"unknown key(s): {', '.join(sorted(bad))}")
        if not rid or not isinstance(rid, str):
            raise _fail(path, where, "missing 'id'")
        if rid in seen_ids:
            raise _fail(path, where, f"duplicate id {rid!r}")
        seen_ids.add(rid)
        try:
            level = Level.parse(r.get("level", ""))
        except ValueError as exc:
            raise _fail(path, where, str(exc)) from None
        cat_raw = r.get("category")
        category = None
        if cat_raw not in (None, "", "none"):
            try:
                category = Category(cat_raw)
            except ValueError:
                raise _fail(
                    path,
                    where,
                    f"unknown category {cat_raw!r}; expected one of " + ", ".join(c.value for c in Category),
                ) from None
        elif level > Level.DISTRESS:
            raise _fail(path, where, "a rule above 'distress' needs a category")
        minor_level = None
        if "minor_level" in r:
            try:
                minor_level = Level.parse(r["minor_level"])
            except ValueError as exc:
                raise _fail(path, where + ".minor_level", str(exc)) from None
        try:
            weight = float(r.get("weight", 1.0))
        except (TypeError, ValueError):
            raise _fail(path, where, "weight must be a number") from None
        conditions = {}
        for key in ("requires", "requires_any", "unless"):
            names = _str_list(path, f"{where}.{key}", r.get(key, []))
            for n in names:
                if n not in cues:
                    raise _fail(path, f"{where}.{key}", f"unknown cue {n!r}")
            conditions[key] = tuple(names)
        rules.append(
            Rule(
                rid,
                category,
                level,
                # not expanded: rule_starts below finds where a rule may start
                _phrases_regex(
                    path, where, r.get("phrases"), r.get("patterns"), vocab, vocab_raw, expand=False, lazy=True
                ),
                bool(r.get("third_person", False)),
                minor_level,
                weight,
                **conditions,
            )
        )
    if not rules:
        raise _fail(path, "rule", "no [[rule]] entries")

    # imminent_when: the cue combinations that make a match imminent
    esc_raw = data.get("imminent_when", {})
    bad = set(esc_raw) - _IMMINENT_WHEN_KEYS
    if bad:
        raise _fail(path, "imminent_when", f"unknown key(s): {', '.join(sorted(bad))}")
    imminent_when: dict[str, tuple[frozenset[str], ...]] = {}
    for key in _IMMINENT_WHEN_KEYS - {"context"}:
        combos = esc_raw.get(key, [])
        out = []
        for j, combo in enumerate(combos):
            names = _str_list(path, f"imminent_when.{key}[{j}]", combo)
            for n in names:
                if n not in cues:
                    raise _fail(path, f"imminent_when.{key}[{j}]", f"unknown cue {n!r}")
            out.append(frozenset(names))
        imminent_when[key] = tuple(out)
    context_cues = tuple(_str_list(path, "imminent_when.context", esc_raw.get("context", [])))
    for n in context_cues:
        if n not in cues:
            raise _fail(path, "imminent_when.context", f"unknown cue {n!r}")

    roles = data.get("roles", DEFAULT_ROLE_WEIGHTS)
    role_weights = {str(k): float(v) for k, v in roles.items()}

    # one combined regex to skip messages with nothing to look at
    standalone_cues = {n for combo in imminent_when["standalone"] for n in combo}
    raw_patterns: list[str] = []
    for r in raw_rules:
        raw_patterns.extend(r.get("patterns") or [])
    first_words, always_try, digit_try = _first_word_index(raw_rules, vocab, vocab_raw)
    # the standalone cues can raise a message with no rule match: their phrases start positions too
    any_src = (
        compile_prefixes(
            [p for n in sorted(standalone_cues) for p in (data["cues"][n].get("phrases") or [])],
            vocab,
            vocab_raw,
        )
        if standalone_cues
        else ""
    )
    any_src = "|".join(x for x in (LEFT + _trie(sorted(first_words)), any_src) if x)
    for n in sorted(standalone_cues):
        raw_patterns.extend(data["cues"][n].get("patterns") or [])
    if raw_patterns:
        any_src += "|" + "|".join("(?:" + p + ")" for p in raw_patterns)
    # a lookahead: search() answers "may anything match at all" (the fast path for
    # ordinary chat) and finditer() yields every position where a rule may start (a
    # word a rule starts with), overlaps included
    rule_starts = _regex(path, "rule", "(?=" + any_src + ")")

    return RuleSet(
        language=language,
        path=path,
        context_messages=context_messages,
        leet_table=leet_table,
        leet_token=leet_token,
        leet_exempt=leet_exempt,
        confusables=dict(confusables),
        join_single_letters=join_single,
        allow=allow,
        cues=cues,
        rules=tuple(rules),
        rule_starts=rule_starts,
        imminent_when=imminent_when,
        context_cues=context_cues,
        role_weights=role_weights,
        first_words=first_words,
        first_word_lengths=tuple(sorted({len(w) for w in first_words}, reverse=True)),
        always_try=always_try,
        digit_try=digit_try,
        whole_regex={i: rules[i].regex for i in sorted(set(always_try) | set(digit_try))},
        spelling=dict(spelling_raw),
        spelling_regex=re.compile(
            LEFT + "(?:" + "|".join(sorted(map(re.escape, spelling_raw), key=len, reverse=True)) + ")" + RIGHT
        )
        if spelling_raw
        else None,
        unmask={n: tuple(ws) for n, ws in unmask.items()},
    )


def _trie(words: list[str]) -> str:
    """One regex for ``words`` (repeated letters allowed), factored letter by letter so
    that sre rejects a position after a character or two."""
    if not words:
        return "(?!)"
    tree: dict = {}
    for w in words:
        node = tree
        for ch in w:
            node = node.setdefault(ch, {})
        node[""] = {}

    def emit(node: dict) -> str:
        alts = []
        for ch, child in sorted(node.items()):
            if ch == "":
                alts.append("")
            else:
                alts.append(re.escape(ch) + ("+" if ch.isalpha() else "") + emit(child))
        if len(alts) == 1:
            return alts[0]
        return "(?:" + "|".join(alts) + ")"

    return emit(tree)


def squeeze(word: str) -> str:
    """``word`` with runs of one letter cut to one: the key the phrase compiler matches by."""
    return _REPEATS.sub(r"\1", word)


_REPEATS = re.compile(r"([a-z])\1+")


def _first_chars(tok: str, vocab_lists: dict[str, list[str]], depth: int = 0) -> frozenset[str] | None:
    """The letters a phrase token can start with; None when it can start with anything."""
    if depth > 4 or tok == "*" or "\\" in tok or "[" in tok:
        return None
    if tok.startswith(("{", "<")):
        alts = _alternatives(tok[1:-1]) if tok.startswith("{") else vocab_lists.get(tok[1:-1], [])
        out: set[str] = set()
        for alt in alts:
            toks = _tokens(alt)
            if not toks:
                return None  # an empty alternative: the next token decides
            sub = _first_chars(toks[0], vocab_lists, depth + 1)
            if sub is None:
                return None
            out |= sub
        return frozenset(out)
    word = tok.replace("'", "")
    return frozenset(word[0]) if word and word[0].isalnum() else None


def _required(
    tokens: list[str] | tuple[str, ...], vocab_lists: dict[str, list[str]], depth: int = 0, memo: dict | None = None
) -> frozenset[str] | None:
    """Words (squeezed, as the compiler matches them: ``kill`` matches ``kiiill``) one of
    which every match of the token sequence contains, or None when none can be named.

    A plain word is its own set; a group with no empty alternative, or a word list, gives
    the union of its alternatives' sets, when each has one. Gaps, stems' endings, starred
    words and raw fragments give nothing. The smallest set wins, a longer word on ties.

    ``memo`` holds answers for one rule file: the same groups and word lists recur in
    thousands of phrases, and working each out once is most of what makes the index cheap
    to build at start-up."""
    if memo is None:
        memo = {}
    key = (tuple(tokens), depth)
    if key in memo:
        return memo[key]
    best: frozenset[str] | None = None
    if depth <= 4:
        for tok in tokens:
            cand: frozenset[str] | None = None
            if tok.startswith("{") and tok.endswith("}"):
                alts = _alternatives(tok[1:-1])
                cand = _union([_memo_tokens(a, memo) for a in alts], vocab_lists, depth, memo)
            elif tok.startswith("<") and tok.endswith(">"):
                items = vocab_lists.get(tok[1:-1])
                cand = (
                    _union([_memo_tokens(_fold(a.strip().lower()), memo) for a in items], vocab_lists, depth, memo)
                    if items
                    else None
                )
            elif tok != "*" and "\\" not in tok and "[" not in tok and "*" not in tok and "{" not in tok:
                word = tok.rstrip("~").replace("'", "")
                if word and _VALID_WORD.match(word):
                    cand = frozenset([squeeze(word)])
            if cand is None:
                continue
            if best is None or (len(cand), -max(map(len, cand))) < (len(best), -max(map(len, best))):
                best = cand
    memo[key] = best
    return best


def _memo_tokens(phrase: str, memo: dict) -> tuple[str, ...]:
    key = ("tokens", phrase)
    if key not in memo:
        memo[key] = tuple(_tokens(phrase))
    return memo[key]


def _union(
    alternatives: list[tuple[str, ...]], vocab_lists: dict[str, list[str]], depth: int, memo: dict
) -> frozenset[str] | None:
    out: set[str] = set()
    for toks in alternatives:
        sub = _required(toks, vocab_lists, depth + 1, memo) if toks else None
        if not sub:  # an empty alternative, or one with nothing required
            return None
        out |= sub
    return frozenset(out) if len(out) <= 24 else None


def _anchors(phrase: str, vocab_lists: dict[str, list[str]], memo: dict | None = None) -> frozenset[str] | None:
    """What a phrase needs after its first word (see ``_required``): a message whose
    squeezed text contains none of these words cannot match it, so the engine skips the
    phrase's bucket without running its regex."""
    return _required(_tokens(_fold(phrase.strip().lower()))[1:], vocab_lists, memo=memo)


def _first_word_index(raw_rules: list[dict], vocab: dict[str, str], vocab_lists: dict[str, list[str]]):
    """word -> ((rule index, letters the next word may start with or None, the rule's
    phrases that start with that word), ...), and the rules to try everywhere.

    A rule's whole alternation is slow to try at a position (sre walks every phrase);
    the phrases that start with the word found there are few."""
    index: dict[str, dict[int, set[str] | None]] = {}
    buckets: dict[tuple[str, int], list[str]] = {}
    always: set[int] = set()
    digit: set[int] = set()
    for i, r in enumerate(raw_rules):
        if r.get("patterns"):
            always.add(i)
        for p in r.get("phrases") or []:
            for q in _expand_leading(p, vocab_lists):
                toks = _tokens(q)
                first = (toks[0] if toks else "").replace("'", "")
                # a stem ("suicid~") or a starred word ("b*tch") is found by its literal start
                head = re.match(r"[a-z0-9]+", first.rstrip("~"))
                if first.startswith("\\d") and not first.startswith("\\d?") and not first.startswith("\\d*"):
                    digit.add(i)  # "\d~ days clean ...": can only start at a digit
                    continue
                if "\\" in first or "[" in first or head is None:
                    always.add(i)  # a raw fragment
                    continue
                key = squeeze(head.group(0))
                buckets.setdefault((key, i), []).append(q)
                whole = head.group(0) == first and len(toks) > 1
                nxt = _first_chars(toks[1], vocab_lists) if whole else None
                slot = index.setdefault(key, {})
                if i in slot and slot[i] is None:
                    continue
                if nxt is None:
                    slot[i] = None
                else:
                    slot[i] = (slot.get(i) or set()) | nxt

    def bucket(key: str, i: int) -> LazyPattern:
        phrases = tuple(dict.fromkeys(buckets[(key, i)]))
        return LazyPattern(lambda: LEFT + _factor([_compile_seq(q, vocab) for q in phrases]) + RIGHT)

    memo: dict = {}

    def anchors(key: str, i: int) -> tuple[str, ...] | None:
        found: set[str] = set()
        for q in buckets[(key, i)]:
            a = _anchors(q, vocab_lists, memo)
            if a is None:
                return None  # a phrase with no required word: always try the bucket
            found |= a
        return tuple(sorted(found, key=len, reverse=True))

    frozen = {
        w: tuple(
            (i, None if chars is None else frozenset(chars), bucket(w, i), anchors(w, i))
            for i, chars in sorted(ix.items())
        )
        for w, ix in index.items()
    }
    return frozen, tuple(sorted(always)), tuple(sorted(digit - always))


def load_rule_file(path: str | Path) -> RuleSet:
    """Read and compile one rule file (not cached; see :func:`get_rules`)."""
    path = Path(path)
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError:
        raise RuleFileError(f"{path}: rule file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise RuleFileError(f"{path}: not valid TOML: {exc}") from None
    return parse_rules(data, path)


_resolved: dict[str, str] = {}


@functools.lru_cache(maxsize=64)
def has_rules(language: str) -> bool:
    """Whether ``language`` (a code such as "fr" or "fr-CA") has a rule file of its own."""
    lang = (language or "").lower().split("-")[0]
    return bool(re.fullmatch(r"[a-z]{2,3}", lang)) and (RULES_DIR / f"{lang}.toml").exists()


def available_languages() -> tuple[str, ...]:
    """The language codes with a rule file."""
    return tuple(sorted(p.stem for p in RULES_DIR.glob("*.toml")))


def get_rules(language: str = "en") -> RuleSet:
    """The compiled rules for ``language``, loaded once per process.

    Unknown languages fall back to English: screening with English rules is
    safer than not screening at all.
    """
    lang = _resolved.get(language)
    if lang is None:
        lang = (language or "en").lower().split("-")[0]
        if not re.fullmatch(r"[a-z]{2,3}", lang) or not (RULES_DIR / f"{lang}.toml").exists():
            lang = "en"
        _resolved[language] = lang
    return _cached_rules(lang)


_compiled: dict[str, RuleSet] = {}
_compile_lock = threading.Lock()


def _cached_rules(lang: str) -> RuleSet:
    # Locked, so a message screened while the process compiles the rules at start-up
    # (support.asgi, in a thread of its own) waits for that compile instead of repeating it.
    rules = _compiled.get(lang)
    if rules is None:
        with _compile_lock:
            rules = _compiled.get(lang)
            if rules is None:
                rules = _compiled[lang] = load_rule_file(RULES_DIR / f"{lang}.toml")
    return rules
