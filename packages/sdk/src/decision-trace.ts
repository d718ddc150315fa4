import { diag, trace, type Span, type Tracer, type TracerProvider } from '@opentelemetry/api';
import { runInContext } from './context/active-context.js';
import { DecisionRun, detachedDecision } from './decision/decision-run.js';
import type { Decision, DecisionOptions } from './decision/decision-scope.js';
import { registeredUnsampledDecisionRecorders, type UnsampledDecisionRecorder } from './decision/unsampled-recorders.js';
import { ObservedCallConfig, runObserved } from './observe/observed-call.js';
import type { ObserveOptions } from './observe/observe-options.js';
import { SDK_NAME, SDK_VERSION } from './version.js';

export interface DecisionTraceOptions {
  /** The tracer decisions and observed functions use; by default one from `tracerProvider`. */
  tracer?: Tracer;
  /** By default the global tracer provider (the one `NodeSDK.start()` registers), looked up per call. */
  tracerProvider?: TracerProvider;
  /**
   * Who receives decisions whose span is not recorded; by default every registered
   * `DecisionSpanProcessor` (they register themselves when created).
   */
  unsampledRecorders?: Iterable<UnsampledDecisionRecorder>;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- `any[]` is the one parameter list every function is assignable to
type AnyFunction = (...args: any[]) => any;

/**
 * The decision API and the observe wrappers, bound to a tracer. The package's top-level
 * `decision`, `decisionSync`, `observe` and `traced` use a default instance on the global tracer
 * provider; create your own to use another provider (tests, several SDKs in one process).
 */
export class DecisionTrace {
  private readonly fixedTracer: Tracer | undefined;

  constructor(private readonly options: DecisionTraceOptions = {}) {
    this.fixedTracer = options.tracer ?? options.tracerProvider?.getTracer(SDK_NAME, SDK_VERSION);
  }

  /**
   * Runs `fn` as a decision: a span of its own, active while `fn` runs (so decisions inside
   * become children, across `await` and `Promise.all`). If `fn` throws or rejects, the error is
   * recorded as the decision's error and rethrown. The returned promise settles with `fn`'s
   * result; recording never throws into it and never waits for delivery.
   */
  decision<T>(options: DecisionOptions, fn: (d: Decision) => T | PromiseLike<T>): Promise<T> {
    const run = this.begin(options);
    if (run === undefined) return Promise.resolve().then(() => fn(detachedDecision(options)));
    let result: T | PromiseLike<T>;
    try {
      result = runInContext(run.context, () => fn(run.scope));
    } catch (error) {
      run.finish(this.recorders(), { error });
      return Promise.reject(error);
    }
    if (!isThenable(result)) {
      run.finish(this.recorders());
      return Promise.resolve(result);
    }
    return Promise.resolve(result).then(
      (value) => {
        run.finish(this.recorders());
        return value;
      },
      (error: unknown) => {
        run.finish(this.recorders(), { error });
        throw error;
      },
    );
  }

  /** `decision` for synchronous code: returns `fn`'s result, rethrows its error. */
  decisionSync<T>(options: DecisionOptions, fn: (d: Decision) => T): T {
    const run = this.begin(options);
    if (run === undefined) return fn(detachedDecision(options));
    let result: T;
    try {
      result = runInContext(run.context, () => fn(run.scope));
    } catch (error) {
      run.finish(this.recorders(), { error });
      throw error;
    }
    if (isThenable(result)) {
      diag.warn(`decision-trace: the decisionSync callback of ${options.type} returned a promise; use decision() to wait for it`);
    }
    run.finish(this.recorders());
    return result;
  }

  /**
   * Wraps a function so every call runs in a span: `observe(fn, options)`, or `observe(options)`
   * to get a wrapper (usable as a method decorator).
   */
  observe<F extends AnyFunction>(fn: F, options?: ObserveOptions<Parameters<F>>): F;
  observe(options: ObserveOptions): <F extends AnyFunction>(fn: F, decoratorContext?: { name?: string | symbol }) => F;
  observe<F extends AnyFunction>(
    fnOrOptions: F | ObserveOptions,
    options?: ObserveOptions<Parameters<F>>,
  ): F | (<G extends AnyFunction>(fn: G, decoratorContext?: { name?: string | symbol }) => G) {
    if (typeof fnOrOptions === 'function') return this.wrap(fnOrOptions, options ?? {}, fnOrOptions.name);
    return <G extends AnyFunction>(fn: G, decoratorContext?: { name?: string | symbol }) =>
      this.wrap(fn, fnOrOptions, typeof decoratorContext?.name === 'string' ? decoratorContext.name : fn.name);
  }

  /** Runs `fn` now, in a span of its own: `traced('load-order', async (span) => …)`. */
  traced<T>(nameOrOptions: string | ObserveOptions, fn: (span: Span) => T): T {
    const options = typeof nameOrOptions === 'string' ? { name: nameOrOptions } : nameOrOptions;
    return runObserved(this.tracer(), new ObservedCallConfig(options, fn.name), undefined, fn);
  }

  private wrap<F extends AnyFunction>(fn: F, options: ObserveOptions, fallbackName: string): F {
    const config = new ObservedCallConfig(options, fallbackName);
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the wrapper needs both this instance and its caller's `this`
    const owner = this;
    const observed = function (this: unknown, ...args: unknown[]): unknown {
      return runObserved(owner.tracer(), config, args, () => fn.apply(this, args));
    };
    Object.defineProperty(observed, 'name', { value: fn.name, configurable: true });
    return observed as F;
  }

  private begin(options: DecisionOptions): DecisionRun | undefined {
    try {
      return new DecisionRun(this.tracer(), options);
    } catch (error) {
      diag.error('decision-trace: starting a decision failed; it runs unrecorded', error);
      return undefined;
    }
  }

  private tracer(): Tracer {
    return this.fixedTracer ?? trace.getTracer(SDK_NAME, SDK_VERSION);
  }

  private recorders(): Iterable<UnsampledDecisionRecorder> {
    return this.options.unsampledRecorders ?? registeredUnsampledDecisionRecorders();
  }
}

function isThenable<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return value !== null && (typeof value === 'object' || typeof value === 'function') && typeof (value as { then?: unknown }).then === 'function';
}

/** The instance behind the top-level functions: the global tracer provider and registered processors. */
export const defaultDecisionTrace = new DecisionTrace();

/** See `DecisionTrace.decision`. */
export function decision<T>(options: DecisionOptions, fn: (d: Decision) => T | PromiseLike<T>): Promise<T> {
  return defaultDecisionTrace.decision(options, fn);
}

/** See `DecisionTrace.decisionSync`. */
export function decisionSync<T>(options: DecisionOptions, fn: (d: Decision) => T): T {
  return defaultDecisionTrace.decisionSync(options, fn);
}

/** See `DecisionTrace.observe`. */
export const observe: DecisionTrace['observe'] = defaultDecisionTrace.observe.bind(defaultDecisionTrace) as DecisionTrace['observe'];

/** See `DecisionTrace.traced`. */
export function traced<T>(nameOrOptions: string | ObserveOptions, fn: (span: Span) => T): T {
  return defaultDecisionTrace.traced(nameOrOptions, fn);
}
