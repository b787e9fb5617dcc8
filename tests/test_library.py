"""The library as a library: in-memory records and bytes in, caller mistakes
answered with what to pass instead, no process pool unless asked for, types
and the schema shipped with the package."""

from __future__ import annotations

import json
import multiprocessing
import subprocess
import sys
from importlib import resources
from pathlib import Path

import pytest

import cleaner

from .warcs import PARAS

ROOT = Path(__file__).resolve().parent.parent
DUMP = "\n".join(["Home", "News", "Harbour bridge rebuild approved", "By Jane Porter", *PARAS,
                  "© 2025 Harbour Gazette. All rights reserved."])
PAGE = ("<html><head><meta charset='windows-1252'><title>Caf\xe9 owners welcome the harbour plan</title></head><body>"
        "<nav>Home | News</nav><article><h1>Caf\xe9 owners welcome the harbour plan</h1>"
        + "".join(f"<p>{p} The caf\xe9 next door agreed.</p>" for p in PARAS) + "</article></body></html>")


def test_dicts_in_memory_with_the_same_field_options(capsys):
    rows = [{"id": "a", "text": DUMP, "metadata": {"url": "https://gazette.example/a", "feed": "rss"}, "n": 1},
            {"text": DUMP.replace("Tuesday", "Monday"), "metadata": {"url": "https://gazette.example/b"}},
            {"id": "c", "text": None}]
    rejects = []
    recs = list(cleaner.clean(rows, cleaner.Options(url_field="metadata.url"), on_reject=rejects.append))
    assert [(r.id, r.source, r.url) for r in recs] == [("a", "<records>:1", "https://gazette.example/a"),
                                                       ("<records>:2", "<records>:2", "https://gazette.example/b")]
    assert recs[0].metadata == {"feed": "rss", "n": 1}  # metadata merged, the url taken out of it
    assert recs[0].author == "Jane Porter" and "© 2025" not in recs[0].text
    assert recs[1].near_duplicate_of == "a"
    assert [(r.source, r.line, r.reason) for r in rejects] == [("<records>:3", 3, "no-content")]
    assert rows[0]["metadata"] == {"url": "https://gazette.example/a", "feed": "rss"}  # the caller's dict untouched
    assert capsys.readouterr() == ("", "")  # the library never prints


def test_html_bytes_and_nested_fields(tmp_path):
    rows = [{"page": {"html": PAGE.encode("cp1252"), "url": "https://cafe.example/x"}, "key": 7}]
    [rec] = cleaner.clean(rows, cleaner.Options(html_field="page.html", url_field="page.url", id_field="key"))
    assert rec.id == "7" and rec.url == "https://cafe.example/x" and "café next door" in rec.text
    assert rec.metadata == {}


def test_documents_in_memory():
    docs = [cleaner.Document(content=PAGE, kind="html", id="p1", url="https://cafe.example/p1"),
            cleaner.Document(content=DUMP, id="p1", metadata={"batch": 3})]
    recs = list(cleaner.clean(docs))
    assert [r.id for r in recs] == ["p1", "p1#2"]
    assert recs[1].metadata == {"batch": 3, "original_id": "p1"}
    assert recs[0].title == "Café owners welcome the harbour plan"


def test_a_generator_of_records_streams():
    taken = []

    def rows():
        for i in range(200):
            taken.append(i)
            yield {"id": f"r{i}", "text": DUMP.replace("Tuesday", f"day {i}")}

    first = next(iter(cleaner.clean(rows(), cleaner.Options(dedup="off", site_boilerplate=False))))
    assert first.id == "r0" and len(taken) < 200


def test_bytes_are_decoded_as_files_are():
    rec = cleaner.clean_html(PAGE.encode("cp1252"), url="https://cafe.example/x")
    assert rec.title == "Café owners welcome the harbour plan" and "café next door" in rec.text
    rec = cleaner.clean_text(DUMP.encode("utf-16"))
    assert rec.author == "Jane Porter"
    with pytest.raises(cleaner.InputError) as err:
        cleaner.clean_text(b"\x89PNG\r\n\x1a\n" + bytes(100))
    assert err.value.reason == "binary"


@pytest.mark.parametrize("call,message", [
    (lambda: cleaner.clean("pages/"),
     "inputs must be a list of paths or records, not a single str: pass clean(['pages/']); to clean a string of "
     "text or HTML, use cleaner.clean_text(text) or cleaner.clean_html(html)"),
    (lambda: cleaner.clean(DUMP),
     "inputs must be a list of paths or records, not a single str: pass clean(['Home\\nNews\\nHarbour bridge "
     "rebuild approved\\nBy Jane Po...']); to clean a string of text or HTML, use cleaner.clean_text(text) or "
     "cleaner.clean_html(html)"),
    (lambda: cleaner.clean(Path("pages")), "inputs must be a list of paths or records, not a single PosixPath"),
    (lambda: cleaner.clean({"text": DUMP}), "inputs must be a list of records, not a single dict: pass "
                                            "clean([record])"),
    (lambda: cleaner.clean(["a.html"], {"workers": 2}),
     "options must be a cleaner.Options, not a dict: pass clean(..., options=cleaner.Options(**{'workers': 2}))"),
    (lambda: cleaner.clean_text(DUMP, options={"strip": False}),
     "options must be a cleaner.Options, not a dict: pass clean_text(..., options=cleaner.Options(**{'strip': "
     "False}))"),
    (lambda: cleaner.clean_text(42), "clean_text() takes the document as str or bytes, not int"),
    (lambda: cleaner.clean_html(["a.html"]),
     "clean_html() takes the document as str or bytes, not list (to clean files, use cleaner.clean([path]))"),
    (lambda: cleaner.clean_html(PAGE, url=3), "url must be a str or None, not int"),
    (lambda: cleaner.clean(42), "inputs must be a list (or other iterable) of paths, dicts or cleaner.Document, "
                                "not int"),
    (lambda: list(cleaner.clean(["a.html", {"text": DUMP}])),
     "inputs are paths (the first is 'a.html'), but input 2 is a dict: pass paths and in-memory records in "
     "separate calls"),
    (lambda: list(cleaner.clean([42])), "an input is a path (str or os.PathLike), a dict or a Document, not a "
                                        "int (42)"),
    (lambda: list(cleaner.clean([{"text": DUMP}, "a.html"])),
     "inputs are in-memory records, but input 2 is a str: pass dicts or cleaner.Document objects (paths in a "
     "separate call)"),
])
def test_caller_mistakes_say_what_to_pass(call, message):
    with pytest.raises(TypeError) as err:
        call()
    assert str(err.value).startswith(message), str(err.value)


@pytest.mark.parametrize("kw,message", [
    ({"workers": "2"}, "workers must be int, not str ('2')"),
    ({"threshold": "0.4"}, "threshold must be float or int, not str ('0.4')"),
    ({"strip": "no"}, "strip must be bool, not str ('no')"),
    ({"index": 3}, "index must be str or None, not int (3)"),
    ({"format": "pdf"}, "format must be one of auto, html, text, jsonl, warc, parquet, not 'pdf'"),
])
def test_option_values_of_the_wrong_type(kw, message):
    with pytest.raises(cleaner.OptionsError) as err:
        cleaner.Options(**kw)
    assert str(err.value) == message


def test_no_process_pool_unless_asked():
    assert cleaner.Options().workers == 1
    for _ in cleaner.clean([{"text": DUMP}, {"text": DUMP}]):
        assert multiprocessing.active_children() == []


SPAWN_SCRIPT = """
import multiprocessing, sys
multiprocessing.set_start_method("spawn")
import cleaner
# No __main__ guard, as in many scripts and notebooks: a process pool would re-run this file.
recs = list(cleaner.clean([{"id": "a", "text": sys.argv[1]}]))
print(len(recs), recs[0].author)
"""


def test_a_script_without_a_main_guard_works_under_spawn(tmp_path):
    script = tmp_path / "script.py"
    script.write_text(SPAWN_SCRIPT)
    res = subprocess.run([sys.executable, str(script), DUMP], capture_output=True, timeout=120)
    assert res.returncode == 0, res.stderr
    assert res.stdout.decode().strip() == "1 Jane Porter"


def test_typed_package_with_schema_and_license():
    files = resources.files("cleaner")
    assert files.joinpath("py.typed").is_file()
    schema = json.loads(files.joinpath("record.schema.json").read_text())
    assert schema["required"][:2] == ["id", "source"]
    assert "MIT License" in (ROOT / "LICENSE").read_text()
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert '"py.typed"' in pyproject and '"*.json"' in pyproject
    assert cleaner.clean.__annotations__["return"] == "Iterator[Record]"
    assert cleaner.clean_html.__annotations__["return"] == "Record"


def test_importing_cleaner_does_not_import_the_pipeline():
    code = "import sys, cleaner; cleaner.Options(); print(sorted(m for m in ('cleaner.pipeline', 'numba', " \
           "'trafilatura') if m in sys.modules))"
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=60)
    assert res.stdout.decode().strip() == "[]", res.stderr


def test_cleaning_a_page_does_not_import_lightgbm():
    """The shipped models run on the compiled tree walk (cleaner.model.trees):
    LightGBM's import (about 1.2 s, with scikit-learn and SciPy) would be paid
    by every run and every worker process."""
    code = ("import sys, cleaner; r = cleaner.clean_html(sys.stdin.read(), url='https://example.org/a'); "
            "t = cleaner.clean_text('Home\\nNews\\n' + 'A sentence of the story, long enough to be prose. ' * 5); "
            "print(bool(r.text), bool(t.text), 'lightgbm' in sys.modules)")
    html = (ROOT / "fixtures" / "en_page" / "input.html").read_bytes()
    res = subprocess.run([sys.executable, "-c", code], input=html, capture_output=True, timeout=120)
    assert res.stdout.decode().split() == ["True", "True", "False"], res.stderr.decode()[-2000:]


def test_one_document_is_read_as_the_readers_read_it():
    """clean_text/clean_html see what a file or record would give: line ends
    normalised, NUL dropped, lone surrogates replaced."""
    lone_cr = DUMP.replace("\n", "\r").replace("Tuesday", "Tues\x00day")
    rec = cleaner.clean_text(lone_cr)
    assert rec.title == "Harbour bridge rebuild approved" and rec.author == "Jane Porter"
    assert "\r" not in rec.text and "\x00" not in rec.text and "\n" in rec.text
    [via_records] = cleaner.clean([{"id": "document", "text": lone_cr}], cleaner.Options(dedup="off"))
    assert (rec.text, rec.stats) == (via_records.text, via_records.stats)
    assert "\ufffd" in cleaner.clean_text(DUMP.replace("Tuesday", "Tues\ud800day")).text


@pytest.mark.parametrize("content", ["\ufeff", "\u200b \u200d\n\u2060\xad", "\x07\x1b", "\u3164\ufe0f\u200e",
                                     "<html><body><p>\u200b</p><p>\ufeff</p></body></html>"])
def test_text_of_invisible_characters_alone_is_no_content(content):
    rejects = []
    kind = "html" if content.startswith("<") else "text"
    out = list(cleaner.clean([{"id": "x", kind: content}], on_reject=rejects.append))
    assert out == [] and [r.reason for r in rejects] == ["no-content"]


def test_visible_text_among_invisible_characters_is_kept():
    from cleaner.pipeline import has_visible

    assert has_visible("\u200b\u200bA") and has_visible("\ufeff\u0915") and has_visible("\u200b😀")
    assert not has_visible("") and not has_visible(" \t\u3000\u2028\u200f\U000e0101")


def test_rejects_made_after_reading_say_where_the_record_was(tmp_path):
    rows = [{"id": "a", "text": DUMP}, {"id": "b", "text": "Share\nFacebook\nTwitter\nEmail"}, {"id": "c"}]
    rejects = []
    list(cleaner.clean(rows, on_reject=rejects.append))
    assert [(r.id, r.line, r.reason) for r in rejects] == [("b", 2, "no-content"), ("c", 3, "no-content")]
    path = tmp_path / "in.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    rejects = []
    list(cleaner.clean([path], on_reject=rejects.append))
    assert [(r.source, r.line) for r in rejects] == [(f"{path}:2", 2), (f"{path}:3", 3)]


@pytest.mark.parametrize("method", ["spawn", "forkserver"])
def test_local_workers_under_every_start_method(tmp_path, method):
    """A caller's start method is the pool's: under forkserver the workers'
    parent is the server, and a worker that took it for a dead run left at once."""
    script = tmp_path / "script.py"
    script.write_text("import multiprocessing, sys\n"
                      "if __name__ == '__main__':\n"
                      f"    multiprocessing.set_start_method({method!r})\n"
                      "    import cleaner\n"
                      "    rows = [{'id': f'r{i}', 'text': sys.argv[1] + f' Item {i}.'} for i in range(40)]\n"
                      "    print(len(list(cleaner.clean(rows, cleaner.Options(workers=2)))))\n")
    res = subprocess.run([sys.executable, str(script), DUMP], capture_output=True, timeout=120)
    assert res.returncode == 0, res.stderr
    assert res.stdout.decode().strip() == "40"


def test_a_lone_surrogate_from_a_pages_json_ld_becomes_u_fffd(tmp_path):
    """JSON may escape half a surrogate pair; from a page's JSON-LD it reached
    the title and stopped the writer, taking every later record with it."""
    ld = '{"@type": "NewsArticle", "headline": "Harbour \\ud800 plan", "author": {"name": "Jane \\udfff Porter"}}'
    page = (f"<html><head><script type='application/ld+json'>{ld}</script></head><body><article>"
            + "".join(f"<p>{p}</p>" for p in PARAS) + "</article></body></html>")
    rec = cleaner.clean_html(page)
    assert rec.title == "Harbour \ufffd plan" and rec.author == "Jane \ufffd Porter"
    json.dumps(rec.to_dict()).encode("utf-8")
    (tmp_path / "a.html").write_text(page, encoding="utf-8")
    (tmp_path / "b.html").write_text(page.replace("\\ud800", "and"), encoding="utf-8")
    out = tmp_path / "out.jsonl"
    done = subprocess.run([sys.executable, "-m", "cleaner", "clean", str(tmp_path / "a.html"),
                           str(tmp_path / "b.html"), "-o", str(out), "-w", "1", "-q"], capture_output=True)
    assert done.returncode == 0, done.stderr
    assert len(out.read_text(encoding="utf-8").splitlines()) == 2


def test_the_writer_replaces_lone_surrogates_it_is_given():
    from cleaner.write import dumps

    assert json.loads(dumps({"a": "x\ud800", "b": {"c\udfff": ["\udc00"]}})) == \
        {"a": "x\ufffd", "b": {"c\ufffd": ["\ufffd"]}}


def test_odd_urls_ids_and_numbers_in_memory():
    text = "\n".join(PARAS)
    with pytest.raises(TypeError, match="Document.url must be a str"):
        list(cleaner.clean([cleaner.Document(ordinal=0, id="a", source="", content=text, kind="text", url=123)]))
    with pytest.raises(TypeError, match="Document.metadata must be a dict"):
        list(cleaner.clean([cleaner.Document(ordinal=0, id="a", source="", content=text, kind="text",
                                             metadata=None)]))
    [a] = cleaner.clean([cleaner.Document(ordinal=0, id=5, source="", content=text, kind="text",
                                          url="https://a.example/\ud800")])
    assert a.id == "5" and a.url == "https://a.example/\ufffd"
    b, c = cleaner.clean([{"id": "b", "text": text, "n": 10 ** 30, "url": 123},
                          {"id": "c", "text": text, "url": ["https://c.example/"]}])
    assert b.metadata == {"n": str(10 ** 30), "original_url": 123} and b.url is None
    assert c.metadata == {"original_url": ["https://c.example/"]}
