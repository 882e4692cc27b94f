// Runs one ONNX graph with onnxruntime-node (CPU) for the Python exporter's verification step, on
// machines without onnxruntime for Python. Usage: node ort_run.mjs spec.json
// spec: { model, output, out, inputs: [{ name, dtype: "float32" | "int64" | "int32", shape, file }] }
// Writes the output as raw little-endian float32 to `out` and prints {"shape": [...]} on stdout.
import { readFileSync, writeFileSync } from "node:fs";
import ort from "onnxruntime-node";

const spec = JSON.parse(readFileSync(process.argv[2], "utf8"));
const typed = { float32: Float32Array, int64: BigInt64Array, int32: Int32Array };
const feeds = {};
for (const input of spec.inputs) {
  const Ctor = typed[input.dtype];
  if (!Ctor) throw new Error(`unsupported dtype ${input.dtype} for ${input.name}`);
  const bytes = readFileSync(input.file);
  const data = new Ctor(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  feeds[input.name] = new ort.Tensor(input.dtype, data, input.shape);
}
const session = await ort.InferenceSession.create(spec.model, {
  executionProviders: ["cpu"],
  intraOpNumThreads: 1,
});
const result = await session.run(feeds);
const out = result[spec.output];
if (!out) throw new Error(`graph has no output ${spec.output}`);
writeFileSync(spec.out, Buffer.from(out.data.buffer, out.data.byteOffset, out.data.byteLength));
console.log(JSON.stringify({ shape: out.dims }));
