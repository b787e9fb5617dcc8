"""WARC and WET files written by the tests themselves, record by record, as
crawlers write them (WARC/1.0 headers, an HTTP message in a response block,
CRLF CRLF after each block)."""

from __future__ import annotations

import gzip

PAGE = ("<!DOCTYPE html><html lang='{lang}'><head><meta charset='{charset}'><title>{title}</title></head><body>"
        "<nav>Home | News | Sport</nav><article><h1>{title}</h1>{paras}</article>"
        "<footer>© 2025 Example Media. All rights reserved.</footer></body></html>")
PARAS = [
    "The city council approved a plan on Tuesday to rebuild the old harbour bridge, ending two years of debate.",
    "Engineers said the new bridge would carry twice as much traffic and withstand stronger storms.",
    "Construction is expected to begin next spring and take about three years, the transport department said.",
    "Residents who live near the port have complained about the noise of the works for many years now.",
]


def page(title: str, n: int = 3, lang: str = "en", charset: str = "utf-8") -> str:
    paras = "".join(f"<p>{PARAS[(i + len(title)) % len(PARAS)]} ({title}, paragraph {i}).</p>" for i in range(n))
    return PAGE.format(title=title, paras=paras, lang=lang, charset=charset)


def record(wtype: str, block: bytes, *, uri: str = "", rid: str = "", content_type: str | None = None,
           date: str = "2024-05-14T10:00:00Z", extra: dict[str, str] | None = None) -> bytes:
    if content_type is None:
        content_type = {"response": "application/http; msgtype=response",
                        "request": "application/http; msgtype=request", "warcinfo": "application/warc-fields",
                        "metadata": "application/warc-fields", "revisit": "application/http; msgtype=response",
                        "conversion": "text/plain", "resource": "text/html"}[wtype]
    head = [f"WARC/1.0", f"WARC-Type: {wtype}", f"WARC-Date: {date}", f"WARC-Record-ID: <urn:uuid:{rid or wtype}>"]
    if uri:
        head.append(f"WARC-Target-URI: {uri}")
    for k, v in (extra or {}).items():
        head.append(f"{k}: {v}")
    head += [f"Content-Type: {content_type}", f"Content-Length: {len(block)}"]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + block + b"\r\n\r\n"


def http(body: bytes, status: str = "200 OK", ctype: str = "text/html; charset=utf-8",
         headers: dict[str, str] | None = None) -> bytes:
    lines = [f"HTTP/1.1 {status}", f"Content-Type: {ctype}", f"Content-Length: {len(body)}"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def response(uri: str, rid: str, body: bytes, **kw) -> bytes:
    return record("response", http(body, **kw), uri=uri, rid=rid)


def gzip_members(records: list[bytes]) -> bytes:
    """``.warc.gz`` as crawlers write it: one gzip member per record."""
    return b"".join(gzip.compress(r, mtime=0) for r in records)


def every_type() -> tuple[list[bytes], dict]:
    """A crawl holding every record type and every kind of response; with what
    each record should become (by its position, 1-based)."""
    recs = [
        record("warcinfo", b"software: test-crawler/1.0\r\nformat: WARC File Format 1.0\r\n", rid="info"),
        record("request", b"GET /a HTTP/1.1\r\nHost: news.example\r\n\r\n", uri="https://news.example/a",
               rid="req-a"),
        response("https://news.example/a", "a", page("Harbour bridge approved").encode()),
        record("metadata", b"fetchTimeMs: 120\r\n", uri="https://news.example/a", rid="meta-a"),
        response("https://news.example/logo.png", "png", b"\x89PNG\r\n\x1a\n" + bytes(200), ctype="image/png"),
        response("https://news.example/report.pdf", "pdf", b"%PDF-1.4 ...", ctype="application/pdf"),
        response("https://news.example/old", "redirect", b"<html><body>Moved</body></html>",
                 status="301 Moved Permanently", headers={"Location": "https://news.example/a"}),
        response("https://news.example/missing", "404", page("Page not found").encode(), status="404 Not Found"),
        response("https://news.example/broken", "500", b"<html><body>Error</body></html>",
                 status="500 Internal Server Error"),
        record("revisit", b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n", uri="https://news.example/a",
               rid="revisit-a", extra={"WARC-Profile": "http://netpreserve.org/warc/1.0/revisit/identical-payload-digest"}),
        # A Latin-1 page whose <meta> claims windows-1251 (Cyrillic, which any
        # bytes decode as): the HTTP header's charset comes first and is right.
        response("https://news.example/b", "b",
                 page("Señora Müller über den Hafen", charset="windows-1251").encode("latin-1"),
                 ctype="text/html; charset=ISO-8859-1"),
    ]
    want = {3: "a", 5: "not-html", 6: "not-html", 7: "http-status", 8: "http-status", 9: "http-status", 11: "b"}
    skipped = {"warcinfo": 1, "request": 1, "metadata": 1, "revisit": 1}
    return recs, {"want": want, "skipped": skipped}


def wet(pages: list[tuple[str, str]]) -> bytes:
    """A WET file: a warcinfo record, then one conversion record per page."""
    out = [record("warcinfo", b"software: test\r\n", rid="wet-info")]
    for i, (uri, text) in enumerate(pages):
        out.append(record("conversion", text.encode(), uri=uri, rid=f"wet-{i}",
                          extra={"WARC-Refers-To": f"<urn:uuid:resp-{i}>"}))
    return b"".join(out)
