"""The ESC/POS tokenizer on bytes python-escpos renders, the way a POS sends them."""

from escpos.printer import Dummy
from hypothesis import given, settings, strategies as st
from PIL import Image

from store_agent.escpos import Cut, CutScanner, Tokenizer


def rendered() -> bytes:
    p = Dummy()
    p.set(align="center", bold=True, double_height=True)
    p.text("SHOP\nRef: R-1001\n")
    p.set(align="left", bold=False)
    p.barcode("4006381333931", "EAN13")
    p.barcode("ABC-123", "CODE39")
    p.qr("https://example.com/x", native=True)
    # an image full of bytes that look like commands: GS V (cut), LF, ESC
    img = Image.frombytes("1", (64, 24), bytes([0x1D, 0x56, 0x00, 0x0A, 0x1B, 0x69] * 32))
    p.image(img)
    p.text("TOTAL EUR 12.50\n")
    p.cashdraw(2)
    p.cut()
    return p.output


def test_every_byte_is_kept_and_only_the_real_cut_is_a_cut():
    data = rendered()
    tokens = Tokenizer().feed(data)
    assert b"".join(t.raw for t in tokens) == data
    assert [t.kind for t in tokens].count("cut") == 1 and tokens[-1].kind == "cut"
    text = b"".join(t.data for t in tokens if t.kind == "text")
    assert b"Ref: R-1001" in text and b"TOTAL EUR 12.50" in text
    assert [t.data for t in tokens if t.kind == "barcode"] == [b"4006381333931", b"ABC-123", b"https://example.com/x"]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=97), min_size=1, max_size=40))
def test_any_split_into_chunks_gives_the_same_tokens(cuts):
    data = rendered()
    whole = Tokenizer().feed(data)
    t, got, i = Tokenizer(), [], 0
    for size in cuts * 50:
        if i >= len(data):
            break
        got += t.feed(data[i:i + size])
        i += size
    got += t.feed(data[i:])
    assert t.pending == 0 and merged(got) == merged(whole)


def merged(tokens):
    """Text runs may split where the chunks did; everything else must be identical."""
    out = []
    for tok in tokens:
        if tok.kind == "text" and out and out[-1][0] == "text":
            out[-1] = ("text", out[-1][1] + tok.raw)
        else:
            out.append((tok.kind, tok.raw))
    return out


def test_an_incomplete_command_at_the_end_is_handed_back_unparsed():
    t = Tokenizer()
    tokens = t.feed(b"hello\n\x1d(k\x10\x00abc")
    assert [x.kind for x in tokens] == ["text", "newline"]
    assert t.flush() == b"\x1d(k\x10\x00abc"


def scanned(scanner: CutScanner, chunks) -> tuple[bytes, list[tuple[bytes, bytes]]]:
    """What the interceptor would pass on for these chunks, and each cut with its receipt's text."""
    out, cuts = bytearray(), []
    for chunk in chunks:
        for piece in scanner.feed(chunk):
            if isinstance(piece, Cut):
                cuts.append((piece.raw, piece.text))
                out += piece.raw
            else:
                out += piece
    return bytes(out + scanner.flush()), cuts


def test_the_interceptors_scanner_finds_the_tokenizers_cut_and_text():
    data = rendered() + b"after the cut\n"
    tokens = Tokenizer().feed(data)
    out, cuts = scanned(CutScanner(), [data])
    assert out == data
    assert [raw for raw, _ in cuts] == [t.raw for t in tokens if t.kind == "cut"]
    # the receipt's words, line by line, as the tokenizer reads them (image and barcode bytes are not text)
    words = b"".join(t.raw for t in tokens[:[t.kind for t in tokens].index("cut")] if t.kind in ("text", "newline"))
    assert cuts[0][1] == words and b"Ref: R-1001" in words and b"TOTAL EUR 12.50" in words


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=97), min_size=1, max_size=40))
def test_the_scanner_gives_the_same_bytes_and_cuts_for_any_split(sizes):
    data = rendered() * 2
    chunks, i = [], 0
    for size in sizes * 200:
        if i >= len(data):
            break
        chunks.append(data[i:i + size])
        i += size
    chunks.append(data[i:])
    assert scanned(CutScanner(), chunks) == scanned(CutScanner(), [data])


def test_plain_text_mode_ends_a_receipt_at_a_form_feed():
    out, cuts = scanned(CutScanner(text_mode=True), [b"Ref: A\nTotal 1.00\n\x0cRef: ", b"B\n\x0c", b"tail"])
    assert out == b"Ref: A\nTotal 1.00\n\x0cRef: B\n\x0ctail"
    assert cuts == [(b"\x0c", b"Ref: A\nTotal 1.00\n"), (b"\x0c", b"Ref: B\n")]
