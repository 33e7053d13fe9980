"""Linear readouts of reservoir features, following scikit-learn's estimator contract.

Both classifiers standardise each feature with the training mean and standard deviation (features
that never vary are centred and left unscaled), then fit a linear model:

* :class:`LogisticReadout`: multinomial logistic regression with an L2 penalty (scikit-learn's
  L-BFGS solver);
* :class:`RidgeReadout`: one-vs-all least squares on ``+1/-1`` targets with an L2 penalty, solved in
  closed form (primal or dual, whichever system is smaller).

They have ``fit``/``predict``/``score`` (plus ``decision_function``; ``predict_proba`` for the
logistic one), expose fitted attributes ending in ``_`` and work in ``Pipeline`` and
``cross_val_score``. Neither takes ``random_state``: both fits are deterministic (L-BFGS from zero
weights; a closed-form solve), so a seed would be accepted and ignored.

References
----------
F. Pedregosa et al., "Scikit-learn: machine learning in Python", JMLR 12, 2825 (2011).
M. Lukoševičius, H. Jaeger, "Reservoir computing approaches to recurrent neural network training",
Comput. Sci. Rev. 3, 127 (2009) (ridge readouts of reservoir states).
"""
import numbers
import warnings

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data


def _standardisation(X):
    """Column means and scales (standard deviations; 1 where a column is constant)."""
    mean = X.mean(axis=0)
    scale = X.std(axis=0)
    scale[~(scale > 1e-12 * np.maximum(1.0, np.abs(mean)))] = 1.0
    return mean, scale


def _check_positive(value, name):
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not np.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a positive finite number; got {value!r}")


class _StandardisedLinearClassifier(ClassifierMixin, BaseEstimator):
    """Shared machinery: validation, standardisation, classes, prediction."""

    def _prepare_fit(self, X, y):
        if not isinstance(self.standardise, bool):
            raise ValueError(f"standardise must be True or False; got {self.standardise!r}")
        X, y = validate_data(self, X, y, dtype=np.float64, y_numeric=False)
        check_classification_targets(y)
        self.classes_, encoded = np.unique(y, return_inverse=True)
        if self.classes_.size < 2:
            raise ValueError(f"a classifier needs samples of at least 2 classes; got one class ({self.classes_[0]!r})")
        if self.standardise:
            self.mean_, self.scale_ = _standardisation(X)
        else:
            self.mean_, self.scale_ = np.zeros(X.shape[1]), np.ones(X.shape[1])
        return (X - self.mean_) / self.scale_, encoded

    def _transform(self, X):
        check_is_fitted(self, ("coef_", "intercept_", "classes_"))
        X = validate_data(self, X, dtype=np.float64, reset=False)
        return (X - self.mean_) / self.scale_

    def decision_function(self, X):
        """Linear scores, shape ``(n_samples, n_classes)`` (``(n_samples,)`` for two classes).

        The scores are those of the standardised features: ``((X - mean_) / scale_) @ coef_.T + intercept_``.
        """
        scores = self._transform(X) @ self.coef_.T + self.intercept_
        return scores.ravel() if scores.shape[1] == 1 else scores

    def predict(self, X):
        """Class label of each row of ``X`` (the class with the highest score)."""
        scores = self.decision_function(X)
        if scores.ndim == 1:
            return self.classes_[(scores > 0).astype(int)]
        return self.classes_[np.argmax(scores, axis=1)]


class LogisticReadout(_StandardisedLinearClassifier):
    """Standardisation followed by L2-regularised multinomial logistic regression.

    Parameters
    ----------
    C : float
        Inverse regularisation strength (> 0); smaller is stronger.
    standardise : bool
        Standardise features with the training mean and standard deviation.
    max_iter : int
        Maximum number of L-BFGS iterations.
    tol : float
        Solver tolerance.

    Attributes
    ----------
    classes_ : ndarray, shape (n_classes,)
    coef_ : ndarray, shape (n_classes, n_features) (``(1, n_features)`` for two classes)
    intercept_ : ndarray, shape (n_classes,) (``(1,)`` for two classes)
    mean_, scale_ : ndarray, shape (n_features,)
        Standardisation (zeros and ones when ``standardise`` is False).
    n_features_in_ : int
    n_iter_ : int

    Notes
    -----
    Minimises ``(1 / (2 C)) ||W||^2 + sum_n -log softmax(W z_n + b)[y_n]`` over ``W, b`` with
    ``z_n`` the standardised features.
    """

    def __init__(self, C=1.0, standardise=True, max_iter=1000, tol=1e-4):
        self.C = C
        self.standardise = standardise
        self.max_iter = max_iter
        self.tol = tol

    def fit(self, X, y):
        """Fit on features ``X`` (n_samples, n_features) and labels ``y`` (n_samples,)."""
        from sklearn.exceptions import ConvergenceWarning
        from sklearn.linear_model import LogisticRegression

        _check_positive(self.C, "C")
        _check_positive(self.tol, "tol")
        if isinstance(self.max_iter, bool) or not isinstance(self.max_iter, numbers.Integral) or self.max_iter < 1:
            raise ValueError(f"max_iter must be a positive integer; got {self.max_iter!r}")
        Z, encoded = self._prepare_fit(X, y)
        model = LogisticRegression(C=self.C, max_iter=self.max_iter, tol=self.tol)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(Z, encoded)
        self.coef_ = model.coef_
        self.intercept_ = model.intercept_
        self.n_iter_ = int(np.max(model.n_iter_))
        return self

    def predict_proba(self, X):
        """Class probabilities, shape ``(n_samples, n_classes)``."""
        scores = self.decision_function(X)
        if scores.ndim == 1:
            positive = 1.0 / (1.0 + np.exp(-scores))
            return np.column_stack([1.0 - positive, positive])
        scores = scores - scores.max(axis=1, keepdims=True)
        probabilities = np.exp(scores)
        return probabilities / probabilities.sum(axis=1, keepdims=True)


class RidgeReadout(_StandardisedLinearClassifier):
    """Standardisation followed by one-vs-all ridge regression onto ``+1/-1`` targets.

    Parameters
    ----------
    alpha : float
        L2 penalty (> 0).
    standardise : bool
        Standardise features with the training mean and standard deviation.

    Attributes
    ----------
    classes_, coef_, intercept_, mean_, scale_, n_features_in_
        As in :class:`LogisticReadout`.

    Notes
    -----
    With centred standardised features ``Z`` (n x d) and targets ``T`` (``+1`` for the sample's
    class, ``-1`` otherwise; one column for two classes),

    .. math::

        W = (Z^T Z + \\alpha I)^{-1} Z^T (T - \\bar T) = Z^T (Z Z^T + \\alpha I)^{-1} (T - \\bar T),
        \\qquad b = \\bar T - \\bar z W

    (the intercept is not penalised); the dual form is used when ``n < d``.
    """

    def __init__(self, alpha=1.0, standardise=True):
        self.alpha = alpha
        self.standardise = standardise

    def fit(self, X, y):
        """Fit on features ``X`` (n_samples, n_features) and labels ``y`` (n_samples,)."""
        _check_positive(self.alpha, "alpha")
        Z, encoded = self._prepare_fit(X, y)
        n_classes = self.classes_.size
        if n_classes == 2:
            targets = np.where(encoded == 1, 1.0, -1.0)[:, None]
        else:
            targets = -np.ones((encoded.size, n_classes))
            targets[np.arange(encoded.size), encoded] = 1.0
        z_mean, t_mean = Z.mean(axis=0), targets.mean(axis=0)
        Zc, Tc = Z - z_mean, targets - t_mean
        n_samples, n_features = Zc.shape
        if n_samples < n_features:
            gram = Zc @ Zc.T
            gram[np.diag_indices_from(gram)] += self.alpha
            weights = Zc.T @ np.linalg.solve(gram, Tc)
        else:
            gram = Zc.T @ Zc
            gram[np.diag_indices_from(gram)] += self.alpha
            weights = np.linalg.solve(gram, Zc.T @ Tc)
        self.coef_ = weights.T
        self.intercept_ = t_mean - z_mean @ weights
        return self


__all__ = ["LogisticReadout", "RidgeReadout"]
