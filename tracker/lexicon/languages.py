"""Language codes and names -> ISO 639-1, the record's `language`.

Registries and feeds give codes (ISO 639-1, both ISO 639-2 forms, BCP 47
tags); page metadata also writes names and lists ("English", "es, en").
"""

from __future__ import annotations

# ISO 639-2 (bibliographic and terminology forms) -> ISO 639-1.
ISO639_2 = {
    "afr": "af", "ara": "ar", "arm": "hy", "hye": "hy", "aze": "az", "baq": "eu", "eus": "eu",
    "bel": "be", "ben": "bn", "bos": "bs", "bul": "bg", "cat": "ca", "chi": "zh", "zho": "zh",
    "cze": "cs", "ces": "cs", "dan": "da", "dut": "nl", "nld": "nl", "eng": "en", "epo": "eo",
    "est": "et", "fin": "fi", "fre": "fr", "fra": "fr", "geo": "ka", "kat": "ka", "ger": "de",
    "deu": "de", "gle": "ga", "glg": "gl", "gre": "el", "ell": "el", "heb": "he", "hin": "hi",
    "hrv": "hr", "hun": "hu", "ice": "is", "isl": "is", "ind": "id", "ita": "it", "jpn": "ja",
    "kor": "ko", "lat": "la", "lav": "lv", "lit": "lt", "mac": "mk", "mkd": "mk", "may": "ms",
    "msa": "ms", "mlt": "mt", "nor": "no", "nob": "nb", "nno": "nn", "per": "fa", "fas": "fa",
    "pol": "pl", "por": "pt", "rum": "ro", "ron": "ro", "rus": "ru", "scr": "hr", "scc": "sr",
    "slo": "sk", "slk": "sk", "slv": "sl", "spa": "es", "srp": "sr", "swe": "sv", "tha": "th",
    "tur": "tr", "ukr": "uk", "urd": "ur", "vie": "vi", "wel": "cy", "cym": "cy",
}
# Codes that say "not one known language".
NO_LANGUAGE = frozenset({"und", "mul", "zxx", "mis"})
# What page metadata writes: names in the languages tracker reads, and common codes.
PAGE_LANGUAGES = {
    "english": "en", "eng": "en", "spanish": "es", "español": "es", "espanol": "es",
    "castellano": "es", "spa": "es", "portuguese": "pt", "português": "pt", "portugues": "pt",
    "por": "pt", "french": "fr", "français": "fr", "fre": "fr", "fra": "fr", "german": "de",
    "deutsch": "de", "ger": "de", "deu": "de", "italian": "it", "italiano": "it", "ita": "it",
    "dutch": "nl", "nld": "nl", "dut": "nl", "japanese": "ja", "jpn": "ja", "chinese": "zh",
    "chi": "zh", "zho": "zh", "russian": "ru", "rus": "ru", "polish": "pl", "pol": "pl",
    "turkish": "tr", "tur": "tr", "korean": "ko", "kor": "ko",
}


def language_code(value: str | None, *, names: bool = False) -> str | None:
    """'eng' -> 'en', 'EN' -> 'en', 'en-GB' and 'pt_BR' -> the language; None when unknown.

    `names`: read page metadata, which also writes names ('English',
    'español') and lists ('es, en': the first), with PAGE_LANGUAGES alone
    as the table (pages have never been read with ISO 639-2's rarer codes).
    """
    text = str(value or "").strip().lower().replace("_", "-")
    if not text or text in NO_LANGUAGE:
        return None
    table = PAGE_LANGUAGES if names else ISO639_2
    if text in table:
        return table[text]
    head = text.split("-")[0]
    if names:
        head = head.split(",")[0].strip()
    if len(head) == 2 and head.isalpha():
        return head
    return table.get(head)
