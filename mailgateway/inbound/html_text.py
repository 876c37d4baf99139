"""HTML mail bodies turned into plain text (never rendered), optionally cut at the quote.

A small stdlib HTMLParser: scripts, styles and comments are dropped, block elements become
line breaks, entities are decoded. With `strip_quotes`, everything from the first quote
marker of the common clients on is left out: Gmail (`gmail_quote`), Apple Mail and
Thunderbird (`blockquote type=cite`, `moz-cite-prefix`), Outlook (`divRplyFwdMsg`,
`OutlookMessageHeader`, the `border-top:solid #B5C4DF` header box, `OLK_SRC_BODY_SECTION`,
`appendonsend`), Hotmail (`hr#stopSpelling`), Yahoo (`yahoo_quoted`) and any blockquote.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

QUOTE_MARK = "\x00QUOTE\x00"
_BLOCK = frozenset({
    "p", "div", "br", "tr", "li", "ul", "ol", "table", "h1", "h2", "h3", "h4", "h5", "h6",
    "blockquote", "pre", "hr", "section", "article", "header", "footer", "address", "dd",
    "dt", "dl",
})
_SKIP = frozenset({"script", "style", "head", "title", "noscript", "template", "object",
                   "iframe", "svg", "xml"})
_VOID = frozenset({"br", "hr", "img", "meta", "link", "input", "base", "col", "area", "wbr"})
_QUOTE_CLASSES = ("gmail_quote", "gmail_attr", "moz-cite-prefix", "yahoo_quoted",
                  "outlookmessageheader", "protonmail_quote", "zmail_extra", "ms-outlook-ios-reply")
_QUOTE_IDS = ("divrplyfwdmsg", "olk_src_body_section", "appendonsend", "stopspelling",
              "mail-editor-reference-message-container", "isforwardcontent", "reply-intro")
_OUTLOOK_BOX = re.compile(r"border-top\s*:\s*solid\s+#(?:b5c4df|e1e1e1)", re.I)
_SPACES = re.compile(r"[ \t\r\f\v\u00a0]+")
_NEWLINES = re.compile(r"\s*[\r\n]\s*")
_BLANKS = re.compile(r"\n\s*\n\s*\n+")


class _TextParser(HTMLParser):
    def __init__(self, strip_quotes: bool):
        super().__init__(convert_charrefs=True)
        self.strip_quotes = strip_quotes
        self.out: list[str] = []
        self.skip_depth = 0
        self.pre_depth = 0
        self.cut = False

    def _is_quote(self, tag: str, attrs) -> bool:
        if tag == "blockquote":
            return True
        for name, value in attrs:
            value = (value or "").lower()
            if name == "class" and any(c in value for c in _QUOTE_CLASSES):
                return True
            if name == "id" and any(value.startswith(i) for i in _QUOTE_IDS):
                return True
            if name == "style" and tag == "div" and _OUTLOOK_BOX.search(value):
                return True
        return False

    def handle_starttag(self, tag, attrs):
        if self.cut:
            return
        if tag in _SKIP and tag not in _VOID:
            self.skip_depth += 1
            return
        if self.strip_quotes and self._is_quote(tag, attrs):
            self.out.append("\n" + QUOTE_MARK)
            self.cut = True
            return
        if tag == "pre":
            self.pre_depth += 1
        if tag == "li":
            self.out.append("\n- ")
        elif tag in _BLOCK:
            self.out.append("\n")
        elif tag == "img":
            alt = dict(attrs).get("alt")
            if alt:
                self.out.append(f"[{alt}]")

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag):
        if self.cut:
            return
        if tag in _SKIP and self.skip_depth:
            self.skip_depth -= 1
        elif tag in ("p", "div", "tr", "table", "h1", "h2", "h3", "pre", "blockquote"):
            if tag == "pre" and self.pre_depth:
                self.pre_depth -= 1
            self.out.append("\n")
        elif tag in ("td", "th"):
            self.out.append(" ")

    def handle_data(self, data):
        if not self.cut and not self.skip_depth:
            self.out.append(data if self.pre_depth else _NEWLINES.sub(" ", data))


def html_to_text(html: str, *, strip_quotes: bool = False) -> str:
    parser = _TextParser(strip_quotes)
    try:
        parser.feed(html)
        parser.close()
    except Exception:  # the stdlib parser is lenient; keep what was read
        pass
    text = "".join(parser.out)
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return _BLANKS.sub("\n\n", "\n".join(lines)).strip()
