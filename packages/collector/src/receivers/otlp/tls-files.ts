import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createSecureContext } from 'node:tls';
import type { TlsConfig } from './config.js';

export interface TlsMaterial {
  cert: Buffer;
  key: Buffer;
  /** Present when clients must show a certificate signed by it (mTLS). */
  clientCa?: Buffer;
}

/**
 * Reads the files a `tls` block names and checks that the key belongs to the certificate.
 * `configPath` (e.g. `receivers.otlp.protocols.http.tls`)
 * prefixes each problem so a user can find the key at fault.
 */
export async function readTlsFiles(config: TlsConfig, configPath: string): Promise<TlsMaterial> {
  const read = async (key: keyof TlsConfig, file: string) => {
    try {
      return await readFile(file);
    } catch (error) {
      throw new Error(`${configPath}.${key}: cannot read ${file}: ${(error as Error).message}`);
    }
  };
  const [cert, key, clientCa] = await Promise.all([
    read('cert_file', config.cert_file),
    read('key_file', config.key_file),
    config.client_ca_file === undefined ? undefined : read('client_ca_file', config.client_ca_file),
  ]);
  // Both protocols' TLS stacks would report a bad file late or vaguely; this names the key.
  try {
    createSecureContext({ cert, key });
  } catch (error) {
    throw new Error(`${configPath}: cannot use cert_file ${config.cert_file} with key_file ${config.key_file}: ${(error as Error).message}`);
  }
  if (clientCa !== undefined) {
    try {
      new X509Certificate(clientCa);
    } catch (error) {
      throw new Error(`${configPath}.client_ca_file: ${config.client_ca_file} is not a PEM certificate: ${(error as Error).message}`);
    }
  }
  return { cert, key, clientCa };
}
