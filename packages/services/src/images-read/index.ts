import { readFile } from "node:fs/promises";
import type { Database } from "@cxr/db";
import { decodeImage, encodePng, isDicom, isImageDecodeError } from "@cxr/encoders";
import { CatalogError } from "../datasets-read/errors.ts";

/**
 * An indexed image's pixels for a viewer: the original file (PNG and JPEG as stored; DICOM rendered
 * to PNG, since browsers cannot show it and its tags must not leave the server) or a preview, a PNG
 * whose longer side is at most `PREVIEW_SIDE`.
 */

export const PREVIEW_SIDE = 512;

export interface RenderedImage {
  bytes: Buffer;
  contentType: "image/png" | "image/jpeg";
}

export async function renderImage(
  db: Pick<Database, "prisma">,
  id: string,
  variant: "original" | "preview",
): Promise<RenderedImage> {
  const row = await db.prisma.image.findUnique({ where: { id }, select: { path: true } });
  if (row === null) throw new CatalogError("UNKNOWN_IMAGE", `no image "${id}"`);
  let bytes: Buffer;
  try {
    bytes = await readFile(row.path);
  } catch (error) {
    throw new CatalogError(
      "IMAGE_UNREADABLE",
      `image "${id}" cannot be read (${(error as NodeJS.ErrnoException).code ?? "EIO"})`,
    );
  }
  if (variant === "original" && !isDicom(bytes)) {
    if (bytes[0] === 0x89 && bytes[1] === 0x50) return { bytes, contentType: "image/png" };
    if (bytes[0] === 0xff && bytes[1] === 0xd8) return { bytes, contentType: "image/jpeg" };
  }
  try {
    const decoded = await decodeImage(bytes, { name: id });
    const png = await encodePng(decoded, variant === "preview" ? { maxSide: PREVIEW_SIDE } : {});
    return { bytes: png, contentType: "image/png" };
  } catch (error) {
    if (!isImageDecodeError(error)) throw error;
    throw new CatalogError("IMAGE_UNREADABLE", `image "${id}" cannot be decoded (${error.code})`, {
      cause: error,
    });
  }
}
