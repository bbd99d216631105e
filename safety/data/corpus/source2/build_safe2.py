"""Build safe2.csv from the compact raw/*.txt files and validate it.

Raw format: a line "# class level role lang" sets the labels for the lines after it;
each other non-empty line is one message, optionally "context >> text" where context
turns are joined by " || " as in CORPUS.md.
"""
import collections, csv, glob, os, re, sys


def norm(text):
    """Case and punctuation folded, so near-copies count as duplicates too."""
    return re.sub(r"[^\w]+", " ", text.lower()).strip()

HERE = os.path.dirname(os.path.abspath(__file__))
HEADER = ["text", "level", "category", "role", "context", "lang", "class"]
LEVELS = {"none", "distress", "elevated", "imminent"}
ROLES = {"seeker", "listener", "member"}
LANGS = {"en", "es", "fr", "de", "pt"}
SAFE = {"ordinary", "distress", "hyperbole", "joke", "harmless_vocab", "study_work",
        "resolved_past", "grief_other", "denial", "abuse_adult_past"}
GROOM = {"grooming_contact", "grooming_location", "grooming_identity", "grooming_photos",
         "grooming_secrecy", "grooming_meeting"}
HARASS = {"insult", "hate", "encourage_self_harm"}


def category(cls, role):
    if cls in SAFE:
        return ""
    if cls in GROOM:
        return "listener_misconduct"
    if cls == "sexual":
        return "listener_misconduct" if role == "listener" else "harassment"
    if cls in HARASS:
        return "harassment"
    if cls == "contact_share":
        return "personal_info"
    raise ValueError(cls)


def main():
    rows, errors = [], []
    for path in sorted(glob.glob(os.path.join(HERE, "raw", "*.txt"))):
        labels = None
        for n, line in enumerate(open(path, encoding="utf-8"), 1):
            line = line.rstrip("\n")
            if not line.strip():
                continue
            if line.startswith("# "):
                cls, level, role, lang = line[2:].split()
                labels = (cls, level, role, lang)
                continue
            cls, level, role, lang = labels
            ctx, text = ("", line)
            if " >> " in line:
                ctx, text = line.split(" >> ", 1)
            text, ctx = text.strip(), ctx.strip()
            where = f"{os.path.basename(path)}:{n}"
            if level not in LEVELS or role not in ROLES or lang not in LANGS:
                errors.append(f"{where} bad labels {labels}")
            if cls in GROOM and role != "listener":
                errors.append(f"{where} grooming not from listener")
            if cls in SAFE | GROOM | HARASS | {"sexual", "contact_share"} and cls not in {"distress", "resolved_past", "grief_other", "denial", "abuse_adult_past"} and level != "none":
                errors.append(f"{where} {cls} should be none")
            if not text:
                errors.append(f"{where} empty text")
            rows.append({"text": text, "level": level, "category": category(cls, role),
                         "role": role, "context": ctx, "lang": lang, "class": cls})
    seen = {}
    train = {norm(r["text"]) for r in csv.DictReader(open(os.path.join(HERE, "..", "train.csv"), encoding="utf-8"))}
    out = []
    for r in rows:
        k = norm(r["text"])
        if k in seen:
            errors.append(f"duplicate: {r['text']!r}")
            continue
        if k in train:
            errors.append(f"in train.csv: {r['text']!r}")
            continue
        seen[k] = 1
        out.append(r)
    with open(os.path.join(HERE, "safe2.csv"), "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=HEADER)
        w.writeheader()
        w.writerows(out)
    # re-read to prove it parses with the exact header
    back = list(csv.DictReader(open(os.path.join(HERE, "safe2.csv"), encoding="utf-8")))
    assert list(back[0].keys()) == HEADER and len(back) == len(out)
    if errors:
        print("\n".join(errors))
    print("rows", len(out), "with context", sum(1 for r in out if r["context"]))
    for key in ("class", "level", "lang", "role"):
        print(key, dict(collections.Counter(r[key] for r in out).most_common()))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
