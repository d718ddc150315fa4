import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface CertFiles {
  cert: string;
  key: string;
}

/** File paths of a throw-away PKI made with the `openssl` CLI. */
export interface TestPki {
  dir: string;
  /** Self-signed CA that signed the server and the client certificate. */
  caCert: string;
  server: CertFiles;
  client: CertFiles;
  /** A client certificate from a CA the server does not trust. */
  strangerClient: CertFiles;
  read(path: string): Buffer;
}

function openssl(dir: string, args: string[]): void {
  execFileSync('/usr/bin/openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

function selfSignedCa(dir: string, name: string): void {
  openssl(dir, [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.crt`,
    '-days',
    '2',
    '-subj',
    `/CN=${name}`,
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
}

function signedLeaf(dir: string, name: string, ca: string, extensions: string): CertFiles {
  openssl(dir, [
    'req',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.csr`,
    '-subj',
    `/CN=${name}`,
  ]);
  writeFileSync(join(dir, `${name}.ext`), extensions);
  openssl(dir, [
    'x509',
    '-req',
    '-in',
    `${name}.csr`,
    '-CA',
    `${ca}.crt`,
    '-CAkey',
    `${ca}.key`,
    '-CAcreateserial',
    '-out',
    `${name}.crt`,
    '-days',
    '2',
    '-extfile',
    `${name}.ext`,
  ]);
  return { cert: join(dir, `${name}.crt`), key: join(dir, `${name}.key`) };
}

/** A CA, a server certificate for localhost/127.0.0.1, a client certificate, and a stranger's. */
export function makeTestPki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'dt-tls-'));
  selfSignedCa(dir, 'test-ca');
  selfSignedCa(dir, 'stranger-ca');
  const server = signedLeaf(dir, 'server', 'test-ca', 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  const client = signedLeaf(dir, 'client', 'test-ca', 'extendedKeyUsage=clientAuth\n');
  const strangerClient = signedLeaf(dir, 'stranger', 'stranger-ca', 'extendedKeyUsage=clientAuth\n');
  return { dir, caCert: join(dir, 'test-ca.crt'), server, client, strangerClient, read: (path) => readFileSync(path) };
}
