"""Word lists for finding contact details (English).

Kept in Python next to the code that uses them: each list is tied to one
regular expression or check in ``detect.py``, and several are regex fragments.
"""

from __future__ import annotations

# Crisis and help lines, as digits: never masked (US, UK, IE, CA, AU, NZ, EU). Keep
# every number in support/data/helplines.json here: listeners pass them on.
HELPLINES = frozenset(
    {
        "988",
        "911",
        "999",
        "112",
        "111",
        "116123",
        "116111",
        "741741",
        "85258",
        "50808",
        "18002738255",
        "18004224453",
        "18006686868",
        "1800666666",
        "1800551800",
        "08001111",
        "131114",
        "0800585858",
        "686868",
        "1737",
        "08457909090",
        "0800068414",
        "08088025544",
        "1300224636",
        "0800543354",
        "08000684141",
    }
)
# Big public sites: "google.com is down" names nobody. With a path
# ("instagram.com/luna") they are a profile and masked.
PUBLIC_SITES = frozenset(
    {
        "google.com",
        "google.co.uk",
        "gmail.com",
        "youtube.com",
        "bbc.co.uk",
        "bbc.com",
        "wikipedia.org",
        "instagram.com",
        "tiktok.com",
        "snapchat.com",
        "discord.com",
        "reddit.com",
        "twitter.com",
        "x.com",
        "facebook.com",
        "outlook.com",
        "hotmail.com",
        "yahoo.com",
        "icloud.com",
        "amazon.com",
        "amazon.co.uk",
        "netflix.com",
        "spotify.com",
        "gov.uk",
        "roblox.com",
        "twitch.tv",
        "whatsapp.com",
        "apple.com",
        "microsoft.com",
        "chatgpt.com",
        "pinterest.com",
        "tumblr.com",
        "ao3.org",
        "archiveofourown.org",
        "wattpad.com",
        "duolingo.com",
        "quizlet.com",
        "bbc.co.uk/bitesize",
    }
)
# Help sites, the same: "findahelpline.com" is a resource, not a way off the platform.
HELPLINE_SITES = frozenset(
    {
        "findahelpline.com",
        "988lifeline.org",
        "samaritans.org",
        "childline.org.uk",
        "kidshelpphone.ca",
        "crisistextline.org",
        "giveusashout.org",
        "kidshelpline.com.au",
        "lifeline.org.au",
        "youngminds.org.uk",
        "papyrus-uk.org",
        "thetrevorproject.org",
        "childhelp.org",
        "mind.org.uk",
        "nhs.uk",
        "ispcc.ie",
        "pieta.ie",
        "1737.org.nz",
        "youthline.co.nz",
    }
)

DIGIT_WORDS = {
    "zero": "0",
    "oh": "0",
    "o": "0",
    "nought": "0",
    "nil": "0",
    "one": "1",
    "two": "2",
    "three": "3",
    "four": "4",
    "five": "5",
    "six": "6",
    "seven": "7",
    "eight": "8",
    "nine": "9",
}
REPEAT_WORDS = {"double": 2, "triple": 3}
# "seventy seven" is 77, "seventy" alone 70, "nine hundred" 900, "fifteen" 15
TENS_WORDS = {
    "twenty": "2",
    "thirty": "3",
    "forty": "4",
    "fourty": "4",
    "fifty": "5",
    "sixty": "6",
    "seventy": "7",
    "eighty": "8",
    "ninety": "9",
}
TEEN_WORDS = {
    "ten": "10",
    "eleven": "11",
    "twelve": "12",
    "thirteen": "13",
    "fourteen": "14",
    "fifteen": "15",
    "sixteen": "16",
    "seventeen": "17",
    "eighteen": "18",
    "nineteen": "19",
}
ZEROS_WORDS = {"hundred": "00", "thousand": "000"}

# Top-level domains that are not English words: "name.com" is a link even bare.
STRONG_TLDS = (
    "com",
    "net",
    "org",
    "io",
    "gg",
    "xyz",
    "app",
    "dev",
    "info",
    "biz",
    "tv",
    "ly",
    "ee",
    "gov",
    "edu",
    "co\\.uk",
    "org\\.uk",
    "ac\\.uk",
    "com\\.au",
    "co\\.nz",
    "co\\.za",
)
# Domains that are also words or abbreviations ("fine.me", "ok.so", "no.it"): a
# link only with a path, a scheme, "www.", three labels, or a known host.
WEAK_TLDS = (
    "me",
    "co",
    "uk",
    "us",
    "it",
    "be",
    "de",
    "fr",
    "es",
    "ca",
    "au",
    "nz",
    "ie",
    "nl",
    "eu",
    "to",
    "so",
    "ai",
    "in",
    "is",
    "at",
    "fm",
    "am",
    "cc",
    "ws",
    "page",
    "live",
    "site",
    "art",
    "ru",
    "ch",
    "se",
    "no",
    "pl",
    "pt",
    "br",
    "mx",
    "jp",
    "online",
    "store",
    "shop",
    "link",
    "club",
    "top",
    "blog",
    "lol",
    "fun",
)
KNOWN_HOSTS = frozenset(
    {
        "t.me",
        "wa.me",
        "youtu.be",
        "bit.ly",
        "linktr.ee",
        "discord.gg",
        "snapchat.com",
        "instagr.am",
        "tinyurl.com",
        "goo.gl",
        "kik.me",
        "m.me",
        "fb.me",
        "ow.ly",
        "is.gd",
        "t.co",
        "tr.ee",
        "carrd.co",
        "vm.tiktok.com",
        "lnk.bio",
        "beacons.ai",
    }
)
SPACED_DOT_TLDS = ("com", "net", "org", "xyz", "io", "gg", "co\\.uk")

MAIL_PROVIDERS = (
    "gmail",
    "googlemail",
    "hotmail",
    "yahoo",
    "outlook",
    "icloud",
    "protonmail",
    "proton",
    "aol",
    "ymail",
    "gmx",
    "yandex",
    "btinternet",
)

# Platform names, with the usual ways of bending them ("1nsta", "sn@p", "d1scord").
# STRONG names are read as a platform wherever they stand; WEAK ones are also
# ordinary words or slang ("ig" = "I guess", "wa", "tele", "signal").
STRONG_PLATFORMS = (
    r"[i1!|l]n[s5$]t[a4@](?:gr[a4@]m)?",
    r"[s5$]n[a4@]pch[a4@]t",
    r"d[i1!|][s5$]c[o0]rd",
    r"disc",
    r"t[e3]l[e3]gr[a4@]m",
    r"wh?[a4@]t[s5$]?\s?[a4@]pp?",
    r"t[i1]k\s?t[o0]k",
    r"kik",
    r"twitter",
    r"facebook",
    r"messenger",
    r"reddit",
    r"twitch",
    r"psn",
    r"xbox",
    r"gamertag",
    r"roblox",
    r"skype",
    r"wechat",
    r"viber",
    r"vsco",
    r"tumblr",
    r"bereal",
    r"youtube",
    r"steam",
    r"insta\s?gram",
    # letters split by dots or spaces: "s.n.a.p", "i n s t a"
    r"s[.\s_*-]n[.\s_*-]a[.\s_*-]p",
    r"i[.\s_*-]n[.\s_*-]s[.\s_*-]t[.\s_*-]a",
    r"d[.\s_*-]i[.\s_*-]s[.\s_*-]c[.\s_*-]o[.\s_*-]r[.\s_*-]d",
    r"t[.\s_*-]i[.\s_*-]k[.\s_*-]t[.\s_*-]o[.\s_*-]k",
)
WEAK_PLATFORMS = (
    r"[s5$]n[a4@]p",
    r"snp",
    r"sc",
    r"ig",
    r"wa",
    r"tg",
    r"tt",
    r"yt",
    r"dc",
    r"fb",
    r"tele",
    r"signal",
    r"threads",
    r"gram",
    r"user\s?name",
    r"handle",
    r"@",
    "\U0001f47b",  # the Snapchat ghost
)

# The letter-only spellings STRONG_PLATFORMS and WEAK_PLATFORMS match, word by word:
# the pre-check that lets an ordinary message skip the platform search.
PLATFORM_WORDS = frozenset(
    """
insta instagram lnsta gram snap snapchat snp sc ig wa tg tt yt dc fb tele telegram signal threads
discord disc whatsapp whatsap watsapp watsap whatapp watapp whats wats tiktok tik kik twitter
facebook messenger reddit twitch psn xbox gamertag roblox skype wechat viber vsco tumblr bereal
youtube steam username handle snaps
""".split()
)
STREET_WORDS = frozenset(
    """
street st road rd avenue ave lane ln drive dr close way court ct place pl boulevard blvd crescent
cres terrace gardens grove square sq row mews parkway highway hwy
""".split()
)

# Words that follow "my insta is ..." or "on snap ..." without being a handle.
NOT_HANDLES = frozenset(
    """
a an the my your his her our their its it it's is was be been being are am im i'm i me you he she we they
them him us not no yes so too also just only very really quite pretty kinda sorta literally
private public down dead gone deleted banned hacked blocked locked suspended broken new old
full empty boring same different there here on off in out up over under at to for of by with from
and or but if then than that this these those what who why how when where which
now later soon today tonight tomorrow yesterday sometime anytime always never again
everyday everything everyone everybody nothing anything something someone anyone nobody
lol lmao omg idk ikr tbh ngl rn pls please plz thanks thx ok okay okey fine good bad
yeah yea yep yup nah nope no yes ya nvm idc whatever true false hi hey hello bye
deactivated deactivate reactivated closed archived inactive abandoned disabled restricted shadowbanned
lowkey highkey basically totally kinda mostly barely hardly still already even
mum mom mam mummy mommy dad daddy nan gran grandma grandad sister brother sis bro friend bestie bf gf
for with about because cause cuz since till until
every each both either neither another other others such own whole daily nonstop constantly sometimes often usually
better worse easier safer quicker faster well usual normal though long
great cool nice weird toxic fake real dumb stupid annoying trash mid dry
lot lots bit much many more less most least all any some none few
decision decisions shot shots story stories streak streaks chat chats call calls account acc
filter filters server servers live lives feed feeds reel bio profile status update updates memories
map score scores pics pic photos photo videos video friends friend followers following group groups
notification notif notifs dming texting spam addict addiction detox ban rules fyp algorithm
app apps feed page post posts reel reels dm dms message messages notifications
same thing stuff drama time times day days week weeks month year years
home school work mall park class lunch break bed
everyone here channel group server
dont don't cant can't wont won't isnt isn't wasnt wasn't
like love hate use used using got get gets getting make makes made go goes going went
say says said tell told know knew think thought see saw look looking find found want wanted
do does did doing have has had having will would could should might must can
back again forward away around about after before instead whenever asap first
user username name handle id tag
ig snap insta discord tiktok kik telegram whatsapp
guess sure maybe probably honestly actually basically
""".split()
)

# Words that ask for or hand over contact on a platform: "add me on snap lunaxo".
CONTACT_REQUEST = (
    r"add|follow|hmu|hit\s+me\s+up|dm|msg|message|text|find|search|look\s+me\s+up|"
    r"talk|chat|snap|sc|friend|join|contact|reach|send|ping"
)
