import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';
import type { MonitorSettings, MonitorsState } from './decision-monitor.js';

/**
 * The saved baselines and test state of one decision_anomaly instance: one JSON file in the
 * storage directory, written whole to a temporary file and renamed over the old one, so a crash
 * mid-write leaves the previous state. A file of another format version, or saved under other
 * settings (whose CUSUMs were tuned differently), is incompatible: reported and not used.
 */
export const STATE_FORMAT = 'decision_anomaly/1';

const count = z.number().int().min(0);
const real = z.number().finite();
const run = z.strictObject({ n: count, k: count.optional(), sum: real.optional() });
const cusum = z.strictObject({ up: real.min(0), down: real.min(0), upRun: run, downRun: run });
const version = z.string().nullable();
const rateWatch = z.strictObject({
  learning: z.strictObject({ k: count, n: count }),
  baseline: z.strictObject({ k: count, n: count.min(1), version }).optional(),
  cusum: cusum.optional(),
});
const meanWatch = z.strictObject({
  learning: z.strictObject({ n: count, sum: real, sumSquares: real.min(0) }),
  baseline: z.strictObject({ n: count.min(1), sum: real, sumSquares: real.min(0), version }).optional(),
  cusum: cusum.optional(),
});
const labelCounts = z.array(z.tuple([z.string(), count]));
const stream = z.strictObject({
  tenant: z.string(),
  type: z.string(),
  version,
  outcomes: z.array(z.tuple([z.string(), rateWatch])),
  policies: z.array(z.tuple([z.string(), rateWatch])),
  confidence: meanWatch,
  mix: z.strictObject({
    learning: labelCounts,
    baseline: z.strictObject({ counts: labelCounts.min(1), version }).optional(),
    window: z.array(z.string()),
  }),
  recent: z.array(z.string()),
});
const stateFile = z.strictObject({
  format: z.literal(STATE_FORMAT),
  settings: z.string(),
  saved_at: z.string(),
  monitors: z.strictObject({ streams: z.array(stream), latest: z.array(count) }),
});

/** The settings a saved state depends on, as one comparable string. */
export function settingsFingerprint(settings: MonitorSettings): string {
  const { examples: _examples, ...rest } = settings;
  return JSON.stringify(rest, Object.keys({ ...rest, ...rest.mix }).sort());
}

export type LoadResult = { state: MonitorsState } | { missing: true } | { unusable: string };

export async function loadMonitorState(file: string, settings: MonitorSettings): Promise<LoadResult> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { missing: true };
    return { unusable: `cannot be read: ${(error as Error).message}` };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return { unusable: `is not JSON (${(error as Error).message})` };
  }
  const format = (json as { format?: unknown } | null)?.format;
  if (format !== STATE_FORMAT) return { unusable: `has format ${JSON.stringify(format)}, this collector reads ${STATE_FORMAT}` };
  const parsed = stateFile.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return { unusable: `is damaged at ${issue.path.join('.') || '(root)'}: ${issue.message}` };
  }
  if (parsed.data.settings !== settingsFingerprint(settings))
    return { unusable: 'was saved under other settings (windows, shifts, threshold or outcome_mix keys changed)' };
  return { state: parsed.data.monitors };
}

export async function saveMonitorState(file: string, settings: MonitorSettings, state: MonitorsState): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  const body = JSON.stringify({ format: STATE_FORMAT, settings: settingsFingerprint(settings), saved_at: new Date().toISOString(), monitors: state });
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, body, { flush: true });
  await rename(temporary, file);
}
