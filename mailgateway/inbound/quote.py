"""Keep what the person wrote: strip the quoted history and the signature of a reply.

Rules (compiled once), applied to plain text, in this order:
- the quote marker left by the HTML converter (Gmail/Apple/Outlook quote markup);
- "On … wrote:" / "El … escribió:" (and de/fr/pt/it/nl), also wrapped over 2-3 lines;
- "-----Original Message-----" / "-----Mensaje original-----" separators;
- Outlook header blocks "From: … Sent: …" / "De: … Enviado: …" (2+ header lines);
- a "date, name <address>:" attribution followed by quoted lines;
- lines quoted with ">" (inline answers keep the person's own lines);
- the signature: a "-- " delimiter line, or a short "Sent from my …" /
  "Enviado desde mi …" line near the end.
mail-parser-reply's Outlook/"wrote" headers are covered by these rules, which also know the
Spanish forms and the wrapped headers of the corpus, so the library is not needed at run time.
"""

from __future__ import annotations

import re

from .html_text import QUOTE_MARK, html_to_text

_WROTE = re.compile(
    r"^(?:on|el|am|le|em|il|op|w dniu|den|på)\s.{0,400}?"
    r"(?:wrote|escribi[oó]|schrieb|a\s+[ée]crit|escreveu|ha\s+scritto|schreef|napisa[lł]"
    r"|skrev)\s*:?\s*$", re.I | re.S)
_WROTE_START = re.compile(r"^(?:on|el|am|le|em|il|op|w dniu|den|på)\s", re.I)
_ORIGINAL = re.compile(
    r"^\s*-{2,}\s*(?:original message|mensaje original|ursprüngliche nachricht|"
    r"message d'origine|mensagem original|messaggio originale|forwarded by .*?|"
    r"reply message)\s*-{2,}", re.I)
_HEADER_KEYS = (r"from|de|von|от|da|van|sent|enviado|enviada|date|fecha|to|para|subject|"
                r"asunto|gesendet|an|betreff|отправлено|кому|тема|envoyé|objet|data|"
                r"cc|a|à|datum|onderwerp|aan|oggetto|inviato")
_HEADER_LINE = re.compile(rf"^\s*\*?\s*(?:{_HEADER_KEYS})\s*\*?\s*:\s*\*?\s*\S", re.I)
_FROM_LINE = re.compile(r"^\s*\*?\s*(?:from|de|von|от|da|van)\s*\*?\s*:\s*\*?\s*\S", re.I)
_UNDERSCORES = re.compile(r"^\s*_{20,}\s*$")
_ATTRIBUTION = re.compile(r"^.{0,200}(?:@|\d).{0,200}:\s*$")
_SIG_DELIMITER = re.compile(r"^(?:--|—|-- ?)\s*$")
_SENT_FROM = re.compile(
    r"^\s*(?:sent from (?:my|mobile|yahoo|outlook)|sent from \w+ (?:for|on) |"
    r"sent with |sent via |enviado desde (?:mi|el|yahoo|outlook)|"
    r"enviado con |get outlook for|obtener outlook para|descargar outlook para|"
    r"von meinem|envoyé de mon|inviato da)\b.{0,80}$", re.I)
_BLANKS = re.compile(r"\n\s*\n\s*\n+")
_WROTE_LINES = 3
_SENT_FROM_TAIL_LINES = 4


def _is_header_block(lines: list[str], i: int) -> bool:
    if not _FROM_LINE.match(lines[i]) and not (
            _HEADER_LINE.match(lines[i]) and any(
                _FROM_LINE.match(line) for line in lines[i + 1:i + 5])):
        return False
    following = [line for line in lines[i + 1:i + 6] if line.strip()]
    return sum(1 for line in following[:4] if _HEADER_LINE.match(line)) >= 1


def _cut_index(lines: list[str]) -> int | None:
    for i, line in enumerate(lines):
        stripped = line.strip()
        if not stripped:
            continue
        if stripped == QUOTE_MARK or _ORIGINAL.match(stripped):
            return i
        if _UNDERSCORES.match(stripped):
            rest = [x for x in lines[i + 1:i + 4] if x.strip()]
            if rest and _HEADER_LINE.match(rest[0]):
                return i
            continue
        if _WROTE_START.match(stripped):
            for n in range(1, _WROTE_LINES + 1):
                joined = " ".join(x.strip() for x in lines[i:i + n])
                if _WROTE.match(joined):
                    return i
        if _HEADER_LINE.match(stripped) and _is_header_block(lines, i):
            return i
        if stripped.startswith(">"):
            return None if _has_own_lines_after(lines, i) else i
    return None


def _has_own_lines_after(lines: list[str], i: int) -> bool:
    """Inline answers: non-quoted text after the first quoted line."""
    return any(x.strip() and not x.lstrip().startswith(">") for x in lines[i:])


def _drop_attribution(kept: list[str]) -> list[str]:
    while kept and not kept[-1].strip():
        kept.pop()
    if kept and _ATTRIBUTION.match(kept[-1].strip()) and len(kept[-1]) < 300:
        kept.pop()
    return kept


def _strip_signature(lines: list[str]) -> list[str]:
    for i, line in enumerate(lines):
        if i and _SIG_DELIMITER.match(line):
            return lines[:i]
    tail_start = max(0, len(lines) - _SENT_FROM_TAIL_LINES)
    for i in range(tail_start, len(lines)):
        if i and _SENT_FROM.match(lines[i]):
            return lines[:i]
    return lines


def reply_text(text: str) -> str:
    """The part of a plain-text body the sender wrote."""
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    cut = _cut_index(lines)
    kept = lines[:cut] if cut is not None else lines
    if cut is not None:
        kept = _drop_attribution(kept)
    kept = [x for x in kept if not x.lstrip().startswith(">")] if any(
        x.lstrip().startswith(">") for x in kept) else kept
    while kept and not kept[-1].strip():
        kept.pop()
    kept = _strip_signature(kept)
    result = _BLANKS.sub("\n\n", "\n".join(line.rstrip() for line in kept)).strip()
    return result.replace(QUOTE_MARK, "").strip()


def html_reply_text(html: str) -> str:
    return reply_text(html_to_text(html, strip_quotes=True))
