import type { Device, SynthFindings } from "./findings.ts";
import { isNormal } from "./findings.ts";
import type { Rng } from "./prng.ts";

/**
 * Writes FINDINGS and IMPRESSION from the same findings the image was drawn from, with varied
 * phrasing, explicit negations of what is absent, and the side, size, lobe and zone of what is
 * present, so that reports are told apart by their labels.
 */
export interface SynthReport {
  findings: string;
  impression: string;
  fullText: string;
}

const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

const DEVICE_FINDINGS: Record<Device, string[]> = {
  "endotracheal tube": [
    "An endotracheal tube terminates approximately {n} cm above the carina.",
    "Endotracheal tube tip lies {n} cm above the carina.",
  ],
  "central venous catheter": [
    "A right internal jugular central venous catheter terminates in the superior vena cava.",
    "Right-sided central line with its tip in the SVC.",
  ],
  "nasogastric tube": [
    "A nasogastric tube courses below the diaphragm into the stomach.",
    "Enteric tube passes into the stomach, side port below the GE junction.",
  ],
  pacemaker: [
    "A left chest wall pacemaker is present with its lead in the right ventricle.",
    "Left-sided pacemaker device with a single lead terminating in the right ventricle.",
  ],
};

const DEVICE_SHORT: Record<Device, string> = {
  "endotracheal tube": "endotracheal tube",
  "central venous catheter": "right internal jugular central venous catheter",
  "nasogastric tube": "nasogastric tube",
  pacemaker: "left chest wall pacemaker",
};

export function writeReport(f: SynthFindings, rng: Rng): SynthReport {
  const sentences: string[] = [];
  const say = (options: string[]) => sentences.push(rng.pick(options));

  // devices first, as radiologists often list lines and tubes first
  for (const device of f.devices)
    say(DEVICE_FINDINGS[device].map((t) => t.replace("{n}", String(rng.int(3, 6)))));

  if (f.cardiomegaly) {
    say([
      "The heart is enlarged.",
      "There is cardiomegaly.",
      "The cardiac silhouette is enlarged.",
      "Moderate enlargement of the cardiac silhouette.",
    ]);
  } else {
    say([
      "The heart size is normal.",
      "Heart size is within normal limits.",
      "The cardiac silhouette is normal in size.",
      "Normal heart size.",
    ]);
  }
  if (rng.chance(0.5)) say(["The mediastinal contours are normal.", "Mediastinal contour is unremarkable."]);

  if (f.consolidation) {
    const lobe = f.consolidation.lobe;
    say([
      `There is focal consolidation in the ${lobe}.`,
      `Airspace opacity in the ${lobe} consistent with consolidation.`,
      `Consolidation is present in the ${lobe}.`,
    ]);
  } else if (f.nodule || f.pneumothorax || f.effusion) {
    say(["No focal consolidation.", "There is no focal airspace consolidation."]);
  } else {
    say([
      "The lungs are clear.",
      "Lungs are clear without focal consolidation.",
      "There is no focal consolidation.",
    ]);
  }

  if (f.nodule) {
    const { side, zone, sizeMm } = f.nodule;
    say([
      `A ${sizeMm} mm nodule is seen in the ${side} ${zone} lung zone.`,
      `There is a ${sizeMm} mm rounded nodular opacity in the ${zone} ${side} lung.`,
      `${cap(side)} ${zone} lung nodule measuring ${sizeMm} mm.`,
    ]);
  }

  const effusion = f.effusion;
  const ptx = f.pneumothorax;
  if (!effusion && !ptx && rng.chance(0.5)) {
    say(["No pleural effusion or pneumothorax.", "There is no pleural effusion or pneumothorax."]);
  } else {
    if (effusion) {
      const { side, size } = effusion;
      if (side === "bilateral") {
        say([
          `There are ${size} bilateral pleural effusions.`,
          `Bilateral ${size} pleural effusions with blunting of both costophrenic angles.`,
        ]);
      } else {
        say([
          `There is a ${size} ${side} pleural effusion.`,
          `${cap(size)} ${side} pleural effusion with blunting of the ${side} costophrenic angle.`,
          `Blunting of the ${side} costophrenic angle consistent with a ${size} ${side} effusion.`,
        ]);
      }
    } else {
      say(["No pleural effusion.", "There is no pleural effusion.", "No effusion is seen."]);
    }
    if (ptx) {
      const { side, size } = ptx;
      say([
        `There is a ${size} ${side} apical pneumothorax.`,
        `${cap(side)} pneumothorax is present, ${size} in size.`,
        `A ${size} ${side}-sided pneumothorax is seen with a visible pleural line.`,
      ]);
    } else {
      say(["No pneumothorax.", "There is no pneumothorax.", "No evidence of pneumothorax."]);
    }
  }
  if (rng.chance(0.4)) say(["The osseous structures are intact.", "No acute osseous abnormality."]);

  const impressions: string[] = [];
  if (f.pneumothorax) impressions.push(`${cap(f.pneumothorax.size)} ${f.pneumothorax.side} pneumothorax.`);
  if (f.consolidation) {
    impressions.push(
      rng.pick([
        `${cap(f.consolidation.lobe)} consolidation, concerning for pneumonia.`,
        `${cap(f.consolidation.lobe)} pneumonia.`,
      ]),
    );
  }
  if (effusion) {
    impressions.push(
      effusion.side === "bilateral"
        ? `${cap(effusion.size)} bilateral pleural effusions.`
        : `${cap(effusion.size)} ${effusion.side} pleural effusion.`,
    );
  }
  if (f.cardiomegaly) impressions.push(rng.pick(["Cardiomegaly.", "Enlarged cardiac silhouette."]));
  if (f.nodule) {
    impressions.push(
      `${f.nodule.sizeMm} mm ${f.nodule.side} ${f.nodule.zone} lung nodule; ${rng.pick([
        "recommend CT for further evaluation.",
        "CT chest is recommended.",
      ])}`,
    );
  }
  if (f.devices.length > 0) {
    impressions.push(`${cap(f.devices.map((d) => DEVICE_SHORT[d]).join(" and "))} in place.`);
  }
  let impression: string;
  if (isNormal(f)) {
    impression = rng.pick([
      "No acute cardiopulmonary process.",
      "No acute cardiopulmonary abnormality.",
      "Normal chest radiograph.",
      "No acute intrathoracic process.",
    ]);
  } else if (impressions.length > 1 && rng.chance(0.5)) {
    impression = impressions.map((t, i) => `${i + 1}. ${t}`).join(" ");
  } else {
    impression = impressions.join(" ");
  }
  const findings = sentences.join(" ");
  const view = "PA";
  const fullText = `EXAMINATION: CHEST RADIOGRAPH, ${view} VIEW (SYNTHETIC)\n\nFINDINGS: ${findings}\n\nIMPRESSION: ${impression}\n`;
  return { findings, impression, fullText };
}
