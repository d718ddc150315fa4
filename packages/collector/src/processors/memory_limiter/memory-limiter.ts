import type { MemoryLimits } from './config.js';

export interface MemoryLimiterOptions {
  limits: MemoryLimits;
  checkIntervalMs: number;
  readUsage(): number;
  forceGc?(): void;
  /** Called when refusing starts or stops, with the usage that caused it. */
  onChange?(refusing: boolean, usageBytes: number): void;
}

/**
 * Measures memory every `check_interval` and refuses data while usage is above the soft limit
 * (hard limit − spike limit); above the hard limit it also asks for a garbage collection.
 * Refusing resumes to accepting as soon as a measurement is below the soft limit again.
 */
export class MemoryLimiter {
  private refusingNow = false;
  private lastUsage = 0;
  private timer?: NodeJS.Timeout;

  constructor(private readonly options: MemoryLimiterOptions) {}

  get refusing(): boolean {
    return this.refusingNow;
  }

  get usageBytes(): number {
    return this.lastUsage;
  }

  start(): void {
    this.check();
    this.timer = setInterval(() => this.check(), this.options.checkIntervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  check(): void {
    const { limits } = this.options;
    let usage = this.options.readUsage();
    if (usage >= limits.hardBytes && this.options.forceGc) {
      this.options.forceGc();
      usage = this.options.readUsage();
    }
    this.lastUsage = usage;
    const refusing = usage >= limits.softBytes;
    if (refusing !== this.refusingNow) {
      this.refusingNow = refusing;
      this.options.onChange?.(refusing, usage);
    }
  }
}
