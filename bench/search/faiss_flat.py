"""FAISS IndexFlatIP reference for bench/search: the same vectors and queries as the TypeScript side.

Usage: /usr/bin/python3 faiss_flat.py BASE.f32 QUERIES.f32 DIM N K SINGLE_QUERIES BATCH THREADS OUT_IDS.i64
Prints one JSON line: single-query latency and batched throughput, one thread by default.
"""
import json
import sys
import time

import faiss
import numpy as np

base_path, query_path, dim, n, k, singles, batch, threads, out_ids = sys.argv[1:10]
dim, n, k, singles, batch, threads = map(int, (dim, n, k, singles, batch, threads))
faiss.omp_set_num_threads(threads)

base = np.fromfile(base_path, dtype=np.float32, count=n * dim).reshape(n, dim)
queries = np.fromfile(query_path, dtype=np.float32).reshape(-1, dim)
t = time.perf_counter()
index = faiss.IndexFlatIP(dim)
index.add(base)
add_s = time.perf_counter() - t

index.search(queries[:1], k)  # warm-up
lat = []
for i in range(singles):
    t = time.perf_counter()
    index.search(queries[i : i + 1], k)
    lat.append((time.perf_counter() - t) * 1000)

qb = queries[:batch]
index.search(qb, k)  # warm-up of the BLAS path
t = time.perf_counter()
_, ids = index.search(qb, k)
batch_s = time.perf_counter() - t
ids.astype(np.int64).tofile(out_ids)

lat.sort()
print(
    json.dumps(
        {
            "faiss": faiss.__version__,
            "add_s": add_s,
            "single_mean_ms": sum(lat) / len(lat),
            "single_p50_ms": lat[len(lat) // 2],
            "batch_qps": batch / batch_s,
        }
    )
)
