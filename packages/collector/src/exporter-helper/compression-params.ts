import { constants, type ZlibOptions } from 'node:zlib';
import { z } from 'zod';

/**
 * `compression_params` of an HTTP client, as the OpenTelemetry Collector's confighttp has it
 * (configcompression.CompressionParams): `level` only. As there, 0 means "not set", which is
 * Go's DefaultCompression (-1): zlib's level 6. Levels are checked against the compression in
 * use (see `compressionParamsIssue`), because which levels exist depends on it.
 */
export const compressionParamsSchema = z.strictObject({
  level: z.number().int().default(0),
});

export type CompressionParams = z.output<typeof compressionParamsSchema>;

/** Go's compress/flate constants, which the Collector's levels are. */
const DEFAULT_COMPRESSION = -1;
const HUFFMAN_ONLY = -2;
const NO_COMPRESSION = 0;
const BEST_SPEED = 1;
const BEST_COMPRESSION = 9;

/**
 * Why `params` do not fit `compression`, worded as the Collector's ValidateParams says it, or
 * undefined when they do. gzip takes -1 (default), -2 (Huffman only), 0 (unset) and 1–9; an
 * uncompressed client ignores the parameters, as the Collector's ClientConfig.Validate does.
 */
export function compressionParamsIssue(compression: 'gzip' | 'none', params: CompressionParams): string | undefined {
  if (compression === 'none') return undefined;
  const { level } = params;
  if (level === DEFAULT_COMPRESSION || level === HUFFMAN_ONLY || level === NO_COMPRESSION || (level >= BEST_SPEED && level <= BEST_COMPRESSION))
    return undefined;
  return `unsupported parameters {Level:${level}} for compression type "${compression}": gzip takes 1 (best speed) to 9 (best compression), -1 (default: 6) or -2 (Huffman only)`;
}

/** The zlib options that give gzip the configured level (0, unset, is the default as in the Collector). */
export function gzipOptions(params: CompressionParams): ZlibOptions {
  if (params.level === HUFFMAN_ONLY) return { strategy: constants.Z_HUFFMAN_ONLY };
  if (params.level === NO_COMPRESSION) return { level: constants.Z_DEFAULT_COMPRESSION };
  return { level: params.level };
}
