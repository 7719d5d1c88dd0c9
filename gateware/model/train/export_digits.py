#!/usr/bin/python3
"""Regenerate tests/data/digits/digits.csv from scikit-learn's copy of the digits data.

Needs python3-sklearn and python3-numpy (Debian); building and testing hilbench do not.

    /usr/bin/python3 gateware/model/train/export_digits.py

Columns: label,split,p0..p63. The held-out split (split = 1) is the first 30 % (539) of
numpy.random.default_rng(20261128).permutation(1797); the file stores it, so the split
does not depend on numpy's generator staying the same once the file is committed.
"""
import os

import numpy as np
from sklearn.datasets import load_digits

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", ".."))
OUT = os.path.join(ROOT, "tests", "data", "digits", "digits.csv")
SPLIT_SEED = 20261128


def main():
    d = load_digits()
    X = d.data.astype(int)
    y = d.target
    n = len(y)
    perm = np.random.default_rng(SPLIT_SEED).permutation(n)
    held = np.zeros(n, dtype=int)
    held[perm[: (3 * n) // 10]] = 1
    with open(OUT, "w") as f:
        f.write("# The 8x8 handwritten digits data set (1797 samples), as shipped by scikit-learn\n")
        f.write("# (sklearn.datasets.load_digits; BSD-3-Clause), a copy of the test part of the UCI\n")
        f.write("# 'Optical Recognition of Handwritten Digits' data set (Alpaydin & Kaynak, 1998).\n")
        f.write("# See tests/data/digits/README.md. Columns: label,split,p0..p63\n")
        f.write("# label 0..9; split 1 = held-out (test), 0 = training; pixels 0..16, row-major 8x8.\n")
        for i in range(n):
            f.write(",".join(map(str, [y[i], held[i]] + list(X[i]))) + "\n")
    print(f"wrote {OUT}: {n} samples, {held.sum()} held-out")


if __name__ == "__main__":
    main()
