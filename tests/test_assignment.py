"""Label assignment and voting on hand-built response tables."""
import numpy as np
import pytest

from hetero_brian.analysis.assignment import (UNASSIGNED, accuracy, assign_labels, class_responses, class_scores, classify,
                                 confusion_matrix)


def test_assignment_follows_the_largest_class_mean_not_the_total():
    # neuron 0: class 0 has 1 sample with 6 spikes (mean 6), class 1 has 3 samples of 3 (total 9, mean 3)
    responses = np.array([[6, 0, 0], [3, 1, 0], [3, 1, 0], [3, 5, 0]])
    labels = np.array([0, 1, 1, 1])
    means = class_responses(responses, labels, 3)
    np.testing.assert_allclose(means[:, 0], [6, 3, 0])
    np.testing.assert_allclose(means[:, 1], [0, 7 / 3, 0])
    assignments = assign_labels(responses, labels, 3)
    assert assignments.tolist() == [0, 1, UNASSIGNED]  # neuron 2 never fired


def test_votes_are_mean_responses_of_the_assigned_neurons():
    assignments = np.array([0, 0, 1, UNASSIGNED])
    responses = np.array([[4, 0, 3, 9],    # class 0: (4+0)/2 = 2 < class 1: 3
                          [4, 4, 3, 0],    # class 0: 4 > 3
                          [0, 0, 0, 7]])   # only the unassigned neuron fired: no vote
    scores = class_scores(responses, assignments, 3)
    np.testing.assert_allclose(scores, [[2, 3, 0], [4, 3, 0], [0, 0, 0]])
    predictions = classify(responses, assignments, 3)
    assert predictions.tolist() == [1, 0, UNASSIGNED]
    assert accuracy(predictions, np.array([1, 0, 2])) == pytest.approx(2 / 3)
    matrix = confusion_matrix(predictions, np.array([1, 0, 2]), 3)
    assert matrix[2, 3] == 1 and matrix[1, 1] == 1 and matrix.sum() == 3


def test_ties_go_to_the_lowest_class():
    assert assign_labels(np.array([[2], [2]]), np.array([1, 0]), 2).tolist() == [0]
    assert classify(np.array([[1, 1]]), np.array([1, 0]), 2).tolist() == [0]


@pytest.mark.parametrize("call, match", [
    (lambda: assign_labels(np.ones((3, 2)), np.array([0, 1]), 2), "3 class indices"),
    (lambda: assign_labels(np.ones((2, 2)), np.array([0, 2]), 2), r"\[0, 2\)"),
    (lambda: assign_labels(-np.ones((2, 2)), np.array([0, 1]), 2), "non-negative"),
    (lambda: assign_labels(np.ones(4), np.array([0, 1]), 2), "2-D"),
    (lambda: assign_labels(np.ones((2, 2)), np.array([0, 1]), 1), "n_classes"),
    (lambda: classify(np.ones((2, 3)), np.array([0, 1]), 2), "3 labels"),
    (lambda: classify(np.ones((2, 2)), np.array([0, 5]), 2), "assignments"),
    (lambda: accuracy(np.array([]), np.array([])), "non-empty"),
])
def test_bad_inputs_name_the_argument(call, match):
    with pytest.raises(ValueError, match=match):
        call()
