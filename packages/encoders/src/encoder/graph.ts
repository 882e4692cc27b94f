import type * as ort from "onnxruntime-node";
import { BundleError } from "../bundle/errors.ts";
import type { Manifest } from "../bundle/schema.ts";

/**
 * Checks a session against the manifest: every declared input exists with the declared dtype and
 * shape, the graph needs no input the manifest does not feed, the batch axis is dynamic, the output
 * exists and its width equals `dimension`. Throws BundleError (GRAPH_MISMATCH) naming the ONNX file
 * and the manifest field.
 */
export function checkImageGraph(session: ort.InferenceSession, manifest: Manifest): void {
  const { image } = manifest;
  const file = image.onnx;
  checkInputs(session, file, [["image.input.name", image.input.name]]);
  const meta = metadata(session.inputMetadata, image.input.name);
  if (meta) {
    if (meta.type !== "float32") {
      throw mismatch(
        file,
        "image.input.dtype",
        `the graph input "${image.input.name}" is ${meta.type}, not float32`,
      );
    }
    checkShape(file, "image.input.shape", image.input.name, meta.shape, image.input.shape);
  }
  checkOutput(session, file, "image.output.name", image.output.name, manifest.dimension);
}

export function checkTextGraph(session: ort.InferenceSession, manifest: Manifest): void {
  const { text } = manifest;
  const file = text.onnx;
  const declared: Array<[string, string]> = [["text.inputs.inputIds", text.inputs.inputIds]];
  if (text.inputs.attentionMask) declared.push(["text.inputs.attentionMask", text.inputs.attentionMask]);
  if (text.inputs.tokenTypeIds) declared.push(["text.inputs.tokenTypeIds", text.inputs.tokenTypeIds]);
  checkInputs(session, file, declared);
  for (const [, name] of declared) {
    const meta = metadata(session.inputMetadata, name);
    if (meta && meta.type !== text.dtype) {
      throw mismatch(
        file,
        "text.dtype",
        `the graph input "${name}" is ${meta.type}, the manifest says ${text.dtype}`,
      );
    }
    if (meta && meta.shape.length > 0 && typeof meta.shape[0] === "number") {
      throw mismatch(
        file,
        "text.inputs",
        `the graph input "${name}" has a fixed batch size ${meta.shape[0]}; export it with a dynamic batch axis`,
      );
    }
  }
  checkOutput(session, file, "text.output.name", text.output.name, manifest.dimension);
}

function metadata(
  list: readonly ort.InferenceSession.ValueMetadata[],
  name: string,
): ort.InferenceSession.TensorValueMetadata | undefined {
  const meta = list.find((m) => m.name === name);
  return meta?.isTensor ? meta : undefined;
}

function mismatch(file: string, field: string, reason: string): BundleError {
  return new BundleError("GRAPH_MISMATCH", file, field, reason);
}

function checkInputs(session: ort.InferenceSession, file: string, declared: Array<[string, string]>): void {
  const names = session.inputNames;
  for (const [field, name] of declared) {
    if (!names.includes(name)) {
      throw mismatch(
        file,
        field,
        `the graph has no input "${name}" (its inputs: ${names.join(", ") || "none"})`,
      );
    }
  }
  const fed = new Set(declared.map(([, n]) => n));
  const unfed = names.filter((n) => !fed.has(n));
  if (unfed.length > 0) {
    throw mismatch(
      file,
      declared[0]![0],
      `the graph also needs input(s) ${unfed.join(", ")} that the manifest does not feed`,
    );
  }
}

function checkShape(
  file: string,
  field: string,
  name: string,
  graph: ReadonlyArray<number | string>,
  declared: readonly ["batch", number, number, number],
): void {
  if (graph.length === 0) return; // shape not recorded in the graph: checked at run time
  if (graph.length !== declared.length) {
    throw mismatch(
      file,
      field,
      `the graph input "${name}" has rank ${graph.length}, the manifest says ${declared.length}`,
    );
  }
  if (typeof graph[0] === "number") {
    throw mismatch(
      file,
      field,
      `the graph input "${name}" has a fixed batch size ${graph[0]}; export it with a dynamic batch axis`,
    );
  }
  for (let i = 1; i < declared.length; i++) {
    const dim = graph[i];
    if (typeof dim === "number" && dim !== declared[i]) {
      throw mismatch(
        file,
        field,
        `the graph input "${name}" has shape [${graph.join(", ")}], the manifest says [${declared.join(", ")}]`,
      );
    }
  }
}

function checkOutput(
  session: ort.InferenceSession,
  file: string,
  field: string,
  name: string,
  dimension: number,
): void {
  if (!session.outputNames.includes(name)) {
    throw mismatch(
      file,
      field,
      `the graph has no output "${name}" (its outputs: ${session.outputNames.join(", ")})`,
    );
  }
  const meta = metadata(session.outputMetadata, name);
  const width = meta?.shape.at(-1);
  if (meta && meta.shape.length > 0 && meta.shape.length !== 2) {
    throw mismatch(
      file,
      field,
      `the graph output "${name}" has rank ${meta.shape.length}; expected [batch, ${dimension}]`,
    );
  }
  if (typeof width === "number" && width !== dimension) {
    throw mismatch(
      file,
      "dimension",
      `the graph output "${name}" has width ${width}, the manifest says ${dimension}`,
    );
  }
}
