"""Chrome rules: wording and shape tests for one line, each named.

A rule is a row of :data:`LINE_RULES`: ``(kind, rule name, pattern)``. Patterns are
matched against the whitespace-normalised line; ``full`` rules must match the
whole line (short widget labels such as "Share" are chrome on their own but
ordinary words inside a sentence), ``search`` rules match anywhere in a short
line (at most :data:`SHORT_LINE` characters, so a sentence that merely mentions
"newsletter" is never removed by wording alone).

The lists cover English, German, French, Spanish, Italian, Russian and Japanese
phrasings, because site chrome is formulaic in every language: the same few
dozen phrases make up most widget labels on news sites.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache, reduce
from operator import itemgetter, or_
from typing import Any

from . import patterns
from .records import Removal

SHORT_LINE = 160
"""Chrome labels and widget sentences are short; body paragraphs rarely are.
Wording rules that search inside a line only apply below this length."""


@dataclass(frozen=True)
class Rule:
    kind: str
    name: str
    pattern: re.Pattern[str]
    full: bool  # True: the whole line must match; False: search in short lines
    wall: bool = False  # True: marks the start of a chrome section (see strip.region)
    strong: bool = True  # False: a sentence-like line needs a second signal (see strip)
    names: bool = True  # False: a control's label, which names its kind only beside its widget (name_controls)


def _r(kind: str, name: str, pattern: str, *, full: bool = True, wall: bool = False,
       strong: bool | None = None, names: bool = True) -> Rule:
    return Rule(kind, name, re.compile(pattern, re.I | re.U), full, wall, full if strong is None else strong, names)


_SHARE_WORDS = (r"share|share this( article| story| post| page)?|share on \w+|tweet|e-?mail|print|copy( the)? link|"
                r"link copied|facebook|twitter|x|linkedin|whatsapp|reddit|pinterest|telegram|flipboard|messenger|"
                r"vk|ok|google\+?|teilen|partager|compartilhar|compartir|condividi|поделиться|シェア|ツイート|はてブ|line|pocket|"
                r"comment|save|bookmark|gift( this)? article|send|sms|print( this)? (article|story|page)|"
                # the article tool bar's type-size control
                r"text size|font size|textgröße|schriftgröße|taille du texte|размер шрифта|文字サイズ|a- ?a\+?")
_TAGS = r"(tags|schlagwörter|schlagworte|stichwörter|étiquettes|etiquetas|temas|themen|теги|タグ|mots-clés)\s*:?"
_DATE_WORDS = (r"updated|published|posted|last updated|modified|aktualisiert|veröffentlicht|publié le|"
               r"mis à jour|обновлено|опубликовано|更新|公開|actualizado|publicado|pubblicato|aggiornato")

ABOUT_THE_AUTHOR = (r"about the author|about the authors|über (den autor|die autorin)|"
                    r"à propos de l'auteur|об авторе|著者について|sobre o autor|sobre el autor")
"""The heading of an author's bio in so many words; "About <name>" alone may
also open a company's boilerplate (``strip._press_release_about``)."""

LINE_RULES: tuple[Rule, ...] = (
    # --- read time -------------------------------------------------------
    _r("read-time", "read-time", r"(\d+\s*[-–]?\s*(min|mins|minutes?|minuten|мин\w*)\.?\s*"
       r"(read|reading|de lecture|lesezeit|lesedauer|di lettura|de lectura|чтения|to read)"
       r"|(reading time|read time|lesezeit|lesedauer|temps de lecture|время чтения|tiempo de lectura|tempo de leitura)\s*:?\s*"
       r"(\d+|less than|about|ca\.?|environ|около).{0,20}"
       r"|読了時間.{0,12}|(約)?\d+分で読めます|\d+ min)"),
    # --- audio players -----------------------------------------------------
    _r("audio-player", "audio-label", r"(listen to (this|the) (article|story)|listen( now)?|audio|play|pause|"
       r"artikel anhören|écouter( cet article)?|слушать|音声で聞く|\d(\.\d+)?x|"
       r"this (article|audio) (is|was) (auto-?generated|read by).{0,60}|.{0,40}\b(narrated|voiced) by .{0,40})"),
    _r("audio-player", "media-timer", r"(-?\d{1,2}:\d{2}(:\d{2})?)(\s*/\s*\d{1,2}:\d{2}(:\d{2})?)?"),
    # --- photo captions and credits ---------------------------------------
    _r("photo-caption", "gallery-counter", r"((image|photo|picture|slide|bild|foto|фото|写真)\s*)?\d{1,3}\s*(of|/|von|sur|из|de)\s*/?\s*\d{1,3}"),
    _r("photo-caption", "gallery-label", r"(back to gallery|view gallery|open gallery|enlarge( this)? image|"
       r"(show|hide|toggle|close|expand) caption|caption|close|enlarge|expand|fullscreen|full screen|"
       r"view (full )?image|zoom|less|more|next|previous|prev|voir la galerie|bildergalerie|галерея)"),
    _r("photo-caption", "photo-credit", r"((photo|image|picture|foto|bild|credit|credits|source|"
       r"illustration|фото|写真|撮影)( by)?\s*(:|©|by)\s*.{2,120}"
       r"|\(?(photo|image|picture)s? (by|courtesy of|credit:?) .{2,100}\)?)"),
    # Credits at the end of a caption ("... Jane Roe / Reuters", "... (Image: GETTY)"):
    # searched from the end of the line, with a literal pre-check (SEARCH_KEYS).
    _r("photo-caption", "photo-credit-end", r"(\((photo(graph)?|image|picture|pic|credit|source|foto|bild|фото)s?\s*:"
       r"\s*[^)]{1,80}\)"
       r"|\(([\w.]+ )?photos? ?(/|by) ?[^)]{1,80}(\)|$)"
       r"|[.!?]\s+[A-ZÀ-ÖА-Я][\w.'’-]+( [A-ZÀ-ÖА-Я][\w.'’-]+){1,3}\s*/\s*[\w .'’&-]{2,60}"
       r"|[.!?]\s+(photo(graph)?|image|picture|foto|bild|credit|фото)s?\s*:\s*[^.!?]{2,80}"
       r"|(\||/)\s*(getty images|reuters|ap photo|afp|shutterstock|istock\w*|epa|dpa|imago|"
       r"alamy|tass|ria novosti|sputnik|bloomberg|the associated press|associated press|"
       r"[\w .\-]*photobank|[\w .\-]*via (reuters|getty images|ap))\)?)\.?$", full=False, strong=True),
    # --- sharing -----------------------------------------------------------
    _r("share-buttons", "share-label", rf"(({_SHARE_WORDS})\s*[|·•/,]?\s*){{1,12}}"),
    _r("share-buttons", "wordpress-widget", r"(share this|like this|rate this|teilen mit|gefällt mir|bewerten|partager|"
       r"j'aime|compartir|compartilhe isso|me gusta|curtir isso|поделиться ссылкой|нравится)\s*:|"
       r"(like|gefällt mir|j'aime|me gusta)\s+(loading|wird geladen|chargement|cargando)\.*|"
       r"(loading|wird geladen|chargement|cargando|carregando|загрузка)\s*(\.\.\.|…)?"),
    _r("share-buttons", "share-prompt", r"(share (this|the) (article|story|post)( with .{1,30})?|"
       r"(click|tap) to share.{0,60}|follow us on .{1,60}|"
       r"follow [\w .'’@()-]{1,60} on (facebook|twitter|instagram|x|linkedin|threads|bluesky|tiktok|youtube)\b.{0,80}|folgen sie uns.{0,60}|suivez-nous.{0,60}|"
       r"подписывайтесь на нас.{0,60}|share your (thoughts|story).{0,80})"),
    # --- advertisements ----------------------------------------------------
    _r("advertisement", "ad-label", r"(advertisement|advertising|advert|ad|ads by \w+|anzeige|werbung|publicité|"
       r"publicidad|pubblicità|реклама|広告|スポンサーリンク|sponsored( content| links?)?|paid (content|post)|"
       r"promoted( content)?|story continues below( advertisement)?|article continues below( advertisement)?|"
       r"scroll (down )?to continue( reading| with content)?|continue reading below|"
       r"(the )?article continues (below|after).{0,30}|skip advert(isement)?|report this ad)"),
    # --- read more / teasers ----------------------------------------------
    _r("read-more", "read-more-label", r"(read more|read more:?.{0,160}|continue reading( the)?( main)?( story| article| below)?|keep reading|read the full "
       r"(story|article)|read full (story|article)|read next|up next|more:|see also:?.{0,160}|also read:?.{0,160}|"
       r"read also:?.{0,160}|(more|mehr|plus|más|ещё)\s*:\s.{0,160}|(mira|lee también|ver también|leia também|veja também|te puede interesar)\s*:.{0,160}|related( post| story| article| link)?s?:.{0,160}|also:.{0,160}|"
       r"(follow|read|see|get) .{0,60}full coverage.{0,160}|more on this( story)?|mehr lesen|weiterlesen|lesen sie auch:?.{0,160}|"
       r"lire la suite|lire aussi\s*:?.{0,160}|à lire aussi\s*:?.{0,160}|читать далее|читать также|"
       r"читайте также:?.{0,160}|続きを読む|もっと見る|leer más|leggi anche.{0,160}|show more|load more|view more|"
       r"more stories|see more|click here.{0,80})"),
    # --- related lists (section headers) ------------------------------------
    _r("related-articles", "related-header", r"(related( articles| stories| posts| content| coverage| news| topics| reading)?"
       r"|related (coverage|articles|stories|content|reading) (from|on|in|about) .{1,60}"
       r"|ähnliche (beiträge|artikel)|articles similaires|artículos relacionados|contenido relacionado|relacionado|"
       r"posts relacionados|matérias relacionadas|похожие (статьи|записи|новости)|top-themen.{0,40}|meist-?diskutiert|"
       r"meistgelesen|most discussed"
       r"|more (from|on|in) [\w .&']{1,40}|more (stories|news|articles|headlines)( from [\w .']{1,40})?|"
       r"you (may|might) (also )?(like|be interested in|enjoy)|recommended( for you| stories| reading)?|"
       r"trending( now| stories| news)?|most (read|popular|viewed|shared|commented)|what to read next|"
       r"further reading|popular (stories|articles|now)|top stories|latest (news|stories|headlines)|editors'? picks|"
       r"editor's picks|don't miss|in case you missed it|more in this (section|series)|"
       r"mehr zum thema|das könnte sie auch interessieren|weitere artikel|meistgelesen|auch interessant|"
       r"mehr (zu|zum|zur|aus|von) [\w .&'’-]{1,40}|zum weiterlesen|weiterführende (artikel|links|informationen)|"
       r"sur le même sujet|à lire également|les plus lus|dans la même rubrique|"
       r"по теме|читайте также|другие новости|популярное|новости партнеров|"
       r"関連記事|関連ニュース|おすすめ記事|人気記事|アクセスランキング|"
       r"noticias relacionadas|te puede interesar|articoli correlati)\s*[:>»›]*", wall=True),
    # --- comment widgets ----------------------------------------------------
    _r("comment-widget", "comment-header", r"((\d+|no)\s+)?(comments?|kommentare?|commentaires?|комментари[йияев]*|"
       r"コメント|comentarios?|commenti)(\s*\(\d+\))?\s*:?"
       r"|leave a (comment|reply)|post a comment|add a comment|write a comment|join the (conversation|discussion)"
       r"|(sign|log) ?in to (comment|post|reply|join the conversation).{0,60}|be the first to comment.{0,40}"
       r"|show (more|all) comments|view (all )?\d* ?comments|load more comments|comments are closed.{0,40}"
       r"|commenting (is|has been) (closed|disabled).{0,40}|what do you think\?.{0,60}"
       r"|kommentar schreiben|laisser un commentaire|оставить комментарий|コメントを書く"
       # Reviews are a page's comments on shop, recipe and Russian sites ("Отзывы (3)").
       r"|отзывы(\s*\(\d+\))?|(добавить|оставить|написать) (отзыв|комментарий)|(add|write|leave) a review"
       r"|be the first to review.{0,60}|bewertung schreiben|kommentar hinzufügen|ajouter un commentaire"
       r"|(laisser|donner|donnez) (un|votre) avis|deja (un|tu) comentario|añadir (un )?comentario"
       r"|lascia un commento|aggiungi un commento", wall=True),
    _r("comment-widget", "comment-author", r"[\w.@'’ -]{1,40} (says|said|wrote|schreibt|écrit|пишет)\s*:"),
    _r("comment-widget", "comment-count", r"(\d+|one|no) (responses?|comments?|replies|reactions?|kommentare|commentaires|"
       r"комментари\w*) (to|on|zu|à|sur|к) .{1,200}", wall=True),
    _r("date", "relative-time", r"((published|updated|posted|last updated|modified)\s?:?\s)?"
       r"((\d+|a|an|one)\s*(s|sec|secs|seconds?|m|min|mins|minutes?|h|hr|hrs|hours?|d|days?|"
       r"w|weeks?|mo|months?|y|years?)\s+ago|vor \d+ (minuten|stunden|tagen)|il y a \d+ \w+|\d+ \w+ назад|"
       r"\d+(分|時間|日)前|just now|yesterday|today)(\s*[·|•-]?\s*\d{1,2}:\d{2}(:\d{2})?)?"),
    _r("comment-widget", "comment-control", r"(reply|replies|\d+ repl(y|ies)|report|flag|like|likes|\d+ likes?|"
       r"upvote|downvote|sort by.{0,30}|newest|oldest|best|top comments|sign up to post|"
       r"\d+\s*/\s*\d{3,5}|\d+ characters? (left|remaining)|"
       r"(\d+|a|an) (second|minute|hour|day|week|month|year)s? ago|"
       r"antworten|répondre|ответить|返信)", names=False),
    _r("comment-widget", "comment-policy", r"\b(comments?|conversations?|community)\b.{0,120}"
       r"\b(courteous|on-topic|respectful|civil|guidelines|moderat\w+|community managers?)", full=False),
    # --- newsletters ----------------------------------------------------------
    # A pitch asks (sign up, subscribe, get: "Get the Morning Briefing") or speaks for the site ("our
    # newsletter"), or is a short label ("Free Daily Newsletter"). A sentence
    # that only names a newsletter or a briefing ("told reporters at the daily
    # briefing", "in their weekly newsletter to investors") is no pitch: on
    # WCXB's dumps the looser wording matched 7 such lines of content for 9 of
    # chrome it alone found.
    _r("newsletter", "newsletter-pitch", r"(\b(sign up|subscribe|register|join|get|receive)\b.{0,80}"
       r"\b(newsletters?|mailing list)\b|\b(sign up|subscribe|register|receive)\b.{0,80}\bbriefing\b|^get\b.{0,80}\bbriefing\b"
       r"|\bour\b.{0,80}\b(newsletters?|mailing list|briefing)\b"
       r"|^((free|daily|weekly|monthly|e-?mail)\b[\s,]*)+(\w+\s+){0,3}newsletters?\b.{0,30}$"
       r"|\b(newsletters?|briefing)\b.{0,80}\b(sign up|subscribe|inbox|delivered|every (morning|week|day|evening))\b"
       r"|\bin your inbox\b|\be-?mail updates\b"
       r"|\b(unsere[nm]?|abonnieren|bestellen|anmelden)\b.{0,60}newsletter|newsletter\s+(abonnieren|bestellen)"
       r"|notre (newsletter|lettre d'information)|nuestro (boletín|newsletter)|nossa newsletter"
       r"|abonnez-vous|inscrivez-vous|abonnieren sie|подпишитесь|рассылк\w+|メルマガ|メールマガジン)",
       full=False, wall=True),
    # A line that names cookies or a copyright is a consent notice or a
    # footer's, whatever legal words it shares with a sign-up form's small
    # print: the rules below name it.
    _r("newsletter", "newsletter-legal", r"^(?!.*(cookie|©|copyright)).*?(by (signing up|subscribing|clicking)|subscribers agree|"
       r"unsubscribe at any time|you (can|may) unsubscribe|privacy (policy|notice)|terms of (use|service)|"
       r"this site is protected by recaptcha)", full=False),
    _r("newsletter", "newsletter-control", r"(sign ?up|subscribe|subscribe now|join now|get started|"
       r"enter your e-?mail( address)?|your e-?mail( address)?|e-?mail address|preview|thank you for signing up!?|"
       r"you('re| are) (now )?subscribed.{0,60}|anmelden|jetzt abonnieren|s'inscrire|подписаться|登録)", names=False),
    # --- donation appeals --------------------------------------------------
    _r("donation-appeal", "donation-opener", r"(support (us|our (work|journalism|reporting|newsroom))|"
       r"(we|i) need your (help|support).{0,300}|"
       r"if you (enjoyed|liked|value|appreciate) (this|our) (article|story|piece|journalism|reporting).{0,200}|support [\w .'’-]{2,40}!|"
       r"a (message|note) from [\w .'’-]{2,40}:?|dear (readers?|friends?|subscribers?),?|"
       r"(make a |one-time |monthly )?(donation|donate( now| today)?|contribute( now| today)?|become a (member|supporter|patron|subscriber))"
       r"|jetzt unterstützen|unterstützen sie uns.{0,60}|liebe leserinnen und leser,?|chers lecteurs,?|"
       r"soutenez-nous.{0,60}|faire un don|дорогие читатели,?|поддержите нас.{0,60}|ご支援のお願い)", wall=True),
    _r("donation-appeal", "donation-control", r"(once|one-?time|monthly|annual(ly)?|yearly|other( amount)?|"
       r"continue|[$€£₽]\s?\d+([.,]\d+)?(\s*/\s*(month|year|mo|yr))?|\d+\s?[$€£₽](\s*/\s*(month|year))?|"
       r"payment methods|paiment methods|not ready to (support|donate|give).{0,30}|remind me later\.?|"
       r"maybe later|no,? thanks|einmalig|monatlich|jährlich|une fois|mensuel|ежемесячно|разово)", names=False),
    # --- cookie and paywall notices -----------------------------------------
    # A consent manager's dialog: the IAB Transparency and Consent Framework
    # fixes the wording of its purposes ("Store and/or access information on a
    # device", "Create profiles for personalised advertising", "91 partners can
    # use this purpose"), so thousands of sites carry the same paragraphs word
    # for word; none of it names a cookie on every line.
    _r("cookie-notice", "consent-dialog", r"(\bwe and our (\d[\d,.]* )?(partners|vendors)\b|"
       r"\bstore and/or access information on a device|\b\d+ (partners|vendors) can use this (purpose|feature)|"
       r"\b(use|create) (limited data|profiles) (to|for) (select|personali[sz]e)d? (personali[sz]ed )?(advertising|content)\b|"
       r"\bunderstand audiences through statistics|\bactively scan device characteristics|"
       r"\bprivacy preference center\b|\bmanage consent preferences\b|\biab (vendors|transparency)|"
       r"\blegitimate interest purposes\b)", full=False, strong=True),
    _r("cookie-notice", "cookie-notice", r"\b(cookies?|cookie policy|cookie settings|consent|"
       r"datenschutzeinstellungen|témoins|файлы cookie)\b", full=False),
    _r("cookie-notice", "cookie-control", r"(accept( all)?( cookies)?|reject( all)?|manage (preferences|cookies|settings)|"
       r"i agree|agree|got it|ok|okay|allow( all)?|alle akzeptieren|akzeptieren|tout accepter|accepter|принять|同意する)",
       names=False),
    _r("paywall", "paywall-notice", r"(subscribe (now )?to (continue|read|unlock|keep reading|get (full|unlimited) access)|"
       r"already (a|an) (subscriber|member)\??|to continue reading.{0,80}|subscribers?[- ]only|for subscribers|"
       r"you('ve| have) (reached|used) (your|all)|free articles? (left|remaining)|create a free account|"
       r"(sign|log) in to (read|continue)|unlock (this|the full) (article|story)|this (article|content) is (for|reserved)|"
       r"exclusive to subscribers|réservé aux abonnés|abonnez-vous pour lire|nur für abonnenten|"
       r"jetzt weiterlesen mit|только для подписчиков|有料会員|会員限定)", full=False, strong=True),
    _r("paywall", "paywall-offer", r"^(subscribe now to .{1,60} for the full story|pour lire la suite|"
       r"pour accéder (en illimité|à la suite)|czytasz właśnie|zapraszamy (też )?do subskrypcji|"
       r"(lesen sie|lies) (jetzt )?(weiter|den ganzen artikel) mit )|\b(cancel (at )?any ?time|cancela cuando quieras|"
       r"jederzeit kündbar|résiliable à tout moment|sans engagement)\b", full=False, strong=True),
    _r("promo-widget", "magazine-promo", r"\bsubscribe to (our|the) .{0,40}\b(magazine|print edition|sister title|"
       r"e-?paper|digital edition)", full=False, strong=True),
    _r("promo-widget", "video-promo", r"((watch|video)\s*:?\s*)?(the )?latest (videos?|news videos?|clips?)"
       r"( from( [\w'’&.-]+){1,5})?"),
    _r("promo-widget", "app-promo", r"\b(download|get|install) (the|our) [\w .'’-]{1,40} apps? (for|on) (ios|android|iphone)",
       full=False, strong=True),
    _r("comment-widget", "leave-comment", r"\b(leave|hinterlasse|hinterlassen sie|laissez|deja|deixe) (einfach |uns |us )?"
       r"(a|einen|un|una|um) (comment|kommentar|commentaire|comentario)", full=False),
    _r("donation-appeal", "no-paywall-appeal", r"\b(keine|no|without a|sans|ohne) (bezahlschranke|paywall|pay wall)",
       full=False, strong=True),
    _r("copyright", "license-note", r"\b(unless otherwise (noted|stated|indicated)|sofern nicht anders (angegeben|"
       r"ausgewiesen|vermerkt)|sauf mention contraire)\b.{0,80}(licen[cs]e|lizenz|cc-by|creative commons)",
       full=False, strong=True),
    _r("comment-widget", "login-to-comment", r"\b(must be|musst|müssen|debes|devez) (logged in|signed in|eingeloggt|"
       r"angemeldet|registriert|connecté|iniciar sesión)\b.{0,40}\b(comment|kommentar|commentaire|comentar)",
       full=False, strong=True),
    _r("comment-widget", "feedback-prompt", r"(we want to hear what you think.{0,300}|.{0,120}we['’]d like to hear "
       r"(what you think|from you).{0,120}|what do you think about this "
       r"(article|story)\??.{0,60}|tell us what you think.{0,60}|was this (article|story|page) helpful\??.{0,30})"),
    _r("paywall", "paywall-control", r"(sign in|log in|login|log out|register|subscribe|my account|account|"
       r"anmelden|registrieren|se connecter|s'abonner|войти|ログイン|会員登録)", names=False),
    # --- copyright ------------------------------------------------------------
    # "© Jane Roe A nurse prepares a flu shot..." credits a photo, it does not end the page:
    # a copyright notice names a year, rights or an organisation, in a few words.
    _r("photo-caption", "photo-copyright", r"(©|\(c\))\s*(?![^\n]*\b(19|20)\d{2}\b)(?![^\n]*rights)"
       r"[A-ZÀ-Ö][\w'’.-]+( [A-ZÀ-Ö][\w'’.-]+){0,3}(\s*/\s*[\w .-]{2,30})? [A-ZÀ-Ö\d][^\n]{20,300}"),
    _r("copyright", "copyright", r"(©|\(c\)|copyright|℗)\s*.{0,200}", wall=True),
    _r("copyright", "rights-reserved", r"\b(all rights reserved|alle rechte vorbehalten|tous droits réservés|"
       r"все права защищены|todos los derechos reservados|tutti i diritti riservati)\b|無断(転載|複製)",
       full=False, strong=True, wall=True),
    _r("copyright", "market-data", r"\b(quotes (are )?delayed|market data (provided|powered) by|real-time quotes? "
       r"provided by|data (is )?provided by [\w ]+ (and|for) informational purposes)\b", full=False, strong=True),
    _r("copyright", "contact-footer", r"\b(cnpj|cnpj/mf|tel\.?|phone|fone|fax|telefon|телефон|電話|tél\.?|"
       r"téléphone|teléfono)\s*:?\s*\(?\+?\d[\d ()./-]{6,}", full=False, strong=True),
    _r("copyright", "legal-footer", r"(may not be (published|reproduced|broadcast|rewritten|redistributed)|"
       r"this material may not be)", full=False, strong=True),
    _r("advertisement", "ad-disclosure", r"\b(this (post|article|page|story) (contains|may contain|includes) "
       r"(affiliate|sponsored|paid)|we may (earn|receive) (a )?(small )?(commission|compensation)|"
       r"affiliate links?\b.{0,60}\b(commission|earn)|(dieser|der) (beitrag|artikel) enthält (werbung|affiliate|"
       r"anzeigen)|^\*?werbung\b|^\*?anzeige\b|cet article (contient|peut contenir) des liens (affiliés|sponsorisés)|"
       r"enlaces de afiliados)", full=False, strong=True),
    _r("copyright", "standards-note", r"our standards\s*:.{0,120}"),
    # The newsroom's stock note that a story changed: the same words under any
    # story ("This story has been updated with additional information."); what
    # changed, when the note says it, is a sentence of its own.
    _r("copyright", "update-note", r"(editor'?s'? note\s*:?\s*)?(this|the) (story|article|post|report) "
       r"(has been|was|had been) (updated|corrected|revised)( with (additional|new|more|the latest) "
       r"(information|details|reporting))?( (on|at) [\w ,.:]{1,40})?\.?"),
    _r("copyright", "usage-notice", r"\b(this copy is for your personal,? non-commercial use|order (presentation-ready )?"
       r"(copies|reprints)|distribution and use of this material (is|are) governed)\b", full=False, strong=True),
    _r("promo-widget", "widget-error", r"(an error (has )?occurred|something went wrong|please try again( later)?|"
       r"oops[!,.]?|javascript (is )?(disabled|required)|please enable javascript|your browser does not support).{0,120}"),
    _r("navigation", "bare-url", r"(https?://|www\.)\S+|([a-z0-9][a-z0-9-]*\.)+(com|net|org|info|co\.uk|co|io|de|at|ch|"
       r"fr|es|it|nl|be|pl|ru|eu|us|uk|jp|cn|br|in|ca|au)/?"),
    # --- navigation labels ---------------------------------------------------
    _r("navigation", "nav-label", r"(home|homepage|menu|main menu|search|search for:?|skip to (main )?(content|navigation)|"
       r"jump to( main)? content|toggle navigation|navigation|sections|all sections|back to top|top|"
       r"open menu|close menu|subscribe|newsletters?|sign in|log in|my account|contact( us)?|about( us)?|back|go back|"
       r"voltar|zurück|retour|назад|戻る|volver|categories|categorias|categorías|catégories|kategorien|рубрики|"
       r"カテゴリー?|archives?|archivos|archiv|"
       r"startseite|suche|accueil|rechercher|главная|поиск|ホーム|検索|メニュー|inicio|buscar|cerca|"
       r"[/|›»>•·\-–—]+)"),
    _r("navigation", "tags-label", _TAGS + r"(\s+.{1,200})?"),
    # A byline's label left alone on its line when the name is a link on the next
    # ("By" / "Jane Roe"), and a time stamp that ends in the byline.
    _r("byline", "byline-label", r"(by|von|par|por|door|av|di|автор|著者|文)\s*:?"),
    _r("byline", "dated-byline", r"((\d{1,2}:\d{2}\s*(am|pm)?\s*([a-z]{2,4}\s*)?)?([\d/.-]{6,10}|[a-z]{3,9}\.? \d{1,2},? "
       r"\d{4}|\d{1,2}\.? [a-z]{3,9}\.? \d{4})(,?\s*\d{1,2}:\d{2}\s*(am|pm)?(\s*[a-z]{2,4})?)?)\s*[|·•,–-]?\s*"
       r"(by|von|par|por) (?-i:[A-ZÀ-ÖØ-Þ][\w'’.-]+)( (?-i:[A-ZÀ-ÖØ-Þ][\w'’.-]+)){0,3}"),
    # A blog's post-meta line: "05/10/2018 - Publicado por: Ana Costa - Categoria: Saúde - Tags: ...",
    # "Posted by Jane Roe in Travel | 3 Comments". The name must be capitalised, so a
    # sentence such as "Written by a former spy" is not one.
    _r("byline", "post-meta", r"([\d./-]{6,10}( \d{1,2}:\d{2})?\s*[-|–—·•]\s*)?(posted|published|publicado|publicada|"
       r"publié|publiée|veröffentlicht|pubblicato|written|geschrieben|escrito|écrit|опубликовал\w*|автор)"
       r"( (by|por|par|von|da|door))?\s*:?\s*(?-i:[A-ZÀ-ÖØ-ÞА-ЯЁ])[^.!?,;:|–—]{1,50}"
       r"((\s*[-|–—·•,]\s*|\s+)(on |em |le |am |el )?([\d./-]{6,10}|(in |em |dans |en |in der )?"
       r"(categor\w*|category|kategorie|rubrique|filed under|tags|etiquetas|temas|schlagwörter|\d+ (comments?|"
       r"comentários|comentarios|commentaires|kommentare))\s*:?)[^|]{0,150})+"),
    # Page numbers of a paginated list or comment thread: "1 2 3 4 5 6 7 8 »".
    _r("navigation", "pagination", r"([«‹<]|prev(ious)?|назад|zurück)?\s*(\d{1,3}\s+){3,}\d{1,3}\s*"
       r"([»›>…]|next|далее|weiter|suivant)?"),
    _r("navigation", "breadcrumb", r"[\w .&'’-]{1,30}(\s*[/›»>|]\s*[\w .&'’-]{1,30}){1,6}\s*[/›»>]?"),
    # --- author bios ------------------------------------------------------------
    _r("byline", "contributor-credit", r"\b(contributed (reporting )?to this (report|story|article)|"
       r"contributed reporting)\.?$", full=False, strong=True),
    _r("author-bio", "author-bio", r"^[A-Z][\w'’.-]+( [A-Z][\w'’.-]+){0,3} (is|was|has been) (a|an|the) "
       r"([\w-]+ ){0,4}(reporter|writer|editor|correspondent|journalist|columnist|contributor|freelancer|"
       r"producer|analyst|author|intern)\b", full=False),
    _r("author-bio", "author-header", r"(" + ABOUT_THE_AUTHOR + r"|"
       r"(about|über|à propos de|sobre|acerca de) [A-ZÀ-Ö][\w'’.-]+( [A-ZÀ-Ö][\w'’.-]+){1,2})\s*:?", wall=True),
    _r("author-bio", "author-contact", r"(follow|contact|email|reach|write to) [A-Z][\w'’.-]+( [A-Z][\w'’.-]+){0,2} "
       r"(on|at|via) (twitter|x|facebook|instagram|linkedin|threads|bluesky|@|[\w.+-]+@).{0,120}"),
)


CONTROL_RULES = frozenset(r.name for r in LINE_RULES if not r.names)
"""The rules that match a control's label: "Other", "$25", "Monthly" (a
donation form), "OK", "Accept all" (a consent banner), "Log in", "Reply",
"Sign up". Beside their widget they name it; alone ("$129.99" on a product
page, "Log in" in a site's header) they name nothing."""


def name_controls(removed: list[Removal], sequence: list[tuple[str, Removal | None]]
                  ) -> tuple[list[Removal], list[tuple[str, Removal | None]]]:
    """A page's removals (and its sequence of kept text and removals) with
    the controls' kinds settled: a removal decided by a control's rule
    (``rule`` ``<rule>``, ``model+<rule>`` or ``veto+<rule>``) keeps its kind
    only when the page's removals also hold that kind for another reason (the
    widget's opener, its text, its place), the evidence that the widget is
    there; otherwise its kind is ``boilerplate``, its rule still named.
    Measured on WCXB's 1,497 HTML pages before this: 1,057 removals named
    ``donation-appeal`` by ``donation-control`` alone, 473 of them on product
    pages (prices)."""
    def rule_name(r: Removal) -> str:
        return r.rule.rsplit("+", 1)[-1]

    witnessed = {r.kind for r in removed if rule_name(r) not in CONTROL_RULES}
    new = {id(r): Removal("boilerplate", r.text, r.rule) for r in removed
           if rule_name(r) in CONTROL_RULES and r.kind not in witnessed and r.kind != "boilerplate"}
    if not new:
        return removed, sequence
    return ([new.get(id(r), r) for r in removed],
            [(t, new.get(id(r), r) if r is not None else None) for t, r in sequence])


RULES_BY_NAME = {r.name: r for r in LINE_RULES}



def normalize_line(line: str) -> str:
    # str.split() and the regex \s agree on what whitespace is (Unicode's).
    return " ".join(line.split())


SEARCH_KEYS: dict[str, tuple[str, ...]] = {
    # Literal fragments (lowercase) one of which every match of the rule contains:
    # a substring test rejects almost every line before the regex has to run.
    "photo-credit-end": ("(", "/", "photo", "image", "picture", "foto", "bild", "credit", "фото", "getty", "reuters", "ap photo", "afp", "shutterstock", "istock", "epa", "dpa", "imago",
                         "alamy", "tass", "ria novosti", "sputnik", "bloomberg", "associated press", "photobank",
                         " via "),
    "comment-policy": ("comment", "conversation", "community"),
    "newsletter-pitch": ("newsletter", "mailing list", "briefing", "inbox", "mail update", "abonnez", "inscrivez",
                         "abonnieren", "подпиш", "рассылк", "メルマガ", "メールマガジン", "boletín",
                         "lettre d'information"),
    "newsletter-legal": ("signing up", "subscribing", "clicking", "subscribers agree", "unsubscribe", "privacy",
                         "terms of", "recaptcha"),
    "consent-dialog": ("we and our", "store and/or", "can use this", "limited data", "profiles", "understand audiences",
                       "device characteristics", "privacy preference", "consent preferences", "iab ",
                       "legitimate interest"),
    "cookie-notice": ("cookie", "consent", "datenschutz", "témoins"),
    "paywall-notice": ("subscri", "continue reading", "free article", "you have", "you've", "free account",
                       "sign in", "log in", "unlock", "this article", "this content", "réservé", "abonnez", "nur für",
                       "weiterlesen", "только для", "有料", "会員"),
    "app-promo": (" app",),
    "magazine-promo": ("subscribe",),
    "paywall-offer": ("subscribe now", "pour lire la suite", "pour accéder", "czytasz", "zapraszamy", "lesen sie",
                      "lies ", "cancel", "cancela", "kündbar", "résiliable", "sans engagement"),
    "leave-comment": ("comment", "kommentar", "commentaire", "comentario"),
    "no-paywall-appeal": ("paywall", "bezahlschranke", "pay wall"),
    "license-note": ("licen", "lizenz", "cc-by", "creative commons"),
    "login-to-comment": ("comment", "kommentar", "comentar"),
    "rights-reserved": ("rights", "rechte", "droits", "права", "derechos", "diritti", "無断"),
    "market-data": ("quotes", "market data", "provided by"),
    "legal-footer": ("may not be", "this material"),
    "contact-footer": ("cnpj", "tel", "phone", "fone", "fax", "телефон", "電話", "tél", "teléfono"),
    "ad-disclosure": ("affiliate", "commission", "compensation", "werbung", "anzeige", "contain", "includes",
                      "liens", "afiliados", "enthält"),
    "usage-notice": ("personal", "reprints", "copies", "this material"),
    "author-bio": (" is ", " was ", " has been "),
    "contributor-credit": ("contributed",),
}
_ANCHORED = tuple((i, r) for i, r in enumerate(LINE_RULES) if r.full)
_SEARCHED = tuple((i, r, SEARCH_KEYS[r.name]) for i, r in enumerate(LINE_RULES) if not r.full)


# --- first-character dispatch ------------------------------------------------
# Trying every whole-line rule on every line costs one failed attempt per rule;
# most rules can only start with a few letters ("Share", "Read more", "©"), so a
# line is tried only against the rules that can start with its first character
# and whose literals it holds, both read per alternative of a rule (_facets).
# The sets come from the patterns themselves (read by cleaner.patterns), so they
# can never disagree with the rules: an item the analysis does not know counts
# as "any character", which only makes the candidate list longer.

def case_hazards() -> frozenset[str]:
    """Characters for which ``str.lower`` and the regex engine's case-insensitive
    matching may disagree: the long s matches "s" but lowers to itself, "İ"
    lowers to two characters, a capital sigma lowers to "ς" at the end of a
    word. Required literals are looked for in ``line.lower()``, which is exact
    only on lines without these characters, and a line starting with one is
    tried against every rule.

    The engine treats as equal ignoring case the characters with the same
    simple lower case and those with the same upper case. Read from
    ``str.lower`` and ``str.upper`` alone, the classes of characters linked
    by the same lower or upper case hold the engine's; a hazard is a member
    that lowers to more than one character or to another than the class's
    usual lower case. Where a class has no single usual lower case, all its
    members are hazards: a superset is safe, such a line is only tried
    against more rules."""
    import sys
    from collections import Counter, defaultdict

    parent: dict[str, str] = {}

    def root(x: str) -> str:
        while parent.get(x, x) != x:
            x = parent[x]
        return x

    members: list[str] = []
    for cp in range(sys.maxunicode + 1):
        ch = chr(cp)
        if 0xD800 <= cp < 0xE000:
            continue
        low, up = ch.lower(), ch.upper()
        if low == ch == up:
            continue  # no case: equal to itself only
        members.append(ch)
        for key in ("l" + low, "u" + up):
            a, b = root(ch), root(key)
            if a != b:
                parent[a] = b
    lowers: dict[str, Counter[str]] = defaultdict(Counter)
    for ch in members:
        lowers[root(ch)][ch.lower()] += 1
    hazards = {"\u03a3"}  # capital sigma: its lower case depends on the next character
    for ch in members:
        counts = lowers[root(ch)]
        top = max(counts.values())
        # The class's usual lower case is its members' most common one (on a
        # tie, none is: every member is a hazard).
        if len(ch.lower()) != 1 or counts[ch.lower()] < top or list(counts.values()).count(top) > 1:
            hazards.add(ch)
    return frozenset(hazards)


_KNOWN_HAZARDS = ("14.0.0", "\u00b5\u0130\u0131\u017f\u0345\u0390\u03a3\u03b0\u03c2\u03d0\u03d1\u03d5\u03d6\u03f0"
                  "\u03f1\u03f5\u1c80\u1c81\u1c82\u1c83\u1c84\u1c85\u1c86\u1c87\u1c88\u1e9b\u1fbe\u1fd3"
                  "\u1fe3\ufb05\ufb06")
"""case_hazards() for one Unicode version, so that importing cleaner does not scan
all of Unicode (0.4 s); other versions compute it (tests/test_rules.py checks
that this table is what it computes)."""
CASE_HAZARDS = (frozenset(_KNOWN_HAZARDS[1]) if unicodedata.unidata_version == _KNOWN_HAZARDS[0]
                else case_hazards())
_CASE_HAZARD = re.compile("[" + re.escape("".join(sorted(CASE_HAZARDS))) + "]")


_ANY = object()


def _start_set(items) -> tuple[list, bool]:
    """What a match of the parsed sequence ``items`` can start with, and whether
    it can match the empty string: a list of literal sets and category tests."""
    c = patterns
    out: list = []
    for op, av in items:
        if op is c.LITERAL:
            out.append(frozenset((chr(av),)))
            return out, False
        if op is c.IN:
            if any(o is c.NEGATE for o, _ in av):
                return [_ANY], False
            for o, a in av:
                if o is c.LITERAL:
                    out.append(frozenset((chr(a),)))
                elif o is c.RANGE and a[1] - a[0] <= 1024:
                    out.append(frozenset(map(chr, range(a[0], a[1] + 1))))
                elif o is c.CATEGORY and a in _CATEGORY_TESTS:
                    out.append(_CATEGORY_TESTS[a])
                else:
                    return [_ANY], False
            return out, False
        if op is c.SUBPATTERN or op is c.ATOMIC_GROUP:
            sub, nullable = _start_set((av[-1] if op is c.SUBPATTERN else av).data)
        elif op is c.BRANCH:
            sub, nullable = [], False
            for alt in av[1]:
                s, n = _start_set(alt.data)
                sub += s
                nullable |= n
        elif op in (c.MAX_REPEAT, c.MIN_REPEAT, c.POSSESSIVE_REPEAT):
            sub, nullable = _start_set(av[2].data)
            nullable |= av[0] == 0
        elif op in (c.AT, c.ASSERT, c.ASSERT_NOT):
            continue  # zero width: the next item decides (lookarounds only narrow)
        else:
            return [_ANY], False
        out += sub
        if not nullable:
            return out, False
    return out, True


def _category_tests() -> dict:
    c = patterns
    return {c.CATEGORY_DIGIT: str.isdigit, c.CATEGORY_SPACE: str.isspace,
            c.CATEGORY_WORD: lambda ch: ch.isalnum() or ch == "_"}


_CATEGORY_TESTS = _category_tests()


class _Starter:
    """A test "can a parsed sequence match a line that starts with this
    character?", case folded both ways (the rules ignore case, and a superset is
    always safe): one of ``chars``, or a character one of ``tests`` (the
    category tests) accepts."""

    __slots__ = ("chars", "tests")

    def __init__(self, chars: frozenset[str], tests: tuple):
        self.chars, self.tests = chars, tests

    def __call__(self, ch: str) -> bool:
        return any(v in self.chars or any(t(v) for t in self.tests) for v in (ch, ch.lower(), ch.upper()))


def _starter(items) -> _Starter | None:
    """The first-character test of the parsed sequence ``items``; None: any character."""
    sets, _ = _start_set(items)
    if any(s is _ANY or isinstance(s, frozenset) and s & CASE_HAZARDS for s in sets):
        return None
    chars = frozenset(v for s in sets if isinstance(s, frozenset) for ch in s for v in (ch, ch.lower(), ch.upper()))
    return _Starter(chars, tuple(s for s in sets if not isinstance(s, frozenset)))


def _parsed(pattern: re.Pattern[str]) -> list:
    """The items of a compiled pattern (:mod:`cleaner.patterns`); a pattern
    whose syntax that parser does not read is ``.*``, which the analyses
    below read as "can match anything": its rule is then tried on every line."""
    try:
        return patterns.parse(pattern).data
    except patterns.Unsupported:
        return [(patterns.MAX_REPEAT, (0, patterns.MAXREPEAT, patterns.Seq([(patterns.ANY, None)])))]


def _written_starts(pattern: re.Pattern[str]) -> frozenset[str] | None:
    """The characters, as the pattern writes them, that a match can start with;
    None when a category, a negated set or a wide range can start it, or it can
    match the empty string."""
    sets, nullable = _start_set(_parsed(pattern))
    if nullable or not sets or any(not isinstance(s, frozenset) for s in sets):
        return None
    return frozenset().union(*sets)


def first_chars(pattern: re.Pattern[str]) -> frozenset[str] | None:
    """The characters a match of ``pattern`` can start with, in both cases and
    with the characters that ignore-case matching pairs with others (CASE_HAZARDS):
    ``line[:1] in first_chars(p)`` is then a safe test before ``p.match(line)``.
    None when that cannot be read off the pattern, or it can match the empty string."""
    chars = _written_starts(pattern)
    if chars is None:
        return None
    return frozenset(v for ch in chars for v in (ch, ch.lower(), ch.upper())) | CASE_HAZARDS


FACETS_MAX = 64
"""Most alternatives one rule is split into for dispatch."""


def _facets(items) -> list[list]:
    """The alternatives of the parsed sequence ``items`` as sequences of their own:
    ``(a|b)c`` is ``ac`` or ``bc``, ``(a|b){1,3}`` is ``(a|b)(a|b){0,2}``, and
    ``(a)?b`` is ``ab`` or ``b``. A rule matches a line only if one of its
    alternatives does, and each alternative has its own first characters and
    literals: a rule of forty labels ("share", "tweet", "x", ...) need not be
    tried on every line that starts with any of twenty letters, or contains any
    of their words."""
    c = patterns
    items = list(items)
    if not items:
        return [items]
    op, av = items[0]
    if op in (c.MAX_REPEAT, c.MIN_REPEAT) and av[1] >= 1:
        lo, hi, body = av
        more = [(op, (max(lo - 1, 0), hi if hi == c.MAXREPEAT else hi - 1, body))] if hi != 1 else []
        once = _facets(list(body.data) + more + items[1:])
        none = _facets(items[1:]) if lo == 0 else []
        return [items] if len(once) + len(none) > FACETS_MAX else once + none
    if op is c.SUBPATTERN and not av[1] and not av[2]:  # a group that changes no flags
        return _facets(list(av[-1].data) + items[1:])
    if op is not c.BRANCH:
        return [items]
    out: list[list] = []
    for alt in av[1]:
        out += _facets(list(alt.data) + items[1:])
        if len(out) > FACETS_MAX:
            return [items]
    return out


def _exact(items) -> frozenset[str] | None:
    """The strings the parsed sequence ``items`` can match, when they are a few
    fixed ones ("by", "von", "par"); None otherwise."""
    c = patterns
    out = frozenset(("",))
    for op, av in items:
        if op is c.LITERAL:
            part: frozenset[str] | None = frozenset((chr(av),))
        elif op is c.IN and all(o is c.LITERAL for o, _ in av):
            part = frozenset(chr(a) for _, a in av)
        elif op is c.SUBPATTERN and not av[1] and not av[2]:
            part = _exact(av[-1].data)
        elif op is c.BRANCH:
            alts = [_exact(alt.data) for alt in av[1]]
            part = None if any(a is None for a in alts) else frozenset().union(*alts)  # type: ignore[arg-type]
        else:
            return None
        if part is None or len(out) * len(part) > EXACT_MAX:
            return None
        out = frozenset(a + b for a in out for b in part)
    return out


EXACT_MAX = 64
"""Most strings a fixed piece of a pattern is expanded into."""


def _usable(req: frozenset[str]) -> bool:
    """Worth looking for, and exact to look for in ``line.lower()``."""
    return not any(x.isspace() or CASE_HAZARDS.intersection(x) or len(x.lower()) != len(x)
                   # "de", "at", "x": in most lines anyway, and every occurrence costs a step.
                   or len(x) < REQUIRED_MIN and x.isascii() and x.isalnum() for x in req)


def _required(items) -> frozenset[str] | None:
    """Literal strings one of which every match of the parsed sequence ``items``
    contains (None: no such set found). Of the sequence's items, the most
    selective usable requirement is kept: the longest shortest string, then
    the fewest. Runs of fixed pieces count as one: ``(by|von) `` needs "by " or
    "von "."""
    c = patterns
    best: frozenset[str] | None = None
    nothing = frozenset(("",))
    run = nothing

    def consider(req: frozenset[str] | None) -> None:
        nonlocal best
        if req is not None and req and "" not in req and _usable(req) and \
                (best is None or (min(map(len, req)), -len(req)) > (min(map(len, best)), -len(best))):
            best = req

    for op, av in items:
        fixed = _exact([(op, av)]) if op in (c.LITERAL, c.IN, c.SUBPATTERN, c.BRANCH) else None
        if fixed is not None and "" not in fixed:
            if len(run) * len(fixed) <= EXACT_MAX:
                run = frozenset(a + b for a in run for b in fixed)
            else:
                consider(run)
                run = fixed
            continue
        consider(run)
        run = nothing
        req = None
        if op is c.IN:
            chars: list[str] | None = []
            for o, a in av:
                if o is c.LITERAL:
                    chars.append(chr(a))  # type: ignore[union-attr]
                elif o is c.RANGE and a[1] - a[0] < 64:
                    chars.extend(map(chr, range(a[0], a[1] + 1)))  # type: ignore[union-attr]
                else:
                    chars = None  # a category, a negation, a large range: anything
                    break
            req = frozenset(chars) if chars else None
        elif op is c.SUBPATTERN:
            req = _required(av[-1].data)
        elif op is c.BRANCH:
            alts = [_required(alt.data) for alt in av[1]]
            req = None if any(x is None for x in alts) else frozenset().union(*alts)  # type: ignore[arg-type]
        elif op in (c.MAX_REPEAT, c.MIN_REPEAT, c.POSSESSIVE_REPEAT) and av[0] >= 1:
            req = _required(av[2].data)
        consider(req)
    consider(run)
    return frozenset(x.lower() for x in best) if best is not None else None


REQUIRED_MIN = 3
"""Shortest Latin-script fragment worth looking for; shorter ones occur in most
lines. (Two CJK characters, or punctuation such as "/", are rare enough.)"""


def _alternatives(rule: Rule) -> list[list]:
    return _facets(_parsed(rule.pattern))


def _rule_facets() -> tuple[tuple[int, object, frozenset[str] | None], ...]:
    """(rule index, first-character test, required literals) of every alternative
    of every whole-line rule."""
    return tuple((i, _starter(items), _required(items)) for i, rule in _ANCHORED for items in _alternatives(rule))


_FACETS = _rule_facets()


@lru_cache(maxsize=4096)
def _full_subset(members: tuple[int, ...]) -> re.Pattern[str] | None:
    """One alternation run by the regex engine instead of one Python call per
    rule: alternatives are tried in table order, so the first rule that matches
    the whole line wins, exactly as a loop over the table would decide. Group
    ``r<i>`` is rule ``LINE_RULES[i]``. Used for the rules that need no
    literal, so a subset depends only on a line's first character: few occur."""
    if not members:
        return None
    return re.compile("|".join(f"(?P<r{i}>{LINE_RULES[i].pattern.pattern})" for i in members), re.I | re.U)


def _candidates_now(ch: str) -> tuple[re.Pattern[str] | None, int]:
    """The whole-line rules a line starting with ``ch`` can match: those with an
    alternative that needs no literal (as one alternation), and the alternatives
    of the others that need one of their literals in the line (a bit set of
    facet indexes: facets are in rule order, so its bits read upwards give the
    rules in table order). About 0.8 ms: every facet's test; hence
    :func:`_full_candidates`."""
    fits = [f for f, (_, start, _) in enumerate(_FACETS) if start is None or ch in CASE_HAZARDS or start(ch)]
    free = {_FACETS[f][0] for f in fits if _FACETS[f][2] is None}
    return _full_subset(tuple(sorted(free))), sum(1 << f for f in fits if _FACETS[f][0] not in free)


_START_CHARS = frozenset().union(*(start.chars for _, start, _ in _FACETS if start is not None))
"""Every character a first-character test names."""
_START_TESTS = tuple(_CATEGORY_TESTS.values())


def _start_class(ch: str) -> str | tuple[bool, ...]:
    """A key shared by the characters every first-character test (_Starter)
    answers alike for: a character a test names (or a case hazard) is its own
    key; any other is judged by the category tests alone, so the tests' answers
    on its case variants are its key (one of at most 2**9: every ideograph
    without a rule of its own shares one)."""
    variants = (ch, ch.lower(), ch.upper())
    if ch in CASE_HAZARDS or not _START_CHARS.isdisjoint(variants):
        return ch
    return tuple(t(v) for v in variants for t in _START_TESTS)


_BY_START: dict[str, tuple[re.Pattern[str] | None, int]] = {}
BY_START_MAX = 4096
"""Distinct first characters remembered (the classes behind them are all remembered)."""
_BY_CLASS: dict[str | tuple[bool, ...], tuple[re.Pattern[str] | None, int]] = {}


def _full_candidates(ch: str) -> tuple[re.Pattern[str] | None, int]:
    """:func:`_candidates_now`, remembered per character and per class of
    characters (:func:`_start_class`): a page in Chinese or Japanese starts its
    lines with hundreds of distinct characters, which each cost 0.8 ms to judge
    and were remembered up to 4096 of them only; a class is judged once."""
    got = _BY_START.get(ch)
    if got is not None:
        return got
    key = _start_class(ch)
    got = _BY_CLASS.get(key)
    if got is None:
        got = _BY_CLASS[key] = _candidates_now(ch)
    if len(_BY_START) < BY_START_MAX:
        _BY_START[ch] = got
    return got


def _key_automaton() -> tuple[Any, tuple[int, ...]]:
    """All occurrences of every rule literal in one pass (Aho-Corasick, a DFA in
    compiled code): the searched rules' keys and the whole-line rules' required
    literals. A line is then tried only against the rules whose literals it
    holds. Each key's value is a bit set: bit f for facet f, bit _SEARCH_SHIFT + p
    for searched rule p, so a line's candidates are the OR of its keys' values."""
    import ahocorasick_rs

    keys: dict[str, int] = {}
    for pos, (_, _, words) in enumerate(_SEARCHED):
        for key in words:
            keys[key] = keys.get(key, 0) | 1 << (_SEARCH_SHIFT + pos)
        for key in _SEARCHED_REQUIRES[pos] or ():
            keys[key] = keys.get(key, 0) | 1 << (_DERIVED_SHIFT + pos)
    for f, (_, _, req) in enumerate(_FACETS):
        for key in req or ():
            keys[key] = keys.get(key, 0) | 1 << f
    order = sorted(keys)
    # Standard match kind with overlapping matches: every key found, also one
    # inside another ("photo" in "(photo").
    auto = ahocorasick_rs.AhoCorasick(order, matchkind=ahocorasick_rs.MatchKind.Standard,
                                      implementation=ahocorasick_rs.Implementation.DFA)
    return auto, tuple(keys[k] for k in order)


def _searched_requirement(rule: Rule) -> frozenset[str] | None:
    """Literals one of which every match of a searched rule holds, read off its
    pattern (as for the whole-line rules): a second filter beside the rule's
    keys, often much narrower ("(photo" where the key is "(")."""
    reqs = [_required(items) for items in _alternatives(rule)]
    return None if any(r is None for r in reqs) else frozenset().union(*reqs)  # type: ignore[arg-type]


def _needs_digit(items) -> bool:
    """Every match of the parsed sequence ``items`` holds a digit (``\\d``, or a
    literal or range of decimal digits, which ``\\d`` also finds): a phone-number
    rule cannot match a line without one, and one C scan for a digit is far
    cheaper than searching the rule."""
    c = patterns

    def digits_only(av) -> bool:
        return bool(av) and all(o is c.CATEGORY and a is c.CATEGORY_DIGIT or
                                o is c.LITERAL and chr(a).isdecimal() or
                                o is c.RANGE and all(chr(x).isdecimal() for x in range(a[0], a[1] + 1))
                                for o, a in av)

    for op, av in items:
        if op is c.LITERAL and chr(av).isdecimal() or op is c.IN and digits_only(av):
            return True
        if op is c.SUBPATTERN and _needs_digit(av[-1].data) or \
                op is c.BRANCH and all(_needs_digit(alt.data) for alt in av[1]) or \
                op in (c.MAX_REPEAT, c.MIN_REPEAT, c.POSSESSIVE_REPEAT) and av[0] >= 1 and _needs_digit(av[2].data):
            return True
    return False


def _match_starts(rule: Rule) -> re.Pattern[str] | None:
    """Where a match of a searched rule can begin, if only at punctuation
    ("(", "|", "/", a full stop): the regex engine then tries the rule at those
    few places instead of at every character of a long line. None when a match
    can begin with a letter or digit, or anywhere."""
    chars = _written_starts(rule.pattern)
    if chars is None or any(ch.isalnum() or ch == "_" for ch in chars):
        return None
    # Same flags as the rule, so both agree on which characters match.
    return re.compile("[" + re.escape("".join(sorted(chars))) + "]", rule.pattern.flags)


def _search(line: str, rule: Rule, starts: re.Pattern[str] | None, digit: bool) -> re.Match[str] | None:
    """rule.pattern.search(line), found faster (see _match_starts, _needs_digit):
    a search tries the pattern at each position in turn and returns the first
    match, and pattern.match(line, p) is exactly that attempt at position p."""
    if digit and not _DIGIT.search(line):
        return None
    if starts is None:
        return rule.pattern.search(line)
    match = rule.pattern.match
    for s in starts.finditer(line):
        m = match(line, s.start())
        if m:
            return m
    return None


_DIGIT = re.compile(r"\d")
_SEARCHED_REQUIRES = tuple(_searched_requirement(rule) for _, rule, _ in _SEARCHED)
_SEARCH_PLANS = tuple((_match_starts(rule), _needs_digit(_parsed(rule.pattern))) for _, rule, _ in _SEARCHED)
"""Per searched rule, the arguments _search takes after the rule."""
_SEARCH_SHIFT = len(_FACETS)
_DERIVED_SHIFT = _SEARCH_SHIFT + len(_SEARCHED)
_ALL_SEARCHED = (1 << len(_SEARCHED)) - 1
_NOT_DERIVED = sum(1 << pos for pos, req in enumerate(_SEARCHED_REQUIRES) if req is None)
_KEY_AUTOMATON, _KEY_VALUES = _key_automaton()
_key_value = _KEY_VALUES.__getitem__
FULL_MAX = 400
"""Whole-line rules only look at lines up to this length: labels and captions."""
EDGE = 120
STRONG_SEARCH_MAX = 1000
"""Strong searched phrases ("all rights reserved", "quotes delayed") mark a line as
chrome even in a long footer paragraph."""


_BULLET = re.compile(r"^([-–—•·*▪►»>|]|\d{1,2}[.)])\s+")


_BULLET_START = frozenset("-–—•·*▪►»>|0123456789")


_first = itemgetter(0)


def match_rule(line: str) -> Rule | None:
    """The first rule (in table order) whose wording matches ``line`` (normalised).
    A leading list bullet ("- Print Article") does not change what a label is.
    (The line classifier caches the answer per line: see strip._features_now.)"""
    if len(line) > STRONG_SEARCH_MAX + 4:  # a bullet may come off
        return None
    if line[:1] in _BULLET_START:
        line = _BULLET.sub("", line, count=1)
    n = len(line)
    if n > STRONG_SEARCH_MAX:
        return None
    keys = _KEY_AUTOMATON.find_matches_as_indexes(line.lower(), True)
    found = reduce(or_, map(_key_value, map(_first, keys)), 0) if keys else 0
    # Literals read off the patterns are looked for in line.lower(), exact only
    # without case hazards; the searched rules' own keys define those rules.
    plain = line.isascii() or not _CASE_HAZARD.search(line)
    best = len(LINE_RULES)
    if 0 < n <= FULL_MAX:
        free, needy = _BY_START.get(line[0]) or _full_candidates(line[0])
        if plain:
            needy &= found  # alternatives whose required literals the line lacks cannot match it
        m = free.fullmatch(line) if free is not None else None
        if m:
            best = int(m.lastgroup[1:])  # type: ignore[index]
        tried = -1
        while needy:
            bit = needy & -needy
            needy ^= bit
            i = _FACETS[bit.bit_length() - 1][0]
            if i >= best:
                break
            if i != tried and LINE_RULES[i].pattern.fullmatch(line):
                best = i
                break
            tried = i
    searched = found >> _SEARCH_SHIFT & _ALL_SEARCHED
    if plain:
        searched &= found >> _DERIVED_SHIFT | _NOT_DERIVED
    while searched:
        bit = searched & -searched
        searched ^= bit
        i, rule, _ = _SEARCHED[bit.bit_length() - 1]
        if i > best:
            break
        if not (rule.strong or n <= SHORT_LINE * 2):
            continue
        m = _search(line, rule, *_SEARCH_PLANS[bit.bit_length() - 1])
        # In a long line, a footer phrase must open or close it; deep inside a
        # long paragraph (or a page flattened to one line) it proves nothing.
        if m and (n <= SHORT_LINE * 2 or m.start() < EDGE or m.end() > n - EDGE):
            best = i
            break
    return LINE_RULES[best] if best < len(LINE_RULES) else None
