import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { decodeImage, encodePng, makeImage } from "@cxr/encoders";
import { afterAll, describe, expect, it } from "vitest";
import { UploadError, UploadStore } from "../src/index.ts";
import { fixtureImage } from "../src/testing/index.ts";

const work = mkdtempSync(path.join(tmpdir(), "cxr-uploads-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));
let n = 0;
const fresh = () => path.join(work, `u${++n}`);

async function refusal(promise: Promise<unknown>): Promise<UploadError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(UploadError);
  return error as UploadError;
}

describe("UploadStore", () => {
  it("keeps an image under the sha256 of its bytes, once, and reads back the same pixels", async () => {
    const store = new UploadStore(fresh());
    const png = fixtureImage(2, 1, 20);
    const first = await store.save(png);
    expect(first).toMatchObject({ width: 20, height: 20, format: "png" });
    expect((await store.save(png)).id).toBe(first.id);
    expect(readdirSync(store.dir)).toEqual([`${first.id}.png`]);
    const back = await decodeImage(await store.read(first.id));
    expect(Array.from(back.data)).toEqual(Array.from((await decodeImage(png)).data));
  });

  it("keeps 16-bit grey as 16-bit", async () => {
    const store = new UploadStore(fresh());
    const values = Int32Array.from({ length: 12 }, (_, i) => i * 5000 + 7);
    const saved = await store.save(await encodePng(makeImage("I", 4, 3, values)));
    const back = await decodeImage(await store.read(saved.id));
    expect(back.mode).toBe("I");
    expect(Array.from(back.data)).toEqual(Array.from(values));
  });

  it("forgets an upload once its time to live has passed", async () => {
    const store = new UploadStore(fresh(), { ttlMs: 1000 });
    const t0 = new Date("2026-01-01T00:00:00Z");
    const saved = await store.save(fixtureImage(1, 0, 16), t0);
    expect(saved.expiresAt.getTime()).toBe(t0.getTime() + 1000);
    await store.read(saved.id, new Date(t0.getTime() + 999));
    expect(await store.purgeExpired(new Date(t0.getTime() + 500))).toBe(0);
    expect(await store.purgeExpired(new Date(t0.getTime() + 1000))).toBe(1);
    expect((await refusal(store.read(saved.id, new Date(t0.getTime() + 1000)))).code).toBe("UNKNOWN_UPLOAD");
  });

  it("refuses what it cannot use with a typed error, and writes nothing", async () => {
    const store = new UploadStore(fresh(), { maxBytes: 4096, maxPixels: 10_000 });
    expect((await refusal(store.save(new Uint8Array(0)))).code).toBe("EMPTY");
    expect((await refusal(store.save(new Uint8Array(5000)))).code).toBe("TOO_LARGE");
    expect((await refusal(store.save(fixtureImage(0, 0, 101)))).code).toBe("TOO_LARGE");
    expect((await refusal(store.save(Buffer.from("<html>not a png</html>")))).code).toBe(
      "UNSUPPORTED_FORMAT",
    );
    const png = fixtureImage(0, 0, 32);
    expect(["TRUNCATED", "CORRUPT"]).toContain((await refusal(store.save(png.subarray(0, 60)))).code);
    expect((await refusal(store.read("../../etc/passwd"))).code).toBe("UNKNOWN_UPLOAD");
    expect(() => readdirSync(store.dir)).toThrow();
  });
});
