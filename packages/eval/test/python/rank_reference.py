"""Independent reference for @cxr/eval's ranking, metrics and bootstrap (numpy only).

Reads a case written by test/numpy.test.ts from the folder given as argv[1]:
  queries.f32, candidates.f32 (little-endian float32, row-major, already L2-normalised),
  case.json: {dim, nq, nc, positives: [[...]], tie: [...], groups: [...], recallAt, bootstrap, eps}
Writes JSON to stdout: ranks, metrics, ci, ambiguous (queries whose best positive is within eps of
another candidate's score, where float rounding may legitimately order them differently).
"""
import hashlib
import json
import struct
import sys

import numpy as np

folder = sys.argv[1]
case = json.load(open(f"{folder}/case.json"))
dim, nq, nc = case["dim"], case["nq"], case["nc"]
Q = np.fromfile(f"{folder}/queries.f32", dtype="<f4").reshape(nq, dim).astype(np.float64)
C = np.fromfile(f"{folder}/candidates.f32", dtype="<f4").reshape(nc, dim).astype(np.float64)
tie = np.asarray(case["tie"], dtype=np.int64)
S = Q @ C.T  # float64 scores from the float32 inputs
eps = case["eps"]

ranks = np.empty(nq, dtype=np.int64)
ambiguous = []
for q in range(nq):
    s = S[q]
    best = None
    for p in case["positives"][q]:
        pos = int(np.sum(s > s[p]) + np.sum((s == s[p]) & (tie < tie[p]))) + 1
        best = pos if best is None else min(best, pos)
        if eps > 0:
            near = np.abs(s - s[p]) <= eps
            near[p] = False
            if near.any():
                ambiguous.append(q)
    ranks[q] = best


def metrics(r):
    out = {f"recall@{k}": float(np.mean(r <= k)) for k in case["recallAt"]}
    out["mrr"] = float(np.mean(1.0 / r))
    out["medianRank"] = float(np.median(r))
    out["meanRank"] = float(np.mean(r))
    return out


def sfc32(label):
    a, b, c, d = struct.unpack("<4I", hashlib.sha256(label.encode()).digest()[:16])
    M = 0xFFFFFFFF

    def nxt():
        nonlocal a, b, c, d
        t = (a + b + d) & M
        d = (d + 1) & M
        a = b ^ (b >> 9)
        b = (c + (c << 3)) & M
        c = ((c << 21) | (c >> 11)) & M
        c = (c + t) & M
        return t

    for _ in range(12):
        nxt()
    return nxt


ci = None
bs = case.get("bootstrap")
if bs:
    groups = case["groups"]
    ids = sorted(set(groups))  # Python sorts str by code point; the ids here are ASCII
    members = {g: [] for g in ids}
    for q, g in enumerate(groups):
        members[g].append(q)
    rng = sfc32(f"{bs['seed']}:bootstrap:{bs['direction']}")
    G = len(ids)
    reps = {name: [] for name in metrics(ranks)}
    for _ in range(bs["samples"]):
        draws = [(rng() * G) >> 32 for _ in range(G)]
        idx = np.concatenate([members[ids[g]] for g in draws])
        for name, v in metrics(ranks[idx]).items():
            reps[name].append(v)
    a = (1 - bs["confidence"]) / 2
    ci = {
        name: {"low": float(np.percentile(v, 100 * a)), "high": float(np.percentile(v, 100 * (1 - a)))}
        for name, v in reps.items()
    }

json.dump({"ranks": ranks.tolist(), "metrics": metrics(ranks), "ci": ci, "ambiguous": sorted(set(ambiguous))}, sys.stdout)
