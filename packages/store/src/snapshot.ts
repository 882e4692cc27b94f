import { closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from "node:fs";
import { VectorMatrix } from "./matrix.ts";

/**
 * Snapshots of a collection's in-memory copy, so a restart does not re-read every vector out of
 * SQLite (the slow part of a cold start at 300k points). A snapshot is only a cache: SQLite stays
 * the source of truth, and a snapshot is used only when its collection uid and version equal the
 * database's, so a stale or half-written one (written to a temp name, then renamed) is ignored.
 *
 * Layout: "CXRSNAP1", u32 header length, header JSON (uid, version, dimension, ids, field values,
 * block shapes), zero padding to a multiple of 4, then each block's column-major float32 data.
 */

const MAGIC = "CXRSNAP1";

export interface SnapshotContent {
  uid: string;
  version: number;
  dimension: number;
  ids: string[];
  values: Array<Array<string | null>>;
  matrix: VectorMatrix;
}

export function writeSnapshot(file: string, content: SnapshotContent): void {
  const blocks = content.matrix.exportBlocks();
  const header = Buffer.from(
    JSON.stringify({
      uid: content.uid,
      version: content.version,
      dimension: content.dimension,
      ids: content.ids,
      values: content.values,
      blocks: blocks.map((b) => ({ capacity: b.capacity, used: b.used })),
    }),
  );
  const prefix = Buffer.alloc(MAGIC.length + 4);
  prefix.write(MAGIC, 0, "ascii");
  prefix.writeUInt32LE(header.length, MAGIC.length);
  const pad = Buffer.alloc((4 - ((prefix.length + header.length) % 4)) % 4);
  const tmp = `${file}.${process.pid}.tmp`;
  const fd = openSync(tmp, "w");
  let written = false;
  try {
    writeSync(fd, prefix);
    writeSync(fd, header);
    writeSync(fd, pad);
    for (const b of blocks) {
      const bytes = new Uint8Array(b.data.buffer, b.data.byteOffset, b.data.byteLength);
      for (let off = 0; off < bytes.length; off += 1 << 26) {
        writeSync(fd, bytes, off, Math.min(1 << 26, bytes.length - off));
      }
    }
    // On disk before the rename: otherwise a power loss can leave the new name on a file whose
    // blocks never reached the disk (zeros), which would pass the uid/version check.
    fsyncSync(fd);
    written = true;
  } finally {
    closeSync(fd);
    // A failed write (disk full) must not leave a partial copy of every vector behind.
    if (!written) rmSync(tmp, { force: true });
  }
  renameSync(tmp, file);
}

/** The snapshot's content if it exists and matches (uid, version), else null. */
export function readSnapshot(
  file: string,
  uid: string,
  version: number,
  threads: number,
): SnapshotContent | null {
  let buf: Buffer;
  try {
    buf = readFileSync(file);
  } catch {
    return null;
  }
  try {
    if (buf.toString("ascii", 0, MAGIC.length) !== MAGIC) return null;
    const len = buf.readUInt32LE(MAGIC.length);
    const start = MAGIC.length + 4;
    const header = JSON.parse(buf.toString("utf8", start, start + len)) as {
      uid: string;
      version: number;
      dimension: number;
      ids: string[];
      values: Array<Array<string | null>>;
      blocks: Array<{ capacity: number; used: number }>;
    };
    if (header.uid !== uid || header.version !== version) return null;
    let offset = start + len;
    offset += (4 - (offset % 4)) % 4;
    const blocks = header.blocks.map((b) => {
      const n = b.capacity * header.dimension;
      if (offset + n * 4 > buf.length) throw new Error("truncated snapshot");
      // readFileSync's buffer owns its memory; views at 4-aligned offsets need no copy.
      const data = new Float32Array(buf.buffer, buf.byteOffset + offset, n);
      offset += n * 4;
      return { ...b, data };
    });
    const matrix = VectorMatrix.fromBlocks(header.dimension, threads, blocks);
    if (matrix.size !== header.ids.length) return null;
    return { uid, version, dimension: header.dimension, ids: header.ids, values: header.values, matrix };
  } catch {
    return null;
  }
}

export function removeSnapshot(file: string): void {
  rmSync(file, { force: true });
}
