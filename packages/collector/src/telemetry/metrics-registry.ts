/**
 * The collector's own metrics, kept in memory and rendered in the Prometheus text exposition
 * format (version 0.0.4). No I/O here: the telemetry server serves `render()`.
 *
 * Hot paths hold a bound handle (`family.with(labels)`) so counting costs one addition, never
 * a label lookup.
 */
export type Labels = Readonly<Record<string, string>>;

export interface CounterHandle {
  add(amount?: number): void;
  readonly value: number;
}

export interface GaugeHandle {
  set(value: number): void;
  readonly value: number;
}

type MetricType = 'counter' | 'gauge';

interface Series {
  labels: Labels;
  read(): number;
}

class Family {
  readonly series = new Map<string, Series>();

  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: MetricType,
  ) {}
}

export class CounterFamily {
  constructor(private readonly family: Family) {}

  /** The counter for these label values, created at zero on first use. */
  with(labels: Labels = {}): CounterHandle {
    const key = labelKey(labels);
    const existing = this.family.series.get(key) as (Series & CounterHandle) | undefined;
    if (existing) return existing;
    let total = 0;
    const handle: Series & CounterHandle = {
      labels: { ...labels },
      read: () => total,
      add(amount = 1) {
        if (amount > 0) total += amount;
      },
      get value() {
        return total;
      },
    };
    this.family.series.set(key, handle);
    return handle;
  }
}

export class GaugeFamily {
  constructor(private readonly family: Family) {}

  with(labels: Labels = {}): GaugeHandle {
    const key = labelKey(labels);
    const existing = this.family.series.get(key) as (Series & GaugeHandle) | undefined;
    if (existing && 'set' in existing) return existing;
    let current = 0;
    const handle: Series & GaugeHandle = {
      labels: { ...labels },
      read: () => current,
      set(value: number) {
        current = value;
      },
      get value() {
        return current;
      },
    };
    this.family.series.set(key, handle);
    return handle;
  }

  /** A gauge read when scraped (a queue's size): nothing to keep in sync. */
  observe(labels: Labels, read: () => number): void {
    this.family.series.set(labelKey(labels), { labels: { ...labels }, read });
  }
}

export class MetricsRegistry {
  private readonly families = new Map<string, Family>();

  counter(name: string, help: string): CounterFamily {
    return new CounterFamily(this.family(name, help, 'counter'));
  }

  gauge(name: string, help: string): GaugeFamily {
    return new GaugeFamily(this.family(name, help, 'gauge'));
  }

  /** The current value of one series, or undefined if it was never created (for tests and health). */
  valueOf(name: string, labels: Labels = {}): number | undefined {
    return this.families.get(name)?.series.get(labelKey(labels))?.read();
  }

  render(): string {
    let out = '';
    for (const family of [...this.families.values()].sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (family.series.size === 0) continue;
      out += `# HELP ${family.name} ${escapeHelp(family.help)}\n# TYPE ${family.name} ${family.type}\n`;
      for (const series of family.series.values()) {
        out += `${family.name}${formatLabels(series.labels)} ${formatValue(series.read())}\n`;
      }
    }
    return out;
  }

  private family(name: string, help: string, type: MetricType): Family {
    if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(name)) throw new Error(`invalid metric name "${name}"`);
    const existing = this.families.get(name);
    if (existing) {
      if (existing.type !== type) throw new Error(`metric "${name}" is already a ${existing.type}`);
      return existing;
    }
    const created = new Family(name, help, type);
    this.families.set(name, created);
    return created;
  }
}

function labelKey(labels: Labels): string {
  const keys = Object.keys(labels);
  if (keys.length === 0) return '';
  keys.sort();
  let key = '';
  for (const k of keys) key += `${k}\u0000${labels[k]}\u0001`;
  return key;
}

function formatLabels(labels: Labels): string {
  const keys = Object.keys(labels);
  if (keys.length === 0) return '';
  return `{${keys.map((k) => `${k}="${escapeLabelValue(labels[k])}"`).join(',')}}`;
}

function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function escapeHelp(help: string): string {
  return help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}
