"""The compiled tree evaluator (cleaner/model/trees.py) against its plain
definition, LightGBM's ``Booster.predict``: the same floats, bit for bit."""

from __future__ import annotations

from pathlib import Path

import lightgbm
import numpy as np
import pytest

from cleaner.model.model import block_matrix, page_matrix, prepare, shipped, smooth_matrix
from cleaner.model.trees import _float32_below, compiled, predictor, text_predictor

ROOT = Path(__file__).resolve().parent.parent


def lgbm(booster, X):
    return booster.predict(X, num_threads=1)


def edge_matrix(booster, rows: int, seed: int) -> np.ndarray:
    """Rows whose values sit on, just above and just below the booster's own
    thresholds, with zeros, tiny values (LightGBM reads them as 0), NaN,
    infinities and huge values mixed in."""
    rng = np.random.default_rng(seed)
    model = booster.dump_model()
    by_feature: dict[int, list[float]] = {}

    def walk(node):
        if "split_feature" in node:
            by_feature.setdefault(node["split_feature"], []).append(node["threshold"])
            walk(node["left_child"])
            walk(node["right_child"])

    for tree in model["tree_info"]:
        walk(tree["tree_structure"])
    nf = booster.num_feature()
    X = rng.normal(size=(rows, nf)).astype(np.float32)
    specials = np.array([0.0, -0.0, 1e-36, -1e-36, 1e-35, -1e-35, 2e-35, np.nan, np.inf, -np.inf, 3e38, -3e38],
                        dtype=np.float32)
    for f in range(nf):
        t = np.array(by_feature.get(f, [0.0]), dtype=np.float64)
        t32 = t.astype(np.float32)
        pool = np.concatenate([t32, np.nextafter(t32, np.float32(np.inf)), np.nextafter(t32, np.float32(-np.inf)),
                               specials])
        pick = rng.random(rows) < 0.7
        X[pick, f] = rng.choice(pool, size=int(pick.sum()))
    return X


def test_float32_below_keeps_every_comparison():
    rng = np.random.default_rng(1)
    t = np.concatenate([rng.normal(size=2000) * 10.0 ** rng.integers(-40, 39, size=2000),
                        [0.0, 1.0000000180025095e-35, 1e300, -1e300, 0.1, -0.1, 1.5]])
    t32 = _float32_below(t)
    with np.errstate(over="ignore"):
        near = t.astype(np.float32)
    for x in np.concatenate([near, np.nextafter(near, np.float32(np.inf)), np.nextafter(near, np.float32(-np.inf))]):
        assert np.array_equal(np.float64(x) <= t, x <= t32)


def test_shipped_models_compile_and_agree_on_edge_values():
    model = shipped()
    for name in ["smooth", "pagetype", *model.block_names]:
        booster = model.booster(name)
        fast = compiled(booster)
        assert fast is not None, name
        for seed in range(3):
            X = edge_matrix(booster, 300, seed)
            assert np.array_equal(fast.predict(X), lgbm(booster, X)), name
        assert fast.predict(np.zeros((0, booster.num_feature()), np.float32)).shape[0] == 0
        with pytest.raises(ValueError):
            fast.predict(np.zeros((2, booster.num_feature() + 1), np.float32))


def test_shipped_models_agree_on_the_fixture_pages():
    model = shipped()
    pages = 0
    for path in sorted(ROOT.glob("fixtures/*/input.html")):
        prep = prepare(path.read_text(encoding="utf-8", errors="replace"), None)
        if not prep.blocks:
            continue
        pages += 1
        P = page_matrix(prep, model.url_vocab, model.schema_vocab)
        types = lgbm(model.booster("pagetype"), P)[0]
        assert np.array_equal(model._type_predictor(P)[0], types), path
        X = block_matrix(prep, model.cls_vocab, types)
        want = [lgbm(model.booster(name), X) for name in model.block_names]
        assert all(np.array_equal(p(X), w) for p, w in zip(model._block_predictors, want)), path
        S = smooth_matrix(sum(want) / len(want), prep, types)
        assert np.array_equal(model._smooth_predictor(S), lgbm(model.booster("smooth"), S)), path
        assert all(np.array_equal(a, b) for a, b in zip(model.predict(prep), (model._smooth_predictor(S), types)))
    assert pages >= 5


def test_shipped_line_model_compiles_and_agrees():
    """The line model's predictions (cleaner.model.lines) are LightGBM's, bit
    for bit, on edge values and on the text-dump fixtures' line matrices."""
    from cleaner.model.lines import line_matrix, shipped_lines
    from cleaner.strip import judge_lines

    model = shipped_lines()
    booster = model.booster
    fast = compiled(booster)
    assert fast is not None
    for seed in range(3):
        X = edge_matrix(booster, 300, seed)
        assert np.array_equal(fast.predict(X), lgbm(booster, X))
    pages = 0
    for path in sorted(ROOT.glob("fixtures/*/input.txt")):
        judged = judge_lines(path.read_text(encoding="utf-8"), is_html=False)
        if not judged.lines:
            continue
        pages += 1
        X = line_matrix(judged)
        assert np.array_equal(model.predict(judged), lgbm(booster, X)), path
    assert pages >= 3


def test_text_predictor_reads_the_model_text_as_lightgbm_does():
    """Without LightGBM: the same predictions, column names and width; a
    booster the walker cannot compile falls back to LightGBM's own predict."""

    rng = np.random.default_rng(4)
    X = rng.normal(size=(300, 5)).astype(np.float32)
    y = (X[:, 0] - X[:, 2] > 0).astype(int)
    plain = train(X, y)
    predict, names, width = text_predictor(plain.model_to_string())
    assert names == plain.feature_name() and width == 5
    assert np.array_equal(predict(X), lgbm(plain, X))
    Xn = X.copy()
    Xn[rng.random(300) < 0.2, 1] = np.nan  # splits that learn where missing values go: not compiled
    odd = train(Xn, y)
    assert compiled(odd) is None
    predict, names, width = text_predictor(odd.model_to_string())
    assert np.array_equal(predict(Xn), lgbm(odd, Xn)) and width == 5


def train(X, y, **params):
    return lightgbm.train({"objective": "binary", "num_leaves": 7, "verbose": -1, "min_data_in_leaf": 5, **params},
                          lightgbm.Dataset(X, y, **({"categorical_feature": [0]} if params.pop("cat", False) else {})),
                          num_boost_round=20)


def test_multiclass_boosters_compile_and_agree():
    """Softmax over classes (the page-type model's objective): each tree adds
    to its class's score; the same probabilities as LightGBM's, bit for bit,
    for any number of classes, rows and trees (one-leaf trees included)."""
    rng = np.random.default_rng(5)
    X = rng.normal(size=(500, 6)).astype(np.float32)
    for classes, rounds in ((2, 3), (3, 20), (7, 12)):
        y = np.digitize(X[:, 0] + 0.5 * X[:, 3], np.linspace(-1.5, 1.5, classes - 1))
        booster = lightgbm.train({"objective": "multiclass", "num_class": classes, "num_leaves": 7, "verbose": -1,
                                  "min_data_in_leaf": 5}, lightgbm.Dataset(X, y), num_boost_round=rounds)
        fast = compiled(booster)
        assert fast is not None and fast.classes == classes
        got = fast.predict(X)
        assert got.shape == (500, classes) and np.array_equal(got, lgbm(booster, X))
        predict, names, width = text_predictor(booster.model_to_string())
        X_edge = edge_matrix(booster, 200, classes)
        assert np.array_equal(predict(X_edge), lgbm(booster, X_edge)) and width == 6 and len(names) == 6
    stump = lightgbm.train({"objective": "multiclass", "num_class": 3, "verbose": -1, "min_data_in_leaf": 1000},
                           lightgbm.Dataset(X, rng.integers(0, 3, size=500)), num_boost_round=2)  # one-leaf trees
    assert np.array_equal(compiled(stump).predict(X), lgbm(stump, X))


def test_other_boosters_fall_back_to_lightgbm():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(400, 4)).astype(np.float32)
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    plain = train(X, y)
    assert compiled(plain) is not None
    assert np.array_equal(compiled(plain).predict(X), lgbm(plain, X))
    Xc = X.copy()
    Xc[:, 0] = rng.integers(0, 6, size=400)
    Xn = X.copy()
    Xn[rng.random(400) < 0.2, 1] = np.nan  # missing values in training: splits learn where NaN goes
    others = [
        train(Xc, (Xc[:, 0] % 2 == 0).astype(int), cat=True),
        train(Xn, y),
        lightgbm.train({"objective": "multiclassova", "num_class": 3, "verbose": -1},
                       lightgbm.Dataset(X, y + (X[:, 2] > 1)), num_boost_round=5),
        lightgbm.train({"objective": "regression", "verbose": -1}, lightgbm.Dataset(X, X[:, 0].copy()), num_boost_round=5),
    ]
    for booster, data in zip(others, (Xc, Xn, X, X)):
        assert compiled(booster) is None
        assert np.array_equal(predictor(booster)(data), lgbm(booster, data))
