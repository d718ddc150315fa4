import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request, createServer, type Server } from 'node:http';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { UI_ROOT, UiAssets } from '../src/extensions/decision_api/ui-assets.js';

/** A raw request: fetch() would normalise `..` away before sending it. */
function get(port: number, path: string, headers: Record<string, string> = {}, method = 'GET') {
  return new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('UI static files', () => {
  let server: Server;
  let port: number;
  before(async () => {
    // A UI folder beside a secret file one level up, to show requests cannot climb out of it.
    const dir = mkdtempSync(join(tmpdir(), 'dt-ui-'));
    writeFileSync(join(dir, 'secret.json'), '{"secret":"do not serve"}');
    const ui = join(dir, 'ui');
    mkdirSync(join(ui, 'lib'), { recursive: true });
    writeFileSync(join(ui, 'index.html'), '<!doctype html><title>t</title>');
    writeFileSync(join(ui, 'app.js'), 'export const x = 1;\n');
    writeFileSync(join(ui, 'lib', 'styles.css'), 'body{}');
    writeFileSync(join(ui, 'notes.txt'), 'not a served type');
    const assets = new UiAssets(ui);
    server = createServer((req, res) => {
      const pathname = new URL(req.url!, 'http://x').pathname;
      if (UiAssets.handles(pathname)) void assets.serve(req, res, pathname);
      else res.writeHead(418).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  test('/ is index.html; files have their content type, an ETag and no-cache', async () => {
    const index = await get(port, '/');
    assert.equal(index.status, 200);
    assert.equal(index.headers['content-type'], 'text/html; charset=utf-8');
    assert.match(index.body, /<title>t<\/title>/);
    assert.equal(index.headers['cache-control'], 'no-cache');
    assert.match(String(index.headers['content-security-policy']), /default-src 'none'/);
    const js = await get(port, '/ui/app.js');
    assert.equal(js.headers['content-type'], 'text/javascript; charset=utf-8');
    const css = await get(port, '/ui/lib/styles.css');
    assert.equal(css.status, 200);
    assert.equal(css.headers['content-type'], 'text/css; charset=utf-8');
    assert.match(String(js.headers.etag), /^"[\w-]+"$/);
    assert.notEqual(js.headers.etag, css.headers.etag);
  });

  test('a matching If-None-Match is a 304 without a body; HEAD has no body', async () => {
    const first = await get(port, '/ui/app.js');
    const again = await get(port, '/ui/app.js', { 'If-None-Match': String(first.headers.etag) });
    assert.equal(again.status, 304);
    assert.equal(again.body, '');
    const other = await get(port, '/ui/app.js', { 'If-None-Match': '"something-else"' });
    assert.equal(other.status, 200);
    const head = await get(port, '/ui/app.js', {}, 'HEAD');
    assert.equal(head.status, 200);
    assert.equal(head.body, '');
    assert.equal(head.headers['content-length'], String(Buffer.byteLength('export const x = 1;\n')));
  });

  test('no path reaches a file outside the UI folder', async () => {
    for (const path of [
      '/ui/../secret.json',
      '/ui/%2e%2e/secret.json',
      '/ui/..%2fsecret.json',
      '/ui/lib/../../secret.json',
      '/ui/%2e%2e%2fsecret.json',
      '/ui//etc/passwd',
      '/ui/..\\secret.json',
    ]) {
      const res = await get(port, path);
      assert.ok(res.status === 404 || res.status === 418, `${path}: ${res.status}`);
      assert.doesNotMatch(res.body, /do not serve/, path);
    }
  });

  test('unknown files and unserved types are 404; other methods 405', async () => {
    assert.equal((await get(port, '/ui/missing.js')).status, 404);
    assert.equal((await get(port, '/ui/notes.txt')).status, 404);
    const post = await get(port, '/ui/app.js', {}, 'POST');
    assert.equal(post.status, 405);
    assert.equal(post.headers.allow, 'GET, HEAD');
  });

  test('the packaged UI folder resolves from the sources and holds the app', async () => {
    const assets = new UiAssets(UI_ROOT);
    const served = createServer((req, res) => void assets.serve(req, res, new URL(req.url!, 'http://x').pathname));
    await new Promise<void>((resolve) => served.listen(0, '127.0.0.1', resolve));
    try {
      const p = (served.address() as AddressInfo).port;
      const index = await get(p, '/');
      assert.match(index.body, /<script type="module" src="\/ui\/app\.js">/);
      for (const file of ['/ui/app.js', '/ui/styles.css', '/ui/lib/graph-layout.js', '/ui/views/list.js']) {
        assert.equal((await get(p, file)).status, 200, file);
      }
    } finally {
      await new Promise<void>((resolve) => served.close(() => resolve()));
    }
  });
});
