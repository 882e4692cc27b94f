import onnxProto from "onnx-proto";

const { onnx } = onnxProto;

export type SimilarityOp = "matmul" | "gemm";

/**
 * Builds, in memory, the ONNX model of one similarity block: `scores[q, c] = queries[q, :] . candidates[c, :]`.
 *
 * - "matmul": inputs `queries` [Q, D] and `candidatesT` [D, C] (candidates transposed), one MatMul node.
 * - "gemm": inputs `queries` [Q, D] and `candidates` [C, D], one Gemm node with transB = 1.
 *
 * Q, C and D are symbolic, so one session serves every block size. Opset 13, IR version 7.
 */
export function buildSimilarityModel(op: SimilarityOp): Uint8Array {
  const FLOAT = onnx.TensorProto.DataType.FLOAT;
  const tensorType = (dims: string[]) =>
    onnx.TypeProto.create({
      tensorType: onnx.TypeProto.Tensor.create({
        elemType: FLOAT,
        shape: onnx.TensorShapeProto.create({
          dim: dims.map((d) => onnx.TensorShapeProto.Dimension.create({ dimParam: d })),
        }),
      }),
    });
  const second = op === "matmul" ? "candidatesT" : "candidates";
  const secondDims = op === "matmul" ? ["D", "C"] : ["C", "D"];
  const node =
    op === "matmul"
      ? onnx.NodeProto.create({
          opType: "MatMul",
          input: ["queries", second],
          output: ["scores"],
          name: "sim",
        })
      : onnx.NodeProto.create({
          opType: "Gemm",
          input: ["queries", second],
          output: ["scores"],
          name: "sim",
          attribute: [
            onnx.AttributeProto.create({ name: "transB", type: onnx.AttributeProto.AttributeType.INT, i: 1 }),
          ],
        });
  const graph = onnx.GraphProto.create({
    name: `cxr-eval-similarity-${op}`,
    node: [node],
    input: [
      onnx.ValueInfoProto.create({ name: "queries", type: tensorType(["Q", "D"]) }),
      onnx.ValueInfoProto.create({ name: second, type: tensorType(secondDims) }),
    ],
    output: [onnx.ValueInfoProto.create({ name: "scores", type: tensorType(["Q", "C"]) })],
  });
  const model = onnx.ModelProto.create({
    irVersion: 7,
    producerName: "@cxr/eval",
    opsetImport: [onnx.OperatorSetIdProto.create({ domain: "", version: 13 })],
    graph,
  });
  return onnx.ModelProto.encode(model).finish();
}
