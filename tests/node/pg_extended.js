// node-postgres (npm "pg") against cofre's wire server: the extended protocol with named
// prepared statements, parameters of several types, BACKUP/RESTORE with $1 passphrases, error
// codes and transactions. Usage: node pg_extended.js <connection-url>. Exits non-zero on the
// first failed check.
'use strict';
const assert = require('assert');
const { Client } = require('pg');

async function main() {
  const client = new Client({ connectionString: process.argv[2] });
  await client.connect();
  await client.query('CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT UNIQUE, price REAL, ' +
                     'data BLOB, active BOOL)');
  for (let i = 1; i <= 50; i++) {
    const r = await client.query({
      name: 'insert-item',
      text: 'INSERT INTO items VALUES ($1, $2, $3, $4, $5)',
      values: [i, 'item ' + i, i * 1.5, Buffer.from([i, 0, 255]), i % 2 === 0],
    });
    assert.strictEqual(r.rowCount, 1);
  }
  const one = await client.query({ name: 'get-item', text: 'SELECT * FROM items WHERE id = $1',
                                   values: [7] });
  assert.strictEqual(one.rows.length, 1);
  const row = one.rows[0];
  assert.strictEqual(row.name, 'item 7');
  assert.strictEqual(Number(row.id), 7);
  assert.strictEqual(row.price, 10.5);
  assert.deepStrictEqual(row.data, Buffer.from([7, 0, 255]));
  assert.strictEqual(row.active, false);
  // The same prepared statement again, with another value.
  const again = await client.query({ name: 'get-item', text: 'SELECT * FROM items WHERE id = $1',
                                     values: [8] });
  assert.strictEqual(again.rows[0].active, true);
  const agg = await client.query('SELECT count(*) AS n, sum(price) AS total FROM items WHERE id > $1',
                                 [40]);
  assert.strictEqual(Number(agg.rows[0].n), 10);
  // Errors carry PostgreSQL's SQLSTATE codes.
  await assert.rejects(client.query('INSERT INTO items (id, name) VALUES ($1, $2)', [100, 'item 1']),
                       (e) => e.code === '23505');
  await assert.rejects(client.query('SELECT * FROM nowhere WHERE id = $1', [1]),
                       (e) => e.code === '42P01');
  // Transactions across statements.
  await client.query('BEGIN');
  await client.query('DELETE FROM items WHERE id <= $1', [25]);
  await client.query('ROLLBACK');
  const count = await client.query('SELECT count(*) AS n FROM items');
  assert.strictEqual(Number(count.rows[0].n), 50);
  // The passphrase is a parameter: it never appears in the statement text.
  const pw = 'node passphrase ' + process.pid;
  const bk = await client.query("BACKUP INTO 'nodelocal://1/node-backups' WITH encryption_passphrase = $1",
                                [pw]);
  assert.strictEqual(bk.rows[0].status, 'succeeded');
  await client.query('DELETE FROM items');
  await client.query("RESTORE TABLE items FROM LATEST IN 'nodelocal://1/node-backups' " +
                     "WITH encryption_passphrase = $1, into_db = 'defaultdb'", [pw]).catch(async (e) => {
    // RESTORE TABLE refuses an existing table: drop it and restore again.
    if (!/exists/.test(e.message)) throw e;
    await client.query('DROP TABLE items');
    await client.query("RESTORE TABLE items FROM LATEST IN 'nodelocal://1/node-backups' " +
                       'WITH encryption_passphrase = $1', [pw]);
  });
  const restored = await client.query('SELECT count(*) AS n, sum(price) AS total FROM items');
  assert.strictEqual(Number(restored.rows[0].n), 50);
  await assert.rejects(client.query("RESTORE TABLE items FROM LATEST IN 'nodelocal://1/node-backups' " +
                                    "WITH encryption_passphrase = $1, into_db = 'x'", ['zebra-' + pw]),
                       (e) => /passphrase is wrong/.test(e.message) && !e.message.includes('zebra'));
  const jobs = await client.query('SHOW JOBS');
  for (const j of jobs.rows) assert.ok(!JSON.stringify(j).includes(pw), 'passphrase in SHOW JOBS');
  // CockroachDB's SHOW statements as tables, prepared with parameters; an external connection
  // whose URI is a parameter.
  const backups = await client.query({
    name: 'backup-jobs',
    text: 'SELECT count(*) AS n FROM [SHOW JOBS] WHERE job_type = $1 AND status = $2',
    values: ['BACKUP', 'succeeded'],
  });
  assert.strictEqual(Number(backups.rows[0].n), 1);
  await client.query('CREATE EXTERNAL CONNECTION node_bk AS $1', ['nodelocal://1/node-backups']);
  const latest = await client.query("WITH x AS (SHOW BACKUPS IN 'external://node_bk') " +
                                    'SELECT path FROM x WHERE is_latest = $1', [1]);
  assert.strictEqual(latest.rows.length, 1);
  await client.end();
  console.log('node-postgres: ok');
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
