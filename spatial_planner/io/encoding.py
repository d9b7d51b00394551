"""Text encodings of attribute tables and CSVs: UTF-8 against GBK/GB18030."""

from __future__ import annotations

import functools
import os
import re
from pathlib import Path

from .._errors import (
    DataFileError,
    EncodingError,
)

__all__ = ["detect_dbf_encoding", "guess_text_encoding"]


def detect_dbf_encoding(path: str | os.PathLike) -> tuple[str, str]:
    """Guess the text encoding of a shapefile's attribute table.

    Parameters
    ----------
    path
        The ``.shp`` (or ``.dbf``) path.

    Returns
    -------
    (encoding, how)
        ``how`` is ``"cpg"`` when a ``.cpg`` file declares it, ``"ldid"`` when
        the dBase language driver byte does (code page 936: GBK), ``"detected"``
        when the bytes decode one way only, and ``"ambiguous"`` when they are
        valid UTF-8 but make sense only as GBK/GB18030 (read as GB18030).

    Raises
    ------
    EncodingError
        When the text is neither UTF-8 nor GBK/GB18030.
    """
    p = Path(path)
    cpg = p.with_suffix(".cpg")
    if cpg.exists():
        text = cpg.read_text(encoding="ascii", errors="ignore").strip()
        if text:
            return _normalise_encoding(text), "cpg"
    dbf = p.with_suffix(".dbf")
    if not dbf.exists():
        raise DataFileError(f"{p.name}: the attribute table {dbf.name} is missing", layer=str(p),
                            fix="copy the .dbf that belongs to this shapefile next to it.")
    raw = dbf.read_bytes()
    ldid = raw[29] if len(raw) > 29 else 0
    # Decode the record area (after the header) to tell UTF-8 from GB18030.
    header_len = int.from_bytes(raw[8:10], "little") if len(raw) > 10 else 0
    body = raw[header_len:]
    enc, how = guess_text_encoding(body)
    if ldid in (0x4D, 0x7A) and enc is not None:  # dBase code page 936 (GBK)
        try:
            body.decode("gb18030")
            return "GB18030", "ldid"
        except UnicodeDecodeError:
            return enc, "detected"  # the LDID is wrong: the text is not GBK
    if enc is None:
        raise EncodingError(
            f"{dbf.name}: 属性文本既不是 UTF-8 也不是 GBK/GB18030 / attribute text is neither UTF-8 nor GBK/GB18030",
            layer=str(p),
            fix="write a .cpg file naming the encoding (for example 'GBK' or 'UTF-8') next to the shapefile, "
                "or state it (encoding = \"...\" in [layers.<name>]).",
        )
    return enc, "ambiguous" if how == "ambiguous" else "detected"


def _normalise_encoding(name: str) -> str:
    n = name.strip().upper().replace("_", "-")
    aliases = {"936": "GB18030", "CP936": "GB18030", "GBK": "GB18030", "GB2312": "GB18030",
               "65001": "UTF-8", "UTF8": "UTF-8"}
    return aliases.get(n, name.strip())


def _is_hanzi(ch: str) -> bool:
    o = ord(ch)
    return 0x4E00 <= o <= 0x9FFF or 0x3400 <= o <= 0x4DBF or 0x3000 <= o <= 0x303F or 0xFF00 <= o <= 0xFFEF


_NON_ASCII = re.compile(r"[^\x00-\x7f]")


@functools.lru_cache(maxsize=4096)
def _in_gb2312(ch: str) -> bool:
    try:
        ch.encode("gb2312")
        return True
    except UnicodeEncodeError:
        return False


def _plausibility(text: str, *, gb: bool) -> float:
    """Share of the non-ASCII characters that make sense in Chinese attribute data.

    Hanzi and CJK punctuation count (for a GB decoding only those in GB2312,
    the common set). For a UTF-8 decoding, accented Latin letters next to an
    ASCII letter also count (pinyin with tone marks, European names); GBK bytes
    misread as UTF-8 give runs of such letters, Cyrillic, Arabic and the like
    without ASCII neighbours.
    """
    total = good = 0
    text = text[:200_000]  # a sample is enough, and keeps large tables fast
    n = len(text)
    for m in _NON_ASCII.finditer(text):
        i, ch = m.start(), m.group()
        total += 1
        if _is_hanzi(ch):
            if not gb or _in_gb2312(ch):
                good += 1
        elif not gb and 0xC0 <= ord(ch) <= 0x24F:
            left = text[i - 1] if i > 0 else ""
            right = text[i + 1] if i + 1 < n else ""
            if (left.isascii() and left.isalpha()) or (right.isascii() and right.isalpha()):
                good += 1
    return 1.0 if total == 0 else good / total


def guess_text_encoding(raw: bytes) -> tuple[str | None, str]:
    """Tell UTF-8 from GBK/GB18030 text.

    Parameters
    ----------
    raw
        The bytes (for a dBase file: the record area after the header).

    Returns
    -------
    (encoding, how)
        ``("UTF-8", "utf-8")`` for ASCII or UTF-8; ``("GB18030", "gb18030")``
        when only GB18030 decodes the bytes; ``("GB18030", "ambiguous")`` when
        both decode them but only the GB18030 reading is Chinese text (GBK bytes
        that happen to be valid UTF-8); ``(None, "undecodable")`` when neither does.
    """
    try:
        utf = raw.decode("utf-8")
    except UnicodeDecodeError:
        utf = None
    try:
        gb = raw.decode("gb18030")
    except UnicodeDecodeError:
        gb = None
    if utf is not None and gb is not None and utf != gb:
        if _plausibility(gb, gb=True) >= 0.9 and _plausibility(utf, gb=False) < 0.5:
            return "GB18030", "ambiguous"
    if utf is not None:
        return "UTF-8", "utf-8"
    if gb is not None:
        return "GB18030", "gb18030"
    return None, "undecodable"
