"""A model whose loading is slow, for the tests that a model's one-time
loading is not counted against the first document's time limit."""

from __future__ import annotations

import time

import cleaner

LOAD_SECONDS = 1.2
LIMIT = 0.6


def check_loaded_before_the_clock(monkeypatch, tmp_path, model_class, shipped, content: str, suffix: str,
                                  clean_one) -> None:
    """``model_class.load`` made LOAD_SECONDS slow, ``shipped`` (its cached
    loader) emptied: ``clean_one(content, options=...)`` and a run over a
    ``suffix`` file of ``content`` both clean it within a LIMIT time limit."""
    real = model_class.load

    def slow(cls, *args, **kwargs):
        time.sleep(LOAD_SECONDS)
        return real(*args, **kwargs)

    monkeypatch.setattr(model_class, "load", classmethod(slow))
    opts = cleaner.Options(doc_timeout=LIMIT, dedup="off")
    try:
        shipped.cache_clear()
        assert "new bridge" in clean_one(content, options=opts).text
        shipped.cache_clear()
        path = tmp_path / f"in{suffix}"
        path.write_text(content, encoding="utf-8")
        rejects: list = []
        records = list(cleaner.clean([str(path)], opts, on_reject=rejects.append))
        assert len(records) == 1 and "new bridge" in records[0].text and not rejects
    finally:
        shipped.cache_clear()
