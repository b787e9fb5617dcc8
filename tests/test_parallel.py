"""Output bytes do not depend on the number of worker processes."""

from __future__ import annotations

import random

import orjson

import cleaner
from cleaner.write import dumps

PARA = ("The council approved the harbour plan on {d}, after a debate that lasted {n} hours and ended with "
        "a narrow vote, officials said.")


def _write_corpus(path, n=120):
    rng = random.Random(3)
    with open(path, "wb") as f:
        for i in range(n):
            body = "\n".join(PARA.format(d=rng.choice(["Monday", "Tuesday"]), n=rng.randint(1, 9)) + f" Item {i}-{k}."
                             for k in range(rng.randint(2, 6)))
            if i % 3 == 0:
                rec = {"id": f"h{i}", "url": f"https://a{i % 4}.example/{i}",
                       "html": f"<html><head><title>Story {i}</title></head><body><nav>Home News</nav>"
                               f"<article><h1>Story {i}</h1>{''.join('<p>' + p + '</p>' for p in body.split(chr(10)))}"
                               f"</article><footer>© 2025 Example</footer></body></html>"}
            else:
                rec = {"id": f"t{i}", "url": f"https://a{i % 4}.example/{i}", "text": "Home\nNews\n" + body}
            f.write(orjson.dumps(rec) + b"\n")


def _bytes(path, workers):
    opts = cleaner.Options(workers=workers, dedup="off")
    return b"".join(dumps(r.to_dict()) for r in cleaner.clean([str(path)], opts))


def test_same_bytes_for_any_number_of_workers(tmp_path):
    path = tmp_path / "in.jsonl"
    _write_corpus(path)
    one = _bytes(path, 1)
    assert one.count(b"\n") == 120
    assert _bytes(path, 2) == one
    assert _bytes(path, 3) == one
