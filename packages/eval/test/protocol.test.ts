import { describe, expect, it } from "vitest";
import { canonicalJson } from "../src/canonical.ts";
import { canonicalProtocol, ProtocolError, parseProtocol, protocolKey } from "../src/protocol.ts";

describe("protocol v1", () => {
  it("fills every default", () => {
    const p = parseProtocol();
    expect(p).toEqual({
      version: "cxr-bench/1",
      corruption: { family: "occlusion", grid: 8, fill: "black", pattern: "cells" },
      levels: [0, 0.1, 0.2, 0.3, 0.4, 0.5],
      seed: 0,
      textField: "impression",
      corpus: { split: "test", distractorSplits: [] },
      views: ["frontal"],
      recallAt: [1, 5, 10],
      bootstrap: { samples: 1000, confidence: 0.95 },
    });
  });

  it("defaults severity levels for other families and validates them", () => {
    expect(parseProtocol({ corruption: { family: "jpeg" } }).levels).toEqual([0, 1, 2, 3, 4, 5]);
    expect(() => parseProtocol({ corruption: { family: "jpeg" }, levels: [0, 1.5] })).toThrow(ProtocolError);
    expect(() => parseProtocol({ levels: [0, 1.2] })).toThrow(/outside \[0, 1\]/);
    expect(() => parseProtocol({ corruption: { family: "occlusion", grid: 0 } })).toThrow(/corruption.grid/);
    expect(() => parseProtocol({ textField: "title" as never })).toThrow(/textField/);
  });

  it("canonical JSON sorts keys and the key ignores input order and duplicates", () => {
    expect(canonicalJson({ b: 1, a: [2, { d: 1, c: null }], e: undefined })).toBe(
      '{"a":[2,{"c":null,"d":1}],"b":1}',
    );
    const a = parseProtocol({ levels: [0.5, 0, 0.1, 0.1], views: ["lateral", "frontal"] });
    const b = parseProtocol({ views: ["frontal", "lateral"], levels: [0, 0.1, 0.5] });
    expect(canonicalProtocol(a)).toBe(canonicalProtocol(b));
    expect(protocolKey(a)).toBe(protocolKey(b));
    expect(protocolKey(a)).toMatch(/^[0-9a-f]{64}$/);
  });

  it("every parameter changes the key", () => {
    const base = protocolKey(parseProtocol());
    const variants = [
      { seed: 1 },
      { levels: [0, 0.25] },
      { corruption: { family: "occlusion" as const, fill: "mean" as const } },
      { corruption: { family: "occlusion" as const, pattern: "block" as const } },
      { corruption: { family: "occlusion" as const, grid: 4 } },
      { textField: "findings" as const },
      { corpus: { distractorSplits: ["train"] } },
      { views: ["frontal" as const, "lateral" as const] },
      { bootstrap: { samples: 500 } },
    ];
    const keys = variants.map((v) => protocolKey(parseProtocol(v)));
    for (const k of keys) expect(k).not.toBe(base);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it("pins the key of the default protocol", () => {
    // Changing any default or the canonical form changes every stored key: do it only with a new version.
    expect(canonicalProtocol(parseProtocol())).toBe(
      '{"bootstrap":{"confidence":0.95,"samples":1000},"corpus":{"distractorSplits":[],"split":"test"},"corruption":{"family":"occlusion","fill":"black","grid":8,"pattern":"cells"},"levels":[0,0.1,0.2,0.3,0.4,0.5],"recallAt":[1,5,10],"seed":0,"textField":"impression","version":"cxr-bench/1","views":["frontal"]}',
    );
  });
});
