/**
 * Why a document could not be turned into text. Each reason has a message a user can act on; the upload route
 * answers 422 with it, and a background job stores it as the document's failure reason.
 */
export type DocumentParseReason =
  | 'corrupt'
  | 'empty'
  | 'no_text'
  | 'encrypted'
  | 'too_many_pages'
  | 'zip_bomb'
  | 'unsupported';

export class DocumentParseError extends Error {
  override readonly name = 'DocumentParseError';

  constructor(
    readonly reason: DocumentParseReason,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export function isDocumentParseError(error: unknown): error is DocumentParseError {
  return error instanceof DocumentParseError;
}
