"""The rule-based risk assessor. Pure Python: no Django, no I/O per call."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from .language import guess_language
from .normalise import normalise, to_original
from .pii import mask_for_language
from .rules import Cue, Rule, RuleSet, get_rules, has_rules, squeeze
from .types import Assessment, AssessmentContext, Category, Level, Span

_CLAUSE_END = re.compile(r"[.!?;,]|(?<![a-z0-9])but(?![a-z0-9])")
_WORD = re.compile(r"[a-z0-9*]+")
_WORD_AT = re.compile(r"[a-z0-9]+")
_NEXT_WORD = re.compile(r"[\s.,!?;:]*([a-z0-9*]?)")
_DEFAULT_CONTEXT = AssessmentContext()

_RISK = (Category.SELF_HARM, Category.HARM_TO_OTHERS)


@dataclass(frozen=True)
class Hit:
    rule: Rule
    start: int  # original-text offsets
    end: int
    level: Level
    category: Category | None
    person: str  # "first" | "second" | "third"
    note: str  # human-readable qualifiers for the reason


@dataclass(frozen=True)
class Analysis:
    """Role- and context-independent result for one message (cached)."""

    hits: tuple[Hit, ...]
    pii_spans: tuple[Span, ...]
    pii_kinds: frozenset[str]
    ideation_person: str | None  # "first"/"third" if the message carries live ideation


_clause_cache: dict[tuple[str, int], list[str]] = {}


def _clause_words(norm: str, start: int) -> list[str]:
    """Words before ``start`` in the same clause (memoised per message)."""
    key = (norm, start)
    toks = _clause_cache.get(key)
    if toks is None:
        head = norm[max(0, start - 80) : start]
        last = None
        for last in _CLAUSE_END.finditer(head):
            pass
        if last is not None:
            head = head[last.end() :]
        toks = _WORD.findall(head)
        if len(_clause_cache) > 256:
            _clause_cache.clear()
        _clause_cache[key] = toks
    return toks


def _before_window(norm: str, start: int, words: int) -> str:
    """Up to ``words`` words before ``start`` in the same clause."""
    toks = _clause_words(norm, start)
    return " " + " ".join(toks[-words:]) + " " if toks else ""


def _cue_before(cue: Cue, norm: str, start: int) -> re.Match[str] | None:
    window = _before_window(norm, start, cue.window)
    return cue.regex.search(window) if window else None


_SENTENCE_END = re.compile(r"[.!?;]")


def _after_window(norm: str, end: int, words: int) -> str:
    """Up to ``words`` words after ``end`` in the same sentence (commas do not end it:
    "goodbye everyone, moving to australia", "i used to cut, 2 years clean now")."""
    stop = _SENTENCE_END.search(norm, end, end + 12 * words)
    toks = _WORD.findall(norm, end, stop.start() if stop else end + 12 * words)[:words]
    return " " + " ".join(toks) + " " if toks else ""


def _cue_after(cue: Cue, norm: str, end: int) -> re.Match[str] | None:
    window = _after_window(norm, end, cue.window)
    return cue.regex.search(window) if window else None


def _subject(rules: RuleSet, norm: str, start: int) -> str | None:
    """The nearest subject before the phrase in its clause ("first", "third", "second"), or
    None when the phrase names no one ("my uncle. suicide.")."""
    best, best_pos = None, None
    if not _clause_words(norm, start):
        return None
    for name, label in (("first_person", "first"), ("third_person", "third"), ("second_person", "second")):
        cue = rules.cues[name]
        window = _before_window(norm, start, cue.window)
        if not window:
            continue
        for m in cue.regex.finditer(window):
            # compare by distance from the end of the window (windows differ in length)
            pos = m.end() - len(window)
            if best_pos is None or pos > best_pos:
                best, best_pos = label, pos
    return best


def _person(rules: RuleSet, norm: str, start: int) -> str:
    """Whose risk is it: the nearest subject before the phrase decides; a phrase that names
    no one is read as the sender's, the safe default."""
    return _subject(rules, norm, start) or "first"


class _Cues:
    """Lazily evaluated message-level cues."""

    __slots__ = ("rules", "norm", "_found")

    def __init__(self, rules: RuleSet, norm: str):
        self.rules = rules
        self.norm = norm
        self._found: dict[str, re.Match[str] | None] = {}

    def match(self, name: str) -> re.Match[str] | None:
        if name not in self._found:
            cue = self.rules.cues.get(name)
            if cue is None:
                found = None
            elif cue.all_of:  # compound: every part present; the first part's match stands for it
                parts = [self.match(n) for n in cue.all_of]
                found = parts[0] if all(parts) else None
            else:
                found = cue.regex.search(self.norm)
            self._found[name] = found
        return self._found[name]

    def has(self, name: str) -> bool:
        return self.match(name) is not None


def _combination_found(combos, cues: _Cues, before: set[str]) -> frozenset[str] | None:
    for combo in combos:
        if all((n in before) if cues.rules.cues[n].scope == "before" else cues.has(n) for n in combo):
            return combo
    return None


@functools.lru_cache(maxsize=256)
def _normalised(text: str, language: str) -> tuple[str, list[int] | None]:
    """``normalise`` remembered: the analysis and the context-cue check of one message share it."""
    return normalise(text, get_rules(language))


def _select(ix, nxt: str, squeezed: str, whole_rx) -> list[tuple[int, object]]:
    """Of the rules indexed under a word, those that may start there: the next word's
    first letter fits, and some phrase's anchor word is in the (squeezed) message. A rule
    tried whole (see ``RuleSet.whole_regex``) gives its whole regex."""
    out = []
    for i, chars, rx, anchors in ix:
        if chars is not None and nxt not in chars:
            continue
        if anchors is not None:
            for a in anchors:
                if a in squeezed:
                    break
            else:
                continue
        out.append((i, whole_rx.get(i, rx)))
    return out


def _analyse_uncached(text: str, language: str) -> Analysis:
    rules = get_rules(language)
    pii_spans, pii_kinds = mask_for_language(text, language)[1:]
    norm, origin = _normalised(text, language)
    first = rules.rule_starts.search(norm)
    if first is None:
        return Analysis((), pii_spans, pii_kinds, None)

    # the rules that can start at each candidate position, by the word there
    positions: dict[int, list[tuple[int, object]]] = {}
    index, lengths, always = rules.first_words, rules.first_word_lengths, rules.always_try
    # A rule with a phrase that starts with a digit is tried whole (as one that starts with
    # a raw pattern is everywhere): at a digit, or where another of its phrases may start.
    whole_rx = rules.whole_regex
    digit_rules = rules.digit_try
    squeezed = squeeze(norm)  # a bucket whose phrases all need a word absent from it is skipped
    # per message: (word, letter after it) -> the rules and phrases to try there; words
    # such as "i" or "my" recur, and the anchors' answer does not change within a message
    chosen: dict[tuple[str, str], list[tuple[int, object]]] = {}
    word_keys = rules.extra.setdefault("_word_keys", {})
    for m in rules.rule_starts.finditer(norm, first.start()):
        pos = m.start()
        w = _WORD_AT.match(norm, pos)
        found: dict[int, list] = {i: [whole_rx[i]] for i in always} if always else {}
        if digit_rules and norm[pos].isdigit():
            for i in digit_rules:
                found[i] = [whole_rx[i]]
        if w:
            raw = w.group(0)
            hit = word_keys.get(raw)
            if hit is None:
                # the word squeezed, and its prefixes that some rule starts with (longest first)
                word = squeeze(raw)
                hit = (
                    word,
                    tuple((n, word[:n], index[word[:n]]) for n in lengths if n <= len(word) and index.get(word[:n])),
                )
                if len(word_keys) > 8192:
                    word_keys.clear()
                word_keys[raw] = hit
            word, keys = hit
            after = None  # first letter of the next word, found when needed
            for n, key, ix in keys:
                if n < len(word):
                    nxt = word[n]  # a joined spelling: "killmyself"
                else:
                    if after is None:
                        a = _NEXT_WORD.match(norm, w.end())
                        after = a.group(1) if a else ""
                    nxt = after
                sel = chosen.get((key, nxt))
                if sel is None:
                    sel = chosen[(key, nxt)] = _select(ix, nxt, squeezed, whole_rx)
                for i, rx in sel:
                    if i in whole_rx:
                        if i not in found:
                            found[i] = [rx]
                    else:
                        found.setdefault(i, []).append(rx)
        for i, rxs in found.items():
            positions.setdefault(i, []).append((pos, rxs))
    allow = None  # the idioms' spans, found when a rule first matches
    cues = _Cues(rules, norm)
    hits: list[Hit] = []
    ideation_person: str | None = None
    for i in sorted(positions):
        rule = rules.rules[i]
        last_end = -1
        for pos, rxs in positions[i]:
            if pos < last_end:
                continue  # non-overlapping, like finditer
            m = None
            for rx in rxs:  # the rule's phrases that start with the word at pos
                m = rx.match(norm, pos)
                if m is not None:
                    break
            if m is None:
                continue
            s, e = m.span()
            last_end = e
            if allow is None:
                allow = [a.span() for a in rules.allow.finditer(norm)] if rules.allow else []
            if any(a <= s and e <= b for a, b in allow):
                continue
            hit = _judge(rule, s, e, norm, rules, cues)
            if hit is None:
                continue
            os_, oe = to_original(origin, s, e)
            hits.append(Hit(rule, os_, oe, hit[0], rule.category, hit[1], hit[2]))
            if rule.category is Category.SELF_HARM and hit[0] >= Level.ELEVATED and hit[1] != "second":
                if ideation_person != "first":
                    ideation_person = hit[1]

    # combinations of cues with no risk phrase at all ("tonight's the night. i'm done.")
    if not any(h.category is Category.SELF_HARM and h.level >= Level.IMMINENT for h in hits):
        combo = _combination_found(rules.imminent_when["standalone"], cues, set())
        if combo and _combination_found(rules.imminent_when.get("standalone_unless", ()), cues, set()):
            combo = None  # an ordinary reason beside them: "bye guys, off to bed, love you all"
        if combo:
            names = sorted(combo)
            m = cues.match(names[0])
            os_, oe = to_original(origin, *m.span())
            hits.append(
                Hit(
                    Rule("standalone." + "+".join(names), Category.SELF_HARM, Level.IMMINENT, m.re),
                    os_,
                    oe,
                    Level.IMMINENT,
                    Category.SELF_HARM,
                    "first",
                    "cues " + " + ".join(names),
                )
            )
            ideation_person = ideation_person or "first"
    return Analysis(tuple(hits), pii_spans, pii_kinds, ideation_person)


@functools.lru_cache(maxsize=2048)
def _context_cue(text: str, language: str) -> tuple[str, int, int] | None:
    """The first imminent_when.context cue in ``text`` (plan, means, timing...)."""
    rules = get_rules(language)
    norm, origin = _normalised(text, language)
    cues = _Cues(rules, norm)
    for name in rules.context_cues:
        m = cues.match(name)
        if m:
            s, e = to_original(origin, *m.span())
            return (name, s, e)
    return None


def _cue_at(name: str, norm: str, s: int, e: int, rules: RuleSet, cues: _Cues) -> bool:
    """Whether cue ``name`` holds for a match at ``s:e`` (before it, after it, or anywhere, by its scope)."""
    cue = rules.cues[name]
    if cue.scope == "before":
        return _cue_before(cue, norm, s) is not None
    if cue.scope == "after":
        return _cue_after(cue, norm, e) is not None
    return cues.has(name)


def _judge(rule: Rule, s: int, e: int, norm: str, rules: RuleSet, cues: _Cues):
    """Effective (level, person, note) of one match, or None to ignore it."""
    if rule.unless and any(
        _cue_at(n, norm, s, e, rules, cues)
        and not (n in _TOPICS and rule.category is Category.SELF_HARM and _senders_own(rules, norm, s, e))
        for n in rule.unless
    ):
        return None  # a harmless context: a game, a lecture, a joke
    if rule.requires and not all(_cue_at(n, norm, s, e, rules, cues) for n in rule.requires):
        return None
    if rule.requires_any and not any(_cue_at(n, norm, s, e, rules, cues) for n in rule.requires_any):
        return None
    cat = rule.category
    if cat in _RISK:
        negated = _cue_before(rules.cues["negation"], norm, s)
        if negated:
            return (Level.DISTRESS, "first", f"negated ('{negated.group(0).strip()}')")
    if cat is Category.SELF_HARM:
        subject = "third" if rule.third_person else _subject(rules, norm, s)
        person = subject or "first"
        if person == "second":
            return None  # someone asking about risk ("are you having thoughts of suicide?")
        if cues.has("past") and not cues.has("current"):
            return (Level.DISTRESS, person, "in the past")
        resolved = rules.cues.get("resolved")
        if resolved is not None and _cue_after(resolved, norm, e):
            return (Level.DISTRESS, person, "in the past (resolved)")
        if _taken_back(rules, norm, s, cues):
            return (Level.DISTRESS, person, "taken back")
        unnamed = subject is None and rule.level == Level.ELEVATED
        if (
            (person == "third" or unnamed)
            and rule.level == Level.ELEVATED
            and cues.has("bereaved")
            and _near(rules, "bereaved", norm, s, e)
            and not any(cues.has(n) for n in _STILL_LIVE if n in rules.cues)
        ):
            # someone else's suicide told ("lost a colleague to suicide", "my uncle. suicide."),
            # with nothing that goes on now: not a place the sender is at ("on the roof where
            # my son died"), not means to hand ("i have his gun now")
            return (Level.DISTRESS, person, "grief for someone else")
        notes = ["third person"] if person == "third" else []
        level = rule.level
        if level == Level.ELEVATED:
            before = {n for n in ("intent",) if _cue_before(rules.cues[n], norm, s)}
            key = "self_harm_third_person" if person == "third" else "self_harm_first_person"
            combo = _combination_found(rules.imminent_when[key], cues, before)
            if combo:
                level = Level.IMMINENT
                notes.append("with " + " + ".join(sorted(combo)))
            elif (
                (unnamed or _asked_in_general(norm, s))
                and "helper_role" in rules.cues
                and cues.has("helper_role")
                and not cues.has("timing")
                and not cues.has("current")
            ):
                return (Level.DISTRESS, person, "asked as a helper")
        return (level, person, ", ".join(notes))
    if cat is Category.HARM_TO_OTHERS:
        # a past in the story ("he abused me when i was a kid") does not make present
        # intent past: only anger told as settled does ("we made up", "the thoughts faded")
        if _over(e, norm, rules, cues, past=("anger_over",)):
            return (Level.DISTRESS, "first", "in the past")
        level = rule.level
        before = {n for n in ("intent",) if _cue_before(rules.cues[n], norm, s)}
        combo = _combination_found(rules.imminent_when["harm_to_others"], cues, before)
        if combo and level >= Level.ELEVATED:
            return (Level.IMMINENT, "first", "with " + " + ".join(sorted(combo)))
        return (level, "first", "")
    if cat is Category.ABUSE:
        return _judge_abuse(rule, s, e, norm, rules, cues)
    return (rule.level, "first", "")


def _taken_back(rules: RuleSet, norm: str, start: int, cues: _Cues) -> bool:
    """The sender quotes their own words to take them back: "i know i said i wanted to die
    but i didn't mean it like that". Both the quoting right before the phrase and the
    taking back in the message are needed: "i said i want to die and i meant it" is not."""
    quoted = rules.cues.get("quoted_self")
    return (
        quoted is not None
        and "retraction" in rules.cues
        and _cue_before(quoted, norm, start) is not None
        and cues.has("retraction")
    )


# message-wide topics (a course, a job, a book) that make risk words someone else's; they do
# not outweigh the sender saying it of themselves ("i'm a nurse and i want to die")
_TOPICS = frozenset({"benign_topic"})


def _senders_own(rules: RuleSet, norm: str, start: int, end: int) -> bool:
    """Whether the phrase is the sender's: a first-person subject right before it ("i want
    to die", "im going to hang myself"), not a topic named further on ("im writing a
    dissertation on self harm"). In the other languages the person is often in the verb
    or a pronoun inside the phrase: a first-person word (their ``first_person`` cue) in
    the phrase or right before it ("yo también me quiero morir", "ich will sterben")."""
    window = _before_window(norm, start, _OWN_WORDS)
    if rules.language != "en":
        first = rules.cues.get("first_person")
        return first is not None and first.regex.search(f" {window} {norm[start:end]} ") is not None
    return bool(_I_SUBJECT.search(window)) and _person(rules, norm, start) == "first"


_OWN_WORDS = 3
# "i" as the subject of the phrase, not of seeing, reading or treating it ("i see self harm
# injuries every night")
_I_SUBJECT = re.compile(
    r" (?:i|im|ive|id|ill|i m|i ve|i d|i ll) "
    r"(?!(?:see|saw|seen|read|hear|heard|watch|watched|treat|treated|study|studied|research|teach|taught|write|wrote|nurse|nursed|deal with|dealt with) )"
)


# cues that keep a risk phrase live beside a death told
_STILL_LIVE = ("current", "live_other", "plan", "prep", "vague_act")

_IN_GENERAL = re.compile(r"\b(?:if|when|whether)\b")


def _asked_in_general(norm: str, start: int) -> bool:
    """Whether the phrase is asked of someone in general: "how do i ask a student *if
    they're* thinking of suicide", "what do i say *when someone* says they want to die"."""
    return bool(_IN_GENERAL.search(_before_window(norm, start, 6)))


# how far (in words) a cue may be from a phrase to speak of it: a sentence or two
_NEAR_WORDS = 12


def _near(rules: RuleSet, name: str, norm: str, s: int, e: int) -> bool:
    """Whether cue ``name`` occurs within ``_NEAR_WORDS`` words of the match ``s:e``.
    A death told at the other end of a long message ("my brother died last year ... now
    my sister talks about killing herself") does not speak of this phrase."""
    cue = rules.cues.get(name)
    if cue is None or cue.regex is None:
        return False
    for m in cue.regex.finditer(norm):
        gap = norm[m.end() : s] if m.end() <= s else norm[e : m.start()] if m.start() >= e else ""
        if len(_WORD.findall(gap)) <= _NEAR_WORDS:
            return True
    return False


def _over(e: int, norm: str, rules: RuleSet, cues: _Cues, past: tuple[str, ...] = ("past", "over")) -> bool:
    """Whether the message tells the harm to or from others as over: one of the ``past``
    cues (by default a past cue or an ``over`` cue: "i left him", "that was 2019") and
    nothing ongoing ("every night", "hits me"), or a risk taken back right after the
    phrase."""
    # a rule file with an ``ongoing`` cue says there what keeps harm going for this check;
    # ``current`` speaks of self-harm ("until recently" is not abuse going on)
    going = cues.has("ongoing") if "ongoing" in rules.cues else cues.has("current")
    if any(cues.has(n) for n in past) and not going:
        return True
    resolved = rules.cues.get("resolved")
    return resolved is not None and _cue_after(resolved, norm, e) is not None


def _minor_in_reach(s: int, e: int, norm: str, rules: RuleSet, cues: _Cues) -> bool:
    """A minor in the message ([cues.minor]: "im 14", "my little sister", "my son"). The
    sender's own child named ([cues.own_child]) apart from the abuse (not "he hit my son")
    does not count when the abuse is told as over: an adult's abuse that ended is not
    their child's."""
    if not cues.has("minor"):
        return False
    own_child = rules.cues.get("own_child")
    if own_child is None or not cues.has("own_child") or not _over(e, norm, rules, cues):
        return True
    children = [m.span() for m in own_child.regex.finditer(norm)]
    if any(start < e and s < end for start, end in children):
        return True  # the child is in the abuse told
    return any(
        not any(start <= m.start() and m.end() <= end for start, end in children)
        for m in rules.cues["minor"].regex.finditer(norm)
    )


def _judge_abuse(rule: Rule, s: int, e: int, norm: str, rules: RuleSet, cues: _Cues):
    """Abuse of a minor is never discounted: a child told of it is still in reach of the
    abuser. Abuse of an adult that is over ("my ex used to hit me, i left") is distress;
    abuse going on is the rule's level, and imminent when the danger is there now
    (imminent_when.abuse: he is at the door, has a weapon, "tonight")."""
    minor = _minor_in_reach(s, e, norm, rules, cues)
    # the act denied right before it ("he's never hurt me", "she doesn't hit me") is no
    # abuse at any age, unless the denial only lessens it ("doesn't hit me as much");
    # a negation further back ("he never stops hitting me") is no denial
    denied_cue = rules.cues.get("abuse_denied")
    denied = _cue_before(denied_cue, norm, s) if denied_cue is not None and rule.level >= Level.ELEVATED else None
    lessened = rules.cues.get("abuse_lessened")
    if denied and not (lessened is not None and _cue_after(lessened, norm, e)):
        return (Level.DISTRESS, "first", f"denied ('{denied.group(0).strip()}')")
    if rule.minor_level is not None and minor:
        level, note = max(rule.level, rule.minor_level), "a minor at risk"
    elif rule.level >= Level.ELEVATED and minor:
        level, note = rule.level, "a minor at risk"
    else:
        negated = _cue_before(rules.cues["negation"], norm, s)
        if negated and rule.level >= Level.ELEVATED:
            return (Level.DISTRESS, "first", f"negated ('{negated.group(0).strip()}')")
        if rule.level >= Level.ELEVATED and _over(e, norm, rules, cues):
            return (Level.DISTRESS, "first", "in the past")
        level, note = rule.level, ""
    if level >= Level.ELEVATED:
        combo = _combination_found(rules.imminent_when.get("abuse", ()), cues, set())
        if combo:
            return (Level.IMMINENT, "first", ", ".join(filter(None, (note, "with " + " + ".join(sorted(combo))))))
    return (level, "first", note)


@functools.lru_cache(maxsize=8192)
def _analyse(text: str, language: str) -> Analysis:
    return _analyse_uncached(text, language)


_CATEGORY_TEXT = {
    Category.SELF_HARM: "suicide/self-harm",
    Category.HARM_TO_OTHERS: "harm to others",
    Category.ABUSE: "abuse or exploitation",
    Category.PERSONAL_INFO: "personal information",
    Category.LISTENER_MISCONDUCT: "listener misconduct",
    Category.HARASSMENT: "harassment or hate",
}


@functools.lru_cache(maxsize=64)
def _requested(language: str | None) -> str:
    code = (language or "en").strip().lower().replace("_", "-").split("-")[0]
    return code or "en"


def _languages(text: str, language: str | None) -> tuple[tuple[str, ...], str | None]:
    """The rule files that screen ``text`` and, when its language has none, that language.

    English rules always run: chats mix languages, and English slang ("kms") travels.
    A message is screened in another language too when the context names one with a
    rule file, or when the context says "auto" or "en" and the text is clearly written
    in one. A message in a language without a rule file is reported as unscreened.
    """
    req = _requested(language)
    if req in ("en", "auto"):
        guess = guess_language(text)
        if guess is None or guess == "en":
            return ("en",), None
        if has_rules(guess):
            return (guess, "en"), None
        return ("en",), guess
    if has_rules(req):
        return (req, "en"), None
    guess = guess_language(text)
    # the context's language has no rules: only plain English text is fully screened
    if (guess == "en" and text.isascii()) or (
        guess is None and (not text.strip() or text.isascii() and len(text) < 12)
    ):
        return ("en",), None
    if guess == "en":
        guess = None
    if guess is not None and has_rules(guess):
        return (guess, "en"), None
    return ("en",), guess or req


def _merged(text: str, langs: tuple[str, ...]) -> Analysis:
    if len(langs) == 1:
        return _analyse(text, langs[0])
    parts = [_analyse(text, lang) for lang in langs]
    # Where the message's own rule file found a phrase negated by its own grammar ("je vais
    # pas me suicider"), the English reading of the same words ("suicid~", which sees no
    # French negation) does not overrule it. A past is not enough: the other file's past
    # cue reads the whole message ("el año pasado"), and "intenté suicidarme el año pasado
    # y lo voy a volver a intentar" must stay raised.
    own = parts[0].hits if langs[0] != "en" else ()
    # A topic named in the message's own language ("mi tesis sobre la prevención del
    # suicidio") is a topic for the English reading of its words too.
    own_topic = langs[0] != "en" and _has_cue(text, langs[0], "benign_topic")
    hits: list[Hit] = []
    seen: set[tuple[int, int, Level]] = set()
    for lang, part in zip(langs, parts):
        for h in part.hits:
            key = (h.start, h.end, h.level)
            if lang == "en" and own_topic and "benign_topic" in h.rule.unless:
                continue
            if lang == "en" and any(
                o.note.startswith("negated")
                and o.category is h.category
                and o.level < h.level
                and o.start < h.end
                and h.start < o.end
                for o in own
            ):
                continue
            if key not in seen:
                seen.add(key)
                hits.append(h)
    persons = {p.ideation_person for p in parts if p.ideation_person}
    pii = next((p for p in parts if p.pii_spans), parts[-1])
    return Analysis(
        tuple(hits),
        pii.pii_spans,
        pii.pii_kinds,
        "first" if "first" in persons else ("third" if persons else None),
    )


@functools.lru_cache(maxsize=4096)
def _has_cue(text: str, language: str, name: str) -> bool:
    rules = get_rules(language)
    cue = rules.cues.get(name)
    if cue is None or not text:
        return False
    norm = _normalised(text, language)[0]
    if cue.all_of:
        return _Cues(rules, norm).has(name)
    return cue.regex.search(norm) is not None


def _asks_the_sender(text: str, langs: tuple[str, ...]) -> bool:
    """One sentence, a question put to the sender (``question_to_sender``: "have you ever had
    thoughts of suicide?"). Its risk words are the asker's, not ideation the sender told
    earlier in the chat. Not "i want to die. can you help me?" (two sentences), nor "i have
    the pills, are you going to stop me?" (the sender's own words before the question)."""
    return any(_has_cue(text, lang, "question_to_sender") for lang in langs)


def _answers_risk_question(text: str, recent: tuple[str, ...], langs: tuple[str, ...]) -> tuple[str, Level] | None:
    """How ``text`` answers a question about risk asked in ``recent``, and the level that
    answer carries, or None.

    A yes to a question whose yes means danger ("Did you take something?"), a no to one
    whose no means danger ("Are you safe?"), or any means, place, plan or timing named
    after either ("Where are you?" "the bridge") is imminent. A yes hedged with a no
    ("Are you thinking of suicide?" "ye but i wont do anything. probably") still says
    yes: elevated."""

    def has(t: str, name: str) -> bool:
        return any(_has_cue(t, lang, name) for lang in langs)

    if _asked_about_others(recent, langs):
        return None  # "Is someone hurting you?" "my dad": see _answers_question_about_others
    asked_yes = any(has(_as_text(t), "question_yes") for t in recent)
    asked_no = any(has(_as_text(t), "question_no") for t in recent)
    asked_thoughts = any(has(_as_text(t), "question_thoughts") for t in recent)
    asked_where = any(has(_as_text(t), "question_where") for t in recent)
    # else any question put to the sender that names suicide or self-harm ("when was the
    # last time you self-harmed?", "how long have you been thinking about suicide?"),
    # looked for only when none of those was asked (it analyses each earlier turn)
    if not (
        asked_yes
        or asked_no
        or asked_thoughts
        or asked_where
        or any(_asks_the_sender(_as_text(t), langs) and _merged(_as_text(t), langs).ideation_person for t in recent)
    ):
        return None
    # a yes that opens the answer, unless the answer goes on to deny the thoughts themselves
    opens_with_yes = _LEADING_YES.match(text) is not None and not has(text, "thoughts_denied")
    if not (asked_yes or asked_no or asked_where or opens_with_yes):
        # a question about the thoughts, or one that names them, answered with a time or
        # something current: "since the summer. every day now", "right now? yes. they're
        # loud tonight" tell the thoughts as going on, without a plan. Not a past, a no, a
        # safe answer or a harmless reason: "years ago, i was 15 and i'm 27 now", "not
        # right now, no"
        if any(has(text, n) for n in ("past", "deny", "safe_answer", "thoughts_denied", *_HARMLESS_REASONS)):
            return None
        if _reads_the_question_as_something_else(text, langs):
            return None
        cue = next(filter(None, (_context_cue(text, lang) for lang in langs)), None)
        if cue:
            return (f"{cue[0]} named in answer", Level.ELEVATED)
        if not asked_thoughts:
            return None
    if any(has(text, n) for n in ("safe_answer", "med_benign", "place_benign", *_HARMLESS_REASONS)):
        # a safe answer or a denial of intent does not take back a yes to suicidal thoughts
        if (
            opens_with_yes
            and asked_thoughts
            and not any(has(text, n) for n in ("joke", "hyperbole"))
            and not _reads_the_question_as_something_else(text, langs)
        ):
            return ("a yes to a question about suicidal thoughts", Level.ELEVATED)
        return None
    if _reads_the_question_as_something_else(text, langs):
        return None
    if asked_yes and has(text, "affirm") and not has(text, "deny"):
        return ("a yes", Level.IMMINENT)
    if asked_no and has(text, "deny") and not has(text, "affirm"):
        return ("a no", Level.IMMINENT)
    if asked_yes or asked_no or asked_where:
        cue = next(filter(None, (_context_cue(text, lang) for lang in langs)), None)
        if cue:
            return (f"{cue[0]} named in answer", Level.IMMINENT)
    if opens_with_yes and (asked_thoughts or (asked_yes and has(text, "affirm"))):
        return ("a yes, hedged,", Level.ELEVATED)
    return None


# an answer that opens with a yes, whatever hedge follows ("ye but i wont do anything")
_LEADING_YES = re.compile(
    r"\W*(?:yes|yess+|yeah|yea|ye|yh|yep|yup|ya|yah|mhm|sort of|kind of|kinda|sometimes|a lot(?! of)|all the time)\b",
    re.IGNORECASE,
)


# "of the biscuits? like 6 lol", "for the weekend? yeah the lake": the answer first says
# which question it heard, in a few words of its own before a question mark.
_CLARIFIER = re.compile(r"^\s*([^?.!]{1,30})\?+\s*\S")


def _reads_the_question_as_something_else(text: str, langs: tuple[str, ...]) -> bool:
    """True when the answer opens by naming what it takes the question to be about, and that is
    no means, place, plan or time of risk ("of the pool? yeah doing lengths"). An answer that
    names one ("of the pills? all of them") still answers the question about risk."""
    found = _CLARIFIER.match(text)
    if not found:
        return False
    clarifier = found.group(1)
    # "kind of?", "like 60?", "i guess?": a hedged answer, not another question
    if any(_has_cue(clarifier, lang, name) for lang in langs for name in ("affirm", "deny")) or re.search(
        r"\d", clarifier
    ):
        return False
    if any(_context_cue(clarifier, lang) for lang in langs):
        return False
    return not any(h.level >= Level.ELEVATED for h in _merged(clarifier, langs).hits)


def _asked_about_others(recent: tuple[str, ...], langs: tuple[str, ...]) -> str | None:
    """Which question about others one of ``recent`` asks: "abuse" (is someone hurting
    the sender, who, how often), "abuse_safe" (is the sender safe at home) or "others"
    (is the sender thinking of hurting someone); None when none does."""
    for t in recent:
        t = _as_text(t)
        for cue, kind in (
            ("question_abuse", "abuse"),
            ("question_abuse_safe", "abuse_safe"),
            ("question_others", "others"),
        ):
            if any(_has_cue(t, lang, cue) for lang in langs):
                return kind
    return None


def _answers_question_about_others(text: str, recent: tuple[str, ...], langs: tuple[str, ...]):
    """(category, how) when ``text`` answers a question about abuse or about harming
    someone with a disclosure, or None.

    After "Is someone hurting you?" or "Who hurts you?", naming who ("my stepdad"), how
    often ("every night") or a demand for secrecy ("he said i can't tell"); after "Are
    you safe at home?", a no or any of those; after "Are you thinking of hurting
    someone?" or "Who do you want to hurt?", a yes or naming whom. A denial or a joke
    cancels it, and so do a safe answer or "nobody" after a question about abuse and
    laughter after one about harming."""

    def has(name: str) -> bool:
        return any(_has_cue(text, lang, name) for lang in langs)

    asked = _asked_about_others(recent, langs)
    if asked is None or any(has(n) for n in ("hyperbole", "joke", "denial")):
        return None
    if asked == "others":
        if has("laughter") or (has("deny") and not has("affirm")):
            return None
        if has("affirm") or has("hto_named"):
            return (Category.HARM_TO_OTHERS, "a yes or whom")
        return None
    if has("safe_answer") or has("abuse_none"):
        return None  # "yes im safe at home", "no, nobody"
    if asked == "abuse_safe" and has("affirm") and not has("deny"):
        return None  # "yes, my husband is lovely"
    if has("abuse_disclosed"):
        return (Category.ABUSE, "who, how often or a secret named")
    if asked == "abuse_safe" and has("deny"):
        return (Category.ABUSE, "a no")
    return None


def _as_text(text: object) -> str:
    """Whatever arrives is screened as text: bytes are decoded, None is empty."""
    if isinstance(text, str):
        return text
    if text is None:
        return ""
    if isinstance(text, (bytes, bytearray)):
        return bytes(text).decode("utf-8", errors="replace")
    return str(text)


# Cues of the English rules that name a harmless reason for risk vocabulary: a dose
# for a headache, a bridge on the way home, a joke (or laughter with a trivial cause), a
# risk taken back ("... but i don't anymore", "years clean"), an explicit denial ("no
# urges to", "just venting"). Kept narrow on purpose (not the
# broader benign_topic or med_benign, where "my shift" or "every night" also occur
# in real disclosures): what they cancel, nothing else catches.
_HARMLESS_REASONS = ("hyperbole", "joke", "harmless_context", "resolved", "denial")


def harmless_reasons(text: str) -> frozenset[str]:
    """Which of the rules' harmless reasons for risk words the message gives ("hyperbole",
    "joke", "harmless_context", "resolved", "denial"); empty when none. Never raises."""
    try:
        text = _as_text(text)
        return frozenset(name for name in _HARMLESS_REASONS if _has_cue(text, "en", name))
    except Exception:  # a screening helper must not stop screening
        return frozenset()


def gives_harmless_reason(text: str) -> bool:
    """True when the message gives one of the rules' harmless reasons for its risk words.

    The combined backend uses it to hold the learned model back: the model reads
    "paracetamol" or "bridge" without the reason beside it, so on its own it raises
    such messages; the rules already weighed the reason and found no risk. Never raises."""
    return bool(harmless_reasons(text))


def assess(text: str, context: AssessmentContext | None = None) -> Assessment:
    """Screen one chat message. See the package docstring for the contract."""
    context = context or _DEFAULT_CONTEXT
    text = _as_text(text)
    langs, unscreened = _languages(text, context.language)
    an = _merged(text, langs)
    rules = get_rules("en")
    level = Level.NONE
    categories: set[Category] = set()
    spans: list[Span] = list(an.pii_spans)
    reasons: list[str] = []
    third_person = False

    # listener misconduct is weighted by who sends it
    role_w = rules.role_weights.get(context.sender_role, rules.role_weights.get("member", 0.5))
    misconduct = [h for h in an.hits if h.category is Category.LISTENER_MISCONDUCT]
    if misconduct and sum(h.rule.weight for h in misconduct) * role_w >= 1.0:
        categories.add(Category.LISTENER_MISCONDUCT)
        reasons.append(
            f"listener misconduct from a {context.sender_role} ({', '.join(sorted({h.rule.id for h in misconduct}))})"
        )
        spans.extend(Span(h.start, h.end, h.category, h.rule.id) for h in misconduct)

    risk_level = Level.NONE
    # A listener's words about risk reflect or ask about the seeker's ("You said you've been
    # cutting", "Are you planning to end your life tonight?"): they are not the listener's own.
    listener = context.sender_role == "listener"
    hits = tuple(h for h in an.hits if not (listener and h.category in _RISK))
    if listener and len(hits) < len(an.hits):
        reasons.append("risk words from a listener, about the seeker: not scored")
    an = Analysis(hits, an.pii_spans, an.pii_kinds, None if listener else an.ideation_person)
    for h in an.hits:
        if h.category is Category.LISTENER_MISCONDUCT:
            continue
        if h.category is not None:
            categories.add(h.category)
            spans.append(Span(h.start, h.end, h.category, h.rule.id))
        if h.level > level:
            level = h.level
        if h.category in _RISK and h.level > risk_level:
            risk_level = h.level
    # reason: describe the hits that set the level, strongest first
    top_self_harm = {h.person for h in an.hits if h.category is Category.SELF_HARM and h.level == level}
    third_person = level >= Level.ELEVATED and top_self_harm == {"third"}
    for h in sorted(an.hits, key=lambda h: -h.level):
        if h.category is Category.LISTENER_MISCONDUCT:
            continue
        what = _CATEGORY_TEXT.get(h.category, "distress") if h.category else "distress"
        part = f"{h.level.label}: {what} ({h.rule.id}{'; ' + h.note if h.note else ''})"
        if part not in reasons:
            reasons.append(part)

    # context: plan / means / timing named after ideation earlier in the chat
    # The cue is looked for first: the earlier messages need a full analysis each (on another
    # process than the one that screened them, a cold one), and most messages name no cue.
    recent = context.recent_texts[-rules.context_messages :]
    if context.recent_levels is not None and len(context.recent_levels) == len(context.recent_texts):
        levels = context.recent_levels[-rules.context_messages :]
        recent = tuple(t for t, stored in zip(recent, levels) if stored >= Level.ELEVATED)
    cue = None
    if (
        level < Level.IMMINENT
        and recent
        and not listener
        and not any(_has_cue(text, lg, "safe_answer") for lg in langs)
    ):
        cue = next(filter(None, (_context_cue(text, lang) for lang in langs)), None)
    earlier: list[str] = []
    if cue:
        # a question put to the sender ("have you ever had thoughts of suicide?") is the
        # listener's: its answer is read by _answers_risk_question
        told = [_as_text(t) for t in recent if t]
        earlier = [p for p in (_merged(t, langs).ideation_person for t in told if not _asks_the_sender(t, langs)) if p]
    if cue and earlier:
        name, s, e = cue
        level = Level.IMMINENT
        categories.add(Category.SELF_HARM)
        spans.append(Span(s, e, Category.SELF_HARM, f"context.{name}"))
        if "first" not in earlier:
            third_person = True
        reasons.insert(
            0,
            f"imminent: {name} named after earlier "
            f"{'third-person ' if 'first' not in earlier else ''}suicidal ideation in this conversation",
        )

    # an answer to a question about risk: "Did you take something?" "all of them idk",
    # "Are you safe?" "no. on the tracks", "Where are you?" "the bridge"
    if level < Level.IMMINENT and context.recent_texts and not listener:
        answered = _answers_risk_question(text, context.recent_texts[-2:], langs)
        if answered and answered[1] > level:
            how, level = answered
            categories.add(Category.SELF_HARM)
            spans.append(Span(0, len(text), Category.SELF_HARM, "context.answer"))
            reasons.insert(0, f"{level.label}: {how} to a question about risk in this conversation")

    # "Does anyone hurt you at home?" "my mums boyfriend"; "Who do you want to hurt?"
    # "everyone at school": elevated abuse or harm to others
    if level < Level.ELEVATED and context.recent_texts and not listener:
        about = _answers_question_about_others(text, context.recent_texts[-2:], langs)
        if about:
            category, how = about
            level = Level.ELEVATED
            categories.add(category)
            spans.append(Span(0, len(text), category, "context.answer"))
            reasons.insert(
                0, f"elevated: {_CATEGORY_TEXT[category]}: {how} in answer to a question in this conversation"
            )

    if an.pii_kinds:
        categories.add(Category.PERSONAL_INFO)
        reasons.append("personal information: " + ", ".join(sorted(an.pii_kinds)))

    if third_person:
        reasons.insert(0, "about a third person (someone the sender knows may be at risk)")
    if unscreened:
        reasons.append(f"unscreened: language {unscreened} (no rule file; screened with English rules only)")
    spans.sort(key=lambda sp: (sp.start, sp.end))
    return Assessment(
        level=level,
        categories=frozenset(categories),
        spans=tuple(spans),
        reason="; ".join(reasons) if reasons else "no risk indicators",
        third_person=third_person,
        unscreened=unscreened is not None,
        language=langs[0] if unscreened is None else unscreened,
    )
