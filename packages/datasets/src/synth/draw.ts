import type { Side, SynthFindings } from "./findings.ts";
import type { Rng } from "./prng.ts";

/**
 * A grayscale chest-radiograph-like picture drawn with typed arrays: thorax, lungs with vascular
 * markings, mediastinum, spine, trachea, heart, hemidiaphragms and a gastric bubble, ribs and
 * clavicles, soft blur and quantum noise. Findings are drawn where a reader would look for them:
 *   cardiomegaly       a wide heart (cardiothoracic ratio about 0.6 instead of 0.4)
 *   pleural effusion   a bright, meniscus-topped region blunting that side's costophrenic angle
 *   pneumothorax       a dark band without lung markings at that side's apex and lateral edge,
 *                      bounded by a thin visceral pleural line
 *   consolidation      a bright patchy opacity in the named lobe's region
 *   nodule             a bright disc of the given size (mm) at the given side and zone
 *   support devices    bright tubes and lines (ET tube, central line, NG tube, pacemaker and lead)
 * The patient's right is drawn on the image's left, as radiographs are displayed.
 * Coordinates: u (left to right) and v (top to bottom) in [0, 1]; m = |u - cx| / scale.
 */
export interface Anatomy {
  cx: number;
  scale: number;
  apex: number;
  /** Costophrenic angles (v) of the patient's right and left. */
  baseRight: number;
  baseLeft: number;
  dome: number;
  heartCy: number;
  heartRy: number;
  heartRx: number;
  ribStart: number;
  ribGap: number;
  contrast: number;
  brightness: number;
  noise: number;
}

export function sampleAnatomy(rng: Rng): Anatomy {
  const baseLeft = rng.uniform(0.78, 0.82);
  return {
    cx: 0.5 + rng.normal(0, 0.012),
    scale: 1 + rng.normal(0, 0.035),
    apex: rng.uniform(0.15, 0.18),
    baseRight: baseLeft - rng.uniform(0.01, 0.03),
    baseLeft,
    dome: rng.uniform(0.06, 0.09),
    heartCy: rng.uniform(0.6, 0.62),
    heartRy: rng.uniform(0.12, 0.14),
    heartRx: rng.uniform(0.14, 0.165),
    ribStart: rng.uniform(0.15, 0.18),
    ribGap: rng.uniform(0.055, 0.062),
    contrast: rng.uniform(0.88, 1.12),
    brightness: rng.uniform(-0.04, 0.04),
    noise: rng.uniform(0.015, 0.03),
  };
}

const MEDIASTINUM = 0.065;
const HEMITHORAX = 0.4;

function clamp01(x: number): number {
  return x < 0 ? 0 : Math.min(x, 1);
}

function smoothstep(edge0: number, edge1: number, x: number): number {
  const t = clamp01((x - edge0) / (edge1 - edge0));
  return t * t * (3 - 2 * t);
}

/** Value noise: a coarse random grid sampled bilinearly. */
class ValueNoise {
  private readonly grid: Float32Array;
  constructor(
    rng: Rng,
    private readonly cells: number,
  ) {
    this.grid = new Float32Array((cells + 1) * (cells + 1));
    for (let i = 0; i < this.grid.length; i++) this.grid[i] = rng.next();
  }
  at(u: number, v: number): number {
    const n = this.cells;
    const x = clamp01(u) * n;
    const y = clamp01(v) * n;
    const x0 = Math.min(n - 1, Math.floor(x));
    const y0 = Math.min(n - 1, Math.floor(y));
    const fx = x - x0;
    const fy = y - y0;
    const g = this.grid;
    const w = n + 1;
    const a = g[y0 * w + x0]!;
    const b = g[y0 * w + x0 + 1]!;
    const c = g[(y0 + 1) * w + x0]!;
    const d = g[(y0 + 1) * w + x0 + 1]!;
    return a + (b - a) * fx + (c - a) * fy + (a - b - c + d) * fx * fy;
  }
}

/** Stamps a polyline of the given thickness (in u units) into a mask, keeping the maximum. */
function strokeMask(
  mask: Float32Array,
  size: number,
  points: [number, number][],
  thickness: number,
  value = 1,
): void {
  const radius = (thickness * size) / 2;
  const reach = Math.ceil(radius + 1);
  for (let i = 0; i + 1 < points.length; i++) {
    const [u0, v0] = points[i]!;
    const [u1, v1] = points[i + 1]!;
    const du = u1 - u0;
    const dv = v1 - v0;
    const steps = Math.max(1, Math.ceil(Math.sqrt(du * du + dv * dv) * size));
    for (let s = 0; s <= steps; s++) {
      const px = (u0 + ((u1 - u0) * s) / steps) * size;
      const py = (v0 + ((v1 - v0) * s) / steps) * size;
      const xc = Math.round(px);
      const yc = Math.round(py);
      for (let y = yc - reach; y <= yc + reach; y++) {
        if (y < 0 || y >= size) continue;
        for (let x = xc - reach; x <= xc + reach; x++) {
          if (x < 0 || x >= size) continue;
          const dx = x + 0.5 - px;
          const dy = y + 0.5 - py;
          const d = Math.sqrt(dx * dx + dy * dy);
          const a = value * clamp01(radius + 0.5 - d);
          const k = y * size + x;
          if (a > mask[k]!) mask[k] = a;
        }
      }
    }
  }
}

function curve(f: (t: number) => [number, number], samples = 24): [number, number][] {
  return Array.from({ length: samples + 1 }, (_, i) => f(i / samples));
}

/** Where a lung lies: lateral extent at height v, and the diaphragm at lateral offset m. */
function lungGeometry(a: Anatomy, side: Side) {
  const base = side === "right" ? a.baseRight : a.baseLeft;
  const dome = side === "right" ? a.dome + 0.015 : a.dome;
  return {
    base,
    lateral: (v: number) => {
      const r = clamp01((v - a.apex) / 0.3);
      return HEMITHORAX * Math.sqrt(r) * (0.84 + 0.16 * clamp01((v - a.apex) / 0.5));
    },
    bottom: (m: number) => {
      const t = clamp01((m - 0.06) / (HEMITHORAX - 0.06));
      return base - dome * Math.max(0, 1 - ((t - 0.45) * (t - 0.45)) / 0.3025);
    },
  };
}

/** Centre (m, v) of a lung region: t is the lateral fraction of the lung, r its relative height. */
export function lungPoint(a: Anatomy, side: Side, t: number, r: number): { u: number; v: number } {
  const g = lungGeometry(a, side);
  const v = a.apex + r * (g.base - a.apex);
  const m = 0.07 + t * (g.lateral(v) - 0.07);
  const sign = side === "right" ? -1 : 1;
  return { u: a.cx + sign * m * a.scale, v };
}

const LOBE_CENTRES: Record<string, { side: Side; t: number; r: number }> = {
  "right upper lobe": { side: "right", t: 0.55, r: 0.22 },
  "right middle lobe": { side: "right", t: 0.4, r: 0.6 },
  "right lower lobe": { side: "right", t: 0.6, r: 0.82 },
  "left upper lobe": { side: "left", t: 0.55, r: 0.25 },
  "left lower lobe": { side: "left", t: 0.68, r: 0.82 },
};

const ZONE_HEIGHT = { upper: 0.25, mid: 0.5, lower: 0.72 } as const;

/** Draws one radiograph; returns 8-bit grayscale pixels, row-major, size x size. */
export function drawRadiograph(findings: SynthFindings, anatomy: Anatomy, rng: Rng, size = 256): Uint8Array {
  const a = anatomy;
  const s = a.scale;
  const markings = new ValueNoise(rng, 40);
  const coarse = new ValueNoise(rng, 10);
  const patch = new ValueNoise(rng, 24);
  const lungs = { right: lungGeometry(a, "right"), left: lungGeometry(a, "left") };
  const heartRx = (findings.cardiomegaly ? 0.235 : a.heartRx) * s;
  const heartCx = a.cx + (findings.cardiomegaly ? 0.05 : 0.035) * s;

  // Consolidation: a few overlapping blobs around the lobe's centre.
  const blobs: { u: number; v: number; sigma: number }[] = [];
  if (findings.consolidation) {
    const c = LOBE_CENTRES[findings.consolidation.lobe]!;
    const centre = lungPoint(a, c.side, c.t, c.r);
    for (let i = 0; i < 4; i++) {
      blobs.push({
        u: centre.u + rng.normal(0, 0.025),
        v: centre.v + rng.normal(0, 0.025),
        sigma: rng.uniform(0.035, 0.055),
      });
    }
  }
  const nodule = findings.nodule
    ? {
        ...lungPoint(
          a,
          findings.nodule.side,
          rng.uniform(0.35, 0.65),
          ZONE_HEIGHT[findings.nodule.zone] + rng.normal(0, 0.03),
        ),
        radius: findings.nodule.sizeMm * 0.0022 * s,
      }
    : undefined;
  const effusionHeight = { small: 0.09, moderate: 0.16, large: 0.26 };
  const effusionSides: Side[] = findings.effusion
    ? findings.effusion.side === "bilateral"
      ? ["right", "left"]
      : [findings.effusion.side]
    : [];
  const ptxWidth = findings.pneumothorax ? (findings.pneumothorax.size === "small" ? 0.045 : 0.09) : 0;

  // what depends on the column only
  const colDu = new Float32Array(size);
  const colBottom = new Float32Array(size);
  for (let x = 0; x < size; x++) {
    const du = ((x + 0.5) / size - a.cx) / s;
    colDu[x] = du;
    colBottom[x] = (du < 0 ? lungs.right : lungs.left).bottom(Math.abs(du));
  }
  const img = new Float32Array(size * size);
  for (let y = 0; y < size; y++) {
    const v = (y + 0.5) / size;
    const lateral = lungs.right.lateral(v);
    for (let x = 0; x < size; x++) {
      const u = (x + 0.5) / size;
      const du = colDu[x]!;
      const m = du < 0 ? -du : du;
      const side: Side = du < 0 ? "right" : "left";
      const lung = side === "right" ? lungs.right : lungs.left;
      let val = 0.06; // air around the patient
      const inTrunk = m < 0.1 || (v > 0.07 && m < 0.47 * Math.sqrt(clamp01((v - 0.07) / 0.09)));
      if (inTrunk) {
        const grain = coarse.at(u, v);
        val = 0.4 + 0.07 * (1 - m / 0.47) + 0.03 * grain;
        const bottom = colBottom[x]!;
        const inLung = m > MEDIASTINUM && m < lateral && v > a.apex && v < bottom;
        if (inLung) {
          // vascular markings, denser towards the hilum
          const hilum = 1 - clamp01((m - 0.07) / 0.33);
          val = 0.15 + (0.05 + 0.09 * hilum) * markings.at(u, v) + 0.03 * (1 - clamp01((v - a.apex) / 0.1));
          if (findings.pneumothorax && findings.pneumothorax.side === side) {
            const upper = v < a.apex + 0.5 * (lung.base - a.apex);
            const fromEdge = Math.min(lateral - m, (v - a.apex) * 0.8);
            if (upper && fromEdge < ptxWidth) val = 0.07;
            else if (upper && fromEdge < ptxWidth + 0.007) val = 0.34;
          }
        } else if (v >= bottom && m < HEMITHORAX + 0.03 && v > a.apex + 0.3) {
          val = 0.56 + 0.03 * grain; // below the diaphragm
          if (side === "left") {
            const gu = (du - 0.17) / 0.065;
            const gv = (v - (lung.bottom(0.17) + 0.055)) / 0.035;
            if (gu * gu + gv * gv < 1) val = 0.28; // gastric bubble
          }
        }
        for (const effusionSide of effusionSides) {
          if (effusionSide !== side || m < MEDIASTINUM || m > lateral + 0.01) continue;
          const t = clamp01((m - 0.06) / (HEMITHORAX - 0.06));
          const meniscus =
            lung.base - effusionHeight[findings.effusion!.size] * (0.45 + 0.55 * t * Math.sqrt(t));
          const w = smoothstep(meniscus - 0.012, meniscus + 0.012, v);
          if (v < lung.base + 0.06) val = val * (1 - w) + (0.6 + 0.03 * grain) * w;
        }
        // mediastinum and spine, trachea
        if (m < MEDIASTINUM && v > 0.1 && v < 0.8) val = 0.6 + (m < 0.035 ? 0.07 : 0);
        if (m < 0.018 && v > 0.02 && v < 0.33) val = 0.27;
        // heart
        const hx = (u - heartCx) / heartRx;
        const hy = (v - a.heartCy) / a.heartRy;
        const h = hx * hx + hy * hy;
        if (h < 1 && v < Math.max(lungs.right.base, lungs.left.base)) val = 0.64 + 0.04 * (1 - h);
        if (blobs.length > 0) {
          let sum = 0;
          for (const b of blobs) {
            const d2 = (u - b.u) ** 2 + (v - b.v) ** 2;
            sum += Math.exp(-d2 / (2 * b.sigma * b.sigma));
          }
          if (inLung) val += 0.36 * Math.min(1, sum) * (0.7 + 0.3 * patch.at(u, v));
        }
        if (nodule) {
          const d = Math.sqrt((u - nodule.u) ** 2 + (v - nodule.v) ** 2);
          val += 0.34 * (1 - smoothstep(nodule.radius * 0.8, nodule.radius * 1.15, d));
        }
      }
      img[y * size + x] = val;
    }
  }

  // Ribs and clavicles, only over the thorax.
  const bones = new Float32Array(size * size);
  for (const sign of [-1, 1]) {
    for (let k = 0; k < 10; k++) {
      const v0 = a.ribStart + k * a.ribGap;
      const points = curve((t) => {
        const m = 0.06 + 0.35 * t;
        return [a.cx + sign * m * s, v0 - 0.03 * Math.sin(Math.PI * t) + 0.07 * t * t];
      });
      strokeMask(bones, size, points, 0.014);
    }
    const clavicle = curve((t) => [a.cx + sign * (0.06 + 0.26 * t) * s, 0.165 - 0.055 * t], 12);
    strokeMask(bones, size, clavicle, 0.022);
  }
  for (let i = 0; i < img.length; i++) {
    const v = (Math.floor(i / size) + 0.5) / size;
    if (bones[i]! > 0 && img[i]! > 0.1 && v < 0.86) img[i] = img[i]! + 0.1 * bones[i]!;
  }

  // Blur once (3x3 box), so edges look like a radiograph's.
  const blurred = new Float32Array(size * size);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      let sum = 0;
      let n = 0;
      for (let dy = -1; dy <= 1; dy++) {
        const yy = y + dy;
        if (yy < 0 || yy >= size) continue;
        for (let dx = -1; dx <= 1; dx++) {
          const xx = x + dx;
          if (xx < 0 || xx >= size) continue;
          sum += img[yy * size + xx]!;
          n++;
        }
      }
      blurred[y * size + x] = sum / n;
    }
  }

  // Support devices: sharp, radio-opaque.
  const devices = new Float32Array(size * size);
  for (const device of findings.devices) {
    if (device === "endotracheal tube") {
      const tip = 0.27 + rng.uniform(-0.02, 0.02);
      strokeMask(
        devices,
        size,
        [
          [a.cx + 0.004, 0],
          [a.cx + 0.004, tip],
        ],
        0.012,
      );
    } else if (device === "central venous catheter") {
      strokeMask(
        devices,
        size,
        curve((t) => [a.cx - (0.33 - 0.29 * Math.sqrt(t)) * s, 0.09 + 0.31 * t * t]),
        0.006,
      );
    } else if (device === "nasogastric tube") {
      strokeMask(
        devices,
        size,
        [
          [a.cx + 0.01, 0],
          [a.cx + 0.012, 0.45],
          [a.cx + 0.02, 0.8],
          [a.cx + 0.12 * s, 0.86],
          [a.cx + 0.18 * s, 0.85],
        ],
        0.006,
      );
    } else {
      const pu = a.cx + 0.29 * s;
      const pv = 0.2;
      for (let y = Math.floor((pv - 0.025) * size); y < (pv + 0.025) * size; y++) {
        for (let x = Math.floor((pu - 0.04) * size); x < (pu + 0.04) * size; x++) {
          if (x >= 0 && x < size && y >= 0 && y < size) devices[y * size + x] = 1;
        }
      }
      // the lead runs from the generator through the SVC into the right ventricle
      const lead: [number, number][] = [
        [pu - 0.03 * s, pv + 0.01],
        [a.cx + 0.13 * s, 0.24],
        [a.cx + 0.04 * s, 0.33],
        [a.cx + 0.02 * s, 0.48],
        [a.cx + 0.07 * s, a.heartCy + 0.05],
      ];
      strokeMask(devices, size, lead, 0.006);
    }
  }

  const out = new Uint8Array(size * size);
  for (let i = 0; i < out.length; i++) {
    // approximately normal noise: the sum of four uniforms (Irwin-Hall), sd 1 after scaling
    const z = (rng.next() + rng.next() + rng.next() + rng.next() - 2) * 1.7320508;
    let val = blurred[i]! * a.contrast + a.brightness + a.noise * z;
    if (devices[i]! > 0) val = val * (1 - devices[i]!) + 0.97 * devices[i]!;
    out[i] = Math.round(255 * clamp01(val));
  }
  return out;
}
