"""China's highway graph from the ``scgraph-data`` wheel, read as text, for the benchmarks.

The wheel (MIT, OpenStreetMap-derived; ``pip download --no-deps scgraph-data==2.0.0``)
holds ``scgraph_data/world_highways.py``, a Python source file of the form::

    graph=[{1: 1.233, 2: 0.852}, {0: 1.233, 3: 0.104, 4: 0.111}, ...]   # per node: {neighbour: km}
    nodes=[[21.04, 105.866], [21.036, 105.855], ...]                      # per node: [lat, lon]

It is parsed here with regular expressions and NumPy (importing it would need
``scgraph`` and build a million Python dicts), then cut to China's bounding
box and to its largest connected part. Lengths are kilometres; the benchmark
turns them into minutes at one speed (the file has no road classes), so the
graph's hierarchy is its topology: a sparse national highway mesh with dense
city clusters.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import connected_components

#: lon/lat box of mainland China, Hainan and Taiwan (a box: a few border roads of the neighbours come along)
CHINA_BOX = (73.5, 18.0, 135.1, 53.6)
MEMBER = "scgraph_data/world_highways.py"
_PAIR = re.compile(rb"(\d+): ([0-9.eE+-]+)")
_NUM = re.compile(rb"-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?")


def read_text(wheel: str | Path) -> bytes:
    """The member's bytes, from the wheel (a zip) or from an unpacked ``.py`` file."""
    wheel = Path(wheel)
    if wheel.suffix == ".py":
        return wheel.read_bytes()
    with zipfile.ZipFile(wheel) as zf:
        return zf.read(MEMBER)


def parse(text: bytes) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(lonlat, u, v, km)``: node coordinates and one row per adjacency entry (both directions as listed)."""
    g0 = text.index(b"graph=[") + len(b"graph=[")
    n0 = text.index(b"\nnodes=[", g0)
    gtext = text[g0:n0]
    ntext = text[n0 + len(b"\nnodes=["):text.index(b"\n", n0 + 1)]
    latlon = np.array(_NUM.findall(ntext), dtype=np.float64).reshape(-1, 2)
    pairs = _PAIR.findall(gtext)
    raw = np.frombuffer(gtext, dtype=np.uint8)
    opens = np.flatnonzero(raw == ord("{"))
    colons = np.flatnonzero(raw == ord(":"))
    if len(colons) != len(pairs) or len(opens) != len(latlon):
        raise ValueError(f"unexpected layout: {len(opens)} rows for {len(latlon)} nodes, "
                         f"{len(pairs)} pairs for {len(colons)} colons")
    u = np.searchsorted(opens, colons, side="right") - 1  # the row each pair sits in
    v = np.array([p[0] for p in pairs], dtype=np.int64)
    km = np.array([p[1] for p in pairs], dtype="S32").astype(np.float64)
    return latlon[:, ::-1].copy(), u.astype(np.int64), v, km


def china_highways(wheel: str | Path, box: tuple[float, float, float, float] = CHINA_BOX
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(lonlat, u, v, km)`` of the largest connected part of the highway graph inside ``box``.

    Nodes are renumbered ``0 … n-1``; each undirected edge appears once (``u < v``), with the
    shortest of its listed lengths; self-loops are dropped.
    """
    lonlat, u, v, km = parse(read_text(wheel))
    x0, y0, x1, y1 = box
    inside = (lonlat[:, 0] >= x0) & (lonlat[:, 0] <= x1) & (lonlat[:, 1] >= y0) & (lonlat[:, 1] <= y1)
    keep = inside[u] & inside[v] & (u != v)
    a, b, km = np.minimum(u[keep], v[keep]), np.maximum(u[keep], v[keep]), km[keep]
    order = np.lexsort((km, b, a))
    a, b, km = a[order], b[order], km[order]
    first = np.ones(len(a), dtype=bool)
    first[1:] = (a[1:] != a[:-1]) | (b[1:] != b[:-1])
    a, b, km = a[first], b[first], km[first]
    n = len(lonlat)
    g = sparse.csr_matrix((np.ones(len(a)), (a, b)), shape=(n, n))
    _, lab = connected_components(g, directed=False)
    main = np.bincount(lab[a]).argmax()
    node = np.flatnonzero(lab == main)
    new = np.full(n, -1, dtype=np.int64)
    new[node] = np.arange(len(node))
    sel = lab[a] == main
    return lonlat[node], new[a[sel]], new[b[sel]], km[sel]


if __name__ == "__main__":
    import sys

    ll, uu, vv, kk = china_highways(sys.argv[1])
    print(f"{len(ll):,} nodes, {len(uu):,} edges, {kk.sum():,.0f} km")
