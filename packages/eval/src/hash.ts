// The product's one sha256 lives in @cxr/config; eval's modules keep importing it from here.
export { sha256Bytes, sha256Hex } from "@cxr/config";
