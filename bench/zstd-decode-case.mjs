// zstd request bodies (what the OpenTelemetry Collector's otlphttp exporter sends with
// `compression: zstd`): the receiver's decoder on this runtime — node:zlib's native zstd on
// Node ≥ 22.15, fzstd on Node 20 — against fzstd in the same run, over the same OTLP protobuf
// bodies. On Node 20 both sides are fzstd and the ratio is 1 by construction; the row's name
// says which decoder ran. Bodies are compressed with node:zlib where it can, else the case
// reports fzstd against itself over bodies written as stored (raw) zstd blocks.
import * as zlib from 'node:zlib';
import { decodeWithFzstd, decodeZstd, ZSTD_DECODER } from '../packages/collector/dist/http/zstd-decoding.js';
import { makeProtobufBodies, median, SPANS_PER_REQUEST } from './harness.mjs';

const LIMIT = 64 * 1024 * 1024;

/** One zstd frame holding `data` in raw blocks (RFC 8878), for runtimes without an encoder. */
function rawZstdFrame(data) {
  const parts = [Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x58])]; // magic; no checksum, 8 MiB window
  const BLOCK = 128 * 1024;
  for (let at = 0; at < data.length || at === 0; at += BLOCK) {
    const chunk = data.subarray(at, at + BLOCK);
    const last = at + BLOCK >= data.length ? 1 : 0;
    const header = (chunk.length << 3) | last; // type 0: raw
    parts.push(Buffer.from([header & 0xff, (header >> 8) & 0xff, (header >> 16) & 0xff]), chunk);
    if (last) break;
  }
  return Buffer.concat(parts);
}

async function spansPerSecond(bodies, decode) {
  const started = process.hrtime.bigint();
  const cpu = process.cpuUsage();
  for (const body of bodies) await decode(body);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const used = process.cpuUsage(cpu);
  const spans = bodies.length * SPANS_PER_REQUEST;
  return { rate: spans / seconds, cpuMicrosPerSpan: (used.user + used.system) / spans };
}

export async function zstdDecodeCase({ quick }) {
  const plain = makeProtobufBodies(quick ? 50 : 400);
  const compress = zlib.zstdCompressSync;
  const bodies = plain.map((body) => (compress ? compress(body) : rawZstdFrame(body)));
  const rounds = quick ? 3 : 7;
  const ours = [];
  const baseline = [];
  const cpu = [];
  for (let round = 0; round < rounds; round++) {
    const mine = await spansPerSecond(bodies, (body) => decodeZstd(body, LIMIT));
    ours.push(mine.rate);
    cpu.push(mine.cpuMicrosPerSpan);
    baseline.push((await spansPerSecond(bodies, (body) => decodeWithFzstd(body, LIMIT))).rate);
  }
  const value = median(ours);
  const baselineValue = median(baseline);
  return {
    name: `zstd_decode_${ZSTD_DECODER === 'node:zlib' ? 'node_zlib' : 'fzstd'}`,
    description: `zstd-compressed OTLP bodies decoded by the receiver's decoder on Node ${process.version} (${ZSTD_DECODER}; ${median(cpu).toFixed(3)} µs CPU per span), against fzstd over the same bodies`,
    unit: 'spans/s',
    value,
    baseline_name: 'fzstd',
    baseline_value: baselineValue,
    ratio: value / baselineValue,
  };
}
