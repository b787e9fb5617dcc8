"""Function words per language, for the stop-word share of a block.

Prose is about half function words in every language written with spaces;
menus, labels and product names have few. These are the most common
function words of each language (articles, pronouns, prepositions,
conjunctions, auxiliaries), the kind of list jusText (Pomikálek, 2011) uses,
cut to the 60-odd most frequent: the share needs only the frequent ones. They
are general linguistic facts, not fitted to any page.
"""

from __future__ import annotations

_LISTS = {
    "en": "the of and to a in is it you that he was for on are with as i his they be at one have this from or had "
          "by not but what all were we when your can said there use an each which she do how their if will up "
          "other about out many then them these so some her would make like him into has more no way could "
          "my than been who its now did get our also any most just over such should those",
    "de": "der die und in den von zu das mit sich des auf für ist im dem nicht ein eine als auch es an werden aus "
          "er hat dass sie nach wird bei einer um am sind noch wie einem über einen so zum war haben nur oder aber "
          "vor zur bis mehr durch man sein wurde sei ich wir ihr wenn kann diese dieser",
    "fr": "de la le et les des en un du une que est pour qui dans a par plus pas au sur ne se ce il sont avec ou "
          "son mais été elle nous aux leur cette ces comme tout ont sa ses on vous je être fait dont lui y entre "
          "aussi sans même peut si bien deux",
    "es": "de la que el en y a los del se las por un para con no una su al lo como más pero sus le ya o este sí "
          "porque esta entre cuando muy sin sobre también me hasta hay donde quien desde todo nos durante todos "
          "uno les ni contra otros ese eso ante ellos e esto mí antes algunos qué unos yo otro",
    "it": "di e il la che in a per un è del non le i si con da una al sono dei come più ma anche alla lo gli "
          "nel ha delle ci se o questo della nella dal cui essere tra suo sua loro quando mi ho ne sul fra",
    "pt": "de a o que e do da em um para é com não uma os no se na por mais as dos como mas foi ao ele das tem à "
          "seu sua ou ser quando muito há nos já está eu também só pelo pela até isso ela entre era depois sem "
          "mesmo aos ter seus quem nas me esse eles",
    "nl": "de en van ik te dat die in een hij het niet zijn is was op aan met als voor had er maar om hem dan zou "
          "of wat mijn men dit zo door over ze zich bij ook tot je mij uit der daar haar naar heb hoe heeft hebben "
          "deze u want nog zal me zij nu ge geen omdat iets worden",
    "ru": "и в во не что он на я с со как а то все она так его но да ты к у же вы за бы по только ее мне было "
          "вот от меня еще нет о из ему теперь когда даже ну вдруг ли если уже или ни быть был него до вас нибудь "
          "опять уж вам ведь там потом себя ничего ей может они тут где есть надо ней для мы тебя их чем была сам",
    "pl": "i w na z do nie że to się jest o jak a po co od za tak ale jego przez być już tylko jej dla czy może "
          "przy ich gdy lub oraz był które który która go są ten tym tego te również jako",
    "sv": "och i att det som en på är av för med till den har de inte om ett han men var jag sig från vi så kan "
          "man när år säger hon under också efter eller nu sin där vid mot ska skulle kommer ut får finns",
    "tr": "ve bir bu da de için ile olarak çok daha en gibi o ne ama kadar sonra olan her ya mi ben sen biz var "
          "yok değil ki",
    "id": "yang dan di ini itu dengan untuk dari dalam tidak akan pada juga ke ada karena oleh sebagai bisa atau "
          "saya mereka kami kita telah sudah",
}

STOPWORDS: dict[str, frozenset[str]] = {lang: frozenset(words.split()) for lang, words in _LISTS.items()}
LANGS = tuple(STOPWORDS)
ALL_STOPWORDS: frozenset[str] = frozenset().union(*STOPWORDS.values())
