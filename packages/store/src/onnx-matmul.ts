import onnxProto from "onnx-proto";

const { onnx } = onnxProto;

/**
 * A one-node ONNX graph `S[b, n] = MatMul(Q[b, d], X[d, n])`, written from TypeScript. ONNX
 * Runtime's CPU MatMul (MLAS) is the exact-scan kernel of the embedded store: with b = 1 it takes
 * MLAS's GEMV path over the column-major block, with b > 1 a blocked SGEMM. Both shapes are
 * symbolic, so one session serves every block and batch size.
 */
export function matmulModel(dimension: number): Uint8Array {
  const F = onnx.TensorProto.DataType.FLOAT;
  const info = (name: string, dims: Array<number | string>) =>
    onnx.ValueInfoProto.create({
      name,
      type: {
        tensorType: {
          elemType: F,
          shape: { dim: dims.map((d) => (typeof d === "number" ? { dimValue: d } : { dimParam: d })) },
        },
      },
    });
  const model = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: "", version: 17 }],
    producerName: "@cxr/store",
    graph: onnx.GraphProto.create({
      name: "exact_scan",
      node: [onnx.NodeProto.create({ opType: "MatMul", input: ["Q", "X"], output: ["S"], name: "scores" })],
      input: [info("Q", ["b", dimension]), info("X", [dimension, "n"])],
      output: [info("S", ["b", "n"])],
    }),
  });
  return onnx.ModelProto.encode(model).finish();
}
