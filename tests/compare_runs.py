"""Compare the outputs of two plan runs value by value: every CSV, every GeoPackage layer, every GeoTIFF.

    python tests/compare_runs.py OUT_A OUT_B [--rtol 0]

Prints one line per output (``same`` or what differs) and exits 1 when any
CSV, GeoPackage layer or raster differs. With ``--rtol 0`` (the default)
numbers must be equal to the bit; geometries are compared as WKB. Text
outputs (report.md, map.html) are listed as same or changed, for information.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyogrio


def _short(value: object, width: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= width else text[:width] + f"… ({len(text)} characters)"


def _frames_differ(a: pd.DataFrame, b: pd.DataFrame, rtol: float) -> str | None:
    if list(a.columns) != list(b.columns):
        return f"columns differ: {sorted(set(a.columns) ^ set(b.columns)) or 'order'}"
    if len(a) != len(b):
        return f"rows differ: {len(a)} vs {len(b)}"
    for col in [c for c in a.columns if c != "update_time"]:  # the time a style row was written
        x, y = a[col], b[col]
        if col == "geometry" or getattr(x, "dtype", None) is not None and str(x.dtype) == "geometry":
            wa = [g.wkb if g is not None else None for g in x]
            wb = [g.wkb if g is not None else None for g in y]
            bad = sum(p != q for p, q in zip(wa, wb))
            if bad:
                return f"{bad} geometries differ in '{col}'"
            continue
        if pd.api.types.is_numeric_dtype(x) and pd.api.types.is_numeric_dtype(y):
            xv, yv = x.to_numpy(float), y.to_numpy(float)
            same = np.isclose(xv, yv, rtol=rtol, atol=0.0, equal_nan=True) if rtol else (
                (xv == yv) | (np.isnan(xv) & np.isnan(yv)))
            if not same.all():
                i = int(np.flatnonzero(~same)[0])
                return f"{int((~same).sum())} values differ in '{col}' (row {i}: {xv[i]!r} vs {yv[i]!r})"
        else:
            xs, ys = (np.array(["<missing>" if pd.isna(v) else str(v) for v in s], dtype=object) for s in (x, y))
            if (xs != ys).any():
                i = int(np.flatnonzero(xs != ys)[0])
                return (f"{int((xs != ys).sum())} values differ in '{col}' "
                        f"(row {i}: {_short(xs[i])} vs {_short(ys[i])})")
    return None


def compare(a: Path, b: Path, rtol: float = 0.0) -> list[tuple[str, str | None]]:
    """``(output, difference or None)`` for every CSV, GeoPackage layer and GeoTIFF in either folder."""
    results: list[tuple[str, str | None]] = []
    names = sorted({p.name for p in a.glob("*.csv")} | {p.name for p in b.glob("*.csv")})
    for name in names:
        if not (a / name).exists() or not (b / name).exists():
            results.append((name, "missing in one run"))
            continue
        fa = pd.read_csv(a / name, encoding="utf-8-sig", keep_default_na=False, na_values=[""])
        fb = pd.read_csv(b / name, encoding="utf-8-sig", keep_default_na=False, na_values=[""])
        results.append((name, _frames_differ(fa, fb, rtol)))
    ga, gb = a / "plan.gpkg", b / "plan.gpkg"
    la = [str(n) for n in pyogrio.list_layers(ga)[:, 0]] if ga.exists() else []
    lb = [str(n) for n in pyogrio.list_layers(gb)[:, 0]] if gb.exists() else []
    for layer in sorted(set(la) | set(lb)):
        if layer not in la or layer not in lb:
            results.append((f"plan.gpkg:{layer}", "missing in one run"))
            continue
        fa = pyogrio.read_dataframe(ga, layer=layer)
        fb = pyogrio.read_dataframe(gb, layer=layer)
        results.append((f"plan.gpkg:{layer}", _frames_differ(pd.DataFrame(fa), pd.DataFrame(fb), rtol)))
    for tif in sorted({p.name for p in a.glob("*.tif")} | {p.name for p in b.glob("*.tif")}):
        import rasterio

        if not (a / tif).exists() or not (b / tif).exists():
            results.append((tif, "missing in one run"))
            continue
        with rasterio.open(a / tif) as ra, rasterio.open(b / tif) as rb:
            xa, xb = ra.read(1), rb.read(1)
            if ra.transform != rb.transform or ra.crs != rb.crs or xa.shape != xb.shape:
                results.append((tif, "grid or CRS differs"))
                continue
            same = (xa == xb) | (np.isnan(xa) & np.isnan(xb))
            results.append((tif, None if same.all() else f"{int((~same).sum())} cells differ"))
    return results


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("a", type=Path)
    ap.add_argument("b", type=Path)
    ap.add_argument("--rtol", type=float, default=0.0, help="relative tolerance for numbers (0: bit-equal)")
    args = ap.parse_args(argv)
    results = compare(args.a, args.b, args.rtol)
    for name, diff in results:
        print(f"{'same   ' if diff is None else 'DIFFERS'} {name}" + (f": {diff}" if diff else ""))
    for text in ("report.md", "map.html"):
        pa, pb = args.a / text, args.b / text
        if pa.exists() and pb.exists():
            print(f"{'same   ' if pa.read_bytes() == pb.read_bytes() else 'changed'} {text} (text, for information)")
    n_bad = sum(d is not None for _, d in results)
    print(f"{len(results) - n_bad} of {len(results)} outputs value-identical")
    return 1 if n_bad else 0


if __name__ == "__main__":
    sys.exit(main())
