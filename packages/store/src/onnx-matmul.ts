import onnxProto from "onnx-proto";

const { onnx } = onnxProto;

/**
 * A one-node ONNX graph `S[b, n] = MatMul(Q[b, d], X[d, n])`, written from TypeScript. ONNX
 * Runtime's CPU MatMul (MLAS) is the exact-scan kernel of the embedded store: with b = 1 it takes
 * MLAS's GEMV path over the column-major block, with b > 1 a blocked SGEMM. Both shapes are
 * symbolic, so one session serves every block and batch size. With `withTopK` the graph also
 * adds M[n] (0 for live columns, -Infinity for a block's unused tail) and selects each row's best K
 * columns (TopK, K fed as an int64 input), so unfiltered searches never
 * copy the full score matrix into JavaScript.
 */
export function matmulModel(dimension: number, withTopK = false): Uint8Array {
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
      node: [
        onnx.NodeProto.create({ opType: "MatMul", input: ["Q", "X"], output: ["S"], name: "scores" }),
        ...(withTopK
          ? [
              onnx.NodeProto.create({ opType: "Add", input: ["S", "M"], output: ["SM"], name: "mask" }),
              onnx.NodeProto.create({
                opType: "TopK",
                input: ["SM", "K"],
                output: ["V", "I"],
                name: "topk",
                attribute: [
                  onnx.AttributeProto.create({
                    name: "axis",
                    i: -1,
                    type: onnx.AttributeProto.AttributeType.INT,
                  }),
                  onnx.AttributeProto.create({
                    name: "largest",
                    i: 1,
                    type: onnx.AttributeProto.AttributeType.INT,
                  }),
                  onnx.AttributeProto.create({
                    name: "sorted",
                    i: 1,
                    type: onnx.AttributeProto.AttributeType.INT,
                  }),
                ],
              }),
            ]
          : []),
      ],
      input: [
        info("Q", ["b", dimension]),
        info("X", [dimension, "n"]),
        ...(withTopK
          ? [
              info("M", ["n"]),
              onnx.ValueInfoProto.create({
                name: "K",
                type: {
                  tensorType: {
                    elemType: onnx.TensorProto.DataType.INT64,
                    shape: { dim: [{ dimValue: 1 }] },
                  },
                },
              }),
            ]
          : []),
      ],
      output: withTopK
        ? [
            info("V", ["b", "k"]),
            onnx.ValueInfoProto.create({
              name: "I",
              type: {
                tensorType: {
                  elemType: onnx.TensorProto.DataType.INT64,
                  shape: { dim: [{ dimParam: "b" }, { dimParam: "k" }] },
                },
              },
            }),
          ]
        : [info("S", ["b", "n"])],
    }),
  });
  return onnx.ModelProto.encode(model).finish();
}
