"""Graph steps of Lyapunov Noise Pruning on a synapse list: betweenness centrality, removal of the
least central neurons, and new edges that raise degree heterogeneity (pure numpy; networkx or scipy
for the shortest paths).

The network is one recurrent population given as synapse arrays ``i`` (pre), ``j`` (post), ``w``;
:func:`hetero_brian.analysis.lnp.lyapunov_noise_prune` runs these steps after the noise pruning.

References
----------
.. [1] B. Chakraborty, B. Kang, H. Kumar, S. Mukhopadhyay, "Sparse spiking neural network:
   exploiting heterogeneity in timescales for pruning recurrent SNN", ICLR 2024, arXiv:2403.03409.
.. [2] U. Brandes, "A faster algorithm for betweenness centrality", J. Math. Sociol. 25:163 (2001).
"""
import numpy as np

from hetero_brian.analysis._synapse_checks import check_fraction, check_integer, check_synapses
from hetero_brian.analysis.pruning import remove_neurons
from hetero_brian.errors import DegenerateNetworkError
from hetero_brian.random import as_generator

__all__ = ["betweenness_centrality", "remove_low_betweenness", "add_heterogeneity_edges"]


# ----------------------------------------------------------------------------------------------
# (2) betweenness centrality and neuron removal
# ----------------------------------------------------------------------------------------------
def _merged_edges(i, j, w):
    """Directed edges pre -> post without self-loops, parallel synapses merged (sum of |w|)."""
    keep = (i != j) & (w != 0)
    pairs, inverse = np.unique(np.stack([i[keep], j[keep]]), axis=1, return_inverse=True)
    strength = np.bincount(inverse.ravel(), weights=np.abs(w[keep]), minlength=pairs.shape[1])
    return pairs[0], pairs[1], strength


def betweenness_centrality(i, j, w, n_neurons, method="networkx"):
    """Normalised betweenness centrality of the directed graph pre -> post, distance ``1/|w|``.

    Strong synapses are short: a shortest path runs through strong couplings. Parallel synapses are
    merged (their |w| summed); self-loops and zero weights are ignored.

    Parameters
    ----------
    method : {"networkx", "csgraph"}
        ``"networkx"``: ``networkx.betweenness_centrality`` (exact, splits ties between equal
        shortest paths; slow beyond a few hundred neurons). ``"csgraph"``: scipy's Dijkstra plus
        shortest-path-tree accumulation [2]_, exact when shortest paths are unique (generic for
        real-valued weights), much faster.

    Returns
    -------
    centrality : ndarray, shape (n_neurons,)
        Normalised by ``(n - 1)(n - 2)`` as networkx does for directed graphs.
    """
    i, j, w = check_synapses(i, j, w, n_neurons, n_neurons)
    pre, post, strength = _merged_edges(i, j, w)
    if method == "networkx":
        import networkx

        graph = networkx.DiGraph()
        graph.add_nodes_from(range(n_neurons))
        graph.add_weighted_edges_from(zip(pre.tolist(), post.tolist(), (1.0 / strength).tolist()), weight="distance")
        values = networkx.betweenness_centrality(graph, weight="distance", normalized=True)
        return np.array([values[node] for node in range(n_neurons)])
    if method != "csgraph":
        raise ValueError(f"method must be 'networkx' or 'csgraph'; got {method!r}")
    from scipy import sparse
    from scipy.sparse.csgraph import dijkstra

    graph = sparse.csr_matrix((1.0 / strength, (pre, post)), shape=(n_neurons, n_neurons))
    distance, predecessor = dijkstra(graph, directed=True, return_predecessors=True)
    distance[~np.isfinite(distance)] = -1.0                # unreachable: processed first, no predecessor
    order = np.argsort(-distance, axis=1, kind="stable")    # farthest first: children before parents
    rows = np.arange(n_neurons)
    descendants = np.zeros((n_neurons, n_neurons))
    for rank in range(n_neurons):
        node = order[:, rank]
        parent = predecessor[rows, node]
        valid = parent >= 0
        descendants[rows[valid], parent[valid]] += descendants[rows[valid], node[valid]] + 1.0
    np.fill_diagonal(descendants, 0.0)
    scale = 1.0 / ((n_neurons - 1) * (n_neurons - 2)) if n_neurons > 2 else 1.0
    return descendants.sum(axis=0) * scale


def remove_low_betweenness(i, j, w, n_neurons, fraction, method="networkx"):
    """Remove the ``round(fraction * n_neurons)`` neurons of lowest betweenness centrality.

    At equal centrality the lower index is removed first.

    Returns
    -------
    kept_neurons, new_i, new_j, new_w, synapse_mask, centrality
        See :func:`hetero_brian.analysis.pruning.remove_neurons`; ``centrality`` of the input network.
    """
    fraction = check_fraction(fraction, "neuron_fraction", allow_zero=True)
    centrality = betweenness_centrality(i, j, w, n_neurons, method)
    n_remove = int(np.floor(fraction * n_neurons + 0.5))
    if n_remove >= n_neurons:
        raise DegenerateNetworkError(f"neuron_fraction={fraction} would remove all {n_neurons} neurons")
    order = np.lexsort((np.arange(n_neurons), centrality))
    kept, new_i, new_j, new_w, synapse_mask = remove_neurons(i, j, w, n_neurons, order[n_remove:])
    return kept, new_i, new_j, new_w, synapse_mask, centrality


# ----------------------------------------------------------------------------------------------
# (3) edges that raise degree heterogeneity
# ----------------------------------------------------------------------------------------------
def add_heterogeneity_edges(i, j, w, n_neurons, n_edges, rng, n_hops=2, exponent=1.0, new_weight=None):
    """Add ``n_edges`` synapses by preferential attachment inside ``n_hops``-hop neighbourhoods.

    Each new synapse starts at a neuron ``u`` drawn uniformly (among neurons that still have a
    candidate) and ends at a neuron ``v`` of ``u``'s undirected ``n_hops``-hop neighbourhood (computed
    on the input graph) not yet targeted by ``u``, drawn with probability proportional to
    ``degree(v) ** exponent`` (in + out degree, updated after every addition). Attaching to local hubs
    raises the degree variance while the new edges stay local.

    Parameters
    ----------
    n_edges : int >= 0
    rng : numpy.random.Generator or int
    n_hops : int >= 1
    exponent : float >= 0
    new_weight : float, optional
        Weight of the new synapses; default: each drawn uniformly from the existing weights.

    Returns
    -------
    new_i, new_j, new_w : ndarray
        The input synapses followed by the added ones.
    is_added : ndarray of bool
    """
    i, j, w = check_synapses(i, j, w, n_neurons, n_neurons)
    rng = as_generator(rng)
    n_edges, n_hops = check_integer(n_edges, "n_edges", 0), check_integer(n_hops, "n_hops", 1)
    exponent = float(exponent)
    if not exponent >= 0:
        raise ValueError(f"exponent must be >= 0; got {exponent!r}")
    if n_edges > 0 and w.size == 0 and new_weight is None:
        raise ValueError("new_weight is needed when the network has no synapse to copy weights from")
    adjacency = np.zeros((n_neurons, n_neurons), dtype=bool)   # adjacency[pre, post]
    adjacency[i, j] = True
    undirected = (adjacency | adjacency.T).astype(float)
    reach = np.eye(n_neurons, dtype=bool)
    for _ in range(n_hops):
        reach = reach | ((reach.astype(float) @ undirected) > 0)
    candidates = reach & ~adjacency
    np.fill_diagonal(candidates, False)
    n_candidates = candidates.sum(axis=1)
    if n_candidates.sum() < n_edges:
        raise ValueError(f"n_edges={n_edges} exceeds the {int(n_candidates.sum())} free pairs within "
                         f"n_hops={n_hops} hops")
    degree = (np.bincount(i, minlength=n_neurons) + np.bincount(j, minlength=n_neurons)).astype(float)
    added_pre = np.empty(n_edges, dtype=np.int64)
    added_post = np.empty(n_edges, dtype=np.int64)
    for edge in range(n_edges):
        sources = np.flatnonzero(n_candidates > 0)
        source = sources[rng.integers(sources.size)]
        targets = np.flatnonzero(candidates[source])
        preference = degree[targets] ** exponent
        target = targets[rng.choice(targets.size, p=preference / preference.sum())]
        candidates[source, target] = False
        n_candidates[source] -= 1
        degree[source] += 1.0
        degree[target] += 1.0
        added_pre[edge], added_post[edge] = source, target
    added_w = np.full(n_edges, float(new_weight)) if new_weight is not None else rng.choice(w, size=n_edges)
    is_added = np.concatenate([np.zeros(w.size, dtype=bool), np.ones(n_edges, dtype=bool)])
    return (np.concatenate([i, added_pre]), np.concatenate([j, added_post]), np.concatenate([w, added_w]),
            is_added)
