"""Date lines: recognise a line that is only a date (plus a time or an
"Updated"-style label) and turn it into ISO 8601.

Hand-written rather than dateutil because dateutil's fuzzy parser finds a
date in almost any sentence ("the 3 of them"), while a date *line* must be
nothing but a date; and because month names are needed in several languages.
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
    "septiembre": 9, "octubre": 10, "noviembre": 11, "diciembre": 12, "gennaio": 1, "febbraio": 2,
    "aprile": 4, "maggio": 5, "giugno": 6, "luglio": 7, "settembre": 9, "ottobre": 10, "dicembre": 12,
    # Russian (genitive, as used in dates) and nominative
    "января": 1, "февраля": 2, "марта": 3, "апреля": 4, "мая": 5, "июня": 6, "июля": 7, "августа": 8,
    "сентября": 9, "октября": 10, "ноября": 11, "декабря": 12, "январь": 1, "февраль": 2, "март": 3,
    "апрель": 4, "май": 5, "июнь": 6, "июль": 7, "август": 8, "сентябрь": 9, "октябрь": 10,
    "ноябрь": 11, "декабрь": 12,
}
_MONTH = r"(?P<mon>[^\W\d_]{3,10})\.?"
_DAY = r"(?P<day>\d{1,2})(st|nd|rd|th|er)?\.?"
_YEAR = r"(?P<year>(19|20)\d{2})"
_TIME = r"(\s*(at|um|à|в|,|-|–|—|\|)?\s*\d{1,2}[:.h]\d{2}(\s*[ap]\.?m\.?)?(\s*[A-Z]{2,5}|\s*\(?(UTC|GMT|MSK|CET|CEST)[+-]?\d*\)?)?)?"
_WEEKDAY = r"((mon|tues|wednes|thurs|fri|satur|sun)day|mon|tue|wed|thu|fri|sat|sun|montag|dienstag|mittwoch|" \
           r"donnerstag|freitag|samstag|sonntag|lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche|" \
           r"понедельник|вторник|среда|четверг|пятница|суббота|воскресенье)\.?,?\s*"
_LABEL = r"((updated|published|posted|last updated|modified|first published|date|aktualisiert|veröffentlicht|" \
         r"stand|publié|mis à jour|le|обновлено|опубликовано|publicado|actualizado|pubblicato|aggiornato)" \
         r"( on| am| le)?\s*:?\s*)?"

_DIGIT = re.compile(r"\d")
_LIST_MARK = re.compile(r"^[-–—•·*▪►]\s+")
_TRAIL = r"(\s*[|·•,;-]?\s*(updated|modified|aktualisiert|mis à jour|обновлено)\b.{0,40})?"
_PATTERNS = [
    re.compile(rf"{_LABEL}{_TIME}\s*,?\s*({_WEEKDAY})?{_MONTH}\s+{_DAY},?\s+{_YEAR}{_TIME}{_TRAIL}", re.I),   # Mar 19, 2025
    re.compile(rf"{_LABEL}({_WEEKDAY})?{_DAY}\s+{_MONTH}\s+{_YEAR}(\s*г\.?)?{_TIME}{_TRAIL}", re.I),          # 19 March 2025
    re.compile(rf"{_LABEL}(?P<year>(19|20)\d{{2}})-(?P<month>\d{{1,2}})-(?P<day>\d{{1,2}})"
               rf"([T ]\d{{2}}:\d{{2}}(:\d{{2}})?(\.\d+)?(Z|[+-]\d{{2}}:?\d{{2}})?)?{_TIME}", re.I),       # 2025-03-19
    re.compile(rf"{_LABEL}({_WEEKDAY})?(?P<day>\d{{1,2}})\.\s?(?P<month>\d{{1,2}})\.\s?{_YEAR}{_TIME}", re.I),  # 19.03.2025
    re.compile(rf"{_LABEL}{_YEAR}\s*年\s*(?P<month>\d{{1,2}})\s*月\s*(?P<day>\d{{1,2}})\s*日"
               rf"(\s*[（(]?[月火水木金土日][）)]?)?(\s*\d{{1,2}}[:時]\d{{2}}分?)?.{{0,6}}", re.I),            # 2025年3月19日
    re.compile(rf"{_LABEL}(?P<month>\d{{1,2}})/(?P<day>\d{{1,2}})/{_YEAR}{_TIME}", re.I),               # 03/19/2025
]


def parse_date_line(line: str) -> str | None:
    """ISO date if the whole line is a date (with optional label and time), else None."""
    if "19" not in line and "20" not in line:
        return None  # every pattern holds a year, (19|20)\d{2}: most lines stop here
    line = _LIST_MARK.sub("", line.strip()).rstrip(".")  # "- Published 18 November 2019"
    if len(line) > 80 or not _DIGIT.search(line):
        return None
    for pattern in _PATTERNS:
        m = pattern.fullmatch(line)
        if m:
            iso = _iso(m)
            if iso:
                return iso
    return None


def _iso(m: re.Match[str]) -> str | None:
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
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return None
