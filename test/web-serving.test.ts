import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import errorHandling from '../app/server/plugins/errors.js';
import webApp, { isWebBuildStale, shouldAutoBuild } from '../app/server/plugins/web.js';

/** How the API serves the built web app: after the API routes, with a fallback to the app shell. */

const SHELL =
  '<!doctype html><html><head><script type="module" src="/assets/index-abc123.js"></script></head><body><div id="root"></div></body></html>';

let root: string;
let dist: string;
let app: FastifyInstance | undefined;

async function serve(config: { SERVE_WEB: boolean; WEB_DIST_DIR?: string }) {
  app = Fastify();
  await app.register(errorHandling);
  await app.register(
    async (api) => {
      api.get('/health', async () => ({ status: 'ok' }));
    },
    { prefix: '/api/v1' },
  );
  await app.register(webApp, { config: { NODE_ENV: 'test', ...config } });
  return app;
}

beforeAll(() => {
  root = mkdtempSync(path.join(tmpdir(), 'docuchat-web-serving-'));
  dist = path.join(root, 'web');
  mkdirSync(path.join(dist, 'assets'), { recursive: true });
  writeFileSync(path.join(dist, 'index.html'), SHELL);
  writeFileSync(path.join(dist, 'assets', 'index-abc123.js'), 'console.log("app")');
});

afterEach(async () => {
  await app?.close();
  app = undefined;
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('serving the web app', () => {
  it('answers client routes with the app shell, never cached, so a deploy shows at once', async () => {
    const server = await serve({ SERVE_WEB: true, WEB_DIST_DIR: dist });
    for (const url of [
      '/',
      '/documents',
      '/chat/6b0d3f7e-1111-4222-8333-944445555666',
      '/billing?payment=paid',
    ]) {
      const response = await server.inject({ method: 'GET', url });
      expect(response.statusCode, url).toBe(200);
      expect(response.headers['content-type']).toContain('text/html');
      expect(response.headers['cache-control']).toBe('no-cache');
      expect(response.body).toBe(SHELL);
    }
  });

  it('serves fingerprinted assets cacheable for a year', async () => {
    const server = await serve({ SERVE_WEB: true, WEB_DIST_DIR: dist });
    const response = await server.inject({ method: 'GET', url: '/assets/index-abc123.js' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toContain('javascript');
    expect(response.headers['cache-control']).toContain('immutable');
  });

  it('keeps the API first: its routes answer, unknown API paths are JSON 404s, not the app shell', async () => {
    const server = await serve({ SERVE_WEB: true, WEB_DIST_DIR: dist });
    expect((await server.inject({ method: 'GET', url: '/api/v1/health' })).json()).toEqual({ status: 'ok' });
    const missing = await server.inject({ method: 'GET', url: '/api/v1/nothing-here' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ error: 'not_found' });
  });

  it('answers a missing asset with 404 instead of HTML, and never leaves the bundle folder', async () => {
    const server = await serve({ SERVE_WEB: true, WEB_DIST_DIR: dist });
    expect((await server.inject({ method: 'GET', url: '/assets/gone-999.js' })).statusCode).toBe(404);
    writeFileSync(path.join(root, 'secret.txt'), 'outside');
    for (const url of ['/../secret.txt', '/%2e%2e/secret.txt', '/assets/..%2f..%2fsecret.txt']) {
      const response = await server.inject({ method: 'GET', url });
      expect(response.body, url).not.toContain('outside');
    }
  });

  it('says how to build the app when the bundle is missing', async () => {
    const server = await serve({ SERVE_WEB: true, WEB_DIST_DIR: path.join(root, 'not-built') });
    const response = await server.inject({ method: 'GET', url: '/documents' });
    expect(response.statusCode).toBe(503);
    expect(response.body).toContain('npm run build:web');
  });

  it('serves nothing but the API with SERVE_WEB=false', async () => {
    const server = await serve({ SERVE_WEB: false, WEB_DIST_DIR: dist });
    expect((await server.inject({ method: 'GET', url: '/' })).statusCode).toBe(404);
    expect((await server.inject({ method: 'GET', url: '/api/v1/health' })).statusCode).toBe(200);
  });
});

describe('automatic build', () => {
  it('builds in development only: not in production (no Vite there) and not inside a test run', () => {
    expect(shouldAutoBuild({ NODE_ENV: 'production' }, {})).toBe(false);
    expect(shouldAutoBuild({ NODE_ENV: 'development' }, { VITEST: 'true' })).toBe(false);
    expect(shouldAutoBuild({ NODE_ENV: 'development' }, {})).toBe(true);
  });

  it('calls a bundle stale when it is missing or older than any source file', () => {
    const sources = path.join(root, 'src');
    mkdirSync(path.join(sources, 'nested'), { recursive: true });
    const source = path.join(sources, 'nested', 'App.tsx');
    writeFileSync(source, 'export {}');
    expect(isWebBuildStale(path.join(root, 'nowhere'), sources)).toBe(true);
    const old = new Date('2026-01-01T00:00:00Z');
    const newer = new Date('2026-01-02T00:00:00Z');
    utimesSync(source, old, old);
    utimesSync(path.join(dist, 'index.html'), newer, newer);
    expect(isWebBuildStale(dist, sources)).toBe(false);
    utimesSync(source, newer, new Date('2026-01-03T00:00:00Z'));
    expect(isWebBuildStale(dist, sources)).toBe(true);
  });
});
