import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The web UI's static files (packages/collector/ui), served at `/` and `/ui/*` without an API
 * key: they hold no data, the UI asks for a key when the API answers 401.
 *
 * The folder is indexed once and only indexed files are served, so no request path (`..`,
 * encoded slashes, symlinks added later) can reach a file outside it.
 */

/** Three levels up from src/extensions/decision_api and from dist/extensions/decision_api alike. */
export const UI_ROOT = fileURLToPath(new URL('../../../ui/', import.meta.url));

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.json': 'application/json; charset=utf-8',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

/** The UI talks to its own origin only; nothing is loaded from elsewhere. */
const SECURITY_HEADERS = {
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Content-Security-Policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
};

interface Asset {
  body: Buffer;
  etag: string;
  contentType: string;
}

export class UiAssets {
  private index: Promise<Map<string, Asset>> | null = null;

  constructor(private readonly root: string = UI_ROOT) {}

  /** Whether the path belongs to the UI (then `serve` answers it, if only with a 404). */
  static handles(pathname: string): boolean {
    return pathname === '/' || pathname === '/index.html' || pathname.startsWith('/ui/');
  }

  async serve(req: IncomingMessage, res: ServerResponse, pathname: string): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      req.resume();
      res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain; charset=utf-8' }).end('method not allowed\n');
      return;
    }
    const key = pathname === '/' ? '/index.html' : pathname.startsWith('/ui/') ? pathname.slice('/ui'.length) : pathname;
    const asset = (await this.assets()).get(key);
    if (asset === undefined) {
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8', ...SECURITY_HEADERS }).end('not found\n');
      return;
    }
    const headers = {
      ETag: asset.etag,
      // Names carry no content hash, so browsers revalidate each time (a 304 when unchanged).
      'Cache-Control': 'no-cache',
      ...SECURITY_HEADERS,
    };
    if (etagMatches(req.headers['if-none-match'], asset.etag)) {
      res.writeHead(304, headers).end();
      return;
    }
    res.writeHead(200, { ...headers, 'Content-Type': asset.contentType, 'Content-Length': asset.body.length });
    res.end(req.method === 'HEAD' ? undefined : asset.body);
  }

  private assets(): Promise<Map<string, Asset>> {
    this.index ??= indexFolder(this.root).catch((error: unknown) => {
      this.index = null;
      throw error;
    });
    return this.index;
  }
}

/** `/path` (URL form, `/` separators) → asset, for every regular file of a known type under `root`. */
async function indexFolder(root: string): Promise<Map<string, Asset>> {
  const index = new Map<string, Asset>();
  for (const entry of await readdir(root, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const contentType = CONTENT_TYPES[extname(entry.name)];
    if (contentType === undefined) continue;
    const file = join(entry.parentPath, entry.name);
    const body = await readFile(file);
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
    index.set(`/${relative(root, file).split(sep).join('/')}`, { body, etag, contentType });
  }
  return index;
}

function etagMatches(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  return header.split(',').some((tag) => {
    const t = tag.trim();
    return t === '*' || t === etag || t === `W/${etag}`;
  });
}
