import { statSync } from 'node:fs';
import { z } from 'zod';

/** The OpenTelemetry Collector's default on Linux (contrib extension/storage/filestorage). */
export const DEFAULT_FILE_STORAGE_DIRECTORY = '/var/lib/otelcol/file_storage';

/**
 * Keys of the Collector's file_storage that only mean something for its bbolt database files.
 * Our persistent queue is a journal of segment files (exporter-helper/file-journal.ts), so they
 * are refused by name, with what to use instead, rather than accepted and ignored.
 */
const BBOLT_ONLY: Record<string, string> = {
  timeout: 'the bbolt file lock timeout has no equivalent: a queue folder is locked by one collector and a second one fails at start; remove the key',
  compaction: 'there is no bbolt file to compact: the journal deletes a segment once every request in it was delivered; remove the key',
  fsync: 'every queued request is synced to disk before it is acknowledged already (fdatasync per write); remove the key',
  max_size: 'bound the queue with sending_queue.queue_size (and sizer) instead',
  recreate: 'a damaged journal is skipped frame by frame at start and the loss is logged and counted; remove the key (or empty the directory yourself)',
};

export const fileStorageSchema = z
  .looseObject({
    /** Where the exporters that name this extension keep their queues, one folder each. */
    directory: z.string().min(1, 'must be a directory path').default(DEFAULT_FILE_STORAGE_DIRECTORY),
    /** Create `directory` at start when it is missing (else it must exist, as in the Collector). */
    create_directory: z.boolean().default(false),
    /** Octal permissions of a created directory. */
    directory_permissions: z
      .string()
      .regex(/^0?[0-7]{1,4}$/, 'must be octal permission bits, e.g. 0750')
      .default('0750'),
  })
  .superRefine((config, ctx) => {
    for (const key of Object.keys(config)) {
      if (key in BBOLT_ONLY) ctx.addIssue({ code: 'custom', path: [key], message: `not supported by this collector's file_storage: ${BBOLT_ONLY[key]}` });
      else if (!['directory', 'create_directory', 'directory_permissions'].includes(key)) ctx.addIssue({ code: 'custom', path: [key], message: 'unknown key' });
    }
    // As the Collector validates it: the directory must exist unless the extension creates it.
    if (config.create_directory) return;
    try {
      if (!statSync(config.directory).isDirectory()) ctx.addIssue({ code: 'custom', path: ['directory'], message: `${config.directory} is not a directory` });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const reason = code === 'ENOENT' ? 'does not exist' : `cannot be read (${code})`;
      ctx.addIssue({ code: 'custom', path: ['directory'], message: `directory ${config.directory} ${reason}: create it, or set create_directory: true` });
    }
  })
  .transform(({ directory, create_directory, directory_permissions }) => ({ directory, create_directory, directory_permissions }));

export type FileStorageConfig = z.output<typeof fileStorageSchema>;
