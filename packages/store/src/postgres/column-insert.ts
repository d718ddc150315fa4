import type pg from 'pg';

/**
 * A column of a multi-row insert: its name, PostgreSQL type, and whether its values are JSON
 * texts (which never hold a raw control character, so packColumns need not look for one).
 */
export interface InsertColumn {
  name: string;
  type: string;
  json?: boolean;
}

/** Rows made ready for insertColumns: each column as one separated text, or (see packColumns) all rows as JSON. */
export interface PackedColumns {
  rows: number;
  texts?: string[];
  json?: string;
}

/** Between two values of a packed column, and a NULL: control characters JSON text never holds raw. */
const SEPARATOR = '\u001e';
const NULL_MARK = '\u001f';

/**
 * Rows given column by column (`values[c][r]` is row r's value of column c; strings, finite
 * numbers or null) as insertColumns sends them.
 *
 * Each column travels as one text parameter, its values joined by a separator, which the server
 * splits with string_to_array: no escaping in the client and no JSON to lex in the server, where
 * a JSON parameter (json_to_recordset) costs the server two passes over every character of the
 * JSON-holding columns (validation, then decoding) and text arrays cost the client an escape per
 * character. When a value holds the separator or the NULL mark, all rows go as JSON instead.
 * Non-finite numbers are stored as NULL, as JSON has them.
 */
export function packColumns(columns: readonly InsertColumn[], values: readonly (readonly unknown[])[]): PackedColumns {
  const rows = values[0]?.length ?? 0;
  const texts: string[] = [];
  for (let c = 0; c < columns.length; c++) {
    const column = values[c]!;
    const checked = columns[c]!.json !== true;
    // A last NULL element ends every column, so that a single row's '' is not read as no row (an
    // empty string splits into an empty array); insertColumns leaves it out.
    const parts = new Array<string>(rows + 1);
    for (let r = 0; r < rows; r++) {
      const value = column[r];
      if (typeof value === 'string') {
        if (checked && (value.includes(SEPARATOR) || value.includes(NULL_MARK))) return { rows, json: jsonRows(columns, values) };
        parts[r] = value;
      } else if (typeof value === 'number') {
        parts[r] = Number.isFinite(value) ? String(value) : NULL_MARK;
      } else if (value === null || value === undefined) {
        parts[r] = NULL_MARK;
      } else {
        throw new TypeError(`packColumns takes strings, numbers and null; got ${typeof value}`);
      }
    }
    parts[rows] = NULL_MARK;
    texts.push(parts.join(SEPARATOR));
  }
  return { rows, texts };
}

function jsonRows(columns: readonly InsertColumn[], values: readonly (readonly unknown[])[]): string {
  const rows = values[0]?.length ?? 0;
  const objects: Array<Record<string, unknown>> = [];
  for (let r = 0; r < rows; r++) {
    const row: Record<string, unknown> = {};
    columns.forEach((column, c) => (row[column.name] = values[c]![r] ?? null));
    objects.push(row);
  }
  return JSON.stringify(objects);
}

/** Inserts what packColumns made of `columns`' rows in one statement; `suffix` follows the SELECT (an ON CONFLICT clause). */
export async function insertColumns(client: pg.ClientBase, table: string, columns: readonly InsertColumn[], rows: PackedColumns, suffix = ''): Promise<void> {
  if (rows.rows === 0) return;
  const names = columns.map((column) => column.name).join(', ');
  if (rows.texts !== undefined) {
    const arrays = columns.map((_, i) => `string_to_array($${i + 1}, chr(30), chr(31))`).join(', ');
    const casts = columns.map((column) => `v.${column.name}::${column.type}`).join(', ');
    await client.query(
      `INSERT INTO ${table} (${names})
       SELECT ${casts} FROM unnest(${arrays}) WITH ORDINALITY AS v(${names}, packed_row_number) WHERE v.packed_row_number <= $${columns.length + 1} ${suffix}`,
      [...rows.texts, rows.rows],
    );
  } else {
    await client.query(
      `INSERT INTO ${table} (${names})
       SELECT ${names} FROM json_to_recordset($1::json) AS v(${columns.map((column) => `${column.name} ${column.type}`).join(', ')}) ${suffix}`,
      [rows.json],
    );
  }
}
