import onnxProto from "onnx-proto";

/** Small helpers over onnx-proto to write ONNX graphs from TypeScript (the provider probe, tiny test bundles). */
const { onnx } = onnxProto;

export { onnx };

export type Dim = number | string;
export type ElemType = "float32" | "int64" | "int32";

const ELEM: Record<ElemType, number> = {
  float32: onnx.TensorProto.DataType.FLOAT,
  int64: onnx.TensorProto.DataType.INT64,
  int32: onnx.TensorProto.DataType.INT32,
};

export function valueInfo(name: string, type: ElemType, dims: readonly Dim[]) {
  return onnx.ValueInfoProto.create({
    name,
    type: {
      tensorType: {
        elemType: ELEM[type],
        shape: { dim: dims.map((d) => (typeof d === "number" ? { dimValue: d } : { dimParam: d })) },
      },
    },
  });
}

export function floatTensor(name: string, dims: readonly number[], values: Float32Array) {
  return onnx.TensorProto.create({
    name,
    dims: [...dims],
    dataType: ELEM.float32,
    rawData: new Uint8Array(values.buffer, values.byteOffset, values.byteLength),
  });
}

export function int64Tensor(name: string, dims: readonly number[], values: readonly number[]) {
  const data = BigInt64Array.from(values, (v) => BigInt(v));
  return onnx.TensorProto.create({
    name,
    dims: [...dims],
    dataType: ELEM.int64,
    rawData: new Uint8Array(data.buffer),
  });
}

type Attr = number | number[] | string;

export function node(
  opType: string,
  inputs: string[],
  outputs: string[],
  attributes: Record<string, Attr> = {},
) {
  const AT = onnx.AttributeProto.AttributeType;
  return onnx.NodeProto.create({
    opType,
    input: inputs,
    output: outputs,
    attribute: Object.entries(attributes).map(([name, value]) =>
      typeof value === "string"
        ? onnx.AttributeProto.create({ name, type: AT.STRING, s: new TextEncoder().encode(value) })
        : Array.isArray(value)
          ? onnx.AttributeProto.create({ name, type: AT.INTS, ints: value })
          : onnx.AttributeProto.create({ name, type: AT.INT, i: value }),
    ),
  });
}

export interface GraphSpec {
  name: string;
  nodes: ReturnType<typeof node>[];
  initializers: ReturnType<typeof floatTensor>[];
  inputs: ReturnType<typeof valueInfo>[];
  outputs: ReturnType<typeof valueInfo>[];
}

/** Serialises a graph as an ONNX model (IR 8, opset 13). */
export function modelBytes(graph: GraphSpec): Uint8Array {
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: "@cxr/encoders testing",
    opsetImport: [{ domain: "", version: 13 }],
    graph: onnx.GraphProto.create({
      name: graph.name,
      node: graph.nodes,
      initializer: graph.initializers,
      input: graph.inputs,
      output: graph.outputs,
    }),
  });
  return onnx.ModelProto.encode(model).finish();
}
