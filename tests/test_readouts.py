"""Linear readouts: scikit-learn's estimator checks, closed forms, pipelines and bad input."""
import numpy as np
import pytest
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.utils.estimator_checks import check_estimator

from hetero_brian.readouts import LogisticReadout, RidgeReadout


@pytest.mark.parametrize("estimator", [LogisticReadout(), RidgeReadout()], ids=["logistic", "ridge"])
def test_check_estimator(estimator):
    results = check_estimator(estimator, on_fail=None)
    failed = [(row["check_name"], str(row["exception"])[:200]) for row in results if row["status"] == "failed"]
    assert failed == []


def _blobs(rng, n_per_class=40, n_classes=3, n_features=5, spread=0.3):
    centres = rng.normal(0, 3, (n_classes, n_features))
    X = np.concatenate([centres[c] + spread * rng.normal(size=(n_per_class, n_features)) for c in range(n_classes)])
    y = np.repeat(np.arange(n_classes), n_per_class)
    return X, y


def test_ridge_matches_closed_form():
    rng = np.random.default_rng(0)
    X, y = _blobs(rng)
    X[:, 0] *= 100.0  # standardisation must undo the scale
    alpha = 3.0
    readout = RidgeReadout(alpha=alpha).fit(X, y)
    Z = (X - X.mean(0)) / X.std(0)
    T = -np.ones((y.size, 3))
    T[np.arange(y.size), y] = 1
    Zc, Tc = Z - Z.mean(0), T - T.mean(0)
    W = np.linalg.solve(Zc.T @ Zc + alpha * np.eye(Z.shape[1]), Zc.T @ Tc)
    np.testing.assert_allclose(readout.coef_, W.T, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(readout.decision_function(X), Z @ W + (T.mean(0) - Z.mean(0) @ W), rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(readout.mean_, X.mean(0))
    np.testing.assert_allclose(readout.scale_, X.std(0))


def test_ridge_dual_equals_primal():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(12, 30))
    y = np.arange(12) % 3
    dual = RidgeReadout(alpha=0.7).fit(X, y)  # n < d: dual form
    Z = (X - X.mean(0)) / X.std(0)
    T = -np.ones((12, 3))
    T[np.arange(12), y] = 1
    Zc, Tc = Z - Z.mean(0), T - T.mean(0)
    W = np.linalg.solve(Zc.T @ Zc + 0.7 * np.eye(30), Zc.T @ Tc)
    np.testing.assert_allclose(dual.coef_, W.T, rtol=1e-7, atol=1e-9)


def test_separable_classes_and_probabilities():
    rng = np.random.default_rng(2)
    X, y = _blobs(rng)
    for readout in (LogisticReadout(C=10.0), RidgeReadout(alpha=0.1)):
        assert readout.fit(X, y).score(X, y) == 1.0
    probabilities = LogisticReadout().fit(X, y).predict_proba(X)
    np.testing.assert_allclose(probabilities.sum(1), 1.0)
    assert np.all(np.argmax(probabilities, 1) == y)


def test_string_labels_and_constant_feature():
    rng = np.random.default_rng(3)
    X, y = _blobs(rng, n_classes=2)
    X = np.column_stack([X, np.full(len(X), 5.0)])
    labels = np.array(["yes", "no"])[y]
    readout = LogisticReadout().fit(X, labels)
    assert readout.scale_[-1] == 1.0 and readout.mean_[-1] == 5.0
    assert set(readout.predict(X)) <= {"yes", "no"}
    assert readout.score(X, labels) == 1.0


def test_pipeline_and_cross_validation():
    rng = np.random.default_rng(4)
    X, y = _blobs(rng)
    pipeline = Pipeline([("log", FunctionTransformer(np.log1p)), ("readout", RidgeReadout(alpha=1.0))])
    scores = cross_val_score(pipeline, np.abs(X), y, cv=3)
    assert scores.shape == (3,) and np.all(scores > 0.9)


@pytest.mark.parametrize("readout, message", [
    (LogisticReadout(C=0.0), "C must be"),
    (LogisticReadout(max_iter=0), "max_iter"),
    (RidgeReadout(alpha=-1.0), "alpha must be"),
    (RidgeReadout(standardise="yes"), "standardise"),
])
def test_bad_parameters(readout, message):
    X, y = _blobs(np.random.default_rng(5))
    with pytest.raises(ValueError, match=message):
        readout.fit(X, y)


def test_bad_data():
    readout = RidgeReadout()
    with pytest.raises(ValueError, match="one class"):
        readout.fit(np.ones((4, 2)), np.zeros(4))
    readout.fit(np.eye(4), [0, 1, 0, 1])
    with pytest.raises(ValueError, match="features"):
        readout.predict(np.ones((2, 3)))
    with pytest.raises(ValueError):
        readout.fit(np.eye(4), [0.5, 1.5, 2.5, 0.1])  # continuous targets are not classes
