import onnxProto, { type onnx as OnnxTypes } from "onnx-proto";

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

/**
 * The counting graph of one block: how many candidates rank above each query's best positive.
 * Inputs: `queries` [Q, D], `candidates` [C, D], `threshold` [Q, 1] float32 (the best positive's score),
 * `thresholdTie` [Q, 1] int32 (its tie order), `tie` [1, C] int32 (the candidates' tie orders).
 * Output `count` [Q] int32 = sum over c of (s > threshold) or (s == threshold and tie < thresholdTie),
 * `greater` [Q] int32 = sum over c of (s > threshold), and `equal` [Q] int32 = sum over c of
 * (s == threshold) (the exact ties, whatever their tie order),
 * with s = the same Gemm (transB = 1) as the similarity graph, so scores are computed identically.
 */
export function buildCountModel(): Uint8Array {
  const { FLOAT, INT32, INT64 } = onnx.TensorProto.DataType;
  const tensorType = (elemType: number, dims: (string | number)[]) =>
    onnx.TypeProto.create({
      tensorType: onnx.TypeProto.Tensor.create({
        elemType,
        shape: onnx.TensorShapeProto.create({
          dim: dims.map((d) =>
            typeof d === "number"
              ? onnx.TensorShapeProto.Dimension.create({ dimValue: d })
              : onnx.TensorShapeProto.Dimension.create({ dimParam: d }),
          ),
        }),
      }),
    });
  const input = (name: string, elemType: number, dims: (string | number)[]) =>
    onnx.ValueInfoProto.create({ name, type: tensorType(elemType, dims) });
  const node = (
    opType: string,
    inputs: string[],
    output: string,
    attribute: OnnxTypes.IAttributeProto[] = [],
  ) => onnx.NodeProto.create({ opType, input: inputs, output: [output], name: output, attribute });
  const graph = onnx.GraphProto.create({
    name: "cxr-eval-count",
    node: [
      node("Gemm", ["queries", "candidates"], "scores", [
        onnx.AttributeProto.create({ name: "transB", type: onnx.AttributeProto.AttributeType.INT, i: 1 }),
      ]),
      node("Greater", ["scores", "threshold"], "above"),
      node("Equal", ["scores", "threshold"], "level"),
      node("Less", ["tie", "thresholdTie"], "earlier"),
      node("And", ["level", "earlier"], "tiedEarlier"),
      node("Or", ["above", "tiedEarlier"], "beats"),
      node("Cast", ["beats"], "beatsInt", [
        onnx.AttributeProto.create({ name: "to", type: onnx.AttributeProto.AttributeType.INT, i: INT32 }),
      ]),
      node("ReduceSum", ["beatsInt", "axes"], "count", [
        onnx.AttributeProto.create({ name: "keepdims", type: onnx.AttributeProto.AttributeType.INT, i: 0 }),
      ]),
      node("Cast", ["above"], "aboveInt", [
        onnx.AttributeProto.create({ name: "to", type: onnx.AttributeProto.AttributeType.INT, i: INT32 }),
      ]),
      node("ReduceSum", ["aboveInt", "axes"], "greater", [
        onnx.AttributeProto.create({ name: "keepdims", type: onnx.AttributeProto.AttributeType.INT, i: 0 }),
      ]),
      node("Cast", ["level"], "levelInt", [
        onnx.AttributeProto.create({ name: "to", type: onnx.AttributeProto.AttributeType.INT, i: INT32 }),
      ]),
      node("ReduceSum", ["levelInt", "axes"], "equal", [
        onnx.AttributeProto.create({ name: "keepdims", type: onnx.AttributeProto.AttributeType.INT, i: 0 }),
      ]),
    ],
    initializer: [onnx.TensorProto.create({ name: "axes", dataType: INT64, dims: [1], int64Data: [1] })],
    input: [
      input("queries", FLOAT, ["Q", "D"]),
      input("candidates", FLOAT, ["C", "D"]),
      input("threshold", FLOAT, ["Q", 1]),
      input("thresholdTie", INT32, ["Q", 1]),
      input("tie", INT32, [1, "C"]),
    ],
    output: [
      onnx.ValueInfoProto.create({ name: "count", type: tensorType(INT32, ["Q"]) }),
      onnx.ValueInfoProto.create({ name: "greater", type: tensorType(INT32, ["Q"]) }),
      onnx.ValueInfoProto.create({ name: "equal", type: tensorType(INT32, ["Q"]) }),
    ],
  });
  const model = onnx.ModelProto.create({
    irVersion: 7,
    producerName: "@cxr/eval",
    opsetImport: [onnx.OperatorSetIdProto.create({ domain: "", version: 13 })],
    graph,
  });
  return onnx.ModelProto.encode(model).finish();
}
