/** A non-2xx answer of the API, with the server's stable code and its readable message. */
export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export function isApiError(error: unknown): error is ApiError {
  return error instanceof ApiError;
}

/** Reads `{error, message}` from an error response; falls back to the status line when the body is not JSON. */
export async function apiErrorFrom(response: Response): Promise<ApiError> {
  const text = await response.text().catch(() => '');
  return apiErrorFromText(response.status, text, response.statusText);
}

export function apiErrorFromText(status: number, text: string, statusText = ''): ApiError {
  try {
    const body = JSON.parse(text) as { error?: unknown; message?: unknown };
    if (typeof body.error === 'string') {
      return new ApiError(status, body.error, typeof body.message === 'string' ? body.message : body.error);
    }
  } catch {
    // not JSON (a proxy's error page)
  }
  return new ApiError(status, `http_${status}`, statusText || `HTTP ${status}`);
}
