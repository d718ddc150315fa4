/**
 * A read-only view of plain data, all the way down: what a part that only reads shared data is
 * given, so the compiler refuses a write to it (the collector hands one set of spans and decision
 * events to every pipeline whose processors copy what they change; docs/architecture.md §4
 * "Fan-out and who may change what").
 *
 * Type-only: the objects are the same plain, mutable data at run time (nothing is frozen, nothing
 * copied). A mutable value is assignable to its read-only view, so a function that takes the view
 * accepts both; the other way round needs a copy, or a part that owns the data.
 *
 * `Uint8Array` values stay as they are: TypeScript has no read-only typed array.
 */
export type DeepReadonly<T> = unknown extends T
  ? T // unknown and any (a payload's values) stay as they are: a view of them would forbid nothing useful
  : T extends bigint | string | number | boolean | symbol | null | undefined | Uint8Array
    ? T
    : T extends ReadonlyArray<infer E>
      ? ReadonlyArray<DeepReadonly<E>>
      : { readonly [K in keyof T]: DeepReadonly<T[K]> };
