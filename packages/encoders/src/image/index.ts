export { DEFAULT_MAX_PIXELS, type DecodeOptions, decodeImage } from "./decode.ts";
export { decodeDicom, isDicom } from "./dicom.ts";
export { encodePng } from "./encode.ts";
export { ImageDecodeError, type ImageDecodeErrorCode, isImageDecodeError } from "./errors.ts";
export { channelsOf, type DecodedImage, type DecodedSource, type ImageMode, makeImage } from "./types.ts";
