"""Knowledge text: vocabulary, content hashes and near-duplicate signatures.

Guarantees:

* :func:`content_hash` is equal for texts that differ only in case, accents,
  punctuation or whitespace;
* :func:`minhash_bands` puts texts whose word-shingle Jaccard similarity is
  high into a shared band with high probability (0.85 → 97 %, 0.9 → 99.7 %)
  and unrelated texts almost never, so a GIN index on the bands finds
  near-duplicate candidates among 100k items without comparing them all.
"""

import hashlib
import struct

# The shared text helpers live in the core's public interface; they are
# imported here under their old names for the knowledge engine and its callers.
from ..text import (  # noqa: F401
    LANGUAGES,
    STOPWORDS,
    detect_language,
    normalize_text,
    strip_accents,
    tokens,
    trigram_similarity,
    words,
)

# Vocabulary words: shorter ones are too ambiguous to correct a typo to.
MIN_WORD, MAX_WORD = 3, 40

# MinHash geometry: BANDS x ROWS hash functions over 3-word shingles.
_BANDS = 5
_ROWS = 4
_MERSENNE = (1 << 61) - 1
_COEFFICIENTS = [
    (
        int.from_bytes(hashlib.blake2b(b"a%d" % i, digest_size=8).digest(), "big") % _MERSENNE | 1,
        int.from_bytes(hashlib.blake2b(b"b%d" % i, digest_size=8).digest(), "big") % _MERSENNE,
    )
    for i in range(_BANDS * _ROWS)
]


def vocabulary(*texts):
    """The distinct words of ``texts`` worth keeping to correct typos against."""
    return {word for text in texts for word in words(text) if MIN_WORD <= len(word) <= MAX_WORD}


def content_hash(*parts):
    """SHA-256 of the normalised parts: the exact-duplicate key."""
    normalized = "\x1f".join(normalize_text(part) for part in parts)
    return hashlib.sha256(normalized.encode("utf-8")).hexdigest()


def _shingle_hashes(text_words):
    if len(text_words) < 3:
        shingles = [" ".join(text_words)] if text_words else []
    else:
        shingles = [" ".join(text_words[i : i + 3]) for i in range(len(text_words) - 2)]
    return {
        int.from_bytes(hashlib.blake2b(s.encode("utf-8"), digest_size=8).digest(), "big")
        for s in shingles
    }


def minhash_bands(text):
    """LSH band keys of ``text`` as signed 32-bit ints (a PostgreSQL ``int4[]``).

    Empty text has no bands: it can only be an exact duplicate.
    """
    hashes = _shingle_hashes(words(text))
    if not hashes:
        return []
    signature = [min((a * h + b) % _MERSENNE for h in hashes) for a, b in _COEFFICIENTS]
    bands = []
    for band in range(_BANDS):
        rows = signature[band * _ROWS : (band + 1) * _ROWS]
        digest = hashlib.blake2b(
            struct.pack(">B%dQ" % _ROWS, band, *(r & 0xFFFFFFFFFFFFFFFF for r in rows)),
            digest_size=4,
        ).digest()
        bands.append(struct.unpack(">i", digest)[0])
    return bands


def dedupe_signature(text):
    """The bands as the space-separated string stored on the record."""
    return " ".join(str(band) for band in minhash_bands(text))
