"""Text of a PDF written by fpdf2 (no PDF reader is installed): inflate the streams, read the
fonts' ToUnicode maps and decode the two-byte glyph strings of the ``Tj`` operators."""

from __future__ import annotations

import re
import zlib

_ESC = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}


def _literal(s: bytes) -> bytes:
    out = bytearray()
    i = 0
    while i < len(s):
        c = s[i:i + 1]
        if c != b"\\":
            out += c
            i += 1
            continue
        n = s[i + 1:i + 2]
        if n in _ESC:
            out += _ESC[n]
            i += 2
        elif n.isdigit():
            m = re.match(rb"[0-7]{1,3}", s[i + 1:i + 4])
            assert m is not None
            out.append(int(m.group(), 8) & 255)
            i += 1 + len(m.group())
        else:
            out += n
            i += 2
    return bytes(out)


def pdf_text(data: bytes) -> str:
    streams = []
    for m in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", data, re.DOTALL):
        try:
            streams.append(zlib.decompress(m.group(1)))
        except zlib.error:
            streams.append(m.group(1))
    cmap: dict[int, str] = {}
    for s in streams:
        for block in re.findall(rb"beginbfchar(.*?)endbfchar", s, re.DOTALL):
            for src, dst in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
                cmap[int(src, 16)] = bytes.fromhex(dst.decode()).decode("utf-16-be")
        for block in re.findall(rb"beginbfrange(.*?)endbfrange", s, re.DOTALL):
            for a, b, dst in re.findall(
                    rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
                for i, code in enumerate(range(int(a, 16), int(b, 16) + 1)):
                    cmap[code] = chr(int(dst, 16) + i)
    lines = []
    for s in streams:
        for lit in re.findall(rb"\(((?:\\.|[^\\)])*)\)\s*Tj", s, re.DOTALL):
            raw = _literal(lit)
            lines.append("".join(cmap.get(int.from_bytes(raw[i:i + 2], "big"), "?")
                                 for i in range(0, len(raw) - 1, 2)))
    return "\n".join(lines)
