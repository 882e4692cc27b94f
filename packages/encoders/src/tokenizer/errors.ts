/** Why a text could not be tokenized. Over-long text is never an error: it is truncated per manifest. */
export type TextErrorCode = "EMPTY_TEXT" | "NOT_A_STRING";

export class TextInputError extends Error {
  override readonly name = "TextInputError";
  constructor(
    readonly code: TextErrorCode,
    /** Position of the text in its batch, when known. */
    readonly index: number | undefined,
    message: string,
  ) {
    super(message);
  }
}

/** The tokenizer file or its settings are unusable (bad tokenizer.json, unknown special tokens, ...). */
export class TokenizerError extends Error {
  override readonly name = "TokenizerError";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
