/**
 * The store when the config names none: the `decisions` exporter writes this SQLite file and the
 * decision API serves it. One constant, so the two can never point at different files.
 */
export const DEFAULT_STORAGE = 'sqlite:./data/decisions.db';
