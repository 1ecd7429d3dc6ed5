import { createHash, randomBytes } from 'node:crypto';
import { existsSync, promises as fs } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { Router, type NextFunction, type Request, type Response } from 'express';

/**
 * Bump when the esbuild options below change: the cache key must change with anything that
 * changes the output, and options are not otherwise part of it.
 */
const BUILD_FORMAT = 2;

/** Packages whose code ends up in the bundle; an upgrade of any of them must invalidate the cache. */
const BUNDLED_PACKAGES = [
  'esbuild',
  'graphiql',
  '@graphiql/react',
  '@graphiql/toolkit',
  '@graphiql/plugin-doc-explorer',
  '@graphiql/plugin-history',
  'graphql',
  'graphql-language-service',
  'graphql-ws',
  'monaco-editor',
  'monaco-graphql',
  'prettier',
  'react',
  'react-dom',
] as const;

/**
 * The web workers GraphiQL's editors (monaco) start, by the label the client maps monaco's request to.
 * Each is bundled as its own file: a worker is a separate script, it cannot live inside the page bundle.
 */
const WORKERS = {
  editor: 'monaco-editor/esm/vs/editor/editor.worker.js',
  json: 'monaco-editor/esm/vs/language/json/json.worker.js',
  graphql: 'monaco-graphql/esm/graphql.worker.js',
} as const;

/** Label of a bundled monaco web worker (see {@link PlaygroundAssets.workers}). */
export type PlaygroundWorker = keyof typeof WORKERS;

const WORKER_NAMES = Object.keys(WORKERS) as PlaygroundWorker[];

const ASSET_PREFIX = '/playground/assets';

/** Paths of the bundled playground files on disk. */
export interface PlaygroundAssets {
  /** Minified browser bundle (IIFE) of `client/main.tsx`. */
  js: string;
  /** GraphiQL's stylesheet, fonts inlined as data URLs. */
  css: string;
  /** Web worker scripts of the editors (IIFE), by label. */
  workers: Record<PlaygroundWorker, string>;
}

/** Where the files of the bundle with cache key `key` live in `dir`; the key in every name keeps them immutable. */
function assetPathsFor(dir: string, key: string): PlaygroundAssets {
  const workers = {} as Record<PlaygroundWorker, string>;
  for (const name of WORKER_NAMES) workers[name] = path.join(dir, `playground-${key}.${name}.worker.js`);
  return { js: path.join(dir, `playground-${key}.js`), css: path.join(dir, `playground-${key}.css`), workers };
}

function allFiles(assets: PlaygroundAssets): string[] {
  return [assets.js, assets.css, ...WORKER_NAMES.map((name) => assets.workers[name])];
}

/** Options of {@link createPlaygroundRouter}. */
export interface PlaygroundRouterOptions {
  /** Path Apollo is mounted on, e.g. `/graphql`; the page posts there and opens its websocket there. */
  graphqlPath: string;
  /** Prefilled in GraphiQL's headers editor, e.g. `{ Authorization: 'Bearer sb_…' }` for the demo user. */
  defaultHeaders?: Record<string, string>;
  /** Page title and logo text; defaults to "Switchboard". */
  title?: string;
  /** Operation shown on first visit; defaults to the welcome query built into the client. */
  defaultQuery?: string;
  /** Where bundles are cached between runs, e.g. `<repo>/.cache/playground`. */
  cacheDir: string;
}

/**
 * Where `npm run build` puts the prebuilt bundle: next to the compiled module (`dist/playground/assets`).
 * Running from source (`npm start`) there is none, and the bundle is built into the cache instead.
 */
const PREBUILT_DIR = path.join(__dirname, 'assets');
const MANIFEST = 'manifest.json';

/**
 * The entry is TSX source, which `tsc` does not copy into `dist`; compiled code without a prebuilt
 * bundle falls back to the source tree (`dist/playground` → `src/playground`).
 */
function resolveClientEntry(): string {
  const candidates = [
    path.join(__dirname, 'client', 'main.tsx'),
    path.resolve(__dirname, '..', '..', 'src', 'playground', 'client', 'main.tsx'),
  ];
  const found = candidates.find((candidate) => existsSync(candidate));
  if (!found) throw new Error(`playground: client entry not found (looked in ${candidates.join(', ')})`);
  return found;
}

async function packageVersion(requireFromEntry: NodeJS.Require, name: string): Promise<string> {
  // Some packages' `exports` hide package.json from require.resolve, so read it from the search paths.
  for (const dir of requireFromEntry.resolve.paths(name) ?? []) {
    try {
      const manifest = JSON.parse(await fs.readFile(path.join(dir, name, 'package.json'), 'utf8')) as { version?: string };
      return manifest.version ?? 'unknown';
    } catch {
      continue;
    }
  }
  return 'missing';
}

/** Every file of the client folder, sorted: the entry may import siblings, and any of them changes the bundle. */
async function clientFiles(dir: string): Promise<string[]> {
  const entries = await fs.readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath, e.name))
    .sort();
}

async function cacheKey(entry: string): Promise<string> {
  const requireFromEntry = createRequire(entry);
  const hash = createHash('sha256');
  hash.update(`format:${BUILD_FORMAT}\n`);
  const dir = path.dirname(entry);
  for (const file of await clientFiles(dir)) {
    hash.update(`\n${path.relative(dir, file)}\n`);
    hash.update(await fs.readFile(file));
  }
  for (const name of BUNDLED_PACKAGES) hash.update(`\n${name}@${await packageVersion(requireFromEntry, name)}`);
  return hash.digest('hex').slice(0, 16);
}

/** rename() is atomic within a filesystem, so a concurrent reader sees the old file or the whole new one. */
async function writeAtomically(file: string, contents: Uint8Array): Promise<void> {
  const tmp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await fs.writeFile(tmp, contents);
    await fs.rename(tmp, file);
  } catch (error) {
    await fs.rm(tmp, { force: true });
    throw error;
  }
}

/**
 * Old bundles are only removed once they are a day old: another process (an older server still
 * starting up) may be about to read the files it just found.
 */
async function pruneStale(cacheDir: string, keep: ReadonlySet<string>): Promise<void> {
  const DAY_MS = 24 * 60 * 60 * 1000;
  const entries = await fs.readdir(cacheDir).catch(() => [] as string[]);
  await Promise.all(
    entries
      .filter((name) => name.startsWith('playground-') && !keep.has(name))
      .map(async (name) => {
        const file = path.join(cacheDir, name);
        const stat = await fs.stat(file).catch(() => null);
        if (stat && Date.now() - stat.mtimeMs > DAY_MS) await fs.rm(file, { force: true }).catch(() => undefined);
      }),
  );
}

/** esbuild builds in flight in this process; its service is stopped when the last one ends. */
let bundlesRunning = 0;

async function bundle(entry: string, cacheDir: string, assets: PlaygroundAssets): Promise<void> {
  // Loaded lazily: esbuild spawns a native service and is only needed when the cache is cold.
  const esbuild = await import('esbuild');
  bundlesRunning++;
  const requireFromEntry = createRequire(entry);
  const workerEntries = Object.fromEntries(WORKER_NAMES.map((name) => [`${name}.worker`, requireFromEntry.resolve(WORKERS[name])]));
  const building = esbuild.build({
    entryPoints: { playground: entry, ...workerEntries },
    entryNames: '[name]',
    bundle: true,
    minify: true,
    platform: 'browser',
    format: 'iife',
    target: ['es2020'],
    jsx: 'automatic',
    define: { 'process.env.NODE_ENV': '"production"' },
    // Fonts and icons become data URLs so the page references no file besides the two bundles.
    loader: { '.woff': 'dataurl', '.woff2': 'dataurl', '.ttf': 'dataurl', '.svg': 'dataurl', '.png': 'dataurl' },
    legalComments: 'eof',
    outdir: cacheDir,
    write: false,
    logLevel: 'silent',
  });
  // The service would otherwise idle for the server's whole life, and outlive its exit briefly.
  const result = await building.finally(() => {
    if (--bundlesRunning === 0) void esbuild.stop();
  });
  const output = (name: string) => {
    const file = result.outputFiles.find((candidate) => path.basename(candidate.path) === name);
    if (!file) throw new Error(`playground: esbuild produced no ${name}`);
    return file.contents;
  };
  const js = output('playground.js');
  const css = output('playground.css');
  const workers = WORKER_NAMES.map((name) => [assets.workers[name], output(`${name}.worker.js`)] as const);
  await fs.mkdir(cacheDir, { recursive: true });
  // The page bundle last: a reader checks for it, so its appearing means the whole set is complete.
  await writeAtomically(assets.css, css);
  for (const [file, contents] of workers) await writeAtomically(file, contents);
  await writeAtomically(assets.js, js);
}

/** What the build writes next to the bundles, so the server finds them without esbuild or the sources. */
interface PrebuiltManifest {
  js: string;
  css: string;
  workers?: Partial<Record<PlaygroundWorker, string>>;
}

/**
 * Bundles the client into `outDir` for a production build (`npm run build` → `dist/playground/assets`)
 * and writes the manifest {@link prebuiltPlaygroundAssets} reads. Older bundles there are removed.
 *
 * @returns Absolute paths of the JS, CSS and worker bundles written.
 */
export async function writePrebuiltPlayground(outDir: string): Promise<PlaygroundAssets> {
  const dir = path.resolve(outDir);
  await fs.rm(dir, { recursive: true, force: true });
  const entry = resolveClientEntry();
  const key = await cacheKey(entry);
  const assets = assetPathsFor(dir, key);
  await bundle(entry, dir, assets);
  const manifest: PrebuiltManifest = {
    js: path.basename(assets.js),
    css: path.basename(assets.css),
    workers: Object.fromEntries(WORKER_NAMES.map((name) => [name, path.basename(assets.workers[name])])),
  };
  await fs.writeFile(path.join(dir, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
  return assets;
}

/**
 * The bundle `npm run build` put next to this module, or null when there is none (running from
 * source) or it is incomplete.
 */
export async function prebuiltPlaygroundAssets(dir: string = PREBUILT_DIR): Promise<PlaygroundAssets | null> {
  let manifest: PrebuiltManifest;
  try {
    manifest = JSON.parse(await fs.readFile(path.join(dir, MANIFEST), 'utf8')) as PrebuiltManifest;
  } catch {
    return null;
  }
  const workers = {} as Record<PlaygroundWorker, string>;
  for (const name of WORKER_NAMES) {
    const file = manifest.workers?.[name];
    // A build of an older version has no workers; bundling anew beats serving a page that cannot start.
    if (typeof file !== 'string') return null;
    workers[name] = path.join(dir, path.basename(file));
  }
  const assets = { js: path.join(dir, path.basename(manifest.js)), css: path.join(dir, path.basename(manifest.css)), workers };
  return allFiles(assets).every((file) => existsSync(file)) ? assets : null;
}

/** Builds in flight in this process, so several routers created at once share one esbuild run. */
const pendingBuilds = new Map<string, Promise<PlaygroundAssets>>();

/**
 * Bundles the GraphiQL client (`client/main.tsx`) into `cacheDir`, or reuses the bundle already
 * there when it was built from the same source and package versions.
 *
 * Safe to call from several processes at once (each writes to a temporary file and renames it into
 * place) and repeatedly within one process (concurrent calls share a build).
 *
 * @param cacheDir - Directory for the bundles, created if missing, e.g. `<repo>/.cache/playground`.
 * @returns Absolute paths of the JS, CSS and worker bundles; their names contain the cache key, so
 *   they can be served as immutable.
 */
export async function buildPlaygroundAssets(cacheDir: string): Promise<PlaygroundAssets> {
  const dir = path.resolve(cacheDir);
  const entry = resolveClientEntry();
  const key = await cacheKey(entry);
  const assets = assetPathsFor(dir, key);
  const memoKey = `${dir}\0${key}`;
  let pending = pendingBuilds.get(memoKey);
  if (!pending) {
    pending = (async () => {
      if (allFiles(assets).every((file) => existsSync(file))) return assets;
      await bundle(entry, dir, assets);
      await pruneStale(dir, new Set(allFiles(assets).map((file) => path.basename(file))));
      return assets;
    })();
    pendingBuilds.set(memoKey, pending);
    // A failed build must not be remembered: the next call should retry.
    pending.catch(() => pendingBuilds.delete(memoKey));
  }
  return pending;
}

interface LoadedAsset {
  name: string;
  type: string;
  etag: string;
  body: Buffer;
  gzipped: Buffer;
}

/**
 * Assets are held in memory (a few MB) rather than streamed from disk: a later build in another
 * process may prune the files, and compressing once beats compressing on every request.
 */
async function loadAsset(file: string, type: string): Promise<LoadedAsset> {
  const body = await fs.readFile(file);
  return {
    name: path.basename(file),
    type,
    etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`,
    body,
    gzipped: gzipSync(body, { level: 9 }),
  };
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

/**
 * JSON is not safe inside <script> as-is: `</script>` or `<!--` in a value would end or change the
 * script element, and U+2028/U+2029 break older JS parsers. Unicode escapes keep the value intact.
 */
function jsonForScript(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** Apollo's own rule (it negotiates the same list), so GET queries from tools keep reaching Apollo. */
function prefersHtml(req: Request): boolean {
  return req.accepts(['application/json', 'application/graphql-response+json', 'multipart/mixed', 'text/html']) === 'text/html';
}

/**
 * Creates an express router serving a self-contained GraphiQL playground:
 *
 * - `GET <graphqlPath>` answers with the page only when the client prefers `text/html` (a browser
 *   navigation); any other request goes to `next()`, so Apollo still serves GET queries there.
 * - `GET /playground` serves the same page.
 * - `GET /playground/assets/<name>` serves the bundles, immutable (their names contain a hash).
 *
 * The page loads nothing from outside the server; its Content-Security-Policy enforces that.
 * Mount it before Apollo's middleware. Serves the bundle of a production build when there is one
 * ({@link writePrebuiltPlayground}); otherwise bundles on first use (see {@link buildPlaygroundAssets}),
 * so the promise can take a few seconds on a cold cache.
 */
export async function createPlaygroundRouter(opts: PlaygroundRouterOptions): Promise<Router> {
  const assetPaths = (await prebuiltPlaygroundAssets()) ?? (await buildPlaygroundAssets(opts.cacheDir));
  const JS_TYPE = 'text/javascript; charset=utf-8';
  const [js, css, ...workerAssets] = await Promise.all([
    loadAsset(assetPaths.js, JS_TYPE),
    loadAsset(assetPaths.css, 'text/css; charset=utf-8'),
    ...WORKER_NAMES.map((name) => loadAsset(assetPaths.workers[name], JS_TYPE)),
  ]);
  const assets = new Map([js, css, ...workerAssets].map((asset) => [asset.name, asset]));
  const title = opts.title ?? 'Switchboard';
  const defaultHeaders = opts.defaultHeaders ? JSON.stringify(opts.defaultHeaders, null, 2) : undefined;

  const renderPage = (req: Request, res: Response): void => {
    // baseUrl is non-empty when the router is mounted under a prefix (app.use('/api', router)).
    const base = req.baseUrl;
    const endpoint = `${base}${opts.graphqlPath}`;
    const workers = Object.fromEntries(WORKER_NAMES.map((name, i) => [name, `${base}${ASSET_PREFIX}/${workerAssets[i].name}`]));
    const config = { endpoint, subscriptionEndpoint: null, defaultHeaders, defaultQuery: opts.defaultQuery, title, workers };
    const inlineScript = `window.__SWITCHBOARD__ = ${jsonForScript(config)};`;
    const scriptHash = createHash('sha256').update(inlineScript).digest('base64');
    const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${escapeHtml(title)}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${escapeHtml(`${base}${ASSET_PREFIX}/${css.name}`)}">
<style>html, body, #root { height: 100%; margin: 0; overflow: hidden; }</style>
</head>
<body>
<div id="root"><noscript>The ${escapeHtml(title)} playground needs JavaScript.</noscript></div>
<script>${inlineScript}</script>
<script src="${escapeHtml(`${base}${ASSET_PREFIX}/${js.name}`)}"></script>
</body>
</html>
`;
    // Chromium matches ws:/wss: against 'self', older Safari does not; the Host header is only
    // echoed when it is a plain host[:port], so it cannot smuggle other directives in.
    const host = req.get('host');
    const wsSources = host && /^[A-Za-z0-9.\-:[\]]+$/.test(host) ? ` ws://${host} wss://${host}` : '';
    res.set({
      'Content-Type': 'text/html; charset=utf-8',
      // The page embeds a bearer token, so no cache (browser or proxy) may keep it.
      'Cache-Control': 'no-store',
      // The same URL answers JSON to API clients: caches must key on Accept.
      Vary: 'Accept',
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
      'Content-Security-Policy': [
        "default-src 'none'",
        `script-src 'self' 'sha256-${scriptHash}'`,
        // The editors' web workers, loaded from the asset route.
        "worker-src 'self'",
        // GraphiQL and monaco set inline styles.
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        `connect-src 'self'${wsSources}`,
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'self'",
      ].join('; '),
    });
    res.send(html);
  };

  const router = Router();

  router.get(opts.graphqlPath, (req: Request, res: Response, next: NextFunction) => {
    if (!prefersHtml(req)) {
      // Apollo answers JSON on this path too; caches must not serve one for the other.
      res.vary('Accept');
      next();
      return;
    }
    renderPage(req, res);
  });

  router.get('/playground', renderPage);

  router.get(`${ASSET_PREFIX}/:name`, (req: Request, res: Response) => {
    const asset = assets.get(String(req.params.name));
    if (!asset) {
      res.status(404).type('text/plain').send('Not found');
      return;
    }
    res.set({
      'Content-Type': asset.type,
      'Cache-Control': 'public, max-age=31536000, immutable',
      ETag: asset.etag,
      Vary: 'Accept-Encoding',
      'X-Content-Type-Options': 'nosniff',
    });
    if (req.fresh) {
      res.status(304).end();
      return;
    }
    // Content-Encoding set here also keeps a compression middleware, if one is added, from redoing it.
    if (req.acceptsEncodings('gzip') === 'gzip') {
      res.set('Content-Encoding', 'gzip');
      res.send(asset.gzipped);
    } else {
      res.send(asset.body);
    }
  });

  return router;
}
