"""A cheap guess at the language of a chat message (pure Python, no dependency).

The guess decides which rule files screen a message, and whether the assessment
must say that the message's language has no rules of its own. It is deliberately
simple: the script of the letters for non-Latin writing, and counts of very common
words (articles, pronouns, auxiliaries) for Latin-script languages. It answers
``None`` when a message is too short or too mixed to tell; callers then keep the
language they were given.
"""

from __future__ import annotations

import bisect
import functools
import re
from collections import Counter

# Frequent short words that are rare in the other listed languages. A word shared by two
# languages ("de", "la", "a", "e") is left out of both rather than guessed.
_STOP: dict[str, frozenset[str]] = {
    lang: frozenset(words.split())
    for lang, words in {
        "en": "the and you i im is are was to of it that this my me not have what just dont be with so but "
        "do for can its they he she we your like want know about all get got how if or would feel "
        "really think been when there will one no too am an at on why because them who",
        "es": "hola estas el los las que y es yo no me mi por una un lo pero muy ya esta estoy este tengo quiero morir vivir "
        "nada todo como cuando para con del al mas porque eso ella ellos hoy siento vida "
        "nadie puedo hacer ser soy estar bien mal tambien aqui asi sin "
        # texting spellings and words of risk that only Spanish writes this way
        "q pq xq tmb ojala despertar despertara ganas pastillas ahora noche noches mañana manana voy",
        "fr": "le les des et je suis tu il elle est pas ne une un que qui dans pour avec mon ma mes "
        "ce cette sur au aux mais plus tout rien veux vais fait etre avoir jai moi toi bien "
        "tres ou leur nous vous ils elles ca cest peux sais veux mourir vivre envie "
        "mdr ptdr jsuis chui jvais jveux jpp tkt jaimerais reveiller soir demain aujourdhui mort "
        "scarifier scarifie",
        "de": "der die das und ich du er sie es ist nicht ein eine mit mein meine mich mir zu auf "
        "den dem auch noch nur wie was wenn aber kann will bin hab habe sich sein oder schon "
        "nichts mehr heute bitte warum weil niemand keine kein leben sterben denke nie "
        "vllt evtl einfach sollte bissl morgen nacht aufwachen gerade grad tabletten genommen alle wieder",
        "pt": "o os as e eu voce nao um uma que do da dos das meu minha em no na com para por "
        "mas muito ja estou tenho quero nada tudo como quando ele ela isso aqui bem sou "
        "ninguem vida hoje mim quero morrer viver nao "
        "vc vcs hj nd ngm td mto kkk kkkk dnv sumir acordar agora amanha noite pra vou",
        "it": "il lo gli e io tu non un una che di del della mi sono ho voglio piu "
        "anche questo questa quando perche niente tutto sei bene molto cosa oggi",
        "nl": "de het een ik je jij niet dat die mijn mij op te zijn heb wil maar "
        "ook nog wat als kan niets niemand vandaag waarom",
        "pl": "nie jest sie ja ze na w z mnie mi jak juz tak czy jestem chce moje dzisiaj nikt",
        "tr": "ve bir bu sen ne da de icin ama cok gibi daha var yok mi degil istiyorum beni bana neden hic",
        "id": "yang aku saya tidak ini itu di ke dari ada mau ingin sudah bisa tapi juga kamu dia apa karena lagi",
    }.items()
}
# words listed under more than one language say nothing
_SHARED = {w for a in _STOP for b in _STOP if a < b for w in _STOP[a] & _STOP[b]}
_WORD_LANGS: dict[str, str] = {w: lang for lang, words in _STOP.items() for w in words if w not in _SHARED}

# letters of a script -> language (the most common language written in it)
_SCRIPTS: tuple[tuple[int, int, str], ...] = (
    (0x0370, 0x03FF, "el"),
    (0x0400, 0x052F, "ru"),
    (0x0530, 0x058F, "hy"),
    (0x0590, 0x05FF, "he"),
    (0x0600, 0x06FF, "ar"),
    (0x0750, 0x077F, "ar"),
    (0x0900, 0x097F, "hi"),
    (0x0980, 0x09FF, "bn"),
    (0x0A00, 0x0A7F, "pa"),
    (0x0B80, 0x0BFF, "ta"),
    (0x0C00, 0x0C7F, "te"),
    (0x0D00, 0x0D7F, "ml"),
    (0x0E00, 0x0E7F, "th"),
    (0x10A0, 0x10FF, "ka"),
    (0x1100, 0x11FF, "ko"),
    (0x3040, 0x30FF, "ja"),
    (0x3400, 0x4DBF, "zh"),
    (0x4E00, 0x9FFF, "zh"),
    (0xAC00, 0xD7AF, "ko"),
)
_TOKEN = re.compile(r"[a-zà-öø-ÿ]+")
_ACCENTS = str.maketrans("áàâäãåéèêëíìîïóòôöõúùûüçñß", "aaaaaaeeeeiiiiooooouuuucns")


_SCRIPT_STARTS = [lo for lo, _, _ in _SCRIPTS]
# letters outside Latin, Greek's block onwards: the ones a script can be told from
_NON_LATIN_LETTER = re.compile(r"[^\W\d_\x00-\u036f]")
_LETTER = re.compile(r"[^\W\d_]")


@functools.lru_cache(maxsize=8192)
def _script_of(ch: str) -> str | None:
    o = ord(ch)
    i = bisect.bisect_right(_SCRIPT_STARTS, o) - 1
    if i >= 0 and o <= _SCRIPTS[i][1]:
        return _SCRIPTS[i][2]
    return None


@functools.lru_cache(maxsize=4096)
def guess_language(text: str) -> str | None:
    """The language code ``text`` is most likely written in, or None when unsure."""
    if not text:
        return None
    if not text.isascii():
        sample = text[:2000]
        # counted by regular expressions and Counter rather than a loop over the characters:
        # a 2,000-character message of another script is read in C
        letters = len(_LETTER.findall(sample))
        scripts: dict[str, int] = {}
        for ch, n in Counter(_NON_LATIN_LETTER.findall(sample)).items():
            lang = _script_of(ch)
            if lang:
                scripts[lang] = scripts.get(lang, 0) + n
        if letters:
            lang, n = max(scripts.items(), key=lambda kv: kv[1]) if scripts else (None, 0)
            # Japanese mixes kana with Han characters
            if lang == "zh" and scripts.get("ja"):
                lang, n = "ja", n + scripts["ja"]
            # a few look-alike letters inside Latin words are disguise, not language
            if lang and n * 2 > letters:
                return lang
    words = _TOKEN.findall(text[:2000].lower().replace("'", "").replace("\u2019", ""))
    if not words:
        return None
    counts: dict[str, int] = {}
    for w in words:
        lang = _WORD_LANGS.get(w) or _WORD_LANGS.get(w.translate(_ACCENTS))
        if lang:
            counts[lang] = counts.get(lang, 0) + 1
    if not counts:
        return None
    ranked = sorted(counts.items(), key=lambda kv: -kv[1])
    best, n = ranked[0]
    runner_up = ranked[1][1] if len(ranked) > 1 else 0
    # two telling words, clearly ahead of the next language
    if n >= 2 and n >= 2 * runner_up:
        return best
    if n == 1 and runner_up == 0 and len(words) <= 4 and best != "en":
        return best
    return None
