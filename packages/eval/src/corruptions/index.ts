import type { DecodedPixels } from "../pixels.ts";
import type { Corruption } from "../protocol.ts";
import { renderSeverity } from "./families.ts";
import { type RenderContext, renderOcclusion } from "./occlusion.ts";

export * from "./families.ts";
export * from "./occlusion.ts";

/** Renders the protocol's corruption at one level on decoded pixels. Deterministic to the byte. */
export async function renderCorruption(
  img: DecodedPixels,
  corruption: Corruption,
  level: number,
  ctx: RenderContext,
): Promise<DecodedPixels> {
  if (corruption.family === "occlusion") return renderOcclusion(img, corruption, level, ctx);
  return renderSeverity(img, corruption.family, level, ctx);
}
