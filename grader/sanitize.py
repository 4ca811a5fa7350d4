"""Text a student controls, made safe to print: the one sanitiser every report goes through.

Student-controlled strings reach reports inside check messages (exception names and messages,
warnings), notes and advice, file, folder and zip member names, and the submission's
description. :mod:`grader.results` passes every string it stores through :func:`line` (or
:func:`block` for a multi-line field), on construction and on every later assignment, so no
renderer can print an unsanitised string. What comes out:

- no escape sequences: CSI (``ESC [ … final``, also 8-bit ``0x9b``), OSC/DCS/SOS/PM/APC strings
  (``ESC ] … BEL`` or ``… ESC \\``) and two-byte escapes (``ESC c``) are removed whole, not just
  their ESC byte;
- no C0/C1 control characters: tabs, newlines, carriage returns, form feeds, U+0085, U+2028
  and U+2029 become one space in a single-line field (:func:`block` keeps ``\\n`` between
  lines), every other control character is dropped;
- no invisible format characters (Unicode category Cf: bidi embeddings, overrides and isolates
  U+202A–U+202E and U+2066–U+2069, marks U+200E/U+200F/U+061C, zero-width characters, soft
  hyphen, BOM, tag characters): they can make text read differently from what it is;
- no lone surrogates (U+FFFD instead; a surrogate pair becomes its character) and no
  unassigned code points (U+FFFD), so the text always encodes as UTF-8;
- bounded length: at most ``limit`` characters, the last one "…" when something was cut.

Every function takes time linear in ``limit`` whatever the input's size: the input is cut
before any regular expression sees it, and the one expression used cannot backtrack.
Sanitising is idempotent: ``line(line(s)) == line(s)``.
"""
from __future__ import annotations

import re
import unicodedata

ELLIPSIS = "…"
MESSAGE_CHARS = 500  # messages, notes, advice, the submission's description
NAME_CHARS = 200  # names of checks, exercises, modules, mistakes; short labels
BLOCK_CHARS = 4000  # a multi-line field (a traceback) in all
BLOCK_LINES = 40

# Introducers: ESC ] P X ^ _ (7-bit) and their 8-bit forms 0x9d 0x90 0x98 0x9e 0x9f; strings
# end at BEL, ST (ESC \ or 0x9c). An unterminated string loses only its introducer (the rest
# is then plain, harmless text). Every repetition below stops at a character that cannot
# start another match, so matching is linear.
_STOPS = "\x07\x1b\x9c\x90\x98\x9d\x9e\x9f"
_ESCAPES = re.compile(
    rf"(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^{_STOPS}]*(?:\x07|\x1b\\|\x9c)"  # OSC, DCS, …
    r"|(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]?"  # CSI: parameters, intermediates, final byte
    r"|\x1b[ -/]*[0-~]?"  # any other escape (ESC c, ESC 7, ESC ( B), or a lone ESC
)
_BREAKS = "\t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85\u2028\u2029"
# Letters and marks that draw nothing (Hangul fillers, the combining grapheme joiner, Khmer
# inherent vowels): not format characters for Unicode, but as good at disguising text.
_FILLERS = (0x034F, 0x115F, 0x1160, 0x17B4, 0x17B5, 0x3164, 0xFFA0)


class _Table(dict):
    """str.translate table, filled lazily: what each code point becomes (None: dropped)."""

    def __init__(self, breaks_to: str):
        super().__init__({ord(c): breaks_to for c in _BREAKS})
        self.update(dict.fromkeys(_FILLERS))

    def __missing__(self, cp: int):
        category = unicodedata.category(chr(cp))
        if category in ("Cc", "Cf"):
            out = None
        elif category in ("Cs", "Cn"):
            out = "\ufffd"
        elif category in ("Zl", "Zp"):
            out = " "
        else:
            out = cp
        self[cp] = out
        return out


_ONE_LINE = _Table(" ")


def line(value, limit: int = MESSAGE_CHARS) -> str:
    """``value`` as one printable line of at most ``limit`` characters (see the module doc)."""
    text = value if type(value) is str else _as_text(value)
    if limit < 1:
        return ""
    cut = limit * 4 + 256  # room for escape sequences that will be removed
    truncated = len(text) > cut
    text = text[:cut]
    if text.isascii() and text.isprintable():  # the common case: nothing to remove
        text = text.strip()
        return _cut(text, limit) if truncated or len(text) > limit else text
    if not text.isascii():
        # Pairs of surrogates become their character, lone ones U+FFFD.
        text = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    text = _ESCAPES.sub("", text).translate(_ONE_LINE).strip()
    if truncated or len(text) > limit:
        return _cut(text, limit)
    return text


def block(value, limit: int = BLOCK_CHARS, max_lines: int = BLOCK_LINES,
          line_limit: int = MESSAGE_CHARS) -> str:
    """A multi-line field (a traceback): lines kept apart by ``\\n``, each one sanitised like
    :func:`line` (indentation kept), at most ``max_lines`` lines and ``limit`` characters."""
    text = value if type(value) is str else _as_text(value)
    cut = limit * 4 + 256
    truncated = len(text) > cut
    text = text[:cut]
    for br in ("\r\n", "\r", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028",
               "\u2029"):
        text = text.replace(br, "\n")
    raw = text.split("\n")
    if len(raw) > max_lines:
        raw, truncated = raw[:max_lines], True
    lines = []
    for piece in raw:
        indent = len(piece) - len(piece.lstrip(" "))
        lines.append((" " * min(indent, 40) + line(piece, line_limit)).rstrip())
    text = "\n".join(lines).strip("\n")
    return _cut(text, limit) if truncated or len(text) > limit else text


def number(value) -> float | None:
    """``value`` as a finite float, or None when it is not one (NaN, ±inf, not a number)."""
    if isinstance(value, (str, bytes, bytearray)):
        return None
    try:
        x = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return x if x == x and x not in (float("inf"), float("-inf")) else None


def _cut(text: str, limit: int) -> str:
    return text[:limit - 1].rstrip() + ELLIPSIS


def _as_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, str):  # a subclass: its own methods are not to be trusted
        return str.__str__(value)
    try:
        text = str(value)
    except Exception:  # noqa: BLE001 - a broken __str__ must not break a report
        return f"<unprintable {type(value).__name__}>"
    return text if isinstance(text, str) else ""
