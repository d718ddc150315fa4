import { test } from 'node:test';
import assert from 'node:assert/strict';
import { insertColumns, packColumns, type InsertColumn } from '../src/postgres/column-insert.js';
import { freshSchemaName, postgresUnreachableReason, withAdminConnection } from './postgres-test-database.js';

const unreachable = await postgresUnreachableReason();
const server = unreachable === null ? {} : { skip: unreachable };

const COLUMNS: InsertColumn[] = [
  { name: 'label', type: 'text' },
  { name: 'n', type: 'bigint' },
  { name: 'x', type: 'float8' },
  { name: 'doc', type: 'text', json: true },
];

/** Inserts `values` (column by column) into a fresh table and reads the rows back in insertion order. */
async function roundTrip(values: unknown[][]): Promise<unknown[][]> {
  const schema = freshSchemaName();
  return withAdminConnection(async (client) => {
    await client.query(`CREATE SCHEMA ${schema}`);
    try {
      await client.query(`CREATE TABLE ${schema}.t (row_id bigserial, label text, n bigint, x float8, doc text)`);
      await insertColumns(client, `${schema}.t`, COLUMNS, packColumns(COLUMNS, values));
      const { rows } = await client.query<{ label: string | null; n: string | null; x: number | null; doc: string | null }>(
        `SELECT label, n, x, doc FROM ${schema}.t ORDER BY row_id`,
      );
      return rows.map((row) => [row.label, row.n === null ? null : Number(row.n), row.x, row.doc]);
    } finally {
      await client.query(`DROP SCHEMA ${schema} CASCADE`);
    }
  });
}

function rowsOf(values: unknown[][]): unknown[][] {
  return values[0]!.map((_, r) => values.map((column) => column[r] ?? null));
}

test('packed columns carry empty strings, NULLs, numbers and JSON exactly, a single row included', server, async () => {
  const one = [[''], [null], [0.1], ['{"a":"\\u001e"}']];
  assert.ok(packColumns(COLUMNS, one).texts !== undefined);
  assert.deepEqual(await roundTrip(one), rowsOf(one));
  const several = [
    ['', 'b', null, 'naïve ✓', '{"x":1}'],
    [1, -2, null, 2 ** 53 - 1, 0],
    [1e21, -0.5, 5e-324, null, 0.92],
    [null, '[]', '"\\t"', '{}', 'null'],
  ];
  assert.deepEqual(await roundTrip(several), rowsOf(several));
});

test('a value holding the separator or the NULL mark sends every row as JSON, with the same rows', server, async () => {
  const values = [
    ['plain', 'record\u001eseparator', 'null\u001fmark'],
    [1, 2, 3],
    [0.5, null, Number.NaN],
    ['{}', null, '[1]'],
  ];
  const packed = packColumns(COLUMNS, values);
  assert.equal(packed.texts, undefined);
  assert.equal(typeof packed.json, 'string');
  const expected = rowsOf(values);
  // NaN is stored as NULL, as JSON has it.
  expected[2]![2] = null;
  assert.deepEqual(await roundTrip(values), expected);
});

test('no rows insert nothing', server, async () => {
  assert.deepEqual(await roundTrip([[], [], [], []]), []);
});
