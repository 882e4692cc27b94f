import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { permutation, Sfc32 } from "../src/prng.ts";

// An independent implementation of the README's description, in Python (standard library only).
const PY = `
import hashlib, struct, sys, json
def sfc32(label):
    a, b, c, d = struct.unpack('<4I', hashlib.sha256(label.encode()).digest()[:16])
    M = 0xffffffff
    def nxt():
        nonlocal a, b, c, d
        t = (a + b + d) & M
        d = (d + 1) & M
        a = b ^ (b >> 9)
        b = (c + (c << 3)) & M
        c = ((c << 21) | (c >> 11)) & M
        c = (c + t) & M
        return t
    for _ in range(12): nxt()
    return nxt
out = {}
r = sfc32('0:img-1')
out['stream'] = [r() for _ in range(8)]
r = sfc32('42:p10/p10000032/s50414267/02aa804e.jpg')
p = list(range(64))
for i in range(63, 0, -1):
    j = (r() * (i + 1)) >> 32
    p[i], p[j] = p[j], p[i]
out['perm'] = p
print(json.dumps(out))
`;

describe("sfc32 seeded from sha256", () => {
  it("is a permutation and differs by label", () => {
    const p = permutation(64, Sfc32.fromLabel("0:a"));
    expect([...p].sort((x, y) => x - y)).toEqual(Array.from({ length: 64 }, (_, i) => i));
    expect([...permutation(64, Sfc32.fromLabel("0:b"))]).not.toEqual([...p]);
    expect([...permutation(64, Sfc32.fromLabel("0:a"))]).toEqual([...p]);
  });

  it("fill continues the same stream as nextUint32", () => {
    const a = Sfc32.fromLabel("s");
    const b = Sfc32.fromLabel("s");
    const one = Array.from({ length: 20 }, () => a.nextUint32());
    const filled = [...b.fill(new Uint32Array(7)), ...b.fill(new Uint32Array(13))];
    expect(filled).toEqual(one);
    expect(b.nextUint32()).toBe(a.nextUint32());
  });

  it("nextBelow stays in range", () => {
    const r = Sfc32.fromLabel("x");
    for (let i = 0; i < 1000; i++) {
      const v = r.nextBelow(7);
      expect(v >= 0 && v < 7 && Number.isInteger(v)).toBe(true);
    }
  });

  const python = "/usr/bin/python3";
  it.skipIf(!existsSync(python))(
    "matches an independent Python implementation of the documented PRNG",
    () => {
      const res = spawnSync(python, ["-c", PY], { encoding: "utf8" });
      expect(res.status, res.stderr).toBe(0);
      const want = JSON.parse(res.stdout) as { stream: number[]; perm: number[] };
      const r = Sfc32.fromLabel("0:img-1");
      expect(Array.from({ length: 8 }, () => r.nextUint32())).toEqual(want.stream);
      expect([...permutation(64, Sfc32.fromLabel("42:p10/p10000032/s50414267/02aa804e.jpg"))]).toEqual(
        want.perm,
      );
    },
  );
});
