"""A synthetic syndicated-news corpus with known ground truth.

Wire stories are generated from a small grammar (deterministic for a seed), then
republished by other "outlets" with the edits real outlets make:

* syndicated copies (document-level duplicates): new headline, paragraphs
  dropped or added, words swapped for synonyms, trailing clauses trimmed,
  quotes re-punctuated (curly/straight, comma inside/outside), truncated or
  extended;
* rewrites (passage-level reuse only): a new article that reuses one to three
  paragraphs or statements, heavily edited, including a quotation cut out of
  its sentence and given a new attribution;
* unrelated articles on the same topics, built from the same vocabulary and
  stock phrases ("the spokesperson said"), which must not match.

Every reused sentence is recorded with its exact span in the copy, the family
(story) it belongs to and how heavily it was edited.

    python benchmarks/syndicate.py --docs 1000 > corpus.jsonl   # one JSON record per line
"""

from __future__ import annotations

import argparse
import random
import sys
from dataclasses import dataclass, field

import orjson

FIRST = "Anna Boris Carla David Elena Farid Greta Hugo Irina Jonas Keiko Luis Maria Nikolai Omar Paula Rafael Sofia Tomas Yusuf".split()
LAST = "Petrov Silva Novak Tanaka Keller Haddad Moreau Rossi Lindqvist Okafor Brandt Ivanova Costa Weber Kowalski Laine".split()
ROLES = ["the economy minister", "the mayor", "the central bank governor", "a company spokesperson",
         "the union leader", "the foreign minister", "the port director", "an industry analyst",
         "the health commissioner", "the energy regulator"]
ORGS = ["the Northern Railway Company", "the Harbour Authority", "the National Grid Agency", "Baltic Metals Group",
        "the Federal Statistics Office", "the Coastal Fisheries Board", "Meridian Airlines", "the City Water Utility",
        "Atlas Mining", "the Regional Development Fund"]
PLACES = ["Riga", "Porto", "Gdansk", "Valencia", "Tromso", "Split", "Varna", "Tallinn", "Bilbao", "Turku", "Kiel"]
TOPICS = [("rare earth metals", "deposits"), ("rail freight", "tariffs"), ("offshore wind", "turbines"),
          ("water supply", "pipelines"), ("fishing quotas", "catches"), ("air travel", "routes"),
          ("steel exports", "mills"), ("housing", "permits"), ("hospital care", "waiting lists"),
          ("port traffic", "containers")]
VERBS = ["announced", "confirmed", "rejected", "proposed", "postponed", "approved", "criticised", "welcomed"]
OBJECTS = ["a new investment plan", "higher prices", "a joint venture", "the merger", "an emergency fund",
           "stricter rules", "the budget", "a five-year contract", "the tender", "a review of the project"]
TIMES = ["on Monday", "on Tuesday", "last week", "earlier this month", "in March", "on Friday", "this year"]
CLAUSES = ["despite objections from local residents", "after months of negotiations", "citing rising costs",
           "in a statement published online", "according to people familiar with the matter",
           "ahead of next year's elections", "as demand continued to grow", "amid concerns about safety"]
STOCK = ["the spokesperson said", "officials said", "according to the ministry", "the company said in a statement",
         "analysts said", "a source told reporters"]
FUNCTION = ("the of and to in a that for on with as was is by at from it said has have will be "
            "its are were but not after about than more their which this over into new also").split()
_SYLL = "ka lo mi ne ru sa ti vo ba de fi gu ho ja ke lu ma no pe ri so tu va we xi yo za".split()
VOCAB = [a + b + c for a in _SYLL for b in _SYLL for c in ("", "n", "r", "s", "t", "l")][:5000]
SYN = {"announced": "unveiled", "confirmed": "said", "rejected": "turned down", "proposed": "suggested",
       "postponed": "delayed", "approved": "backed", "criticised": "attacked", "welcomed": "praised",
       "new": "fresh", "plan": "programme", "higher": "rising", "rules": "regulations", "months": "weeks",
       "costs": "expenses", "grow": "increase", "concerns": "worries", "important": "key", "said": "stated",
       "significant": "considerable", "projects": "schemes", "companies": "firms", "talks": "negotiations"}
QUOTE_BODIES = [
    "We are ready to work with anyone who wants to invest in {t1}, but the conditions must be fair for our {t2}",
    "There is significant interest in {t1}, and we have begun discussions on several projects with foreign companies",
    "Nobody should expect quick results, because the {t2} need years of preparation before any money flows",
    "The decision on {t1} will be taken in the interests of the whole region and not of a few companies",
    "We did not expect such strong demand for {t1}, and we will need more {t2} to meet it next year",
    "This is only the first step, and the talks on {t1} will continue in the coming months",
]


@dataclass
class Sentence:
    text: str
    source: tuple[int, int] | None = None  # (family, sentence id in the wire story)
    edits: int = 0


@dataclass
class Doc:
    id: str
    title: str
    paragraphs: list[list[Sentence]]
    family: int | None
    kind: str  # wire, syndicated, rewrite, unrelated

    def render(self) -> tuple[str, list[dict]]:
        """Text (paragraphs separated by newlines) and the spans of reused sentences."""
        out, spans, pos = [], [], 0
        for p, para in enumerate(self.paragraphs):
            if p:
                out.append("\n")
                pos += 1
            for k, s in enumerate(para):
                if k:
                    out.append(" ")
                    pos += 1
                if s.source is not None:
                    spans.append({"start": pos, "end": pos + len(s.text), "family": s.source[0],
                                  "sentence": s.source[1], "edits": s.edits})
                out.append(s.text)
                pos += len(s.text)
        return "".join(out), spans


@dataclass
class Corpus:
    docs: list[Doc] = field(default_factory=list)


class Generator:
    def __init__(self, seed: int = 0):
        self.rng = random.Random(seed)

    def person(self) -> str:
        return f"{self.rng.choice(FIRST)} {self.rng.choice(LAST)}"

    def words(self, n: int, topic) -> str:
        """Prose-like word salad: function words at natural frequency, content
        words from a large Zipf-distributed vocabulary, so two independently
        written sentences share common words and phrases but never most of
        their character n-grams."""
        r = self.rng
        out = []
        for k in range(n):
            if r.random() < 0.38:
                out.append(r.choice(FUNCTION))
            elif r.random() < 0.1:
                out.append(r.choice(topic).split()[0])
            else:
                out.append(VOCAB[min(len(VOCAB) - 1, int(r.paretovariate(0.9)) - 1 + r.randrange(40) * 50)])
            if k and k % r.randint(6, 12) == 0:
                out[-1] += ","
        return " ".join(out).strip(",")

    def fact(self, topic) -> str:
        r = self.rng
        body = self.words(r.randint(12, 26), topic)
        tail = f", {r.choice(STOCK)}" if r.random() < 0.3 else ""
        return body[0].upper() + body[1:] + tail + "."

    def quote(self, topic, speaker: str) -> str:
        body = self.words(self.rng.randint(12, 24), topic)
        return f"“{body[0].upper() + body[1:]},” {speaker} said {self.rng.choice(TIMES)}."

    def story(self, family: int, doc_id: str, kind: str = "wire") -> Doc:
        r = self.rng
        topic = r.choice(TOPICS)
        speaker = self.person()
        paras: list[list[Sentence]] = []
        sid = 0
        for _ in range(r.randint(6, 11)):
            para = []
            for _ in range(r.randint(1, 3)):
                text = self.quote(topic, speaker) if r.random() < 0.25 else self.fact(topic)
                para.append(Sentence(text, (family, sid) if kind == "wire" else None))
                sid += 1
            paras.append(para)
        title = f"{r.choice(ORGS).title()} {r.choice(VERBS)} {r.choice(OBJECTS)} for {topic[0]}"
        return Doc(doc_id, title, paras, family if kind == "wire" else None, kind)

    # --- edits ---------------------------------------------------------------------

    def swap_words(self, text: str, n: int) -> str:
        """Replace ``n`` words by others (an editor's synonym or rewording)."""
        words = text.split(" ")
        idx = [i for i, w in enumerate(words) if len(w.strip(",.“”\"")) > 2 and i > 0]
        for i in self.rng.sample(idx, min(n, len(idx))):
            w = words[i]
            core = w.strip(",.“”\"")
            words[i] = w.replace(core, SYN.get(core, self.rng.choice(VOCAB)))
        return " ".join(words)

    def trim(self, text: str) -> str:
        if "”" in text or '"' in text:
            return text
        cut = text.rfind(", ")
        return text[:cut] + "." if cut > len(text) // 2 else text

    def repunctuate(self, text: str) -> str:
        text = text.replace("“", '"').replace("”", '"')
        return text.replace(',"', '",') if self.rng.random() < 0.5 else text

    def reattribute(self, text: str) -> str:
        """Cut the quotation out of its sentence and give it a new attribution."""
        if "“" not in text:
            return text
        q = text[text.index("“") + 1:text.index("”")].rstrip(",")
        who = self.person()
        forms = [f"“{q},” {who} told the {self.rng.choice(['newspaper', 'broadcaster', 'agency'])}.",
                 f"In an interview, {who} said: “{q}.”",
                 f"“{q},” {who} wrote in a post on social media."]
        return self.rng.choice(forms)

    def edit(self, s: Sentence, heavy: bool) -> Sentence:
        text, n = s.text, 0
        ops = [lambda t: self.swap_words(t, 3 if heavy else 1), self.trim, self.repunctuate]
        if heavy:
            ops.append(self.reattribute)
        for op in self.rng.sample(ops, self.rng.randint(2, len(ops)) if heavy else 1):
            new = op(text)
            n += new != text
            text = new
        return Sentence(text, s.source, n)

    def syndicate(self, wire: Doc, doc_id: str) -> Doc:
        r = self.rng
        paras = [list(p) for p in wire.paragraphs]
        for _ in range(r.randint(0, 2)):
            if len(paras) > 4:
                paras.pop(r.randrange(1, len(paras)))
        paras = [[self.edit(s, heavy=False) if r.random() < 0.35 else s for s in p] for p in paras]
        topic = r.choice(TOPICS)
        for _ in range(r.randint(0, 2)):
            paras.insert(r.randrange(0, len(paras) + 1), [Sentence(self.fact(topic))])
        shape = r.random()
        if shape < 0.25:
            paras = paras[: max(3, int(len(paras) * r.uniform(0.55, 0.85)))]  # truncated copy
        elif shape < 0.4:
            paras += [[Sentence(self.fact(topic))] for _ in range(r.randint(1, 3))]  # extended copy
        return Doc(doc_id, f"{wire.title.split(' for ')[0]} ({r.choice(PLACES)})", paras, wire.family, "syndicated")

    def rewrite(self, wire: Doc, doc_id: str) -> Doc:
        r = self.rng
        own = self.story(-1, doc_id, kind="rewrite")
        reused = [s for p in wire.paragraphs for s in p]
        picks = r.sample(reused, min(len(reused), r.randint(1, 3)))
        quotes = [s for s in reused if "“" in s.text]
        if quotes and r.random() < 0.7:
            picks.append(r.choice(quotes))
        for s in picks:
            pos = r.randrange(1, len(own.paragraphs) + 1)
            own.paragraphs.insert(pos, [self.edit(s, heavy=True)])
        own.family = None
        return own


def generate(n_docs: int, seed: int = 0) -> Corpus:
    """About a fifth of the documents are wire stories, a fifth syndicated
    copies, a fifth rewrites reusing passages, the rest unrelated."""
    return Corpus(list(stream(n_docs, seed)))


def stream(n_docs: int, seed: int = 0):
    """The documents of ``generate`` one at a time, in constant memory."""
    g = Generator(seed)
    wires: list[Doc] = []
    fam = 0
    for i in range(n_docs):
        roll = g.rng.random()
        if roll < 0.2 or not wires:
            d = g.story(fam, f"doc{i:07d}")
            fam += 1
            wires.append(d)
            wires = wires[-50:]  # copies follow their wire story within a news cycle
        elif roll < 0.4:
            d = g.syndicate(g.rng.choice(wires), f"doc{i:07d}")
        elif roll < 0.6:
            d = g.rewrite(g.rng.choice(wires), f"doc{i:07d}")
        else:
            d = g.story(-1, f"doc{i:07d}", kind="unrelated")
        yield d


def records(corpus):
    for d in getattr(corpus, "docs", corpus):
        text, spans = d.render()
        yield {"id": d.id, "title": d.title, "text": text, "kind": d.kind, "family": d.family, "reused": spans}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    out = sys.stdout.buffer
    for rec in records(generate(args.docs, args.seed)):
        out.write(orjson.dumps(rec) + b"\n")


if __name__ == "__main__":
    main()
