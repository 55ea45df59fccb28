// The script of `cofre demo` (see cli/demo.h): build a shop database, back it up encrypted (a full
// backup, then an incremental one), look at the backups, restore the chain under a new name and
// prove the copy identical.
#include "cli/demo.h"

namespace cofre::cli {
namespace {

constexpr char kDatabase[] = "shop";
constexpr char kRestored[] = "shop_restored";

}  // namespace

std::vector<DemoStep> DemoSteps() {
  using S = DemoStep;
  return {
      S::Narrate("Create a database with three tables and their secondary indexes."),
      S::Statement("CREATE DATABASE shop"),
      S::Statement("USE shop"),
      S::Statement(R"(CREATE TABLE customers (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  email TEXT NOT NULL UNIQUE,
  city TEXT,
  signed_up TEXT NOT NULL,
  discount REAL
))"),
      S::Statement("CREATE INDEX customers_city ON customers (city)"),
      S::Statement(R"(CREATE TABLE orders (
  id INTEGER PRIMARY KEY,
  customer_id INTEGER NOT NULL REFERENCES customers (id),
  placed_at TEXT NOT NULL,
  status TEXT NOT NULL,
  total_cents INTEGER NOT NULL
))"),
      S::Statement("CREATE INDEX orders_customer ON orders (customer_id)"),
      S::Statement("CREATE INDEX orders_status_placed ON orders (status, placed_at)"),
      S::Statement(R"(CREATE TABLE order_items (
  order_id INTEGER NOT NULL REFERENCES orders (id),
  line INTEGER NOT NULL,
  sku TEXT NOT NULL,
  quantity INTEGER NOT NULL,
  price_cents INTEGER NOT NULL,
  gift_note BLOB,
  PRIMARY KEY (order_id, line)
) WITHOUT ROWID)"),
      S::Statement("CREATE INDEX order_items_sku ON order_items (sku)"),

      S::Narrate("Fill them with generated rows: 20 000 customers, 100 000 orders, "
                 "~200 000 order items."),
      S::Statement(R"(INSERT INTO customers (id, name, email, city, signed_up, discount)
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000)
SELECT i,
       'Customer ' || i,
       'customer' || i || '@example.com',
       CASE i % 6 WHEN 0 THEN 'Lisboa' WHEN 1 THEN 'São Paulo' WHEN 2 THEN 'Zürich'
                  WHEN 3 THEN '東京' WHEN 4 THEN 'New York' END,
       date('2024-01-01', '+' || (i * 7 % 700) || ' days'),
       CASE WHEN i % 4 = 0 THEN (i % 30) / 100.0 END
FROM n)"),
      S::Statement(R"(INSERT INTO orders (id, customer_id, placed_at, status, total_cents)
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000)
SELECT i,
       i * 7919 % 20000 + 1,
       datetime('2025-01-01', '+' || (i * 13 % 31536000) || ' seconds'),
       CASE i % 10 WHEN 0 THEN 'cancelled' WHEN 1 THEN 'pending' ELSE 'shipped' END,
       0
FROM n)"),
      S::Statement(
          R"(INSERT INTO order_items (order_id, line, sku, quantity, price_cents, gift_note)
WITH RECURSIVE lines(line) AS (SELECT 1 UNION ALL SELECT line + 1 FROM lines WHERE line < 3)
SELECT o.id,
       lines.line,
       'SKU-' || printf('%05d', (o.id * 31 + lines.line * 17) % 5000),
       1 + (o.id + lines.line) % 4,
       100 + (o.id * 37 + lines.line * 101) % 9900,
       CASE WHEN o.id % 50 = 0 AND lines.line = 1 THEN CAST('Happy birthday! 🎂' AS BLOB) END
FROM orders AS o CROSS JOIN lines ON lines.line <= 1 + o.id % 3)"),
      S::Statement(R"(UPDATE orders SET total_cents = (
  SELECT sum(quantity * price_cents) FROM order_items WHERE order_id = orders.id))"),
      S::Statement(R"(SELECT (SELECT count(*) FROM customers) AS customers,
       (SELECT count(*) FROM orders) AS orders,
       (SELECT count(*) FROM order_items) AS order_items)"),

      S::Narrate("Take a full backup, encrypted with a passphrase."),
      S::Statement("BACKUP DATABASE shop INTO 'nodelocal://1/demo'\n"
                   "  WITH encryption_passphrase = 'correct horse battery staple'"),

      S::Narrate("Change some rows, then take an incremental backup on top of the full one."),
      S::Statement("UPDATE orders SET status = 'returned' WHERE id % 97 = 0"),
      S::Statement("DELETE FROM order_items WHERE order_id % 250 = 0 AND line > 1"),
      S::Statement(R"(INSERT INTO customers (id, name, email, city, signed_up)
WITH RECURSIVE n(i) AS (SELECT 20001 UNION ALL SELECT i + 1 FROM n WHERE i < 20500)
SELECT i, 'Customer ' || i, 'customer' || i || '@example.com', 'Zürich', '2026-01-01' FROM n)"),
      S::Statement("BACKUP DATABASE shop INTO LATEST IN 'nodelocal://1/demo'\n"
                   "  WITH encryption_passphrase = 'correct horse battery staple'"),

      S::Narrate("Look at the collection and at its newest backup chain."),
      S::Statement("SHOW BACKUPS IN 'nodelocal://1/demo'"),
      S::Narrate("Without the passphrase, cofre says the backup is encrypted (and reads no data)."),
      S::ExpectError("SHOW BACKUP FROM LATEST IN 'nodelocal://1/demo'"),
      S::Statement("SHOW BACKUP FROM LATEST IN 'nodelocal://1/demo'\n"
                   "  WITH encryption_passphrase = 'correct horse battery staple'"),

      S::Narrate("Restore the chain (full + incremental) as a new database."),
      S::Statement("RESTORE DATABASE shop FROM LATEST IN 'nodelocal://1/demo'\n"
                   "  WITH encryption_passphrase = 'correct horse battery staple',\n"
                   "       new_db_name = 'shop_restored'"),

      S::Narrate("Check that the restored copy is identical."),
      S::CompareSchema(kDatabase, kRestored),
      S::CompareTable(kDatabase, kRestored, "customers"),
      S::CompareTable(kDatabase, kRestored, "orders"),
      S::CompareTable(kDatabase, kRestored, "order_items"),
  };
}

}  // namespace cofre::cli
