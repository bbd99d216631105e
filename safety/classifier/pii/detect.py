"""Finding contact details in folded text (see ``fold.py``).

Each finder yields (start, end, kind) stretches of the folded text. They are
written for text people bend on purpose: digits spaced out, separated, mixed
with number words ("zero7seven"), "oh" for zero and "double seven"; "at" and
"dot" spelled out or bracketed; platform names followed by a handle with or
without "@"; links without a scheme. Every regex anchors its start on a
boundary and has no nested open-ended repetition, so a long adversarial
message costs linear time.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from . import vocab as V

Found = tuple[int, int, str]


def _alt(words) -> str:
    return "|".join(sorted(words, key=len, reverse=True))


_PLATFORMS = _alt(V.STRONG_PLATFORMS + V.WEAK_PLATFORMS)
_PLATFORM = re.compile(rf"(?<![a-z0-9])(?:{_PLATFORMS})(?![a-z])")

# ---------------------------------------------------------------------------
# phone numbers: runs of digits and number words joined by separators

_NUMBER_WORDS = (
    frozenset(V.DIGIT_WORDS)
    | frozenset(V.REPEAT_WORDS)
    | frozenset(V.TENS_WORDS)
    | frozenset(V.TEEN_WORDS)
    | frozenset(V.ZEROS_WORDS)
)
_UNIT = re.compile(rf"[0-9]|(?<![a-z])(?:{_alt(_NUMBER_WORDS)})(?![a-z])")
# a gap between two units: at most 5 characters, none of them a letter, digit,
# or a mark that ends a number (",", ":", ";", "!", "?", quotes, new line); the
# "\x00" barrier marks dates, times and prices found beforehand
_GAP_MAX = 5
_GAP_BAD = re.compile(r"[^\W_]|[,;:!?'\"\n\x00]")
_WORD_GAP_OK = re.compile(r"[\s.\-]*,[\s.\-]*")  # "seven one eight, five five five"
# letters people type for digits, inside a token that is otherwise digits: "O77OO 9OO l23"
_DIGITISH = re.compile(r"(?<![a-z0-9])[0-9oli]{3,}(?![a-z0-9])")
_DIGITISH_TABLE = str.maketrans("oli", "011")
_NOT_A_PHONE = re.compile(
    # dates: 12/05/2024, 2024-05-12, 05.06.24
    r"(?<![0-9./-])(?:[0-9]{1,2}[./-][0-9]{1,2}[./-](?:[0-9]{4}|[0-9]{2})|[0-9]{4}[./-][0-9]{1,2}[./-][0-9]{1,2})(?![0-9]|[./-][0-9])"
    # dates with spaces: 12 03 2009
    r"|(?<![0-9])[0-3]?[0-9]\s[01]?[0-9]\s(?:19|20)[0-9]{2}(?![0-9])"
    # year ranges: 2019-2021, 2019/20
    r"|(?<![0-9])(?:19|20)[0-9]{2}\s?[-/]\s?(?:(?:19|20)[0-9]{2}|[0-9]{2})(?![0-9])"
    # times: 10:30, 10.30pm
    r"|(?<![0-9])[0-9]{1,2}:[0-9]{2}(?::[0-9]{2})?(?![0-9])|(?<![0-9])[0-9]{1,2}\.[0-9]{2}\s?(?:am|pm)\b"
    # money: £12.99, $1,000, 1000000 dollars
    r"|[£$€¥₹]\s?[0-9][0-9,.]*"
    r"|(?<![0-9,.])[0-9][0-9,.]*\s?(?:k|m|bn|million|billion|quid|pounds|dollars|euros|usd|gbp)\b"
)


def _digitise(m: re.Match[str]) -> str:
    tok = m.group(0)
    if tok.isalpha():
        return tok  # "oil", "lol"
    return tok.translate(_DIGITISH_TABLE)


def _runs(scan: str, unit: re.Pattern[str]) -> list[list[re.Match[str]]]:
    runs: list[list[re.Match[str]]] = []
    run: list[re.Match[str]] = []
    for m in unit.finditer(scan):
        if run:
            prev = run[-1]
            gap = scan[prev.end() : m.start()]
            if len(gap) <= _GAP_MAX and (
                not _GAP_BAD.search(gap)
                or (not prev.group(0).isdigit() and not m.group(0).isdigit() and _WORD_GAP_OK.fullmatch(gap))
            ):
                run.append(m)
                continue
            runs.append(run)
        run = [m]
    if run:
        runs.append(run)
    return runs


def _number(run: list[re.Match[str]]) -> str:
    digits: list[str] = []
    repeat = 1
    units = [m.group(0) for m in run]
    i = 0
    while i < len(units):
        u = units[i]
        i += 1
        if u in V.REPEAT_WORDS:
            repeat = V.REPEAT_WORDS[u]
            continue
        if u in V.TENS_WORDS:
            after = units[i] if i < len(units) else ""
            if after in V.DIGIT_WORDS and V.DIGIT_WORDS[after] != "0":
                d = V.TENS_WORDS[u] + V.DIGIT_WORDS[after]  # "seventy seven"
                i += 1
            else:
                d = V.TENS_WORDS[u] + "0"
        elif u in V.TEEN_WORDS:
            d = V.TEEN_WORDS[u]
        elif u in V.ZEROS_WORDS:
            d = V.ZEROS_WORDS[u]
        else:
            d = u if u.isdigit() else V.DIGIT_WORDS[u]
        digits.append(d * repeat)
        repeat = 1
    return "".join(digits)


# a run of digits alone, when the message has no number words: the same gaps as above
_DIGIT_RUN = re.compile(r"[0-9](?:(?:[^\w\n,;:!?'\"\x00]|_){0,5}[0-9])*")

# start, end, digits, and whether it is talk rather than a number ("oh oh oh", "one one one")
Run = tuple[int, int, str, bool]


def _word_runs(scan: str) -> list[Run]:
    out: list[Run] = []
    for run in _runs(scan, _UNIT):
        end = run[-2].end() if run[-1].group(0) in V.REPEAT_WORDS and len(run) > 1 else run[-1].end()
        number = _number(run)
        talk = (
            (len(run) == len(number) and all(m.group(0) in ("one", "oh", "o") for m in run))
            or (
                len({m.group(0) for m in run}) == 1  # "oh oh oh", "ten ten ten ten"
            )
            or (
                len(number) % 4 == 0
                and all(number[i : i + 2] in ("19", "20") for i in range(0, len(number), 4))
                and not any(m.group(0).isdigit() for m in run)
            )
        )  # "twenty twenty four, twenty twenty five"
        out.append((run[0].start(), end, number, talk))
    return out


def _digit_runs(scan: str) -> list[Run]:
    return [(m.start(), m.end(), _NOT_DIGITS.sub("", m.group(0)), False) for m in _DIGIT_RUN.finditer(scan)]


_NOT_DIGITS = re.compile(r"[^0-9]+")


def _phone_runs(s: str, with_words: bool) -> Iterator[Found]:
    runs = _word_runs if with_words else _digit_runs
    scan = _DIGITISH.sub(_digitise, s)
    if not any(len(run[2]) >= 7 for run in runs(scan)):
        return
    # only now, with a long enough run in view, set dates, times and prices apart
    scan = _NOT_A_PHONE.sub(lambda m: "\x00" * len(m.group(0)), scan)
    for run in runs(scan):
        yield from _phone_from_run(scan, run)


_DECIMAL = re.compile(r"[0-9]{1,3}\.[0-9]+")  # 3.14159265


def _looks_like_a_list(stretch: str, plus: bool) -> bool:
    """ "2019 2020 2021", "1 2 3 4 5 6 7 8 9 10", "100 100 95", "9 8 8 7 7 6 5" (grades),
    "1 000 000": numbers, not a phone."""
    if _DECIMAL.fullmatch(stretch):
        return True
    if not stretch.replace(" ", "").isdigit():
        return False  # separators other than spaces, or words: treat as a number
    pieces = stretch.split()
    if len(pieces) < 2:
        return False
    if all(len(p) == 4 and p[:2] in ("19", "20") for p in pieces):
        return True
    values = [int(p) for p in pieces]
    if len(pieces) >= 5 and all(abs(b - a) == 1 for a, b in zip(values, values[1:])):
        return True
    if all(len(p) == 1 for p in pieces) and (values == sorted(values) or values == sorted(values, reverse=True)):
        return True
    if (
        not plus
        and len(pieces) >= 3
        and len(pieces[0]) <= 3
        and pieces[0][0] != "0"
        and all(len(p) == 3 for p in pieces[1:])
    ):
        return True  # thousands written with spaces
    return all(len(p) in (2, 3) and p[0] != "0" and v <= 100 for p, v in zip(pieces, values))


_COUNTING = "".join(str(i) for i in range(40)) + "0123"
_COUNTING_DOWN = "".join(str(i) for i in range(40, -1, -1)) + "9876"


def _phone_from_run(scan: str, run: Run) -> Iterator[Found]:
    start, end, number, talk = run
    if len(number) < 7 or number in V.HELPLINES or talk:
        return
    if number in _COUNTING or number in _COUNTING_DOWN:  # "one two three ... ten"
        return
    if len(set(number)) == 1:
        return  # "zero zero zero zero zero zero zero motivation"
    if start > 0 and scan[start - 1] == "#":
        return  # an order or ticket number
    if _looks_like_a_list(scan[start:end], plus=start > 0 and scan[start - 1] == "+"):
        return
    # keep the "+" of "+44" and the "(" of "(0791)" with the number
    while start > 0 and scan[start - 1] in "+(":
        start -= 1
    yield start, end, "phone"


# ---------------------------------------------------------------------------
# e-mail addresses and links

_AT = r"(?:\s*@\s*|\s*[(\[{<]\s*(?:at|@)\s*[)\]}>]\s*)"
_AT_WORD = r"(?:\s+at\s+)"
_DOT = r"(?:\s*\.\s*|\s*[(\[{<]\s*(?:dot|\.)\s*[)\]}>]\s*|\s+dot\s+)"
_LOCAL_PART = r"[a-z0-9_](?:[a-z0-9_.+-]*[a-z0-9_])?"
# "luna dot x at gmail dot com": dots and underscores spelled out inside the name
_SPELLED = r"\s+(?:dot|underscore|period|point)\s+"
_LOCAL = rf"{_LOCAL_PART}(?:{_SPELLED}{_LOCAL_PART}){{0,3}}"
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_ALL_TLDS = _alt(V.STRONG_TLDS + V.WEAK_TLDS)
_WORD_EMAIL_TLDS = _alt(V.STRONG_TLDS + ("uk", "me", "co"))
_EMAIL = re.compile(
    rf"(?<![\w.+'-])(?P<local>{_LOCAL})(?:{_AT}{_LABEL}(?:{_DOT}{_LABEL}){{0,4}}?{_DOT}(?:{_ALL_TLDS})"
    rf"|{_AT_WORD}{_LABEL}(?:{_DOT}{_LABEL}){{0,4}}?{_DOT}(?:{_WORD_EMAIL_TLDS})"
    rf"|(?:{_AT}|{_AT_WORD})(?:{_alt(V.MAIL_PROVIDERS)}))(?![a-z0-9])"
)

_DOT_LINK = r"(?:\.|\s*[(\[{<]\s*(?:dot|\.)\s*[)\]}>]\s*|\s+dot\s+)"
_SPACED_DOT = r"(?:\s+\.\s*|\s*\.\s+)"
_PATH_CHARS = r"[^\s<>\"'\x00]"
_SCHEME_LINK = re.compile(rf"(?<![a-z])(?:https?|hxxps?|ftp)\s?:\s?/\s?/\s?{_PATH_CHARS}+")
_SCHEME_HOST = re.compile(r"[a-z]+\s?:\s?/\s?/\s?([^/?#\s]+)[/?#]?")
_DOMAIN_LINK = re.compile(
    rf"(?<![\w@.-])(?P<www>www{_DOT_LINK})?(?P<host>{_LABEL}(?:{_DOT_LINK}{_LABEL}){{0,4}}?)"
    rf"(?:{_DOT_LINK}(?P<tld>{_ALL_TLDS})|{_SPACED_DOT}(?P<stld>{_alt(V.SPACED_DOT_TLDS)}))"
    rf"(?![\w-])(?P<path>(?:\s?/|\s+slash\s+){_PATH_CHARS}*)?"
)
_WEAK_TLD = re.compile(rf"(?:{_alt(V.WEAK_TLDS)})")
_DOTS_IN_HOST = re.compile(_DOT_LINK)
_TRAILING = ".,!?;:)]}'\""


def _trim(s: str, start: int, end: int) -> int:
    while end > start and s[end - 1] in _TRAILING:
        end -= 1
    return end


def _emails(s: str) -> Iterator[Found]:
    for m in _EMAIL.finditer(s):
        joint = s[m.end("local") : m.end()]
        if joint.lstrip().startswith("at") and m.group("local") in V.NOT_HANDLES:
            continue  # "look at gmail dot com" is a sentence
        if joint[:1].isspace() and m.group("local") in V.PLATFORM_WORDS:
            continue  # "instagram @calm.listener.uk" is a handle, found as one

        yield m.start(), m.end(), "email"


def _links(s: str) -> Iterator[Found]:
    for m in _SCHEME_LINK.finditer(s):
        end = _trim(s, m.start(), m.end())
        host = _SCHEME_HOST.match(s, m.start(), end)
        if host and host.group(1).removeprefix("www.") in V.HELPLINE_SITES:
            continue
        yield m.start(), end, "link"
    for m in _DOMAIN_LINK.finditer(s):
        tld = m.group("tld")
        if tld is not None and _WEAK_TLD.fullmatch(tld):
            host = _DOTS_IN_HOST.sub(".", m.group("host"))
            if not (m.group("www") or m.group("path") or "." in host or f"{host}.{tld}" in V.KNOWN_HOSTS):
                continue  # "fine.me", "no.it": words joined by a missing space
        if not m.group("www") and m.group("host") in ("e", "i", "a", "p"):
            continue
        site = _DOTS_IN_HOST.sub(".", m.group("host")) + "." + (tld or m.group("stld"))
        site = site.removeprefix("www.")
        if site in V.HELPLINE_SITES or (site in V.PUBLIC_SITES and not m.group("path")):
            continue  # a help site, or "google.com is down": nobody's contact
        yield m.start(), _trim(s, m.start(), m.end()), "link"


# ---------------------------------------------------------------------------
# handles

_ORDINARY_TOKEN = re.compile(
    r"[0-9]+(?:[.:,][0-9]+)*(?:am|pm|st|nd|rd|th|s|k|m|kg|lbs?|cm|ft|mins?|hrs?|h|x|yo|yrs?|mg|ml|gb|mb|fps|p|d)?"
)
_NAME = (
    r"(?:[a-z0-9_.]\s){2,39}[a-z0-9_.](?![a-z0-9_.])"  # spaced out: "c h l o e _ x o"
    r"|[a-z0-9_][a-z0-9_.]{0,39}(?:(?:\s+(?:dot|underscore|period)\s+|\s?_\s?)[a-z0-9_.]{1,40}){0,3}"
    r"(?:#[0-9]{4})?"
)
_AT_HANDLE = re.compile(r"(?<![\w.@+-])@(?P<name>[a-z0-9_](?:[a-z0-9_.]{0,39}[a-z0-9_])?)")
_TAG = re.compile(r"(?<![\w.#])(?P<name>[a-z][a-z0-9_.]{1,31}#[0-9]{4})(?![0-9])")
_REDDIT = re.compile(r"(?<![\w/])u/(?P<name>[a-z0-9_-]{3,20})")
_STRONG = re.compile(rf"(?:{_alt(V.STRONG_PLATFORMS)})")
_PLATFORM_HANDLE = re.compile(
    rf"(?<![a-z0-9])(?P<plat>{_PLATFORMS})s?"
    r"(?:\s*(?:user\s?name|handle|name|id|tag|acc(?:ount)?|addy|@|\.?com))?"
    r"(?:(?P<strong>\s*(?:[:=>~\-]+|\()\s*)"
    r"|(?P<verb>\s*(?:'s|\?|!|\.|,)?\s+(?:is|its|it's|it\s+is|=|me|as|mine\s+is|mine's|mines)\s+|'s\s+)"
    r"|(?P<space>\s+))"
    rf"(?P<at>@\s?)?(?P<name>{_NAME})"
)
# what stands before a platform name: "luna_x22 on snap", "luna.x (ig)"
_BEFORE_PLATFORM = re.compile(
    r"(?<![\w.@#/-])(?P<name>[a-z0-9_.]{2,40}(?:#[0-9]{4})?)\s*(?:on|for|is\s+my|=|-|:|\(|\[)?\s*"
    r"(?:my\s+|the\s+)?$"
)
_MINE_BEFORE = re.compile(r"\b(?:my|ur|your|mine)\s+$")
_REQUEST_BEFORE = re.compile(
    rf"\b(?:{V.CONTACT_REQUEST})\b(?:\s+(?:me|us))?\s+(?:on|at|via|through|thru|in)?\s*(?:my\s+)?$"
)
_SHAPED = re.compile(r"[_.#0-9]")
_ABBREVIATION = re.compile(r"(?:[a-z]\.){1,4}[a-z]?|[a-z]+\.(?:js|py|txt|pdf|jpg|png|html|doc|docx)")
# shaped like a handle even with no word around it: "luna_x22", "luna.x", "kai#1234",
# "jbird07"; not "ps5" or "mp3"
_HANDLE_SHAPED = re.compile(r"[_.#]|[0-9].*[0-9]")


# "add me luna_x22", "hmu jbird07": a handle-shaped name straight after a request,
# with no platform named
_ASKED_HANDLE = re.compile(
    r"\b(?:add|follow|hmu|dm|msg|message|find|search|friend)\s+(?:me\s+)?(?:at\s+|@\s?)?"
    r"(?P<name>[a-z0-9_][a-z0-9_.]{1,39}(?:#[0-9]{4})?)"
)
_LOOSE_NAME = re.compile(r"(?<![\w.@#/-])[a-z0-9_][a-z0-9_.]{2,39}(?:#[0-9]{4})?(?![\w@/-])")
_STRONGLY_SHAPED = re.compile(r"_|[a-z]\.[a-z0-9]|#[0-9]{4}|[a-z].*[0-9].*[0-9]|[0-9].*[0-9].*[a-z]")


def _plausible_name(name: str) -> bool:
    return (
        len(name) >= 2
        and any("a" <= c <= "z" for c in name)
        and name not in V.NOT_HANDLES
        and not _ORDINARY_TOKEN.fullmatch(name)
        and not _ABBREVIATION.fullmatch(name)  # "e.g", "i.e", "node.js"
        and name.removeprefix("www.") not in V.PUBLIC_SITES
        and name not in V.HELPLINE_SITES
    )


def _handles(s: str) -> Iterator[Found]:
    if "@" in s:
        for m in _AT_HANDLE.finditer(s):
            name = m.group("name")
            if name in V.NOT_HANDLES or _ORDINARY_TOKEN.fullmatch(name):
                continue  # "@ home", "see you @8"
            yield m.start(), m.end(), "handle"
    if "#" in s:
        for m in _TAG.finditer(s):
            yield m.start("name"), m.end("name"), "handle"
    if "u/" in s:
        for m in _REDDIT.finditer(s):
            yield m.start("name"), m.end("name"), "handle"
    for m in _ASKED_HANDLE.finditer(s):
        name = m.group("name").rstrip(".")
        if _plausible_name(name) and _STRONGLY_SHAPED.search(name):
            yield m.start("name"), m.start("name") + len(name), "handle"


def _platform_handles(s: str) -> Iterator[Found]:
    for m in _PLATFORM_HANDLE.finditer(s):
        name = m.group("name").rstrip(".")
        if not _plausible_name(name):
            continue
        shaped = bool(_SHAPED.search(name))
        before = s[max(0, m.start() - 40) : m.start()]
        strong_platform = bool(_STRONG.fullmatch(m.group("plat")))
        if m.group("strong") is not None or m.group("at"):
            pass
        elif m.group("verb") is not None:
            if not (strong_platform or shaped or _MINE_BEFORE.search(before) or _REQUEST_BEFORE.search(before)):
                continue
        elif not (
            _HANDLE_SHAPED.search(name)
            or _REQUEST_BEFORE.search(before)
            or (strong_platform and _MINE_BEFORE.search(before))
        ):
            continue
        start = m.start("at") if m.group("at") else m.start("name")
        yield start, m.start("name") + len(name), "handle"
    # with a platform named anywhere, a name that can only be a handle ("its kate.bakes",
    # "my name plus my birth year, maddie2008")
    for m in _LOOSE_NAME.finditer(s):
        name = m.group(0).rstrip(".")
        if _STRONGLY_SHAPED.search(name) and _plausible_name(name):
            yield m.start(), m.start() + len(name), "handle"
    for p in _PLATFORM.finditer(s):
        before = s[max(0, p.start() - 60) : p.start()]
        m = _BEFORE_PLATFORM.search(before)
        if m is None:
            continue
        name = m.group("name").rstrip(".")
        if _plausible_name(name) and _HANDLE_SHAPED.search(name):
            start = p.start() - len(before) + m.start("name")
            yield start, start + len(name), "handle"


# ---------------------------------------------------------------------------
# street addresses: a house number, one to three words and a street type

_ADDRESS = re.compile(
    r"\b[0-9]{1,5}[a-z]?,?\s+(?:(?!(?:the|a|an|down|up|my|to|of|in|on|at|and|or|miles?|mins?|minutes?"
    r"|hours?|km|times?|days?|weeks?|years?)\b)[a-z][a-z'-]*\s+){1,3}(?:street|st|road|rd|avenue|ave"
    r"|lane|ln|drive|dr|close|way|court|ct|place|pl|boulevard|blvd|crescent|cres|terrace|gardens|grove"
    r"|square|sq|row|mews|parkway|highway|hwy)\b"
)


def _addresses(s: str) -> Iterator[Found]:
    for m in _ADDRESS.finditer(s):
        yield m.start(), m.end(), "address"


# ---------------------------------------------------------------------------
# cheap pre-checks, so an ordinary message costs a few microseconds: each
# finder runs only when the text holds what it cannot match without

_WORD = re.compile(r"[a-z]+")
_DIGIT_CHARS = str.maketrans("", "", "0123456789")
_TRIGGER_CHARS = frozenset("0123456789@#/([{<$!|\U0001f47b")
_DOT_TRIGGER = re.compile(rf"[a-z0-9]\.[a-z]|\.\s*(?:{_alt(V.SPACED_DOT_TLDS)})\b")
_OBFUSCATION = re.compile(r"[0-9@$!|\U0001f47b]")
_DIGIT_LOOKALIKE = re.compile(r"[0-9][oli]|[oli][0-9]")
_LINK_NEEDS = re.compile(rf"[a-z0-9]\.[a-z]|[(\[{{<]\s*\.|\.\s*(?:{_alt(V.SPACED_DOT_TLDS)})\b|:\s?/\s?/")
_EMAIL_NEEDS = re.compile(r"@|[(\[{<]\s*at\s*[)\]}>]")
_SPELLED_EMAIL_NEEDS = re.compile(r"[a-z0-9]\.[a-z]|[(\[{<]\s*(?:dot|\.)")
_NUMBERS = _NUMBER_WORDS
# how many digits a word can stand for, for the pre-check ("double" makes the next count twice)
_WORD_DIGITS = {
    **dict.fromkeys(V.DIGIT_WORDS, 1),
    **dict.fromkeys(V.REPEAT_WORDS, 2),
    **dict.fromkeys(V.TENS_WORDS, 2),
    **dict.fromkeys(V.TEEN_WORDS, 2),
    "hundred": 2,
    "thousand": 3,
}
_MAIL_WORDS = frozenset(V.MAIL_PROVIDERS) | {"dot"}
_TRIGGER_WORDS = V.PLATFORM_WORDS | _NUMBER_WORDS | frozenset(V.MAIL_PROVIDERS) | {"dot", "www"}


def find(s: str) -> list[Found]:
    """Every contact-detail stretch of the folded text ``s``, in finder order
    (links and e-mails before handles, so a link's path keeps the link kind)."""
    words = set(s.split())
    for token in [w for w in words if not w.isalpha()]:
        words.update(_WORD.findall(token))  # "snap:", "(insta)", "zero7seven"
    if (
        _TRIGGER_CHARS.isdisjoint(s)
        and words.isdisjoint(_TRIGGER_WORDS)
        and ("." not in s or _DOT_TRIGGER.search(s) is None)
        and sum(len(w) == 1 for w in words) < 3
    ):  # "s n a p", "i n s t a"
        return []
    found: list[Found] = []
    if _EMAIL_NEEDS.search(s) or (
        "at" in words and (not words.isdisjoint(_MAIL_WORDS) or _SPELLED_EMAIL_NEEDS.search(s))
    ):
        found.extend(_emails(s))
    if "dot" in words or _LINK_NEEDS.search(s):
        found.extend(_links(s))
    digits = len(s) - len(s.translate(_DIGIT_CHARS))
    number_words = sum(_WORD_DIGITS.get(w, 0) for w in _WORD.findall(s)) if not words.isdisjoint(_NUMBERS) else 0
    if digits + number_words >= 7 or (digits >= 2 and _DIGIT_LOOKALIKE.search(s)):
        found.extend(_phone_runs(s, with_words=number_words > 0))
    found.extend(_handles(s))
    if not words.isdisjoint(V.PLATFORM_WORDS) or (
        (_OBFUSCATION.search(s) or sum(len(w) == 1 for w in words) >= 3) and _PLATFORM.search(s)
    ):
        found.extend(_platform_handles(s))
    if digits and not words.isdisjoint(V.STREET_WORDS):
        found.extend(_addresses(s))
    return found
