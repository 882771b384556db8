"""The compiled shortest-path search of :mod:`collabnet.paths` (numba caches the machine code on disk)."""
import numpy as np
from numba import njit


@njit(cache=True)
def _cmp_epsilon(a, b, eps):
    """-1, 0 or 1 as a is less than, equal to (within a relative ``eps``) or greater than b."""
    if a == b:
        return 0
    diff = a - b
    if abs(diff) / (abs(a) + abs(b)) < eps:
        return 0
    return -1 if diff < 0 else 1


@njit(cache=True)
def _before(dist, a, b):
    """Whether node a comes off the heap before node b: nearer, or as near and numbered lower."""
    da, db = dist[np.uint64(a)], dist[np.uint64(b)]   # (unsigned: no wraparound test)
    return da < db or (da == db and a < b)


ONE = np.uint64(1)


@njit(cache=True)
def _up(heap, pos, dist, i):
    """Move the heap's entry at i up to its place (its distance has fallen or it is new).  Positions are
    unsigned here and in :func:`_take`: no wraparound test of a negative index on every load."""
    i = np.uint64(i)
    v = heap[i]
    while i > 0:
        p = (i - ONE) >> ONE
        u = heap[p]
        if not _before(dist, v, u):
            break
        heap[i] = u
        pos[u] = i
        i = p
    heap[i] = v
    pos[v] = i


@njit(cache=True)
def _take(heap, pos, dist, size):
    """(node, new size): the heap's first node, taken off (its last entry sifts down from the root)."""
    top = heap[0]
    pos[top] = -1
    size -= 1
    if size > 0:
        n = np.uint64(size)
        v = heap[n]
        i = np.uint64(0)
        while True:
            c = i + i + ONE
            if c >= n:
                break
            if c + ONE < n and _before(dist, heap[c + ONE], heap[c]):
                c += ONE
            if not _before(dist, heap[c], v):
                break
            heap[i] = heap[c]
            pos[heap[i]] = i
            i = c
        heap[i] = v
        pos[v] = i
    return top, size


@njit(cache=True)
def search(indptr, indices, length, sources, eps, bet, source_sum, reached, node_sum):
    n = len(indptr) - 1
    dist = np.full(n, np.inf)
    sigma = np.zeros(n)       # shortest paths from the source
    delta = np.zeros(n)       # pair dependencies of the source
    order = np.empty(n, np.int64)          # the nodes in the order their distance became final
    done = np.zeros(n, np.bool_)
    heap = np.empty(n, np.int64)   # nodes whose distance is not final, a binary heap by (distance, node)
    pos = np.full(n, -1, np.int64)  # each node's place in the heap (-1: not in it)
    # each node's predecessors (neighbours on its shortest paths, one link nearer the source) as a linked
    # list: first[w] the latest entry, pred_node an entry's node, pred_next the entry before it (-1:
    # none).  A shorter path found to w starts a new list; at most one entry a link.
    first = np.full(n, -1, np.int64)
    pred_node = np.empty(len(indices), np.int64)
    pred_next = np.empty(len(indices), np.int64)
    far = 1.0 + 4.0 * eps   # alt > dist * far: alt is longer than dist by more than the relative eps
    for si in range(len(sources)):
        s = sources[si]
        source = np.uint64(s)
        dist[s] = 0.0
        sigma[s] = 1.0
        heap[0] = s
        pos[s] = 0
        size = 1
        top = 0
        entries = 0
        while size > 0:
            v, size = _take(heap, pos, dist, size)
            d = dist[v]
            done[v] = True
            order[top] = v
            top += 1
            # (unsigned positions: no wraparound test of a negative index on every load)
            for e in range(np.uint64(indptr[v]), np.uint64(indptr[v + 1])):
                w = np.uint64(indices[e])
                alt = d + length[e]
                dw = dist[w]
                # clearly longer (no division; always false while dw is infinite), which every node whose
                # distance is final almost always is: tested first, the branch is rarely mispredicted
                if alt > dw * far or done[w]:
                    continue
                c = -1 if dw == np.inf else _cmp_epsilon(alt, dw, eps)
                if c < 0:      # a shorter path: w's paths are v's
                    dist[w] = alt
                    sigma[w] = sigma[v]
                    if pos[w] < 0:
                        heap[size] = w
                        size += 1
                        _up(heap, pos, dist, size - 1)
                    else:
                        _up(heap, pos, dist, pos[w])
                    pred_next[entries] = -1
                elif c == 0:   # as short: v's paths join w's
                    sigma[w] += sigma[v]
                    pred_next[entries] = first[w]
                else:
                    continue
                pred_node[entries] = v
                first[w] = entries
                entries += 1
        # dependencies, farthest node first, passed to each node's predecessors (those strictly nearer
        # the source and one link length away: a link too short to tell the two distances apart passes
        # nothing)
        total = 0.0
        for j in range(top - 1, -1, -1):
            w = np.uint64(order[j])
            dw = dist[w]
            total += dw
            node_sum[w] += dw
            coeff = (1.0 + delta[w]) / sigma[w]
            p = first[w]
            while p >= 0:
                v = np.uint64(pred_node[np.uint64(p)])
                if dist[v] < dw:
                    delta[v] += sigma[v] * coeff
                p = pred_next[np.uint64(p)]
            if w != source:
                bet[w] += delta[w]
        source_sum[si] = total
        reached[si] = top
        for j in range(top):
            w = order[j]
            dist[w] = np.inf
            sigma[w] = 0.0
            delta[w] = 0.0
            done[w] = False
            first[w] = -1
