import { readFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import * as ort from "onnxruntime-node";
import sharp from "sharp";
import type { HardwareInfo, SoftwareInfo } from "./records.ts";

export function softwareInfo(): SoftwareInfo {
  const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
    name: string;
    version: string;
  };
  return {
    package: pkg.name,
    version: pkg.version,
    node: process.version,
    sharp: sharp.versions.sharp ?? "unknown",
    onnxruntime: ort.env.versions.node ?? ort.env.versions.common,
  };
}

export function hardwareInfo(extra: Partial<HardwareInfo> = {}): HardwareInfo {
  const c = cpus();
  return {
    platform: process.platform,
    arch: process.arch,
    cpu: c[0]?.model ?? "unknown",
    cores: c.length,
    memoryBytes: totalmem(),
    ...extra,
  };
}
