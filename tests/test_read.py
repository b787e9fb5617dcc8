"""Reading: formats, compression, decoding, ids, fields, and the rejects path."""

from __future__ import annotations

import gzip
import io
import os

import orjson
import pytest
import zstandard

import cleaner
from cleaner.read import Reader
from cleaner.records import Document, Reject

PAGE = ("<html><head><meta charset='utf-8'><title>Harbour bridge rebuild approved</title></head><body>"
        "<nav><a href='/'>Home</a> <a href='/news'>News</a></nav><article><h1>Harbour bridge rebuild approved</h1>"
        "<p>The city council approved a plan on Tuesday to rebuild the old harbour bridge, ending two years of "
        "debate about how to pay for the work.</p><p>Engineers said the new bridge would carry twice as much "
        "traffic and would be built to withstand stronger storms along the coast.</p></article>"
        "<footer>© 2025 Harbour Gazette</footer></body></html>")
DUMP = ("Home\nNews\nHarbour bridge rebuild approved\nThe city council approved a plan on Tuesday to rebuild the old "
        "harbour bridge, ending two years of debate about how to pay for the work.\nEngineers said the new bridge "
        "would carry twice as much traffic and would be built to withstand stronger storms.\n© 2025 Harbour Gazette\n")


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path, monkeypatch):
    # Inputs are given relative to the working directory, as a user types them.
    monkeypatch.chdir(tmp_path)


def read_all(inputs, **kw):
    rel = [os.path.relpath(i) if os.path.isabs(str(i)) else str(i) for i in inputs]
    return list(Reader(cleaner.Options(workers=1, **kw)).read(rel))


def docs(items):
    return [x for x in items if isinstance(x, Document)]


def rejects(items):
    return [x for x in items if isinstance(x, Reject)]


def _compress(data: bytes, kind: str) -> bytes:
    return gzip.compress(data) if kind == "gz" else zstandard.ZstdCompressor().compress(data)


@pytest.mark.parametrize("suffix,kind", [(".html", "html"), (".htm", "html"), (".xhtml", "html"), (".txt", "text")])
@pytest.mark.parametrize("comp", ["", "gz", "zst"])
def test_every_file_format(tmp_path, suffix, kind, comp):
    data = (PAGE if kind == "html" else DUMP).encode()
    name = "page" + suffix + ("." + comp if comp else "")
    (tmp_path / name).write_bytes(_compress(data, comp) if comp else data)
    [doc] = read_all([tmp_path / name])
    assert doc.kind == kind and doc.id == name and doc.source == name
    assert "harbour bridge" in doc.content


@pytest.mark.parametrize("suffix", [".jsonl", ".ndjson", ".jsonl.gz", ".jsonl.zst"])
def test_jsonl_records_fields_and_metadata(tmp_path, suffix):
    lines = [{"id": "a", "url": "https://example.com/a", "html": PAGE, "lang_hint": "en"},
             {"text": DUMP, "crawl": {"at": "2025-03-04"}}]
    data = b"".join(orjson.dumps(x) + b"\n" for x in lines)
    path = tmp_path / ("recs" + suffix)
    comp = suffix.rsplit(".", 1)[-1]
    path.write_bytes(_compress(data, comp) if comp in ("gz", "zst") else data)
    a, b = read_all([path])
    assert (a.id, a.kind, a.url, a.metadata) == ("a", "html", "https://example.com/a", {"lang_hint": "en"})
    assert (b.id, b.kind, b.metadata) == (f"{path.name}:2", "text", {"crawl": {"at": "2025-03-04"}})
    assert b.source == f"{path.name}:2"


def test_custom_field_names(tmp_path):
    path = tmp_path / "r.jsonl"
    path.write_bytes(orjson.dumps({"key": "k1", "link": "https://x.example/1", "body": PAGE}) + b"\n")
    [d] = read_all([path], html_field="body", id_field="key", url_field="link")
    assert (d.id, d.url, d.kind) == ("k1", "https://x.example/1", "html")


def test_directories_are_walked_sorted_and_hidden_files_skipped(tmp_path):
    for name in ["b/2.txt", "a/1.txt", "a/sub/0.txt", ".hidden/x.txt", "a/.secret.txt", "c.html"]:
        p = tmp_path / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(PAGE if name.endswith("html") else DUMP)
    ids = [d.id for d in docs(read_all([tmp_path]))]
    assert ids == ["a/1.txt", "a/sub/0.txt", "b/2.txt", "c.html"]


def test_globs_and_format_override(tmp_path):
    (tmp_path / "one.dat").write_text(DUMP)
    (tmp_path / "two.dat").write_text(DUMP)
    found = docs(read_all([tmp_path / "*.dat"], format="text"))
    assert [d.kind for d in found] == ["text", "text"]
    (tmp_path / "page.dat").write_text(PAGE)
    assert docs(read_all([tmp_path / "page.dat"]))[0].kind == "html"  # sniffed


def test_stdin(monkeypatch):
    data = orjson.dumps({"id": "s1", "text": DUMP}) + b"\n"
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(data)))
    [d] = read_all(["-"])
    assert (d.id, d.source) == ("s1", "-:1")


def test_repeated_ids_keep_their_records_under_made_unique_ids(tmp_path):
    """A repeated id is not a reason to lose a record: it gets ``x#2`` (as a
    repeated path does), the id given stays under metadata.original_id, and an
    id that is itself taken later ("x#2") is made unique in turn."""
    path = tmp_path / "r.jsonl"
    lines = [{"id": "x", "text": "one two three"}, {"id": "x", "text": "four five six", "original_id": "mine"},
             {"id": "x#2", "text": "seven eight"}, {"id": "x", "text": "nine ten"}]
    path.write_bytes(b"".join(orjson.dumps(x) + b"\n" for x in lines))
    items = read_all([path])
    assert not rejects(items)
    got = [(d.id, d.content, d.metadata) for d in docs(items)]
    assert got == [("x", "one two three", {}),
                   ("x#2", "four five six", {"original_id": "mine", "original_id#2": "x"}),
                   ("x#2#2", "seven eight", {"original_id": "x#2"}),
                   ("x#3", "nine ten", {"original_id": "x"})]


@pytest.mark.parametrize("given,expect_id,original", [
    ({"a": 1}, "r.jsonl:1", {"a": 1}),
    (True, "r.jsonl:1", True),
    (1.5, "r.jsonl:1", 1.5),
    ("   ", "r.jsonl:1", "   "),
    (7, "7", None),
    (None, "r.jsonl:1", None),
])
def test_an_id_that_cannot_serve_gives_way_to_the_line_and_is_kept(tmp_path, given, expect_id, original):
    path = tmp_path / "r.jsonl"
    path.write_bytes(orjson.dumps({"id": given, "text": "one two three"}) + b"\n")
    [d] = read_all([path])
    assert d.id == expect_id
    assert d.metadata.get("original_id") == original


def test_numbers_json_has_not_are_kept_as_written(tmp_path):
    """NaN, Infinity and 1e400 are no JSON, but the lenient reader takes them
    (as the standard library does): they keep their spelling, as a string,
    instead of becoming null when written."""
    path = tmp_path / "r.jsonl"
    path.write_bytes(b'{"id": "a", "text": "one two three", "x": NaN, "y": 1e400, "z": [-Infinity], "w": 1.5}\n')
    [d] = docs(read_all([path]))
    assert d.metadata == {"x": "NaN", "y": "1e400", "z": ["-Infinity"], "w": 1.5}


def test_huge_numbers_never_take_a_record_down(tmp_path):
    """An integer beyond 64 bits (which orjson reads as a float, or refuses)
    keeps its digits, as a string orjson can write: an id of 30 digits is
    that id; one beyond a double (Python's int() refuses past 4300 digits)
    is too long as an id (invalid-id), elsewhere it is passed through. A
    float stays a float."""
    big, huge = "9" * 30, "8" * 5000
    path = tmp_path / "r.jsonl"
    path.write_bytes(b'{"id": ' + big.encode() + b', "text": "one two three", "m": [1, {"k": -' + big.encode()
                     + b'}], "f": 1e30}\n'
                     b'{"id": "h", "n": ' + huge.encode() + b', "text": "four five six"}\n'
                     b'{"id": ' + huge.encode() + b', "text": "seven eight nine"}\n'
                     b'{"id": "u", "n": 18446744073709551615, "text": "ten eleven twelve"}\n')
    items = read_all([path])
    d1, d2, d4 = docs(items)
    assert d1.id == big and d1.metadata == {"m": [1, {"k": "-" + big}], "f": 1e30}
    assert d2.id == "h" and d2.metadata == {"n": huge}
    assert d4.id == "u" and d4.metadata == {"n": 18446744073709551615}
    assert [(r.line, r.reason) for r in rejects(items)] == [(3, "invalid-id")]
    orjson.dumps([d1.metadata, d2.metadata, d4.metadata])


@pytest.mark.parametrize("content,reason", [
    (b"not json at all\n", "invalid-json"),
    (b"[1, 2, 3]\n", "not-an-object"),
    (b'{"id": "n"}\n', "no-content"),
    (b'{"id": "n", "text": 42}\n', "no-content"),
    (b'{"id": "n", "text": null}\n', "no-content"),
    (b'{"id": "n", "text": "   "}\n', "no-content"),
    (b'{"id": "n", "text": "cut off', "truncated-json"),
])
def test_bad_jsonl_lines_are_rejected_with_reason(tmp_path, content, reason):
    path = tmp_path / "r.jsonl"
    path.write_bytes(b'{"id": "ok", "text": "fine text here"}\n' + content)
    items = read_all([path])
    assert [d.id for d in docs(items)] == ["ok"]
    [r] = rejects(items)
    assert r.reason == reason and r.line == 2 and r.source == "r.jsonl:2"


def test_bad_files_are_rejected_and_the_batch_goes_on(tmp_path):
    (tmp_path / "good.txt").write_text(DUMP)
    (tmp_path / "trunc.txt.gz").write_bytes(gzip.compress(DUMP.encode() * 50)[:-30])
    (tmp_path / "corrupt.txt.zst").write_bytes(b"\x28\xb5\x2f\xfd" + os.urandom(64))
    (tmp_path / "image.txt").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    (tmp_path / "empty.txt").write_bytes(b"")
    items = read_all([tmp_path, tmp_path / "missing.txt"])
    assert [d.id for d in docs(items)] == ["good.txt"]
    reasons = {r.source: r.reason for r in rejects(items)}
    assert reasons == {"corrupt.txt.zst": "corrupt-compression", "empty.txt": "empty", "image.txt": "binary",
                       "trunc.txt.gz": "truncated", "missing.txt": "not-found"}


def test_decompression_bomb_is_capped(tmp_path):
    (tmp_path / "bomb.txt.gz").write_bytes(gzip.compress(b"a" * (8 << 20)))
    [r] = read_all([tmp_path / "bomb.txt.gz"], max_bytes=1 << 20)
    assert r.reason == "too-large"


@pytest.mark.parametrize("encoding,meta", [("windows-1251", True), ("windows-1251", False), ("koi8-r", True),
                                           ("utf-16", False), ("utf-8-sig", False)])
def test_decoding_russian_pages(tmp_path, encoding, meta):
    text = "Городской совет во вторник одобрил план реконструкции старого моста через гавань."
    head = f"<meta charset='{encoding}'>" if meta else ""
    page = f"<html><head>{head}</head><body><p>{text}</p><p>{text}</p></body></html>"
    (tmp_path / "p.html").write_bytes(page.encode(encoding))
    [d] = read_all([tmp_path / "p.html"])
    assert text in d.content


def test_wrong_declared_charset_falls_back_to_detection(tmp_path):
    text = "Городской совет во вторник одобрил план реконструкции старого моста через гавань. " * 3
    page = f"<html><head><meta charset='iso-8859-1'></head><body><p>{text}</p></body></html>"
    (tmp_path / "p.html").write_bytes(page.encode("windows-1251"))
    [d] = read_all([tmp_path / "p.html"])
    assert "Городской совет" in d.content


def test_windows_1252_and_shift_jis(tmp_path):
    fr = "Le conseil municipal a approuvé mardi le projet de reconstruction du vieux pont du port."
    (tmp_path / "fr.html").write_bytes(f"<meta charset='windows-1252'><p>{fr}</p>".encode("cp1252"))
    ja = "市議会は火曜日、老朽化した港の橋を架け替える計画を承認した。"
    (tmp_path / "ja.html").write_bytes(f"<meta charset='Shift_JIS'><p>{ja}</p>".encode("shift_jis"))
    a, b = read_all([tmp_path / "fr.html", tmp_path / "ja.html"])
    assert fr in a.content and ja in b.content


@pytest.mark.parametrize("declared", ["base64", "hex", "zlib", "bz2", "rot13", "uu", "undefined", "punycode",
                                      "cp037", "utf-16"])
def test_a_charset_no_page_can_have_is_ignored(tmp_path, declared):
    """Python's codec registry holds bytes-to-bytes transforms and codecs that
    fail on any input or read ASCII as other letters: declared by a page, they
    used to stop the whole run (LookupError) or turn it to garbage."""
    fr = "Le conseil municipal a approuvé mardi le projet de reconstruction du vieux pont du port."
    (tmp_path / "a.html").write_bytes(f"<meta charset='{declared}'><p>{fr}</p>".encode("utf-8"))
    (tmp_path / "b.html").write_bytes(f"<?xml version='1.0' encoding='{declared}'?><p>{fr}</p>".encode("utf-8"))
    (tmp_path / "c.html").write_bytes(f"<meta charset='{declared}'><p>{fr}</p>".encode("ascii", "replace"))
    a, b, c = read_all([tmp_path / "a.html", tmp_path / "b.html", tmp_path / "c.html"])
    assert fr in a.content and fr in b.content and "Le conseil municipal" in c.content


@pytest.mark.parametrize("declared", ["iso-8859-2", "windows-1250", "windows-1253", "koi8-r", "iso-8859-5",
                                      "iso-8859-7", "cp437", "mac-roman", "shift_jis", "gb2312"])
def test_utf8_declared_as_another_charset_is_utf8(tmp_path, declared):
    fr = "Le conseil municipal a approuvé mardi le projet de reconstruction du vieux pont du port."
    (tmp_path / "p.html").write_bytes(f"<meta charset='{declared}'><p>{fr}</p>".encode("utf-8"))
    [d] = read_all([tmp_path / "p.html"])
    assert fr in d.content


def test_a_charset_no_page_can_have_in_a_batch_stops_nothing(tmp_path):
    fr = "Le conseil municipal a approuvé mardi le projet de reconstruction du vieux pont du port. " * 3
    (tmp_path / "a.html").write_bytes(f"<meta charset='base64'><p>{fr}</p>".encode("utf-8"))
    (tmp_path / "b.html").write_bytes(f"<p>{fr}</p>".encode("utf-8"))
    import cleaner

    assert fr.split(".")[0] in cleaner.clean_html(f"<meta charset='hex'><p>{fr}</p>".encode("utf-8")).text
    records = list(cleaner.clean([str(tmp_path / "a.html"), str(tmp_path / "b.html")], cleaner.Options(workers=1)))
    assert len(records) == 2


def test_invalid_utf8_mid_text_still_decodes(tmp_path):
    raw = ("Zürich café déjà vu " * 20).encode("utf-8") + b"\xff\xfe" + ("naïve façade " * 20).encode("utf-8")
    (tmp_path / "t.txt").write_bytes(raw)
    [d] = read_all([tmp_path / "t.txt"])
    assert isinstance(d, Document) and "caf" in d.content


def test_line_endings_and_nul_bytes(tmp_path):
    (tmp_path / "t.txt").write_bytes(b"one line here.\r\ntwo\x00 line here.\rthree line here.\n")
    [d] = read_all([tmp_path / "t.txt"])
    assert d.content == "one line here.\ntwo line here.\nthree line here.\n"


def test_lone_surrogates_in_json_are_repaired(tmp_path):
    (tmp_path / "r.jsonl").write_bytes(b'{"id": "s", "text": "broken \\ud800 surrogate text here"}\n')
    [d] = read_all([tmp_path / "r.jsonl"])
    assert d.content == "broken \ufffd surrogate text here"
    orjson.dumps(d.content)  # encodable


def test_utf8_page_with_a_stray_latin1_byte_stays_utf8(tmp_path):
    good = "Tierschutz – Wildvögel „gerettet“ — Pflegestation öffnet. " * 10
    raw = ("<meta charset='utf-8'><p>" + good + "</p>").encode("utf-8").replace(b"Pflegestation", b"Pfleg\xfcstation", 1)
    (tmp_path / "p.html").write_bytes(raw)
    [d] = read_all([tmp_path / "p.html"])
    assert "Wildvögel „gerettet“" in d.content and "â€" not in d.content


@pytest.mark.parametrize("name", ["big.jsonl", "big.jsonl.gz", "big.data"])
def test_jsonl_larger_than_max_bytes_is_read_whole(tmp_path, name):
    """max_bytes bounds one document (and a decompressed single-document file),
    not a JSONL file of many documents: every record must come out."""
    data = b"".join(orjson.dumps({"id": f"r{i}", "text": f"Record {i} about the harbour plan. " * 20}) + b"\n"
                    for i in range(3000))
    path = tmp_path / name
    path.write_bytes(gzip.compress(data) if name.endswith(".gz") else data)
    assert len(data) > 2 * (1 << 20)
    docs = list(Reader(cleaner.Options(max_bytes=1 << 20, workers=1)).read([str(path)]))
    assert [d.id for d in docs] == [f"r{i}" for i in range(3000)]


def test_a_small_max_bytes_limits_records_one_by_one_and_a_document_whole(tmp_path):
    """Below the 64 KiB the format's sniffing reads, --max-bytes still holds
    a JSONL file line by line (it rejected such a file whole) and a text file
    as one document."""
    rows = [{"id": f"r{i}", "text": " ".join(f"Sentence {j} of record {i} says something new about harbours."
                                             for j in range(20))} for i in range(3)]
    (tmp_path / "in.jsonl").write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in rows))
    (tmp_path / "big.txt").write_text("Some words about the harbour. " * 200)
    (tmp_path / "big.txt.gz").write_bytes(gzip.compress(b"Some words about the harbour. " * 200))
    (tmp_path / "small.txt").write_text("A short note about the harbour plan, and the ferry timetable too.")
    rejects = []
    out = list(cleaner.clean([str(tmp_path / n) for n in ("in.jsonl", "big.txt", "big.txt.gz", "small.txt")],
                             cleaner.Options(max_bytes=2000, dedup="off"), on_reject=rejects.append))
    assert [os.path.basename(r.id) for r in out] == ["r0", "r1", "r2", "small.txt"]
    assert sorted((os.path.basename(r.source), r.reason) for r in rejects) == [("big.txt", "too-large"),
                                                                               ("big.txt.gz", "too-large")]
