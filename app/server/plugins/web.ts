import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { API_PREFIX } from '../../config/http.js';
import type { Config } from '../../config/index.js';

/** Where `npm run build:web` writes the bundle, relative to the working directory (the repository or /app). */
export const DEFAULT_WEB_DIST_DIR = 'build/web';
/** The web app's sources; absent in the production image, which ships only the built bundle. */
export const WEB_SOURCE_DIR = 'app/web';

export interface WebPluginOptions {
  config: Pick<Config, 'SERVE_WEB' | 'WEB_DIST_DIR' | 'NODE_ENV'>;
}

/**
 * When the server builds the web app itself: in development (`npm start`) when the bundle is missing or older
 * than its sources — never in production (the image carries the bundle, and Vite is a dev dependency) and
 * never inside a test run (`VITEST` set), where parallel test files would race to rebuild the same folder;
 * the browser test builds explicitly with {@link buildWebApp}.
 */
export function shouldAutoBuild(
  config: Pick<Config, 'NODE_ENV'>,
  processEnv: NodeJS.ProcessEnv = process.env,
): boolean {
  return config.NODE_ENV === 'development' && !processEnv.VITEST && existsSync(WEB_SOURCE_DIR);
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(full) : statSync(full).mtimeMs);
  }
  return newest;
}

/** True when the bundle is missing or any source file changed after it was built. */
export function isWebBuildStale(distDir: string, sourceDir = WEB_SOURCE_DIR): boolean {
  const index = path.join(distDir, 'index.html');
  if (!existsSync(index)) return true;
  return existsSync(sourceDir) && newestMtime(sourceDir) > statSync(index).mtimeMs;
}

/** Builds the web app with Vite's JS API into `outDir` (the same config as `npm run build:web`). */
export async function buildWebApp(outDir: string, sourceDir = WEB_SOURCE_DIR): Promise<void> {
  // Imported lazily: Vite is a dev dependency and absent from the production image.
  const { build } = await import('vite');
  await build({
    configFile: path.resolve(sourceDir, 'vite.config.ts'),
    logLevel: 'warn',
    build: { outDir: path.resolve(outDir), emptyOutDir: true },
  });
}

const FINGERPRINTED = /^assets\//;

/**
 * Serves the built single-page app at `/`, registered after the API so `/api/*` keeps priority: existing files
 * as they are (fingerprinted assets cached for good), any other non-API GET gets index.html (client routes such
 * as /chat/<id> or the payment return /billing?payment=…). Unknown API paths still answer JSON 404.
 */
export default async function webApp(app: FastifyInstance, { config }: WebPluginOptions): Promise<void> {
  if (!config.SERVE_WEB) return;
  const distDir = path.resolve(config.WEB_DIST_DIR ?? DEFAULT_WEB_DIST_DIR);
  const log: FastifyBaseLogger = app.log;

  if (shouldAutoBuild(config) && isWebBuildStale(distDir)) {
    log.info({ distDir }, 'building the web app (missing or older than app/web)');
    try {
      await buildWebApp(distDir);
      log.info({ distDir }, 'web app built');
    } catch (error) {
      // The API stays useful without its web app; the page below says how to build it by hand.
      log.error({ err: error }, 'web app build failed; run `npm run build:web`');
    }
  }

  const indexFile = path.join(distDir, 'index.html');
  if (!existsSync(indexFile)) {
    log.warn({ distDir }, 'web app not built: run `npm run build:web` (or set SERVE_WEB=false)');
  }

  await app.register(fastifyStatic, { root: distDir, serve: false });

  app.get('/*', { schema: { hide: true } }, async (request, reply) => {
    const pathname = request.url.split('?')[0] ?? '/';
    if (pathname === API_PREFIX || pathname.startsWith('/api/')) return reply.callNotFound();
    let relative: string;
    try {
      relative = decodeURIComponent(pathname).replace(/^\/+/, '');
    } catch {
      return reply.callNotFound();
    }
    const file = path.resolve(distDir, relative);
    const inside = file.startsWith(distDir + path.sep);
    if (relative && inside && existsSync(file) && statSync(file).isFile()) {
      const immutable = FINGERPRINTED.test(relative);
      return reply.sendFile(relative, { immutable, maxAge: immutable ? '365d' : 0, cacheControl: true });
    }
    // A missing script or image is a 404, not the app shell (which would be parsed as the wrong type).
    if (path.extname(relative)) return reply.callNotFound();
    if (!existsSync(indexFile)) {
      return reply
        .code(503)
        .type('text/plain; charset=utf-8')
        .send('The DocuChat web app is not built yet: run `npm run build:web`, then reload.');
    }
    return reply.header('cache-control', 'no-cache').sendFile('index.html', { cacheControl: false });
  });
}
