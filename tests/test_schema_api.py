"""Every output line validates against the record schema; the library API; the
one-place-for-defaults rule; the README documents every option."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import jsonschema
import orjson
import pytest
import typer.main

import cleaner
from cleaner.cli import app
from cleaner.write import dumps

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = json.loads((ROOT / "cleaner" / "record.schema.json").read_text())
HTML = ("<html><head><title>Council backs harbour bridge rebuild - Gazette</title>"
        "<meta name='author' content='Jane Porter'><meta property='article:published_time' content='2025-03-04'>"
        "</head><body><nav>Home News Sport</nav><article><h1>Council backs harbour bridge rebuild</h1>"
        "<p>The city council approved a plan on Tuesday to rebuild the old harbour bridge, ending two years of "
        "debate about how to pay for the work.</p><p>Engineers said the new bridge would carry twice as much "
        "traffic and would be built to withstand stronger storms, which have become more frequent.</p>"
        "<p>READ MORE: Mayor opens new library wing</p><p>Construction is expected to begin next spring and take "
        "about three years, according to the city's transport department.</p></article>"
        "<footer>© 2025 Harbour Gazette. All rights reserved.</footer></body></html>")


def test_every_output_line_validates(tmp_path):
    (tmp_path / "a.html").write_text(HTML)
    (tmp_path / "r.jsonl").write_bytes(
        orjson.dumps({"id": "x", "url": "https://gazette.example/x", "html": HTML, "extra": [1, 2]}) + b"\n"
        + orjson.dumps({"id": "y", "text": "Short note without any sentence"}) + b"\n")
    rejects = []
    out = [dumps(r.to_dict()) for r in cleaner.clean([str(tmp_path), str(Path(ROOT / "seeds"))],
                                                      cleaner.Options(workers=1), on_reject=rejects.append)]
    # The short note is all chrome to the classifier: nothing left, so no empty record.
    assert len(out) == 7 and [(r.source, r.reason) for r in rejects] == [(f"{tmp_path.name}/r.jsonl:2", "no-content")]
    validator = jsonschema.Draft202012Validator(SCHEMA)
    for line in out:
        validator.validate(json.loads(line))


def test_clean_html_and_text_api(capsys):
    rec = cleaner.clean_html(HTML, url="https://www.gazette.example/2025/bridge")
    assert rec.title.startswith("Council backs harbour bridge rebuild")
    assert rec.author == "Jane Porter" and rec.date == "2025-03-04" and rec.site == "gazette.example"
    assert "two years of debate" in rec.text
    # (The "READ MORE: ..." link between two paragraphs is the page model's to
    # judge: the read-more wording veto cost F1 on ScrapingHub's pages
    # out-of-fold, so the model trained in issue 15's second round keeps it here.)
    dump = "Home\nCouncil backs harbour bridge rebuild\nBy Jane Porter\n" + "\n".join(
        p for p in re.findall(r"<p>(.*?)</p>", HTML)) + "\n© 2025 Harbour Gazette"
    rec = cleaner.clean_text(dump, url="https://gazette.example/council-backs-harbour-bridge-rebuild")
    assert rec.title == "Council backs harbour bridge rebuild" and rec.author == "Jane Porter"
    assert {r.kind for r in rec.removed} >= {"title", "byline", "read-more", "copyright"}
    assert capsys.readouterr() == ("", "")  # the library never prints


def test_public_surface():
    assert set(cleaner.__all__) >= {"clean", "clean_text", "clean_html", "Options", "Record", "CleanerError",
                                    "__version__"}
    for name in cleaner.__all__:
        assert hasattr(cleaner, name)


def test_rejects_reach_the_callback(tmp_path):
    (tmp_path / "r.jsonl").write_bytes(b'{"id": "a", "text": null}\n')
    got = []
    assert list(cleaner.clean([str(tmp_path / "r.jsonl")], cleaner.Options(workers=1), on_reject=got.append)) == []
    assert [(r.id, r.reason) for r in got] == [("a", "no-content")]


def test_invalid_options_raise():
    for bad in ({"dedup": "x"}, {"threshold": 0}, {"num_perm": 8}, {"workers": 0}, {"format": "pdf"},
                {"engine": "spark"}, {"favor_precision": True}):
        with pytest.raises(cleaner.OptionsError):
            cleaner.Options(**bad)


def _cli_params():
    command = typer.main.get_command(app).commands["clean"]
    return {p.name: p for p in command.params}


LIBRARY_ONLY: set[str] = set()
CLI_ONLY = {"inputs", "output", "rejects", "quiet", "resume", "part_records"}


def test_every_option_is_a_flag_or_library_only():
    fields = {f.name for f in dataclasses.fields(cleaner.Options)}
    params = set(_cli_params())
    assert fields - LIBRARY_ONLY <= params, f"options without a flag: {fields - LIBRARY_ONLY - params}"
    assert params - fields <= CLI_ONLY, f"flags without an option: {params - fields - CLI_ONLY}"


def test_defaults_live_in_options_only():
    defaults = cleaner.Options()
    for name, param in _cli_params().items():
        if name in CLI_ONLY or name == "workers":
            continue
        assert param.default == getattr(defaults, name), name


def test_readme_documents_every_flag_and_has_a_two_command_quick_start():
    readme = (ROOT / "README.md").read_text()
    for param in _cli_params().values():
        for opt in param.opts:
            if opt.startswith("--"):
                assert f"`{opt}" in readme or f"{opt} " in readme or f"/ {opt}" in readme, opt
    quick = readme.split("## Quick start", 1)[1].split("```", 2)[1]
    commands = [line for line in quick.splitlines()[1:] if line.strip()]
    assert len(commands) == 2
    assert "cleaner clean seeds/" in commands[0] and "pytest" in commands[1]
    ci = (ROOT / ".ci" / "run").read_text()
    assert commands[1].strip() in ci
