"""A seeded mutating fuzzer over real-looking inputs: the next class of hostile
input should fail here before a user meets it.

Inputs are HTML pages, text dumps, JSONL files, WARC crawls (every record
type, HTTP encodings, gzip per record), WET files and Parquet tables in many
scripts (Latin with accents, Cyrillic, Chinese, Japanese, Thai, Arabic, emoji)
and encodings, plain or compressed (gzip, zstd, bzip2, xz), under right and
wrong names; then mutated (byte flips, truncation, NULs, random tags, deep
nesting, repeated and odd ids, broken JSON). Invariants, for every case:

* no exception leaves cleaner (no traceback), and no reject is
  ``internal-error`` (a bug); through the CLI, the exit code is documented;
* every input unit is in the output or the rejects exactly once: one entry for
  a page or text file, one per non-blank line for a JSONL file (checked against
  the lines of the bytes the fuzzer wrote), one per page record of a WARC or
  WET file (its request, metadata, revisit and warcinfo records in neither),
  one per row of a Parquet file, and a reason from the README's list;
* every output line is JSON matching ``cleaner/record.schema.json``, no
  record has empty text, duplicate spans lie inside the text and point at an
  earlier record;
* no input file is modified.

Most cases go through the library (fast, many files per run); a sample goes
through the real ``cleaner clean`` subprocess. The seed is fixed so a failure
reproduces; ``CLEANER_FUZZ_SEED`` and ``CLEANER_FUZZ_CASES`` widen the search.
"""

from __future__ import annotations

import bz2
import gzip
import hashlib
import json
import lzma
import os
import random
import re
import subprocess
import sys
import time
from pathlib import Path

import jsonschema
import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import zstandard

import cleaner
from cleaner.write import dumps

from . import warcs

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = json.loads((ROOT / "cleaner" / "record.schema.json").read_text())
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)
SEED = int(os.environ.get("CLEANER_FUZZ_SEED", "20"))
CASES = int(os.environ.get("CLEANER_FUZZ_CASES", "3000"))
FILES_PER_RUN = 25
CLI_RUNS = 6
EXIT_CODES = {0, 3}  # documented: 0 all cleaned, 3 some rejected (2, 1, 4 need a bad option, index or disk)


def documented_reasons() -> set[str]:
    """The reject reasons the README lists: the fuzzer keeps that list true."""
    text = (ROOT / "README.md").read_text()
    para = text[text.index("Reasons: "):text.index("never stops a batch")]
    return set(re.findall(r"`([a-z-]+)`", para))


SENTENCES = {
    "en": ["The council approved the harbour plan on Tuesday after a long debate, officials said.",
           "Engineers said the new bridge would carry twice as much traffic as the old one.",
           "Residents who live near the port have complained about noise for years."],
    "de": ["Der Stadtrat hat am Dienstag nach langer Debatte den Hafenplan gebilligt, sagten Beamte in Zürich.",
           "Die Brücke über die Straße wird größer und schöner, erklärte der Bürgermeister."],
    "fr": ["Le café à côté du port a fermé ses portes après une longue grève, a déclaré la mairie.",
           "Les élèves naïfs ont reçu leurs résultats à Besançon mercredi dernier."],
    "ru": ["Городской совет одобрил план порта после долгих дебатов, сообщили чиновники во вторник.",
           "Мэр заявил, что работы начнутся весной и продлятся около трёх лет."],
    "zh": ["市议会周二经过长时间辩论后批准了港口计划，官员们说这是一个重要的决定。",
           "工程师表示，新桥的交通容量将是旧桥的两倍，并能抵御更强的风暴。"],
    "ja": ["市議会は火曜日、長い議論の末に港の計画を承認したと当局者が述べた。",
           "技術者によると、新しい橋は古い橋の二倍の交通量に耐えられるという。"],
    "th": ["สภาเมืองอนุมัติแผนท่าเรือเมื่อวันอังคารหลังจากการอภิปรายอันยาวนาน เจ้าหน้าที่กล่าว",
           "วิศวกรกล่าวว่าสะพานใหม่จะรองรับการจราจรได้มากกว่าสะพานเก่าถึงสองเท่า"],
    "ar": ["وافق المجلس البلدي يوم الثلاثاء على خطة الميناء بعد نقاش طويل، كما قال مسؤولون."],
    "emoji": ["The ferry 🚢 left at dawn ☀️ and the crowd 👏 cheered loudly at the quay today."],
}
ENCODINGS = {"ru": ["cp1251", "koi8-r"], "ja": ["shift_jis", "euc-jp"], "zh": ["gb18030"], "th": ["tis-620"],
             "de": ["cp1252", "latin-1"], "fr": ["cp1252"]}
CHROME = ["Home", "News", "Sport", "Share on Facebook", "Sign up for our newsletter",
          "© 2025 Harbour Gazette. All rights reserved.", "Read more", "Accept cookies"]
TAGS = ["div", "span", "p", "b", "i", "section", "article", "table", "td", "li", "ul", "a", "font", "em"]


class Gen:
    """Real-looking documents, then damage."""

    def __init__(self, rng: random.Random):
        self.r = rng
        self.shared = [self.paragraph() for _ in range(4)]  # reused passages, so dedup has work in every script

    def lang(self) -> str:
        return self.r.choice(list(SENTENCES))

    def paragraph(self, lang: str | None = None) -> str:
        lang = lang or self.lang()
        return " ".join(self.r.choice(SENTENCES[lang]) for _ in range(self.r.randint(1, 3)))

    def body(self, lang: str) -> list[str]:
        paras = [self.paragraph(lang) for _ in range(self.r.randint(0, 5))]
        if self.r.random() < 0.3:
            paras.insert(self.r.randint(0, len(paras)), self.r.choice(self.shared))
        lines = [self.r.choice(CHROME) for _ in range(self.r.randint(0, 3))] + paras
        return lines + [self.r.choice(CHROME) for _ in range(self.r.randint(0, 2))]

    def text(self, lang: str) -> str:
        return "\n".join(self.body(lang))

    def html(self, lang: str) -> str:
        r = self.r
        paras = "".join(f"<p class='c{r.randint(0, 9)}'>{p}</p>" for p in self.body(lang))
        head = ""
        if r.random() < 0.5:
            head += f"<meta charset='{r.choice(['utf-8', 'windows-1251', 'iso-8859-1', 'shift_jis', 'bogus'])}'>"
        if r.random() < 0.5:
            head += f"<title>{self.paragraph(lang)[:60]}</title>"
        if r.random() < 0.3:
            head += "<script>var x = '<p>not text</p>'; function f(){ return 1 < 2; }</script><style>p{}</style>"
        nest = ""
        if r.random() < 0.15:
            depth = r.choice([50, 300, 2000])
            tag = r.choice(TAGS)
            close = f"</{tag}>" * depth if r.random() < 0.5 else ""
            nest = f"<{tag}>" * depth + self.paragraph(lang) + close
        page = (f"<!DOCTYPE html><html lang='{lang}'><head>{head}</head><body><nav>Home | News</nav>"
                f"<article><h1>{self.paragraph(lang)[:50]}</h1>{paras}{nest}</article>"
                f"<footer>© 2025 Example</footer></body></html>")
        if r.random() < 0.2:
            page = r.choice(["", "<html>", "<html><head><script>x()</script></head><body></body></html>",
                             "<p>" + self.paragraph(lang) + "</p>", page[: r.randint(0, len(page))]])
        return page

    def record(self, i: int, ids: list) -> dict | bytes:
        r = self.r
        lang = self.lang()
        roll = r.random()
        if roll < 0.05:
            return r.choice([b"{not json}", b"[1, 2, 3]", b"null", b'"just a string"', b"{\"id\": \"cut\", \"te",
                             b"{" * 5000 + b"}" * 5000, b'{"id": "d", "text": "x", "n": ' + b"[" * 400 + b"]" * 400
                             + b"}", b'{"id": 1' + b"0" * 400 + b', "text": "' + SENTENCES["en"][0].encode() + b'"}',
                             b"\xff\xfe garbage \x00\x01", b"   "])
        rec: dict = {}
        id_roll = r.random()
        if id_roll < 0.5:
            rec["id"] = f"a{i}"
        elif id_roll < 0.7 and ids:
            rec["id"] = r.choice(ids)  # repeated
        elif id_roll < 0.9:
            rec["id"] = r.choice([i, True, None, 1.5, {"x": 1}, [1], "", " ", "a#2", "x" * 2000, 2**70,
                                  "id\ud800"])
        ids.append(rec.get("id") if isinstance(rec.get("id"), str) else f"a{i}")
        field = r.random()
        if field < 0.45:
            rec["text"] = self.text(lang)
        elif field < 0.9:
            rec["html"] = self.html(lang)
        else:
            rec[r.choice(["text", "html"])] = r.choice([None, 3, "", "   ", ["x"], {"a": "b"}])
        if r.random() < 0.5:
            rec["url"] = r.choice([f"https://site{i % 3}.example/story/{i}", "not a url", "", None, 7])
        if r.random() < 0.3:
            rec["meta"] = {"tags": ["a", "b"], "n": r.randint(-5, 2**40), "deep": [[[[{"k": "v"}]]]]}
        return rec

    def jsonl(self) -> bytes:
        ids: list = []
        lines = []
        for i in range(self.r.randint(0, 8)):
            rec = self.record(i, ids)
            if isinstance(rec, bytes):
                line = rec
            else:
                try:
                    line = orjson.dumps(rec)
                except TypeError:  # a lone surrogate, an integer beyond 64 bits: as other writers write them
                    line = json.dumps(rec).encode()
            lines.append(line)
        body = b"\n".join(lines) + (b"\n" if self.r.random() < 0.8 else b"")
        if self.r.random() < 0.1:
            body = b"\xef\xbb\xbf" + body
        return body

    def encode(self, text: str, lang: str) -> bytes:
        r = self.r
        roll = r.random()
        if roll < 0.7 or lang not in ENCODINGS:
            data = text.encode("utf-8")
            if r.random() < 0.1:
                data = b"\xef\xbb\xbf" + data
            return data
        if roll < 0.8:
            return text.encode(r.choice(["utf-16", "utf-16-le", "utf-16-be"]))
        return text.encode(r.choice(ENCODINGS[lang]), "replace")

    def warc(self, wet: bool = False) -> tuple[bytes, set[int]]:
        """A crawl (or a WET file) of random records; and the numbers of the
        records that must come out as a record or a reject (the others are
        skipped: request, metadata, revisit, warcinfo)."""
        r = self.r
        recs, units = [], set()
        for n in range(1, r.randint(0, 8) + 1):
            lang = self.lang()
            uri = r.choice([f"https://site{n % 3}.example/story/{n}", "", "not a url"])
            rid = r.choice([f"r{n}", "dup", ""]) or f"x{r.randrange(10**6)}"
            roll = r.random()
            if wet or roll < 0.1:
                recs.append(warcs.record("conversion", self.text(lang).encode(), uri=uri, rid=rid))
            elif roll < 0.4:
                body = self.encode(self.html(lang), lang)
                charset = r.choice(["utf-8", "windows-1251", "iso-8859-1", "shift_jis", "bogus", None])
                ctype = "text/html" + (f"; charset={charset}" if charset else "")
                headers = {}
                if r.random() < 0.15:
                    body, headers = gzip.compress(body, mtime=0), {"Content-Encoding": "gzip"}
                elif r.random() < 0.1:
                    body = b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body)
                    headers = {"Transfer-Encoding": "chunked"}
                recs.append(warcs.response(uri, rid, body, ctype=ctype, headers=headers))
            elif roll < 0.55:
                wtype = r.choice(["request", "metadata", "revisit", "warcinfo"])
                recs.append(warcs.record(wtype, b"x: y\r\n", uri=uri, rid=rid))
                continue
            elif roll < 0.65:
                recs.append(warcs.response(uri, rid, b"\x89PNG\r\n\x1a\n" + bytes(r.randint(0, 300)),
                                           ctype=r.choice(["image/png", "application/pdf", ""])))
            elif roll < 0.75:
                recs.append(warcs.response(uri, rid, self.html(lang).encode(),
                                           status=r.choice(["301 Moved", "404 Not Found", "500 Oops", "204 No"])))
            elif roll < 0.85:
                recs.append(warcs.record("resource", self.html(lang).encode(), uri=uri, rid=rid))
            else:  # a response whose HTTP part is damaged or missing
                recs.append(warcs.record("response", r.choice([b"", b"HTTP/1.1\r\n\r\n<p>x</p>",
                                                               b"garbage\r\n\r\n<html>hi</html>"]),
                                         uri=uri, rid=rid))
            units.add(n)
        if recs and r.random() < 0.5:
            return warcs.gzip_members(recs), units
        return b"".join(recs), units

    def parquet(self) -> tuple[bytes, set[int]]:
        """A Parquet table of records (ids, texts and HTML of every kind, a
        metadata struct); and its row numbers."""
        r = self.r
        rows = []
        for i in range(r.randint(0, 8)):
            lang = self.lang()
            row = {"id": r.choice([f"p{i}", "dup", None, "", " "]), "text": None, "html": None,
                   "metadata": {"url": r.choice([f"https://site{i % 3}.example/{i}", None, ""]), "n": i}}
            roll = r.random()
            if roll < 0.45:
                row["text"] = self.text(lang)
            elif roll < 0.9:
                row["html"] = self.html(lang)
            else:
                row["text"] = r.choice(["", "   ", None])
            rows.append(row)
        schema = pa.schema([("id", pa.string()), ("text", pa.string()), ("html", pa.string()),
                            ("metadata", pa.struct([("url", pa.string()), ("n", pa.int64())]))])
        import io

        buf = io.BytesIO()
        pq.write_table(pa.Table.from_pylist(rows, schema=schema), buf, row_group_size=r.choice([1, 3, 100]))
        return buf.getvalue(), set(range(1, len(rows) + 1))

    def mutate(self, data: bytes) -> bytes:
        r = self.r
        for _ in range(r.choice([0, 0, 1, 1, 2, 3])):
            op = r.random()
            n = len(data)
            if op < 0.3 and n:
                i = r.randrange(n)
                data = data[:i] + bytes([data[i] ^ (1 << r.randrange(8))]) + data[i + 1:]
            elif op < 0.45:
                data = data[: r.randint(0, n)]
            elif op < 0.6:
                i = r.randint(0, n)
                data = data[:i] + b"\x00" * r.randint(1, 50) + data[i:]
            elif op < 0.75:
                i = r.randint(0, n)
                tag = r.choice(TAGS)
                junk = r.choice([f"<{tag}>", f"</{tag}>", f"<{tag} a='", "<!--", "<script>", "&#0;", "&amp",
                                 "\r\n", "\ud83d"[:0] + "\u2028"]).encode()
                data = data[:i] + junk + data[i:]
            elif op < 0.85 and n:
                i, j = sorted((r.randrange(n), r.randrange(n)))
                data = data[:i] + data[j:]
            else:
                i = r.randint(0, n)
                data = data[:i] + bytes(r.randrange(256) for _ in range(r.randint(1, 20))) + data[i:]
        return data

    @staticmethod
    def decompresses(data: bytes, plain: bytes) -> bool:
        """Whether mutated compressed bytes still give the plain bytes (a mutation may change nothing)."""
        for fn in (gzip.decompress, zstandard.ZstdDecompressor().decompress, bz2.decompress, lzma.decompress):
            try:
                if fn(data) == plain:
                    return True
            except Exception:  # noqa: BLE001 - not this compression, or damaged
                continue
        return False

    def compress(self, data: bytes) -> tuple[bytes, str]:
        kind = self.r.choice(["", "", "", "gzip", "zstd", "bz2", "xz"])
        if kind == "gzip":
            data = gzip.compress(data, mtime=0)
            if self.r.random() < 0.2:
                data += gzip.compress(b"", mtime=0)  # a second, empty member
        elif kind == "zstd":
            if self.r.random() < 0.5:
                obj = zstandard.ZstdCompressor().compressobj()  # no content size in the frame
                data = obj.compress(data) + obj.flush()
            else:
                data = zstandard.ZstdCompressor().compress(data)
        elif kind == "bz2":
            data = bz2.compress(data)
        elif kind == "xz":
            data = lzma.compress(data)
        return data, kind


SUFFIX = {"html": ".html", "text": ".txt", "jsonl": ".jsonl", "warc": ".warc", "wet": ".warc.wet",
          "parquet": ".parquet"}
COMP_SUFFIX = {"": "", "gzip": ".gz", "zstd": ".zst", "bz2": ".bz2", "xz": ".xz"}


def make_case(gen: Gen, k: int, directory: Path) -> dict:
    """Write one input file; return what the fuzzer knows about it."""
    r = gen.r
    kind = r.choice(["html", "html", "text", "text", "jsonl", "jsonl", "jsonl", "warc", "warc", "wet", "parquet"])
    lang = gen.lang()
    units = None
    if kind == "jsonl":
        plain = gen.jsonl()
    elif kind in ("warc", "wet"):
        plain, units = gen.warc(wet=kind == "wet")
    elif kind == "parquet":
        plain, units = gen.parquet()
    else:
        plain = gen.encode(gen.html(lang) if kind == "html" else gen.text(lang), lang)
    mutate_after = r.random() < 0.3
    original = plain
    if not mutate_after:
        plain = gen.mutate(plain)
    data, comp = gen.compress(plain)
    if mutate_after:
        data = gen.mutate(data)
        if not comp:
            plain = data
    suffix = SUFFIX[kind] + COMP_SUFFIX[comp]
    if r.random() < 0.15:  # a wrong name
        suffix = r.choice(["", ".bin", ".gz", ".zst", ".txt", ".html", ".jsonl.gz", ".json"])
    stem = r.choice(["page", "dump", "crawl", "données", "記事", "ข่าว", "a b", "x" * 150])
    name = f"{k:05d}-{stem}{suffix}"
    (directory / name).write_bytes(data)
    if kind == "parquet" and comp or original[:2] == b"\x1f\x8b" and comp:
        units = None  # a table read whole from a compressed stream; a crawl compressed twice (one reject)
    return {"name": name, "kind": kind, "plain": plain, "intact": not mutate_after or comp == "",
            "sha": hashlib.sha256(data).digest(),
            "units": units if units is not None and plain == original and (not mutate_after or comp == "" or
                                                                             gen.decompresses(data, plain))
            else None}


def jsonl_units(plain: bytes) -> set[int]:
    """Line numbers of the non-blank lines of JSONL bytes (what the reader must account for)."""
    lines = plain.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    out = set()
    for n, line in enumerate(lines, 1):
        if line.startswith(b"\xef\xbb\xbf"):
            line = line[3:]
        if line.strip():
            out.add(n)
    return out


def _relative(name: str, directory: Path) -> str:
    """Sources start with the name of the directory the run was given; the
    cases are keyed by file name."""
    top = directory.name + "/"
    return name[len(top):] if name.startswith(top) else name


def check_run(directory: Path, cases: list[dict], records: list[dict], rejects: list[dict]) -> None:
    reasons = documented_reasons()
    by_file: dict[str, list[tuple[str, int | None]]] = {c["name"]: [] for c in cases}
    seen_ids: set[str] = set()
    for rec in records:
        VALIDATOR.validate(rec)
        assert rec["text"].strip(), f"empty record {rec['source']}"
        assert rec["id"] not in seen_ids, f"id {rec['id']} twice"
        for d in rec["duplicates"]:
            field = rec["title"] if d["field"] == "title" else rec["text"]
            assert 0 <= d["start"] < d["end"] <= len(field) and d["of"] in seen_ids, (rec["source"], d)
        seen_ids.add(rec["id"])
        name, line = split_source(rec["source"])
        by_file[_relative(name, directory)].append(("record", line))
    for rej in rejects:
        assert rej["reason"] in reasons, f"undocumented reason {rej['reason']}: {rej}"
        assert rej["reason"] != "internal-error", f"a bug: {rej}"
        name, line = split_source(rej["source"])
        by_file[_relative(name, directory)].append((rej["reason"], line))
    for case in cases:
        entries = by_file[case["name"]]
        where = f"{case['name']} ({case['kind']}): {entries}"
        if case.get("units") is not None and case["kind"] != "jsonl":
            # A WARC, WET or Parquet file the fuzzer knows: each page record or
            # row once, by its number; a file without any, one entry for the file.
            lines = [line for _, line in entries]
            if case["units"] or case["kind"] == "parquet":
                if case["units"]:
                    assert sorted(lines) == sorted(case["units"]), f"records lost or invented: {where}"
                else:
                    assert lines == [None], f"an empty table is one reject: {where}"
            else:
                assert lines in ([], [None]), f"a crawl without pages: {where}"
            assert hashlib.sha256((directory / case["name"]).read_bytes()).digest() == case["sha"], "input modified"
            continue
        if case["kind"] in ("warc", "wet") and not entries:
            continue  # a damaged crawl may hold only skipped records
        assert entries, f"nothing came of {where}"
        lines = [line for _, line in entries]
        if all(line is None for line in lines):
            assert len(entries) == 1, f"a file accounted for more than once: {where}"
            continue
        assert None not in lines and len(set(lines)) == len(lines), f"a line accounted for twice: {where}"
        stream_broke = any(reason in ("truncated", "corrupt-compression", "unreadable", "too-large")
                           for reason, _ in entries)
        if case["intact"] and not stream_broke and case["kind"] == "jsonl":
            # The fuzzer knows the bytes: every non-blank line, none else.
            assert set(lines) == jsonl_units(case["plain"]), f"lines lost or invented: {where}"
        else:
            assert min(lines) >= 1 and max(lines) <= len(set(lines)) + max(lines), where
        assert (directory / case["name"]).exists()
        assert hashlib.sha256((directory / case["name"]).read_bytes()).digest() == case["sha"], "input modified"


def split_source(source: str) -> tuple[str, int | None]:
    m = re.fullmatch(r"(.*):(\d+)", source)
    if m and not source.endswith((".html", ".txt")):
        return m.group(1), int(m.group(2))
    return source, None


def batches(rng: random.Random, n_cases: int):
    gen = Gen(rng)
    k = 0
    while k < n_cases:
        size = min(FILES_PER_RUN, n_cases - k)
        yield gen, k, size
        k += size


def test_fuzz_library(tmp_path):
    rng = random.Random(SEED)
    start, cases_run = time.monotonic(), 0
    opts = cleaner.Options(workers=1, doc_timeout=20, max_bytes=4 << 20)
    for gen, k0, size in batches(rng, CASES - CLI_RUNS * FILES_PER_RUN):
        d = tmp_path / f"run{k0}"
        d.mkdir()
        cases = [make_case(gen, k0 + i, d) for i in range(size)]
        rejects: list = []
        records = [orjson.loads(dumps(r.to_dict())) for r in cleaner.clean([str(d)], opts,
                                                                           on_reject=rejects.append)]
        try:
            check_run(d, cases, records, [r.to_dict() for r in rejects])
        except AssertionError as exc:
            raise AssertionError(f"seed {SEED}, files from {k0}: {exc}") from exc
        cases_run += size
        for c in cases:  # keep the disk small
            os.unlink(d / c["name"])
    took = time.monotonic() - start
    print(f"\nfuzz: {cases_run} library cases in {took:.1f} s (seed {SEED})")
    assert cases_run >= CASES - CLI_RUNS * FILES_PER_RUN


def test_fuzz_cli(tmp_path):
    """A sample through the real command: exit code, stderr without traceback,
    output and rejects files as JSONL, and the same accounting."""
    rng = random.Random(SEED + 1)
    start = time.monotonic()
    for gen, k0, size in batches(rng, CLI_RUNS * FILES_PER_RUN):
        d = tmp_path / f"in{k0}"
        d.mkdir()
        cases = [make_case(gen, k0 + i, d) for i in range(size)]
        out = tmp_path / f"out{k0}.jsonl"
        engine = ["--workers", "2"] if k0 % 2 else ["--workers", "1"]
        res = subprocess.run([sys.executable, "-m", "cleaner", "clean", str(d), "-o", str(out), *engine,
                              "--max-bytes", str(4 << 20)], capture_output=True, timeout=300)
        err = res.stderr.decode()
        assert res.returncode in EXIT_CODES, err
        assert "Traceback" not in err and "Error" not in err, err
        records = [json.loads(line) for line in out.read_bytes().splitlines()]
        rej_path = tmp_path / f"out{k0}.rejects.jsonl"
        rejects = [json.loads(line) for line in rej_path.read_bytes().splitlines()] if rej_path.exists() else []
        assert (res.returncode == 3) == bool(rejects)
        check_run(d, cases, records, rejects)
    print(f"\nfuzz: {CLI_RUNS * FILES_PER_RUN} CLI cases in {time.monotonic() - start:.1f} s")


@pytest.mark.parametrize("text", SENTENCES["zh"] + SENTENCES["ja"] + SENTENCES["th"])
def test_fuzz_scripts_without_spaces_hold_the_invariants(tmp_path, text):
    """Chinese, Japanese and Thai pages, each repeated with an edit: the records
    stay valid, and their duplicate spans lie inside the text."""
    for i in range(3):
        (tmp_path / f"{i}.txt").write_text((text + "\n") * 2 + text.replace(text[3], text[4]) * (i + 1))
    cases = [{"name": f"{i}.txt", "kind": "text", "intact": True, "plain": b"",
              "sha": hashlib.sha256((tmp_path / f"{i}.txt").read_bytes()).digest()} for i in range(3)]
    rejects: list = []
    records = [orjson.loads(dumps(r.to_dict())) for r in cleaner.clean([str(tmp_path)], cleaner.Options(workers=1),
                                                                       on_reject=rejects.append)]
    check_run(tmp_path, cases, records, [r.to_dict() for r in rejects])


def test_fuzz_cli_stdin(tmp_path):
    """JSONL (plain or compressed, damaged or not) piped into ``cleaner clean -``:
    records on stdout, rejects on stderr, every line accounted for."""
    rng = random.Random(SEED + 2)
    gen = Gen(rng)
    reasons = documented_reasons()
    for k in range(4):
        plain = gen.mutate(gen.jsonl()) if k % 2 else gen.jsonl()
        data, comp = gen.compress(plain)
        res = subprocess.run([sys.executable, "-m", "cleaner", "clean", "-", "--quiet", "--workers", "1"],
                             input=data, capture_output=True, timeout=300)
        assert res.returncode in EXIT_CODES, res.stderr
        records = [json.loads(line) for line in res.stdout.splitlines()]
        rejects = [json.loads(line) for line in res.stderr.splitlines()]  # stderr holds only reject lines
        for rec in records:
            VALIDATOR.validate(rec)
        assert all(r["reason"] in reasons and r["reason"] != "internal-error" for r in rejects)
        lines = [split_source(e["source"])[1] for e in records + rejects]
        if None in lines:  # the whole stream as one unit (sniffed as text, or empty)
            assert len(lines) == 1
        else:
            assert len(set(lines)) == len(lines)
            if not any(r["reason"] in ("truncated", "corrupt-compression") for r in rejects):
                assert set(lines) == jsonl_units(plain)
