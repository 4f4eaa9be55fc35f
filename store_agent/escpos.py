"""An incremental ESC/POS tokenizer: enough to follow a receipt's text and find its cut.

It knows the length of every command a receipt usually carries, including the ones with binary
payloads (raster and bit images, barcodes, QR codes and the other `GS (` / `ESC (` / `FS (`
functions), so image bytes are never mistaken for text or for a cut. Tokens keep their exact
bytes: joining them gives back the stream unchanged.
"""

import dataclasses
import re

ESC, GS, FS, DLE = 0x1B, 0x1D, 0x1C, 0x10
LF, CR, FF, HT = 0x0A, 0x0D, 0x0C, 0x09

# Total length (prefix and command byte included) of fixed-length commands.
_ESC_FIXED = {
    ord("@"): 2, ord("!"): 3, ord("-"): 3, ord("2"): 2, ord("3"): 3, ord("E"): 3, ord("G"): 3, ord("M"): 3,
    ord("R"): 3, ord("V"): 3, ord("a"): 3, ord("d"): 3, ord("e"): 3, ord("t"): 3, ord("{"): 3, ord("J"): 3,
    ord("K"): 3, ord(" "): 3, ord("$"): 4, ord("\\"): 4, ord("p"): 5, ord("r"): 3, ord("i"): 2, ord("m"): 2,
    ord("="): 3, ord("%"): 3, ord("?"): 3, ord("T"): 3, ord("L"): 2, ord("S"): 2, 0x0C: 2, ord("W"): 10,
    ord("U"): 3, ord("u"): 3, ord("v"): 2, ord("<"): 2, ord("D"): 0, ord("c"): 4, ord("g"): 3,
}
_GS_FIXED = {
    ord("!"): 3, ord("B"): 3, ord("H"): 3, ord("h"): 3, ord("w"): 3, ord("f"): 3, ord("L"): 4, ord("W"): 4,
    ord("a"): 3, ord("r"): 3, ord("I"): 3, ord("b"): 3, ord("$"): 4, ord("\\"): 4, ord("P"): 4, ord("T"): 3,
    ord("^"): 5, ord(":"): 2, ord("E"): 3, ord("/"): 3, ord("g"): 6, ord("c"): 2, ord("z"): 3,
}
_FS_FIXED = {ord("p"): 4, ord("!"): 3, ord("&"): 2, ord("."): 2, ord("-"): 3, ord("C"): 3, ord("S"): 4,
             ord("W"): 3}


@dataclasses.dataclass(frozen=True)
class Token:
    kind: str  # text | newline | cut | feed_cut | barcode | command | end
    raw: bytes
    data: bytes = b""


class NeedMore(Exception):
    pass


def _at(buf: bytes | bytearray, i: int) -> int:
    if i >= len(buf):
        raise NeedMore
    return buf[i]


def _sized(buf, start: int, header: int, size: int) -> int:
    end = start + header + size
    if end > len(buf):
        raise NeedMore
    return end


def _scan(buf, i: int) -> tuple[str, int, bytes]:
    """(kind, end, data) of the token starting at i; raises NeedMore when it is incomplete."""
    b = buf[i]
    if b >= 0x20 or b == HT:
        j = i + 1
        while j < len(buf) and (buf[j] >= 0x20 or buf[j] == HT):
            j += 1
        return "text", j, bytes(buf[i:j])
    if b in (LF, CR):
        return "newline", i + 1, b""
    if b == FF:
        return "command", i + 1, b""
    if b == ESC:
        c = _at(buf, i + 1)
        if c in (0x69, 0x6D):  # i m
            return "cut", i + 2, b""
        if c == 0x2A:  # bit image: m nL nH then n (8-dot) or 3n (24-dot) columns
            m, n = _at(buf, i + 2), _at(buf, i + 3) | _at(buf, i + 4) << 8
            return "command", _sized(buf, i, 5, n * (3 if m in (32, 33) else 1)), b""
        if c == 0x28:  # ESC ( X pL pH data
            n = _at(buf, i + 3) | _at(buf, i + 4) << 8
            return "command", _sized(buf, i, 5, n), b""
        if c == 0x44:  # tab positions, NUL-terminated
            return "command", _until_nul(buf, i + 2), b""
        if c == 0x26:  # user-defined characters: y c1 c2, then per char x and y*x bytes
            y, c1, c2 = _at(buf, i + 2), _at(buf, i + 3), _at(buf, i + 4)
            j = i + 5
            for _ in range(max(0, c2 - c1 + 1)):
                x = _at(buf, j)
                j = _sized(buf, j, 1, y * x)
            return "command", j, b""
        if c == 0x63:  # c
            _at(buf, i + 3)
            return "command", i + 4, b""
        if c == 0x64:  # feed n lines: part of the receipt's end, kept in order
            _at(buf, i + 2)
            return "command", i + 3, b""
        return "command", _fixed(buf, i, _ESC_FIXED.get(c, 2)), b""
    if b == GS:
        c = _at(buf, i + 1)
        if c == 0x56:  # V
            m = _at(buf, i + 2)
            if m in (0, 1, 48, 49):
                return "cut", i + 3, b""
            _at(buf, i + 3)
            return "cut", i + 4, b""
        if c == 0x6B:  # barcode
            m = _at(buf, i + 2)
            if m <= 6:
                end = _until_nul(buf, i + 3)
                return "barcode", end, bytes(buf[i + 3:end - 1])
            n = _at(buf, i + 3)
            end = _sized(buf, i, 4, n)
            return "barcode", end, bytes(buf[i + 4:end])
        if c == 0x28:  # GS ( X pL pH data (QR codes are GS ( k)
            n = _at(buf, i + 3) | _at(buf, i + 4) << 8
            end = _sized(buf, i, 5, n)
            kind = "barcode" if buf[i + 2] == 0x6B and n > 3 and buf[i + 6] == 80 else "command"  # k
            return kind, end, bytes(buf[i + 8:end]) if kind == "barcode" else b""
        if c == 0x76:  # GS v 0 m xL xH yL yH raster
            x = _at(buf, i + 4) | _at(buf, i + 5) << 8
            y = _at(buf, i + 6) | _at(buf, i + 7) << 8
            return "command", _sized(buf, i, 8, x * y), b""
        if c == 0x2A:  # downloaded bit image: x y, x*y*8 bytes
            x, y = _at(buf, i + 2), _at(buf, i + 3)
            return "command", _sized(buf, i, 4, x * y * 8), b""
        if c == 0x38 or c == 0x44:  # GS 8 L / GS D: 4-byte (8) or 2-byte (D) length after the function
            fn = _at(buf, i + 2)
            if c == 0x38 and fn == 0x4C:  # 8 L
                n = _at(buf, i + 3) | _at(buf, i + 4) << 8 | _at(buf, i + 5) << 16 | _at(buf, i + 6) << 24
                return "command", _sized(buf, i, 7, n), b""
            n = _at(buf, i + 3) | _at(buf, i + 4) << 8
            return "command", _sized(buf, i, 5, n), b""
        return "command", _fixed(buf, i, _GS_FIXED.get(c, 2)), b""
    if b == FS:
        c = _at(buf, i + 1)
        if c == 0x28:  # (
            n = _at(buf, i + 3) | _at(buf, i + 4) << 8
            return "command", _sized(buf, i, 5, n), b""
        return "command", _fixed(buf, i, _FS_FIXED.get(c, 2)), b""
    if b == DLE:
        c = _at(buf, i + 1)
        if c == 0x14:  # DLE DC4 fn ...
            fn = _at(buf, i + 2)
            return "command", _fixed(buf, i, {1: 5, 2: 5, 7: 4, 8: 10}.get(fn, 5)), b""
        if c in (0x04, 0x05):
            return "command", _fixed(buf, i, 3), b""
        return "command", i + 2, b""
    return "command", i + 1, b""  # any other control byte


def _fixed(buf, i: int, length: int) -> int:
    _at(buf, i + length - 1)
    return i + length


def _until_nul(buf, j: int) -> int:
    end = buf.find(b"\x00", j)
    if end < 0:
        raise NeedMore
    return end + 1


class Tokenizer:
    """Feed bytes as they arrive; get complete tokens. `flush()` returns what an incomplete
    command left at the end of the stream, unparsed."""

    def __init__(self, *, max_pending: int = 4 * 1024 * 1024):
        self._buf = bytearray()
        self._max = max_pending

    def feed(self, data: bytes) -> list[Token]:
        self._buf += data
        out: list[Token] = []
        i = 0
        buf = self._buf
        while i < len(buf):
            try:
                kind, end, payload = _scan(buf, i)
            except NeedMore:
                if len(buf) - i > self._max:  # a length we cannot believe: hand it on as it is
                    out.append(Token("command", bytes(buf[i:])))
                    i = len(buf)
                break
            out.append(Token(kind, bytes(buf[i:end]), payload))
            i = end
        del self._buf[:i]
        return out

    def flush(self) -> bytes:
        rest = bytes(self._buf)
        self._buf.clear()
        return rest

    @property
    def pending(self) -> int:
        return len(self._buf)


# Text and line ends: everything a receipt's words are made of, matched in C, not byte by byte.
_WORDS = re.compile(rb"[\t\n\r\x20-\xff]+")
# The fixed-length commands `_scan` measures from its tables (not cuts, not those with payloads),
# keyed by their first two bytes: the scanner steps over them without calling `_scan`.
_SIMPLE = {**{ESC << 8 | c: n for c, n in _ESC_FIXED.items() if c not in b"im*(D&" and n >= 2},
           **{GS << 8 | c: n for c, n in _GS_FIXED.items() if c not in b"Vk(v*8D"},
           **{FS << 8 | c: n for c, n in _FS_FIXED.items() if c != 0x28}}


class CutScanner:
    """The interceptor's scanner: finds the cuts (receipt ends) in a raw stream with the least work
    per byte. Runs of text and line ends are matched by one regex; only control bytes go through
    `_scan`, so image and barcode payloads are skipped by their lengths. `feed` returns the stream
    as pieces in order: `bytes` to pass on as they are, and `Cut`s (the cut's bytes and the text of
    the receipt it ends). An incomplete command at the end of a chunk waits for the next one."""

    def __init__(self, *, max_pending: int = 4 * 1024 * 1024, text_mode: bool = False):
        self._pending = b""
        self._max = max_pending
        self._text_mode = text_mode
        self.text = bytearray()  # the current receipt's text since the last cut

    def feed(self, data: bytes) -> list:
        buf = self._pending + data if self._pending else data
        self._pending = b""
        if self._text_mode:
            return self._feed_text(buf)
        out: list = []
        text = self.text
        i, start, n = 0, 0, len(buf)
        words, simple = _WORDS.match, _SIMPLE.get
        while i < n:
            m = words(buf, i)
            if m is not None:
                text += buf[i:m.end()]
                i = m.end()
                continue
            if i + 1 < n:
                length = simple(buf[i] << 8 | buf[i + 1])
                if length is not None and i + length <= n:
                    i += length
                    continue
            try:
                kind, end, _ = _scan(buf, i)
            except NeedMore:
                if n - i <= self._max:  # else a length we cannot believe: hand it on as it is
                    self._pending = buf[i:]
                    n = i
                break
            if kind == "cut":
                if i > start:
                    out.append(buf[start:i])
                out.append(Cut(buf[i:end], bytes(text)))
                text.clear()
                start = end
            i = end
        if n > start:
            out.append(buf[start:n])
        return out

    def _feed_text(self, buf: bytes) -> list:
        out: list = []
        start = 0
        while (ff := buf.find(b"\x0c", start)) >= 0:
            self.text += buf[start:ff]
            if ff > start:
                out.append(buf[start:ff])
            out.append(Cut(b"\x0c", bytes(self.text)))
            self.text.clear()
            start = ff + 1
        if start < len(buf):
            self.text += buf[start:]
            out.append(buf[start:])
        return out

    def flush(self) -> bytes:
        """What an incomplete command left at the end of the stream, unparsed."""
        rest, self._pending = self._pending, b""
        return rest


@dataclasses.dataclass(frozen=True)
class Cut:
    raw: bytes
    text: bytes
