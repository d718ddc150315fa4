import { readFile } from 'node:fs/promises';
import { z } from 'zod';

/** Client TLS settings with the Collector's key names (configtls). */
export const clientTlsSchema = z
  .strictObject({
    /** Plaintext instead of TLS (gRPC; for HTTP the URL scheme decides). */
    insecure: z.boolean().default(false),
    /** Accept any server certificate: for tests only. */
    insecure_skip_verify: z.boolean().default(false),
    /** CA bundle (PEM) to verify the server with, instead of the system's. */
    ca_file: z.string().min(1).optional(),
    /** Client certificate and key (PEM) for mutual TLS: both or neither. */
    cert_file: z.string().min(1).optional(),
    key_file: z.string().min(1).optional(),
    /** Name to verify the server certificate against, when it differs from the endpoint's host. */
    server_name_override: z.string().min(1).optional(),
  })
  .refine((tls) => (tls.cert_file === undefined) === (tls.key_file === undefined), {
    message: 'cert_file and key_file go together',
  });

export type ClientTlsConfig = z.output<typeof clientTlsSchema>;

export interface LoadedTls {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  rejectUnauthorized: boolean;
  servername?: string;
}

/** Reads the PEM files a TLS config names (at start, so a missing file fails the start). */
export async function loadTls(config: ClientTlsConfig | undefined): Promise<LoadedTls> {
  if (!config) return { rejectUnauthorized: true };
  const read = async (path: string | undefined, key: string) => {
    if (path === undefined) return undefined;
    try {
      return await readFile(path);
    } catch (error) {
      throw new Error(`tls.${key}: cannot read ${path}: ${(error as Error).message}`);
    }
  };
  return {
    ca: await read(config.ca_file, 'ca_file'),
    cert: await read(config.cert_file, 'cert_file'),
    key: await read(config.key_file, 'key_file'),
    rejectUnauthorized: !config.insecure_skip_verify,
    servername: config.server_name_override,
  };
}
