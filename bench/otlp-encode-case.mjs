// The otlp and otlphttp exporters' trace encoding (#19): the direct protobuf encoder
// (packages/otlp/src/direct-encoder.ts) against protobufjs's encoder of the same spans, as the
// exporters used it before, in the same run. Batches as the batch processor hands them over
// (8,200 decoded spans: 82 requests of the workload, their resource spans side by side), so the
// spans are the decoder's objects, integral-double notes and all. Spans per second and CPU per
// span of each, alternating rounds, medians; and bytes allocated per span, from V8's sampling
// heap profiler with the objects young and old GCs collected counted in.
import { Session } from 'node:inspector/promises';
import { decodeTraceRequestProtobuf, encodeTraceRequestProtobuf, encodeTraceRequestProtobufReflective } from '@decision-trace/otlp';
import { makeProtobufBodies, median, SPANS_PER_REQUEST } from './harness.mjs';

const REQUESTS_PER_BATCH = 82;

function makeBatches(count) {
  const bodies = makeProtobufBodies(count * REQUESTS_PER_BATCH);
  const batches = [];
  for (let b = 0; b < count; b++) {
    const resourceSpans = [];
    for (const body of bodies.slice(b * REQUESTS_PER_BATCH, (b + 1) * REQUESTS_PER_BATCH))
      resourceSpans.push(...decodeTraceRequestProtobuf(body).resourceSpans);
    batches.push(resourceSpans);
  }
  return batches;
}

function timed(batches, encode) {
  const started = process.hrtime.bigint();
  const cpu = process.cpuUsage();
  let bytes = 0;
  for (const batch of batches) bytes += encode(batch).length;
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const used = process.cpuUsage(cpu);
  const spans = batches.length * REQUESTS_PER_BATCH * SPANS_PER_REQUEST;
  return { rate: spans / seconds, cpuMicrosPerSpan: (used.user + used.system) / spans, bytes };
}

/** Bytes allocated per span while encoding `batches` (sampled every 4 KiB by V8; an estimate). */
async function allocatedPerSpan(session, batches, encode) {
  await session.post('HeapProfiler.startSampling', { samplingInterval: 4096, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
  for (const batch of batches) encode(batch);
  const { profile } = await session.post('HeapProfiler.stopSampling');
  let total = 0;
  for (const sample of profile.samples) total += sample.size;
  return total / (batches.length * REQUESTS_PER_BATCH * SPANS_PER_REQUEST);
}

export async function otlpEncodeCase({ quick }) {
  const batches = makeBatches(quick ? 2 : 6);
  const rounds = quick ? 3 : 9;
  // Both write the same bytes (the tests hold them to it); checked here too, on this workload.
  const a = Buffer.from(encodeTraceRequestProtobuf(batches[0]));
  const b = Buffer.from(encodeTraceRequestProtobufReflective(batches[0]));
  if (!a.equals(b)) throw new Error('otlp_encode: the direct encoder and protobufjs wrote different bytes');
  // Warm both up before measuring.
  timed(batches, encodeTraceRequestProtobuf);
  timed(batches, encodeTraceRequestProtobufReflective);
  const direct = [];
  const reflective = [];
  for (let round = 0; round < rounds; round++) {
    direct.push(timed(batches, encodeTraceRequestProtobuf));
    reflective.push(timed(batches, encodeTraceRequestProtobufReflective));
  }
  const session = new Session();
  session.connect();
  const directBytes = await allocatedPerSpan(session, batches, encodeTraceRequestProtobuf);
  const reflectiveBytes = await allocatedPerSpan(session, batches, encodeTraceRequestProtobufReflective);
  session.disconnect();
  const rate = median(direct.map((r) => r.rate));
  const baseRate = median(reflective.map((r) => r.rate));
  const cpu = median(direct.map((r) => r.cpuMicrosPerSpan));
  const baseCpu = median(reflective.map((r) => r.cpuMicrosPerSpan));
  const wireBytesPerSpan = direct[0].bytes / (batches.length * REQUESTS_PER_BATCH * SPANS_PER_REQUEST);
  console.log(
    `otlp_encode: ${cpu.toFixed(3)} µs CPU/span direct, ${baseCpu.toFixed(3)} protobufjs; allocated ${Math.round(directBytes)} B/span direct, ${Math.round(reflectiveBytes)} protobufjs (${Math.round(wireBytesPerSpan)} B/span on the wire)`,
  );
  return [
    { name: 'otlp_encode_direct', unit: 'spans/s', value: rate, baseline_name: 'protobufjs_encode', baseline_value: baseRate, ratio: rate / baseRate },
    { name: 'otlp_encode_direct_cpu', unit: 'µs CPU/span', value: cpu, baseline_name: 'protobufjs_encode', baseline_value: baseCpu, ratio: cpu / baseCpu },
    {
      name: 'otlp_encode_direct_allocated',
      unit: 'bytes/span',
      value: directBytes,
      baseline_name: 'protobufjs_encode',
      baseline_value: reflectiveBytes,
      ratio: directBytes / reflectiveBytes,
    },
  ];
}
