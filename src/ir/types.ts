// The IR: plain data, no classes. One graph type holds both dialects (ONNX ops as imported, and bnnc's
// lowered ops); the interpreter runs both, so every pass can be checked by running before and after it.

/**
 * Element types. int64 values are held in a Float64Array: exact up to 2^53, saturated beyond (ONNX uses
 * INT64_MAX/MIN only as "to the end" markers in Slice-like attributes). bool is a Uint8Array of 0/1.
 */
export type DType = 'float32' | 'float64' | 'int8' | 'uint8' | 'int16' | 'uint16' | 'int32' | 'int64' | 'bool';

export type TensorData = Float32Array | Float64Array | Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array;

export interface Tensor {
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly data: TensorData;
}

/** A value's static type. A dimension is a number once shapes are resolved (bnnc compiles static shapes). */
export interface TensorType {
  readonly dtype: DType;
  readonly shape: readonly number[];
}

export type AttrValue = number | string | readonly number[] | readonly string[] | Tensor;
export type Attrs = Readonly<Record<string, AttrValue>>;

export interface Node {
  readonly name: string;
  readonly op: string;
  /** '' for the default ONNX domain; 'qonnx' for QONNX/FINN/Brevitas custom ops; 'bnnc' for lowered ops. */
  readonly domain: string;
  /** '' marks an omitted optional input, as in ONNX. */
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attrs: Attrs;
}

export interface ValueInfo {
  readonly name: string;
  readonly type: TensorType;
}

/**
 * How the firmware's raw integer input maps to the model's float input: x = (q − zero_point) · scale / divisor
 * (a scale written as a fraction such as 1/255 is a division, rounded once as pixel / 255 is in float32).
 */
export interface InputQuant {
  readonly dtype: 'uint8' | 'int8';
  readonly scale: number;
  readonly divisor: number;
  readonly zeroPoint: number;
}

export interface Graph {
  readonly name: string;
  readonly inputs: readonly ValueInfo[];
  readonly outputs: readonly string[];
  /** In topological order (the importer sorts; passes keep the order). */
  readonly nodes: readonly Node[];
  readonly initializers: ReadonlyMap<string, Tensor>;
  /** Static types of every value (inputs, initializers, node outputs) after shape inference. */
  readonly types: ReadonlyMap<string, TensorType>;
  /** The default-domain opset the model was written against. */
  readonly opset: number;
  /**
   * Lowered graphs: how raw input maps to the float model's input (declared, or the model's own 8-bit input
   * Quant), which back ends state in the generated API. Absent: the model takes its integers as they are.
   */
  readonly inputQuant?: InputQuant;
}
