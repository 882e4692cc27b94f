/**
 * Messages between ModelEncoder and its preprocessing workers. Errors cross the thread boundary as
 * plain data and are rebuilt as the same classes with the same code, input and message, so a worker
 * and the main thread report an item's failure identically.
 */
import { ImageDecodeError, type ImageDecodeErrorCode } from "../image/errors.ts";
import { PreprocessError } from "../preprocess/run.ts";
import { type TextErrorCode, TextInputError } from "../tokenizer/errors.ts";
import { type EncodeFailure, EncoderError, type EncoderErrorCode } from "./errors.ts";
import type { ImagePayload, ImagePrepareSpec } from "./prepare-image.ts";

export interface WorkerInit {
  spec: ImagePrepareSpec;
}

export interface PrepareRequest {
  id: number;
  name: string;
  payload: ImagePayload;
}

type WireCause = { name: string; message: string } | undefined;

export type WireError =
  | { kind: "decode"; code: ImageDecodeErrorCode; input: string; message: string; cause: WireCause }
  | { kind: "preprocess"; stepIndex: number; message: string }
  | { kind: "encoder"; code: EncoderErrorCode; input: string; message: string; cause: WireCause }
  | { kind: "text"; code: TextErrorCode; index: number | undefined; message: string };

export type PrepareReply =
  | { id: number; ok: true; data: Float32Array }
  | { id: number; ok: false; error: WireError };

export type WorkerMessage = { ready: true } | { ready: false; reason: string } | PrepareReply;

function wireCause(cause: unknown): WireCause {
  if (cause === undefined) return undefined;
  if (cause instanceof Error) return { name: cause.name, message: cause.message };
  return { name: "Error", message: String(cause) };
}

export function toWire(error: EncodeFailure): WireError {
  if (error instanceof ImageDecodeError) {
    return {
      kind: "decode",
      code: error.code,
      input: error.input,
      message: error.message,
      cause: wireCause(error.cause),
    };
  }
  if (error instanceof PreprocessError) {
    return { kind: "preprocess", stepIndex: error.stepIndex, message: error.message };
  }
  if (error instanceof TextInputError) {
    return { kind: "text", code: error.code, index: error.index, message: error.message };
  }
  return {
    kind: "encoder",
    code: error.code,
    input: error.input,
    message: error.message,
    cause: wireCause(error.cause),
  };
}

function rebuildCause(cause: WireCause): { cause?: unknown } | undefined {
  if (cause === undefined) return undefined;
  const error = new Error(cause.message);
  error.name = cause.name;
  return { cause: error };
}

/** The constructors prefix the message with `input: code: `; the rest is the reason they were given. */
function reasonOf(message: string, prefix: string): string {
  return message.startsWith(prefix) ? message.slice(prefix.length) : message;
}

export function fromWire(wire: WireError): EncodeFailure {
  switch (wire.kind) {
    case "decode":
      return new ImageDecodeError(
        wire.code,
        wire.input,
        reasonOf(wire.message, `${wire.input}: ${wire.code}: `),
        rebuildCause(wire.cause),
      );
    case "preprocess":
      return new PreprocessError(
        wire.stepIndex,
        reasonOf(wire.message, `preprocess step ${wire.stepIndex}: `),
      );
    case "text":
      return new TextInputError(wire.code, wire.index, wire.message);
    case "encoder":
      return new EncoderError(
        wire.code,
        wire.input,
        reasonOf(wire.message, `${wire.input}: ${wire.code}: `),
        rebuildCause(wire.cause),
      );
  }
}
