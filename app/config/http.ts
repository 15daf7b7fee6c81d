/**
 * HTTP facts the application decides for itself. Operations code (manifests, probes, scrape config) imports
 * them from here instead of repeating them.
 */
export const DEFAULT_PORT = 8000;
export const API_PREFIX = '/api/v1';
/** Readiness: 200 when the database, cache and language provider are usable, 503 otherwise. */
export const HEALTH_PATH = `${API_PREFIX}/health`;
/** Liveness: 200 while the process runs. */
export const LIVENESS_PATH = `${API_PREFIX}/health/live`;
export const METRICS_PATH = `${API_PREFIX}/metrics`;
export const OPENAPI_DOCS_PATH = '/api/docs';
/** Paths that stream Server-Sent Events; proxies must not buffer them. */
export const STREAMING_PATHS = [`${API_PREFIX}/chat`, `${API_PREFIX}/documents`] as const;
/** Interval of the SSE heartbeat comment that keeps idle proxies from closing a stream. */
export const SSE_HEARTBEAT_SECONDS = 15;
