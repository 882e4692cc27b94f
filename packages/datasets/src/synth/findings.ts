import type { Labels } from "../types.ts";
import type { Rng } from "./prng.ts";

export type Side = "left" | "right";
export type Size = "small" | "moderate" | "large";
export type Lobe =
  | "right upper lobe"
  | "right middle lobe"
  | "right lower lobe"
  | "left upper lobe"
  | "left lower lobe";
export type Zone = "upper" | "mid" | "lower";
export type Device = "endotracheal tube" | "central venous catheter" | "nasogastric tube" | "pacemaker";

/**
 * What a synthetic study shows. Sides are the patient's: the patient's right is on the image's
 * left, as radiographs are displayed.
 */
export interface SynthFindings {
  cardiomegaly: boolean;
  effusion: { side: Side | "bilateral"; size: Size } | null;
  pneumothorax: { side: Side; size: "small" | "large" } | null;
  consolidation: { lobe: Lobe } | null;
  nodule: { side: Side; zone: Zone; sizeMm: number } | null;
  devices: Device[];
}

export const LOBES: readonly Lobe[] = [
  "right upper lobe",
  "right middle lobe",
  "right lower lobe",
  "left upper lobe",
  "left lower lobe",
];
export const DEVICES: readonly Device[] = [
  "endotracheal tube",
  "central venous catheter",
  "nasogastric tube",
  "pacemaker",
];

export function isNormal(f: SynthFindings): boolean {
  return (
    !f.cardiomegaly &&
    !f.effusion &&
    !f.pneumothorax &&
    !f.consolidation &&
    !f.nodule &&
    f.devices.length === 0
  );
}

/** About a third of studies are normal; the rest carry one or more findings. */
export function sampleFindings(rng: Rng): SynthFindings {
  const none: SynthFindings = {
    cardiomegaly: false,
    effusion: null,
    pneumothorax: null,
    consolidation: null,
    nodule: null,
    devices: [],
  };
  if (rng.chance(0.33)) return none;
  const f: SynthFindings = { ...none, devices: [] };
  const draw = (kind: number) => {
    switch (kind) {
      case 0:
        f.cardiomegaly = true;
        break;
      case 1:
        f.effusion = {
          side: rng.pick(["left", "right", "left", "right", "bilateral"] as const),
          size: rng.pick(["small", "moderate", "large"] as const),
        };
        break;
      case 2:
        f.pneumothorax = {
          side: rng.pick(["left", "right"] as const),
          size: rng.pick(["small", "large"] as const),
        };
        break;
      case 3:
        f.consolidation = { lobe: rng.pick(LOBES) };
        break;
      case 4:
        f.nodule = {
          side: rng.pick(["left", "right"] as const),
          zone: rng.pick(["upper", "mid", "lower"] as const),
          sizeMm: rng.int(10, 30),
        };
        break;
      default: {
        const first = rng.pick(DEVICES);
        f.devices.push(first);
        if (rng.chance(0.3)) {
          const second = rng.pick(DEVICES);
          if (second !== first) f.devices.push(second);
        }
        f.devices.sort((a, b) => DEVICES.indexOf(a) - DEVICES.indexOf(b));
      }
    }
  };
  const probabilities = [0.3, 0.3, 0.15, 0.25, 0.2, 0.2];
  probabilities.forEach((p, kind) => {
    if (rng.chance(p)) draw(kind);
  });
  if (isNormal(f)) draw(rng.int(0, 5));
  return f;
}

/**
 * Labels stored per study: CheXpert-style 0/1 columns, so that code written for MIMIC's labels
 * reads them too, plus the details (side, size, lobe, location) the image and report were made from.
 */
export function toLabels(f: SynthFindings): Labels {
  return {
    "No Finding": isNormal(f) ? 1 : 0,
    Cardiomegaly: f.cardiomegaly ? 1 : 0,
    "Pleural Effusion": f.effusion ? 1 : 0,
    Pneumothorax: f.pneumothorax ? 1 : 0,
    Consolidation: f.consolidation ? 1 : 0,
    "Lung Lesion": f.nodule ? 1 : 0,
    "Support Devices": f.devices.length > 0 ? 1 : 0,
    effusion_side: f.effusion?.side ?? null,
    effusion_size: f.effusion?.size ?? null,
    pneumothorax_side: f.pneumothorax?.side ?? null,
    pneumothorax_size: f.pneumothorax?.size ?? null,
    consolidation_lobe: f.consolidation?.lobe ?? null,
    nodule: f.nodule ? { side: f.nodule.side, zone: f.nodule.zone, size_mm: f.nodule.sizeMm } : null,
    devices: [...f.devices],
  };
}
