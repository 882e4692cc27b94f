import { BenchError, CatalogError, IndexSearchError, UploadError } from "@cxr/services";
import { GraphQLError } from "graphql/index.js";
import { describe, expect, it } from "vitest";
import { formatError, INTERNAL_MESSAGE, publicMessage, toGraphQLError, toHttpError } from "../src/errors.ts";

describe("the API's error mapping", () => {
  it("maps each service's codes to GraphQL codes, keeping the service code as the reason", () => {
    const cases: Array<[Error, string, string]> = [
      [new IndexSearchError("UNKNOWN_MODEL", "no model"), "NOT_FOUND", "UNKNOWN_MODEL"],
      [new IndexSearchError("EMPTY_TEXT", "empty"), "BAD_USER_INPUT", "EMPTY_TEXT"],
      [new IndexSearchError("MODEL_UNAVAILABLE", "cannot load"), "UNAVAILABLE", "MODEL_UNAVAILABLE"],
      [new BenchError("UNKNOWN_RUN", "no run"), "NOT_FOUND", "UNKNOWN_RUN"],
      [new CatalogError("UNKNOWN_STUDY", "no study"), "NOT_FOUND", "UNKNOWN_STUDY"],
      [new UploadError("TOO_LARGE", "too big"), "BAD_USER_INPUT", "TOO_LARGE"],
    ];
    for (const [error, code, reason] of cases) {
      expect(toGraphQLError(error).extensions).toEqual({ code, reason });
    }
    expect(toHttpError(new UploadError("UNKNOWN_UPLOAD", "gone")).status).toBe(404);
    expect(toHttpError(new IndexSearchError("MODEL_UNAVAILABLE", "x")).status).toBe(503);
  });

  it("hides what is not a service error, and a service failure that is the server's own", () => {
    const secret = new Error("SELECT * FROM Report WHERE fullText = 'effusion' at /srv/data/cxr.db");
    const mapped = toGraphQLError(secret);
    expect(mapped.message).toBe(INTERNAL_MESSAGE);
    expect(mapped.extensions.code).toBe("INTERNAL_SERVER_ERROR");
    expect(toGraphQLError(new BenchError("RUN_FAILED", "/srv/data/x failed")).message).toBe(INTERNAL_MESSAGE);
    // an error thrown by a resolver without mapping is mapped by formatError
    const formatted = formatError(
      { message: secret.message, extensions: { code: "INTERNAL_SERVER_ERROR", stacktrace: ["at x"] } },
      new GraphQLError(secret.message, { originalError: secret }),
    );
    expect(formatted).toEqual({ message: INTERNAL_MESSAGE, extensions: { code: "INTERNAL_SERVER_ERROR" } });
  });

  it("removes server paths from the messages it shows", () => {
    expect(publicMessage(`model "m" cannot be loaded from /srv/models/m/image.onnx: bad graph`)).toBe(
      `model "m" cannot be loaded from <path>: bad graph`,
    );
    expect(publicMessage("first line\nsecond line with more")).toBe("first line");
  });
});
