#!/usr/bin/python3
"""Train gateware/model/nets/digits.json, the 64-32-10 SC-SNN for the 8x8 digits data set.

Needs python3-numpy only (the data comes from tests/data/digits/digits.csv, which was
exported from python3-sklearn's load_digits; see tests/data/digits/README.md). Building and
testing hilbench never runs this script; it is here so the shipped network can be reproduced:

    /usr/bin/python3 gateware/model/train/train_digits.py          # writes nets/digits.json

Method (docs/network-format.md, "digits"):
 1. Train a rate model of the network in floating point: hidden rate h = clip(a1 * x W1, 0, 1)
    with x = pixel/16 and weights bounded to [-1, 1] (an SC weight is sign * m/128); softmax
    cross-entropy on the output drive; Adam; training split only.
 2. Quantise W1 to 7-bit magnitudes + sign; choose the layer-0 LIF parameters with the exact
    bit-level semantics (numpy re-implementation below, checked against the C model by the
    unit tests through the shipped file's accuracy).
 3. Re-fit W2 on the hidden spike counts the exact model produces (so the output layer learns
    the real, distorted hidden code), quantise it, choose the layer-1 parameters the same way.
 4. Report accuracy on the held-out split with the exact semantics at several L.
"""
import base64
import json
import os
import sys
import zlib

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
DATA = os.path.join(ROOT, "tests", "data", "digits", "digits.csv")
OUT = os.path.join(ROOT, "gateware", "model", "nets", "digits.json")

L = 256
IN_SEED, IN_STRIDE = 0xACE1, 7
SEEDS = [(0x1D87, 0x6C35), (0x2F4B, 0x5A93)]  # (wt_seed, wi_seed) per layer
RNG_SEED = 1998

# ---------------------------------------------------------------- exact semantics (numpy)


def lfsr_seq(seed, n):
    out = np.empty(n, dtype=np.int64)
    s = seed
    for t in range(n):
        out[t] = s
        fb = ((s >> 15) ^ (s >> 13) ^ (s >> 12) ^ (s >> 10)) & 1
        s = ((s << 1) & 0xFFFF) | fb
    return out


def wrap16(x):
    return ((x + 32768) & 0xFFFF) - 32768


def pixel_value(p):
    return (p * 65535 + 8) // 16


def encode(P, n_steps):
    """P: (S, 64) pixels 0..16 -> bool (S, 64, L) input bits."""
    v = pixel_value(P.astype(np.int64))
    states = np.stack([lfsr_seq((IN_SEED + IN_STRIDE * i) & 0xFFFF, n_steps) for i in range(P.shape[1])])
    return states[None, :, :] < v[:, :, None]


def layer_spikes(x, wbytes, p, wt_seed, wi_seed):
    """x: bool (S, n_in, L); wbytes: (n_out, n_in) uint8 -> bool spikes (S, n_out, L)."""
    S, n_in, n_steps = x.shape
    n_out = wbytes.shape[0]
    W = lfsr_seq(wt_seed, n_steps)
    Q = lfsr_seq(wi_seed, n_in)
    a7 = (W[None, :] ^ Q[:, None]) >> 9                  # (n_in, L)
    m = (wbytes & 0x7F).astype(np.int64)
    inh = (wbytes >> 7).astype(bool)
    b = a7[None, :, :] < m[:, :, None]                    # (n_out, n_in, L)
    bE = (b & ~inh[:, :, None]).astype(np.float32)
    bH = (b & inh[:, :, None]).astype(np.float32)
    xf = x.astype(np.float32)
    v = np.full((S, n_out), p["v_rest"], dtype=np.int64)
    rc = np.zeros((S, n_out), dtype=np.int64)
    out = np.zeros((S, n_out, n_steps), dtype=bool)
    for t in range(n_steps):
        E = np.rint(xf[:, :, t] @ bE[:, :, t].T).astype(np.int64)
        H = np.rint(xf[:, :, t] @ bH[:, :, t].T).astype(np.int64)
        I = np.clip((E - H) * p["i_scale"], -32768, 32767)
        dv_leak = wrap16(((p["v_rest"] - v) * p["leak"]) >> 8)
        dv_in = wrap16((I * p["gain"]) >> 8)
        v_next = wrap16(v + dv_leak + dv_in)
        refr = rc > 0
        spk = ~refr & (v_next >= p["v_th"])
        v = np.where(refr, p["v_rest"], np.where(spk, p["v_reset"], v_next))
        rc = np.where(refr, rc - 1, np.where(spk, p["refractory"], 0))
        out[:, :, t] = spk
    return out


def classify(counts):
    return np.argmax(counts, axis=1)  # ties -> lowest index, as the spec


# ---------------------------------------------------------------- helpers


def load():
    rows = [l for l in open(DATA) if not l.startswith("#")]
    a = np.array([[int(v) for v in r.split(",")] for r in rows])
    return a[:, 2:], a[:, 0], a[:, 1].astype(bool)


def quantise(w):
    """float weights in [-1, 1] -> bytes sign<<7 | round(|w|*128) (clipped to 127)."""
    m = np.clip(np.rint(np.abs(w) * 128), 0, 127).astype(np.uint8)
    return (np.where(w < 0, 0x80, 0).astype(np.uint8) | m)


def dequant(wb):
    return np.where(wb & 0x80, -1.0, 1.0) * (wb & 0x7F) / 128.0


def adam_fit(params, grad_fn, steps, lr):
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    for it in range(1, steps + 1):
        grads = grad_fn(params)
        for k, (p, g) in enumerate(zip(params, grads)):
            m[k] = 0.9 * m[k] + 0.1 * g
            v[k] = 0.999 * v[k] + 0.001 * g * g
            p -= lr * (m[k] / (1 - 0.9 ** it)) / (np.sqrt(v[k] / (1 - 0.999 ** it)) + 1e-8)
            np.clip(p, -127 / 128, 127 / 128, out=p)
    return params


def softmax_grad(z, y):
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    pr = e / e.sum(axis=1, keepdims=True)
    pr[np.arange(len(y)), y] -= 1
    return pr / len(y)


def layer_params(i_scale, v_th, leak, gain, refractory=0):
    return dict(i_scale=i_scale, v_th=v_th, v_reset=0, v_rest=0, leak=leak, gain=gain, refractory=refractory)


def main():
    P, y, held = load()
    tr, te = ~held, held
    rng = np.random.default_rng(RNG_SEED)
    X = P / 16.0
    A1, A2 = 0.35, 3.0   # rate model: h = clip(A1 * z1, 0, 1); logits = A2 * h W2

    # 1. float rate model (with rate noise so the net tolerates stochastic counts)
    W1 = rng.normal(0, 0.15, (64, 32))
    W2 = rng.normal(0, 0.3, (32, 10))
    Xtr, ytr = X[tr], y[tr]

    def grads(ps):
        W1, W2 = ps
        z1 = Xtr @ W1
        h = np.clip(A1 * z1, 0, 1)
        hn = np.clip(h + rng.normal(0, 1, h.shape) * np.sqrt(h * (1 - h) / L + 1e-6), 0, 1)
        g = softmax_grad(A2 * hn @ W2, ytr) * A2
        gW2 = hn.T @ g
        gh = g @ W2.T * ((A1 * z1 > 0) & (A1 * z1 < 1))
        return [Xtr.T @ gh * A1, gW2]

    W1, W2 = adam_fit([W1, W2], grads, 3000, 0.01)
    h = np.clip(A1 * (X @ W1), 0, 1)
    acc_f = (np.argmax(h @ W2, 1) == y)[te].mean()
    print(f"float rate model: held-out accuracy {acc_f:.4f}")

    # 2. quantise layer 0 and pick its LIF parameters with the exact semantics
    wb1 = quantise(W1.T)                       # (32, 64), row-major neuron j then input i
    xbits = encode(P, L)
    best = None
    # dv_in = 64 (E - H) per step, so rate ~ A1 z1 needs v_th ~ 64 / A1; the leak keeps a
    # negative drive from running the 16-bit membrane into wraparound.
    for v_th, leak in [(160, 8), (183, 8), (208, 8), (160, 16), (183, 16), (208, 16), (256, 16)]:
        p1 = layer_params(256, v_th, leak, 64)
        s1 = layer_spikes(xbits[tr], wb1, p1, *SEEDS[0])
        h1 = s1.sum(2) / L
        # linear read-out fit quality as the criterion
        W2f = np.linalg.lstsq(np.c_[h1], np.eye(10)[ytr], rcond=None)[0]
        acc = (np.argmax(h1 @ W2f, 1) == ytr).mean()
        print(f"  layer 0 v_th={v_th} leak={leak}: mean rate {h1.mean():.3f}, linear read-out train acc {acc:.4f}")
        if best is None or acc > best[0]:
            best = (acc, p1)
    p1 = best[1]
    h_all = layer_spikes(xbits, wb1, p1, *SEEDS[0])
    H = h_all.sum(2) / L

    # 3. re-fit W2 on the exact hidden rates, quantise, choose layer-1 parameters
    Htr = H[tr]
    W2r = W2.copy()

    def grads2(ps):
        (W2r,) = ps
        g = softmax_grad(A2 * Htr @ W2r, ytr) * A2
        return [Htr.T @ g]

    (W2r,) = adam_fit([W2r], grads2, 2000, 0.01)
    wb2 = quantise(W2r.T)                      # (10, 32)
    best = None
    for i_scale, v_th, leak in [(256, 64, 8), (256, 128, 8), (256, 256, 8), (256, 64, 16), (256, 128, 16), (256, 256, 16)]:
        p2 = layer_params(i_scale, v_th, leak, 64)
        s2 = layer_spikes(h_all[tr], wb2, p2, *SEEDS[1])
        acc = (classify(s2.sum(2)) == ytr).mean()
        print(f"  layer 1 i_scale={i_scale} v_th={v_th} leak={leak}: train acc {acc:.4f}")
        if best is None or acc > best[0]:
            best = (acc, p2)
    p2 = best[1]

    # 4. held-out accuracy with the exact semantics at several L
    for n in (32, 64, 128, 256, 512):
        xb = encode(P[te], n)
        s1 = layer_spikes(xb, wb1, p1, *SEEDS[0])
        s2 = layer_spikes(s1, wb2, p2, *SEEDS[1])
        acc = (classify(s2.sum(2)) == y[te]).mean()
        print(f"exact model, held-out ({te.sum()} samples), L={n}: accuracy {acc:.4f}")

    net = {
        "format": "hilbench-snn-1",
        "name": "digits",
        "description": "64-32-10 SC-SNN for the 8x8 digits (sklearn load_digits); trained by "
                       "gateware/model/train/train_digits.py on the training split of "
                       "tests/data/digits/digits.csv",
        "license": "BSD-3-Clause (trained on scikit-learn's digits data, see tests/data/digits/README.md)",
        "L": L, "in_seed": f"0x{IN_SEED:04X}", "in_stride": IN_STRIDE,
        "layers": [],
    }
    for (wb, p, (wt, wi)) in ((wb1, p1, SEEDS[0]), (wb2, p2, SEEDS[1])):
        raw = wb.astype(np.uint8).tobytes()
        net["layers"].append(dict(
            n_in=int(wb.shape[1]), n_out=int(wb.shape[0]),
            wt_seed=f"0x{wt:04X}", wi_seed=f"0x{wi:04X}",
            **{k: int(p[k]) for k in ("i_scale", "v_th", "v_reset", "v_rest", "leak", "gain", "refractory")},
            weights_crc32=f"0x{zlib.crc32(raw):08X}",
            weights_base64=base64.b64encode(raw).decode()))
    with open(OUT if len(sys.argv) < 2 else sys.argv[1], "w") as f:
        json.dump(net, f, indent=2)
        f.write("\n")
    print("wrote", OUT if len(sys.argv) < 2 else sys.argv[1])


if __name__ == "__main__":
    main()
