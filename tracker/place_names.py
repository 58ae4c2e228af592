"""Resolving place names as people write them ("Kobani", "Manbij", "Tabqa") to areas."""

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from django.db.models import Count, Max
from rapidfuzz import fuzz, process

from tracker.models import Area, AreaAlias

# Words that say what kind of area a name is, not which one: dropped before comparing.
GENERIC_WORDS = {
    "governorate", "district", "subdistrict", "sub", "nahiyat", "nahiya", "mantiqat", "markaz",
    "center", "centre", "city", "muhafazat", "the",
    "محافظة", "منطقة", "ناحية", "مركز", "مدينة",
}  # fmt: skip
ARTICLES = {"al", "el", "ar", "as", "ad", "ash", "at", "az", "an", "ath", "ed", "es", "ez", "er"}
ARABIC_ARTICLE = re.compile(r"^ال(?=\w{2})")
ARABIC_FOLDS = str.maketrans(
    {"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ة": "ه", "ى": "ي", "ـ": None}
)
MIN_SCORE = 80
LIMIT = 10


def normalise(name: str) -> str:
    """Fold case, accents, Arabic letter variants, articles and generic words away."""
    text = unicodedata.normalize("NFKD", name.casefold())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = text.translate(ARABIC_FOLDS)
    text = re.sub(r"[\u064b-\u0652\u0670]", "", text)  # Arabic short-vowel marks
    text = re.sub(r"[`'‘’ʿʾ]", "", text)
    words = []
    for word in re.split(r"[^\w]+", text):
        word = ARABIC_ARTICLE.sub("", word)
        if word and word not in GENERIC_WORDS and word not in ARTICLES:
            words.append(word)
    return " ".join(words)


@dataclass(frozen=True)
class Candidate:
    area_id: int
    score: float
    matched: str


def _version() -> tuple:
    areas = Area.objects.aggregate(n=Count("id"))["n"]
    edits = Area.history.aggregate(last=Max("history_id"))["last"]
    aliases = AreaAlias.objects.aggregate(n=Count("id"), last=Max("id"))
    return (areas, edits, aliases["n"], aliases["last"])


@lru_cache(maxsize=2)
def _index(version: tuple) -> tuple[list[str], list[tuple[int, str]]]:
    keys, entries = [], []
    names = Area.objects.values_list("id", "name_en", "name_ar")
    for area_id, *area_names in names:
        for name in area_names:
            if name:
                keys.append(normalise(name))
                entries.append((area_id, name))
    for area_id, alias in AreaAlias.objects.values_list("area_id", "alias"):
        keys.append(normalise(alias))
        entries.append((area_id, alias))
    return keys, entries


def resolve(name: str) -> list[Candidate]:
    """Areas that `name` may mean, best first; every candidate for an ambiguous name."""
    return resolve_all([name])[name]


def resolve_all(names: list[str]) -> dict[str, list[Candidate]]:
    """`resolve` for each of `names` (a spreadsheet's), in the same few queries for them all."""
    keys, entries = _index(_version())
    found: dict[str, list[Candidate]] = {}
    for name in names:
        if name not in found:
            found[name] = _candidates(normalise(name), keys, entries)
    wanted = {c.area_id for candidates in found.values() for c in candidates}
    levels = dict(Area.objects.filter(pk__in=wanted).values_list("id", "level")) if wanted else {}
    return {
        name: sorted(kept, key=lambda c: (-c.score, levels[c.area_id], c.area_id))[:LIMIT]
        for name, kept in found.items()
    }


def _candidates(wanted: str, keys: list[str], entries: list[tuple[int, str]]) -> list[Candidate]:
    if not wanted:
        return []
    best: dict[int, Candidate] = {}
    matches = process.extract(
        wanted, keys, scorer=fuzz.ratio, score_cutoff=MIN_SCORE, limit=LIMIT * 5
    )
    for _key, score, position in matches:
        area_id, matched = entries[position]
        if area_id not in best or score > best[area_id].score:
            best[area_id] = Candidate(area_id, round(score, 1), matched)
    top = max((c.score for c in best.values()), default=0)
    # An exact match rules out near misses; equally good matches are all returned (ambiguity).
    return [c for c in best.values() if top < 100 or c.score == 100]
