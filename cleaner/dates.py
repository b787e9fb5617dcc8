"""Date lines: recognise a line that is only a date (plus a time or an
"Updated"-style label) and turn it into ISO 8601.

Hand-written rather than dateutil because dateutil's fuzzy parser finds a
date in almost any sentence ("the 3 of them"), while a date *line* must be
nothing but a date; and because month names are needed in several languages
(English, German, French, Spanish, Portuguese, Italian, Russian; Spanish and
Portuguese with their "de": "14 de mayo de 2024", "12 de março de 2024").

Numeric dates with slashes are read month first (03/19/2025) unless the day
cannot be a month (19/03/2025), or the caller says the page writes days first
(``day_first``; ``day_first_for`` tells it from the page's language or its
site's country).
"""

from __future__ import annotations

import re
from datetime import date

_MONTHS = {
    # English
    "jan": 1, "january": 1, "feb": 2, "february": 2, "mar": 3, "march": 3, "apr": 4, "april": 4,
    "may": 5, "jun": 6, "june": 6, "jul": 7, "july": 7, "aug": 8, "august": 8, "sep": 9, "sept": 9,
    "september": 9, "oct": 10, "october": 10, "nov": 11, "november": 11, "dec": 12, "december": 12,
    # German
    "januar": 1, "jänner": 1, "februar": 2, "märz": 3, "maerz": 3, "mai": 5, "juni": 6, "juli": 7,
    "oktober": 10, "okt": 10, "dezember": 12, "dez": 12,
    # French
    "janvier": 1, "janv": 1, "février": 2, "fevrier": 2, "févr": 2, "mars": 3, "avril": 4, "avr": 4,
    "juin": 6, "juillet": 7, "juil": 7, "août": 8, "aout": 8, "septembre": 9, "octobre": 10,
    "novembre": 11, "décembre": 12, "decembre": 12, "déc": 12,
    # Spanish / Italian
    "enero": 1, "febrero": 2, "marzo": 3, "abril": 4, "mayo": 5, "junio": 6, "julio": 7, "agosto": 8,
    "septiembre": 9, "setiembre": 9, "octubre": 10, "noviembre": 11, "diciembre": 12, "gennaio": 1, "febbraio": 2,
    "aprile": 4, "maggio": 5, "giugno": 6, "luglio": 7, "settembre": 9, "ottobre": 10, "dicembre": 12,
    "ene": 1, "abr": 4, "ago": 8, "set": 9, "dic": 12, "gen": 1, "mag": 5, "giu": 6, "lug": 7, "ott": 10,
    # Portuguese
    "janeiro": 1, "fevereiro": 2, "março": 3, "marco": 3, "maio": 5, "junho": 6, "julho": 7, "setembro": 9,
    "outubro": 10, "novembro": 11, "dezembro": 12, "fev": 2, "out": 10,
    # Russian (genitive, as used in dates) and nominative
    "января": 1, "февраля": 2, "марта": 3, "апреля": 4, "мая": 5, "июня": 6, "июля": 7, "августа": 8,
    "сентября": 9, "октября": 10, "ноября": 11, "декабря": 12, "январь": 1, "февраль": 2, "март": 3,
    "апрель": 4, "май": 5, "июнь": 6, "июль": 7, "август": 8, "сентябрь": 9, "октябрь": 10,
    "ноябрь": 11, "декабрь": 12,
}
_MONTH = r"(?P<mon>[^\W\d_]{3,10})\.?"
_DAY = r"(?P<day>\d{1,2})(st|nd|rd|th|er)?\.?"
_YEAR = r"(?P<year>(19|20)\d{2})"
_TIME = (r"(\s*(at|um|à|às|a las|alle|ore|в|,|-|–|—|\||/)?\s*\d{1,2}[:.h]\d{2}(:\d{2})?(\s*[ap]\.?m\.?)?"
         r"(\s*[A-Z]{2,5}|\s*\(?(UTC|GMT|MSK|CET|CEST)[+-]?\d*\)?|\s+(Eastern|Central|Mountain|Pacific|Atlantic|"
         r"Alaska|Hawaii|Greenwich Mean|British Summer|Central European|Eastern European|Western European)"
         r"( Standard| Daylight| Summer)? Time)?)?")
_WEEKDAY = r"((mon|tues|wednes|thurs|fri|satur|sun)day|mon|tue|wed|thu|fri|sat|sun|montag|dienstag|mittwoch|" \
           r"donnerstag|freitag|samstag|sonntag|lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche|" \
           r"lunes|martes|miércoles|miercoles|jueves|viernes|sábado|sabado|domingo|" \
           r"(segunda|terça|terca|quarta|quinta|sexta)(-feira)?|" \
           r"lunedì|lunedi|martedì|martedi|mercoledì|mercoledi|giovedì|giovedi|venerdì|venerdi|domenica|" \
           r"понедельник|вторник|среда|четверг|пятница|суббота|воскресенье)\.?,?\s*"
_LABEL = r"((updated|published|posted|last updated|modified|first published|date|aktualisiert|veröffentlicht|" \
         r"stand|publié|mis à jour|le|обновлено|опубликовано|publicado|actualizado|atualizado|pubblicato|" \
         r"aggiornato)\b(( on| am| le| el| em| en| il| a)\b)?\s*:?\s*)?"
"""A date's label ("Published", "Updated on", "publié le"). Each word ends at
a word's end: without that, "Published August 14, 2023" read " A" as the
label's "a" and "ugust" as the month, and was no date."""

_DIGIT = re.compile(r"\d")
_LIST_MARK = re.compile(r"^[-–—•·*▪►]\s+")
_TRAIL = r"(\s*[|·•,;-]?\s*(updated|modified|aktualisiert|mis à jour|обновлено)\b.{0,40})?"
_PATTERNS = [
    re.compile(rf"{_LABEL}{_TIME}\s*,?\s*({_WEEKDAY})?{_MONTH}\s+{_DAY},?\s+{_YEAR}{_TIME}{_TRAIL}", re.I),   # Mar 19, 2025
    re.compile(rf"{_LABEL}({_WEEKDAY})?{_DAY}\s+(de\s+)?{_MONTH}\s+(de\s+|del\s+)?{_YEAR}(\s*г\.?)?{_TIME}{_TRAIL}",
               re.I),                                                                   # 19 March 2025, 14 de mayo de 2024
    re.compile(rf"{_LABEL}(?P<year>(19|20)\d{{2}})-(?P<month>\d{{1,2}})-(?P<day>\d{{1,2}})"
               rf"([T ]\d{{2}}:\d{{2}}(:\d{{2}})?(\.\d+)?(Z|[+-]\d{{2}}:?\d{{2}})?)?{_TIME}", re.I),       # 2025-03-19
    re.compile(rf"{_LABEL}({_WEEKDAY})?(?P<day>\d{{1,2}})\.\s?(?P<month>\d{{1,2}})\.\s?{_YEAR}{_TIME}{_TRAIL}",
               re.I),                                                                   # 19.03.2025
    re.compile(rf"{_LABEL}{_YEAR}\s*年\s*(?P<month>\d{{1,2}})\s*月\s*(?P<day>\d{{1,2}})\s*日"
               rf"(\s*[（(]?[月火水木金土日][）)]?)?(\s*\d{{1,2}}[:時]\d{{2}}分?)?.{{0,6}}", re.I),            # 2025年3月19日
    re.compile(rf"{_LABEL}(?P<month>\d{{1,2}})/(?P<day>\d{{1,2}})/{_YEAR}{_TIME}{_TRAIL}", re.I),       # 03/19/2025
]
_SLASHED = _PATTERNS[-1]


def parse_date_line(line: str, *, day_first: bool = False) -> str | None:
    """ISO date if the whole line is a date (with optional label and time), else None.

    ``day_first``: read an ambiguous ``05/06/2024`` as 5 June (the page's
    language or country writes days first, see ``day_first_for``)."""
    if "19" not in line and "20" not in line:
        return None  # every pattern holds a year, (19|20)\d{2}: most lines stop here
    line = _LIST_MARK.sub("", line.strip()).rstrip(".")  # "- Published 18 November 2019"
    if len(line) > 80 or not _DIGIT.search(line):
        return None
    for pattern in _PATTERNS:
        m = pattern.fullmatch(line)
        if m:
            iso = _iso(m, day_first=day_first and pattern is _SLASHED)
            if iso:
                return iso
    return None


def ambiguous(line: str) -> bool:
    """Whether a date line is numeric with slashes and either number could be the month."""
    m = _SLASHED.fullmatch(_LIST_MARK.sub("", line.strip()).rstrip("."))
    return m is not None and int(m.group("month")) <= 12 and int(m.group("day")) <= 12


_MONTH_FIRST_REGIONS = {"us", "ph", "fm", "mh", "pw", "ca"}
"""Where 05/06/2024 is 6 May: the United States and a few countries that
follow it (Canada writes both ways; its English sites mostly month first)."""
_GENERIC_CC = {"io", "co", "tv", "me", "ai", "fm", "ly", "to", "cc", "ws", "gg"}
"""Country domains used as generic names (news.io, a .tv channel): they tell
nothing of the country."""


def day_first_for(lang: str | None, url: str | None) -> bool:
    """Whether the page writes numeric dates day first: its declared language
    (any but English; en-GB, en-AU, en-IN... but not en-US), else its site's
    country domain (.uk, .de, .au, .br...; not .us or .ca). Plain ``en`` and
    generic domains (.com, .org) say nothing: month first, as before."""
    if lang:
        parts = lang.strip().lower().replace("_", "-").split("-")
        if parts[0] and parts[0] != "en":
            return True
        if len(parts) > 1 and len(parts[1]) == 2:
            return parts[1] not in _MONTH_FIRST_REGIONS
    if url:
        host = url.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0].lower().rstrip(".")
        tld = host.rsplit(".", 1)[-1]
        if "." in host and len(tld) == 2 and tld.isalpha() and tld not in _MONTH_FIRST_REGIONS \
                and tld not in _GENERIC_CC:
            return True
    return False


def localise(date: str | None, date_lines: list[str], *, lang: str | None, url: str | None) -> str | None:
    """The date a stripped page's date line gave, read day first when the line
    was ambiguous (``05/06/2024``) and the page's language or site says its
    dates run day first. The classifier reads each distinct line once for every
    page (its cache), so the page's own reading is settled here."""
    if date is None or not day_first_for(lang, url):
        return date
    for line in date_lines:
        if ambiguous(line) and parse_date_line(line) == date:
            return parse_date_line(line, day_first=True)
    return date


def _iso(m: re.Match[str], *, day_first: bool = False) -> str | None:
    groups = m.groupdict()
    try:
        year, day = int(groups["year"]), int(groups["day"])
    except (TypeError, ValueError):
        return None
    if groups.get("mon"):
        month = _MONTHS.get(groups["mon"].lower().rstrip("."))
        if month is None:
            return None
    else:
        month = int(groups["month"])
        if m.re is _SLASHED and (day_first and day <= 12 or month > 12):
            month, day = day, month  # 19/03/2025 is day first whatever the page
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return None
