import sharp from "sharp";
import type { DecodedImage } from "./types.ts";

/**
 * DecodedImage -> PNG bytes, losslessly (L and RGB as 8-bit, I as 16-bit grey), optionally shrunk so
 * that its longer side is at most `maxSide` (a preview). Only pixels are written: no EXIF, no DICOM
 * tags, no text chunks, so re-encoding an upload drops whatever metadata it carried.
 */
export async function encodePng(image: DecodedImage, options: { maxSide?: number } = {}): Promise<Buffer> {
  const { width, height, mode } = image;
  let pipeline =
    mode === "I"
      ? // a Uint16Array input tells sharp the raw samples are 16-bit
        sharp(
          Uint16Array.from(image.data, (v) => Math.max(0, Math.min(65535, v))),
          {
            raw: { width, height, channels: 1 },
          },
        ).toColourspace("grey16")
      : sharp(Buffer.from(image.data.buffer, image.data.byteOffset, image.data.byteLength), {
          raw: { width, height, channels: mode === "RGB" ? 3 : 1 },
        });
  const maxSide = options.maxSide;
  if (maxSide !== undefined && Math.max(width, height) > maxSide) {
    pipeline = pipeline.resize({ width: maxSide, height: maxSide, fit: "inside" });
  }
  return pipeline.png().toBuffer();
}
