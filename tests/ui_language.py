"""What a person sees on a page, and the raw codes, JSON and English that must never be part of it.

`visible_text(html)` keeps what a browser shows or reads out: the text of the page, the labels of
options and buttons, placeholders, titles and alternative texts; never scripts, styles, hidden
inputs or the values a form sends. `language_faults(texts)` names each fragment that shows a
program's words instead of a clerk's: a code (`claim.pay`, `assessor_assign`), a move between
states in code (`approved→paid`), JSON (`[]`, `{}`, `["gig_station"]`), a timestamp in UTC, or one
of the English strings Django shows when a label or a page has not been given in Chinese.
"""

import re
from html.parser import HTMLParser

from core.audit import ACTION_LABELS

# Elements whose content a person never reads on the page.
SKIPPED = {"script", "style", "template", "noscript", "head"}
# Attributes a browser shows (a tooltip, a placeholder, a picture's text) or reads out.
SHOWN_ATTRIBUTES = {"title", "placeholder", "alt", "aria-label"}
BUTTON_INPUTS = {"submit", "button", "reset"}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class _Visible(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []
        self.skipping: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in SKIPPED and tag not in VOID:
            self.skipping.append(tag)
        if self.skipping:
            return
        if tag == "input" and (attrs.get("type") or "").lower() == "hidden":
            return
        for name in SHOWN_ATTRIBUTES:
            if attrs.get(name):
                self.texts.append(attrs[name])
        if tag == "input" and (attrs.get("type") or "").lower() in BUTTON_INPUTS and attrs.get("value"):
            self.texts.append(attrs["value"])

    def handle_startendtag(self, tag, attrs):
        if tag in SKIPPED:
            return
        self.handle_starttag(tag, attrs)
        if tag in SKIPPED:
            self.skipping.pop()

    def handle_endtag(self, tag):
        if self.skipping and self.skipping[-1] == tag:
            self.skipping.pop()

    def handle_data(self, data):
        if not self.skipping and data.strip():
            self.texts.append(" ".join(data.split()))


def visible_text(html: str) -> list[str]:
    """The fragments of text a person sees or hears on the page, in order."""
    parser = _Visible()
    parser.feed(html)
    parser.close()
    return parser.texts


# Prefixes of the recorded actions' codes (claim., campaign., sheet., …): `claim.pay` on a page is
# a code; `report.xlsx` or `example.com` is not.
_ACTION_PREFIXES = sorted({code.split(".")[0] for code in ACTION_LABELS}, key=len, reverse=True)

PATTERNS = [
    (
        "代码（动作）",
        re.compile(r"\b(?:" + "|".join(map(re.escape, _ACTION_PREFIXES)) + r")\.[a-z_]+(?:\.[a-z_]+)*\b"),
    ),
    ("代码（下划线）", re.compile(r"(?<![A-Za-z0-9_./-])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![A-Za-z0-9_/-])")),
    ("状态代码", re.compile(r"\b[a-z_]{3,}\s*(?:→|->)\s*[a-z_]{3,}\b")),
    ("JSON", re.compile(r"\[\s*\]|\{\s*\}|\[\s*\"|\{\s*\"|\"\s*:\s*[\[{\"]")),
    (
        "UTC 时间",
        re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:\+00:?00|Z\b)|\bUTC\b"),
    ),
]

# English Django (or a package) shows when a label, a filter title, a page or a value has not been
# given in Chinese. Matched as whole words, case-sensitive.
ENGLISH = [
    "Content type",
    "content type",
    "Object id",
    "object id",
    "Responded by",
    "responded by",
    "Attempted Access",
    "Access attempt",
    "None",
    "True",
    "False",
    "Server Error",
    "Not Found",
    "Forbidden",
    "Bad Request",
    "CSRF verification failed",
    "Page not found",
    "Unknown",
    "Currently",
    "Change",
    "Delete",
    "Save",
    "Add",
    "History",
    "Filter",
    "Search",
    "Action",
    "Select",
    "Choose",
    "Remove",
    "Clear",
    "Today",
    "Now",
    "Yesterday",
    "Past 7 days",
    "This month",
    "This year",
    "Any date",
    "No date",
    "Has date",
    "All",
    "Yes",
    "No",
    "Go",
    "Log out",
    "View site",
    "Station",
    "Campaign",
    "Policy",
    "Claim",
    "Sheet",
    "Region",
    "User",
    "by",
    "and",
    "the",
    "of",
    "is",
    "to",
    "with",
    "this",
    "from",
]
_ENGLISH = re.compile(r"(?<![A-Za-z0-9_-])(?:" + "|".join(map(re.escape, ENGLISH)) + r")(?![A-Za-z0-9_-])")
# Also any run of three English words (a sentence Django, a package or a programmer wrote) and a
# label Django made from a name (“Status link”, “Masked phone”).
_ENGLISH_RUN = re.compile(r"\b[A-Za-z]{2,}(?:[ ,]+[A-Za-z]{2,}){2,}\b|\b[A-Z][a-z]+ [a-z]{2,}\b")

# And any English word of four letters or more standing alone (“以 campaign”, “Station:”); a word
# inside a code (yunmeng-2024, a file name, an address) is the code's.
_ENGLISH_WORD = re.compile(r"(?<![\w./@:-])[A-Za-z][a-z]{3,}(?![\w./@-])")

# What may stand in the Chinese UI, each for a reason:
ALLOWED = [
    # Product and standard names a clerk knows by these letters.
    re.compile(r"\b(?:Google|Microsoft) Authenticator\b"),
    re.compile(r"\b(?:Excel|PDF|ZIP|SHA-256|TOTP|Cookie|ID|QR|URL|HTTPS?)\b"),
    # An authenticator's key, typed by hand when the QR code cannot be scanned (groups of base32).
    re.compile(r"\b(?:[A-Z2-7]{4} ){3,}[A-Z2-7]{4}\b"),
    # Keys on the keyboard, by the names printed on them (Django's “按住 Control 键或 Mac 上的 Command 键”).
    re.compile(r"\b(?:Control|Command|Ctrl|Shift|Mac)\b"),
    # The language switch offers English by its own name (the portal is translated).
    re.compile(r"\bEnglish\b"),
    # E-mail addresses and file names are data (report_2024.xlsx, a.b@example.com).
    re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"),
    re.compile(
        r"[\w\-.（）()\u4e00-\u9fff]+\.(?:xlsx|xls|pdf|zip|png|jpe?g|docx?|csv|json)\b", re.IGNORECASE
    ),
]


def language_faults(texts: list[str], data: tuple[str, ...] = ()) -> list[str]:
    """Each fragment that shows a code, JSON, UTC or English, with what was found in it.

    `data` are words that are the page's subject, not its language (the login names on the
    accounts' pages): they are taken out before checking."""
    faults = []
    data_pattern = (
        re.compile(r"(?<![\w-])(?:" + "|".join(map(re.escape, data)) + r")(?![\w-])") if data else None
    )
    for text in texts:
        cleaned = text
        for allowed in ALLOWED:
            cleaned = allowed.sub(" ", cleaned)
        if data_pattern is not None:
            cleaned = data_pattern.sub(" ", cleaned)
        found = [f"{kind}“{m.group(0)}”" for kind, pattern in PATTERNS for m in pattern.finditer(cleaned)]
        found += [f"英文“{m.group(0)}”" for m in _ENGLISH.finditer(cleaned)]
        found += [f"英文“{m.group(0)}”" for m in _ENGLISH_RUN.finditer(cleaned)]
        found += [f"英文“{m.group(0)}”" for m in _ENGLISH_WORD.finditer(cleaned)]
        if found:
            faults.append(f"{'、'.join(dict.fromkeys(found))} 于：{text[:160]}")
    return faults


def page_faults(html: str, data: tuple[str, ...] = ()) -> list[str]:
    return language_faults(visible_text(html), data)
