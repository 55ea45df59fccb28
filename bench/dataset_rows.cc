// Schema and row factory of the benchmark dataset (see dataset_rows.h).
#include "dataset_rows.h"

#include <cctype>
#include <charconv>

#include "dataset_vocab.h"
#include "text_append.h"

namespace cofre::bench {
namespace {

// Appends `value` as exactly `width` decimal digits (zero padded).
void AppendPadded(std::string* out, int64_t value, int width) {
  char buffer[24];
  for (int i = width - 1; i >= 0; --i, value /= 10) {
    buffer[i] = static_cast<char>('0' + value % 10);
  }
  out->append(buffer, width);
}

void AppendLower(std::string* out, std::string_view word) {
  for (char c : word) {
    if (c != ' ') out->push_back(static_cast<char>(std::tolower(c)));
  }
}

void AppendSlug(std::string* out, std::string_view words) {
  for (char c : words) {
    out->push_back(c == ' ' ? '-' : static_cast<char>(std::tolower(c)));
  }
}

int VarintBytes(uint64_t v) {
  int n = 1;
  while (v >= 0x80 && n < 9) v >>= 7, ++n;
  return n;
}

// Size of an integer's payload under SQLite's record format (schema 4).
int IntPayloadBytes(int64_t v) {
  if (v == 0 || v == 1) return 0;
  const uint64_t u = v < 0 ? ~static_cast<uint64_t>(v) : static_cast<uint64_t>(v);
  if (u < 0x80) return 1;
  if (u < 0x8000) return 2;
  if (u < 0x800000) return 3;
  if (u < 0x80000000LL) return 4;
  if (u < 0x800000000000LL) return 6;
  return 8;
}

// Adds one value's serial type and payload sizes to a record estimate.
void AddValueBytes(const Value& value, int64_t* header, int64_t* body) {
  switch (value.type) {
    case Value::Type::kNull:
      *header += 1;
      break;
    case Value::Type::kInt:
      *header += 1;
      *body += IntPayloadBytes(value.integer);
      break;
    case Value::Type::kReal:
      *header += 1;
      *body += 8;
      break;
    case Value::Type::kText:
    case Value::Type::kBlob:
      *header += VarintBytes(value.text.size() * 2 + 13);
      *body += static_cast<int64_t>(value.text.size());
      break;
  }
}

// A product of the catalog: adjective x noun, with a stable SKU and price.
struct Product {
  size_t adjective;
  size_t noun;
  int64_t SkuNumber() const { return adjective * 100 + noun; }
  int64_t PriceCents() const {
    const uint64_t h = (SkuNumber() + 17) * 0x9e3779b97f4a7c15ULL;
    return 199 + static_cast<int64_t>((h >> 40) % 24800);
  }
};

}  // namespace

std::string TableSpec::CreateTableSql() const {
  std::string sql = "CREATE TABLE " + std::string(name) + " (";
  for (size_t i = 0; i < columns.size(); ++i) {
    if (i > 0) sql += ", ";
    sql += std::string(columns[i]) + " " + std::string(types[i]);
  }
  return sql + ")";
}

std::string TableSpec::CreateIndexSql(const IndexSpec& index) const {
  std::string sql = index.unique ? "CREATE UNIQUE INDEX " : "CREATE INDEX ";
  sql += std::string(index.name) + " ON " + std::string(name) + " (";
  for (size_t i = 0; i < index.columns.size(); ++i) {
    if (i > 0) sql += ", ";
    sql += columns[index.columns[i]];
  }
  return sql + ")";
}

std::string TableSpec::InsertSql() const {
  std::string sql = "INSERT INTO " + std::string(name) + " VALUES (";
  for (size_t i = 0; i < columns.size(); ++i) sql += i > 0 ? ", ?" : "?";
  return sql + ")";
}

const std::vector<TableSpec>& Tables() {
  static const std::vector<TableSpec> tables = {
      {"customers",
       {"id", "name", "email", "phone", "street", "city", "country", "created_at", "tier",
        "marketing_opt_in", "api_key", "notes"},
       {"INTEGER PRIMARY KEY", "TEXT NOT NULL", "TEXT NOT NULL", "TEXT", "TEXT", "TEXT", "TEXT",
        "INTEGER NOT NULL", "TEXT NOT NULL", "INTEGER NOT NULL", "TEXT", "TEXT"},
       {{"customers_email", {2}, true},
        {"customers_country_city", {6, 5}},
        {"customers_created_at", {7}}},
       {3, 4, 8, 9, 11}},
      {"orders",
       {"id", "customer_id", "created_at", "status", "currency", "total_cents", "shipping_method",
        "shipping_address", "coupon_code", "payment_ref"},
       {"INTEGER PRIMARY KEY", "INTEGER NOT NULL", "INTEGER NOT NULL", "TEXT NOT NULL",
        "TEXT NOT NULL", "INTEGER NOT NULL", "TEXT", "TEXT", "TEXT", "TEXT"},
       {{"orders_customer", {1}}, {"orders_status_created", {3, 2}}},
       {3, 5, 6}},
      {"order_items",
       {"id", "order_id", "sku", "product_name", "quantity", "unit_price_cents", "discount",
        "attributes"},
       {"INTEGER PRIMARY KEY", "INTEGER NOT NULL", "TEXT NOT NULL", "TEXT NOT NULL",
        "INTEGER NOT NULL", "INTEGER NOT NULL", "REAL NOT NULL", "TEXT"},
       {{"order_items_order", {1}}, {"order_items_sku", {2}}},
       {4, 6, 7}},
      {"events",
       {"id", "customer_id", "ts", "kind", "source", "payload", "attachment"},
       {"INTEGER PRIMARY KEY", "INTEGER", "INTEGER NOT NULL", "TEXT NOT NULL", "TEXT NOT NULL",
        "TEXT NOT NULL", "BLOB"},
       {{"events_customer_ts", {1, 2}}, {"events_kind_ts", {3, 2}}},
       {4, 5}},
  };
  return tables;
}

void BindValue(const Value& value, int index, Stmt& stmt) {
  switch (value.type) {
    case Value::Type::kNull:
      stmt.BindNull(index);
      break;
    case Value::Type::kInt:
      stmt.BindInt(index, value.integer);
      break;
    case Value::Type::kReal:
      stmt.BindDouble(index, value.real);
      break;
    case Value::Type::kText:
      stmt.BindText(index, value.text);
      break;
    case Value::Type::kBlob:
      stmt.BindBlob(index, value.text);
      break;
  }
}

void BindRow(const Row& row, Stmt& stmt) {
  for (size_t i = 0; i < row.size(); ++i) {
    BindValue(row[i], static_cast<int>(i) + 1, stmt);
  }
}

int64_t IndexCellBytes(const Row& row, const std::vector<int>& columns) {
  int64_t header = 1;
  int64_t body = 0;
  for (int column : columns) AddValueBytes(row[column], &header, &body);
  Value rowid;
  rowid.SetInt(row[0].integer);
  AddValueBytes(rowid, &header, &body);
  const int64_t payload = header + body;
  return VarintBytes(payload) + payload + 2;  // + the cell pointer
}

void RowFactory::Customer(int64_t id, int64_t created_at, Row* row) {
  row->resize(12);
  Row& r = *row;
  const std::string_view first = rng_.PickSkewed(kFirstNames);
  const std::string_view last = rng_.PickSkewed(kLastNames);
  const Place& place = rng_.PickSkewed(kPlaces);
  r[0].SetInt(id);
  std::string& name = r[1].Text();
  name.append(first).append(" ").append(last);
  std::string& email = r[2].Text();
  AppendLower(&email, first);
  email.push_back('.');
  AppendLower(&email, last);
  AppendInt(&email, id);
  email.append("@").append(rng_.PickSkewed(kEmailDomains));
  std::string& phone = r[3].Text();
  phone.push_back('+');
  AppendInt(&phone, rng_.Range(1, 99));
  phone.push_back(' ');
  AppendPadded(&phone, rng_.Range(0, 999999999), 9);
  std::string& street = r[4].Text();
  AppendInt(&street, rng_.Range(1, 400));
  street.append(" ").append(rng_.Pick(kStreetNames)).append(" ");
  street.append(rng_.Pick(kStreetKinds));
  r[5].Text().append(place.city);
  r[6].Text().append(place.country_code);
  r[7].SetInt(created_at);
  r[8].Text().append(rng_.PickSkewed(kTiers));
  r[9].SetInt(rng_.Percent(40) ? 1 : 0);
  if (rng_.Percent(60)) {
    std::string& key = r[10].Text();
    key.append("sk_live_");
    rng_.AppendToken(&key, 24);
  } else {
    r[10].SetNull();
  }
  if (rng_.Percent(35)) {
    std::string& notes = r[11].Text();
    for (int64_t n = rng_.Range(1, 3); n > 0; --n) AppendSentence(&notes);
  } else {
    r[11].SetNull();
  }
}

void RowFactory::Order(int64_t id, int64_t customer_id, int64_t created_at, Row* row) {
  row->resize(10);
  Row& r = *row;
  r[0].SetInt(id);
  r[1].SetInt(customer_id);
  r[2].SetInt(created_at);
  r[3].Text().append(rng_.PickSkewed(kOrderStatuses));
  r[4].Text().append(rng_.PickSkewed(kCurrencies));
  r[5].SetInt(rng_.Range(199, 2000) * rng_.Range(1, 25));
  r[6].Text().append(rng_.PickSkewed(kShippingMethods));
  const Place& place = rng_.PickSkewed(kPlaces);
  std::string& address = r[7].Text();
  AppendInt(&address, rng_.Range(1, 400));
  address.append(" ").append(rng_.Pick(kStreetNames)).append(" ");
  address.append(rng_.Pick(kStreetKinds)).append(", ");
  AppendPadded(&address, rng_.Range(1000, 99999), 5);
  address.append(" ").append(place.city).append(", ").append(place.country);
  if (rng_.Percent(15)) {
    std::string& coupon = r[8].Text();
    coupon.append(rng_.Pick(kCouponPrefixes));
    AppendPadded(&coupon, rng_.Range(0, 99), 2);
  } else {
    r[8].SetNull();
  }
  std::string& payment = r[9].Text();
  payment.append("pi_");
  rng_.AppendToken(&payment, 24);
}

void RowFactory::OrderItem(int64_t id, int64_t order_id, Row* row) {
  row->resize(8);
  Row& r = *row;
  const Product product{static_cast<size_t>(rng_.Below(kProductAdjectives.size())),
                        static_cast<size_t>(rng_.Below(kProductNouns.size()))};
  const std::string_view color = rng_.PickSkewed(kColors);
  r[0].SetInt(id);
  r[1].SetInt(order_id);
  std::string& sku = r[2].Text();
  sku.append("SKU-");
  AppendPadded(&sku, product.SkuNumber(), 5);
  sku.append("-");
  for (int i = 0; i < 3; ++i) sku.push_back(std::toupper(color[i]));
  std::string& name = r[3].Text();
  name.append(kProductAdjectives[product.adjective]).append(" ");
  name.append(kProductNouns[product.noun]);
  r[4].SetInt(rng_.Percent(70) ? 1 : rng_.Range(2, 6));
  r[5].SetInt(product.PriceCents());
  static constexpr double kDiscounts[] = {0, 0, 0, 0, 0, 0.05, 0.1, 0.15, 0.2, 0.3};
  r[6].SetReal(rng_.Pick(kDiscounts));
  std::string& attributes = r[7].Text();
  attributes.append("color=").append(color);
  attributes.append(";size=").append(rng_.PickSkewed(kSizes));
  attributes.append(";material=").append(rng_.Pick(kMaterials));
  if (rng_.Percent(10)) attributes.append(";gift_wrap=1");
}

RowFactory::RowFactory(uint64_t seed, DataShape shape) : rng_(seed) {
  if (shape == DataShape::kVaried) varied_ = std::make_unique<VariedEvents>(seed);
}

RowFactory::~RowFactory() = default;

void RowFactory::Event(int64_t id, int64_t customer_id, int64_t ts, Row* row) {
  row->resize(7);
  Row& r = *row;
  const std::string_view kind = rng_.Pick(kEventKinds);
  r[0].SetInt(id);
  if (customer_id > 0) {
    r[1].SetInt(customer_id);
  } else {
    r[1].SetNull();
  }
  r[2].SetInt(ts);
  r[3].Text().append(kind);
  r[4].Text().append(rng_.PickSkewed(kEventSources));
  if (varied_) {
    varied_->AppendPayload(rng_, kind, &r[5].Text());
    if (varied_->WantsAttachment(rng_, kind)) {
      varied_->AppendAttachment(rng_, kind, &r[6].Blob());
    } else {
      r[6].SetNull();
    }
    return;
  }
  AppendJsonPayload(kind, &r[5].Text());
  if (kind == "photo_upload" || kind == "telemetry" ||
      (kind == "support_ticket" && rng_.Percent(50))) {
    AppendAttachment(kind, &r[6].Blob());
  } else {
    r[6].SetNull();
  }
}

void RowFactory::AppendSentence(std::string* out) {
  if (!out->empty()) out->push_back(' ');
  out->append(rng_.PickSkewed(kNotePhrases));
}

void RowFactory::AppendJsonPayload(std::string_view kind, std::string* out) {
  out->append("{\"session\":\"");
  rng_.AppendHex(out, 16);
  out->append("\",\"page\":\"/").append(rng_.PickSkewed(kSiteSections));
  out->append("/");
  AppendSlug(out, rng_.PickSkewed(kProductAdjectives));
  out->append("-");
  AppendSlug(out, rng_.PickSkewed(kProductNouns));
  out->append("\",\"referrer\":\"").append(rng_.PickSkewed(kReferrers));
  out->append("\",\"user_agent\":\"").append(rng_.PickSkewed(kUserAgents));
  out->append("\",\"ip\":\"");
  const uint64_t ip = rng_.Next();
  for (int i = 0; i < 4; ++i) {
    if (i > 0) out->push_back('.');
    AppendInt(out, static_cast<int64_t>((ip >> (8 * i)) & 0xff));
  }
  out->append("\",\"duration_ms\":");
  AppendInt(out, rng_.Range(5, 30000));
  if (kind == "search") {
    out->append(",\"query\":\"");
    AppendLower(out, rng_.PickSkewed(kColors));
    out->append(" ");
    AppendLower(out, rng_.PickSkewed(kProductNouns));
    out->append("\",\"results\":");
    AppendInt(out, rng_.Range(0, 500));
  } else if (kind == "add_to_cart" || kind == "remove_from_cart" || kind == "product_view" ||
             kind == "wishlist_add") {
    out->append(",\"sku\":\"SKU-");
    AppendPadded(out, rng_.Range(0, 2999), 5);
    out->append("\",\"quantity\":");
    AppendInt(out, rng_.Range(1, 4));
  } else if (kind == "checkout_done") {
    out->append(",\"total_cents\":");
    AppendInt(out, rng_.Range(500, 90000));
    out->append(",\"payment\":\"ch_");
    rng_.AppendToken(out, 24);
    out->append("\"");
  } else if (kind == "review_posted" || kind == "support_ticket") {
    out->append(",\"rating\":");
    AppendInt(out, rng_.Range(1, 5));
    out->append(",\"text\":\"");
    std::string text;
    AppendSentence(&text);
    out->append(text).append("\"");
  }
  out->append(",\"consent\":{\"analytics\":true,\"marketing\":");
  out->append(rng_.Percent(40) ? "true" : "false");
  out->append("},\"schema_version\":3}");
}

void RowFactory::AppendAttachment(std::string_view kind, std::string* out) {
  if (kind == "telemetry") {
    // Little-endian int16 samples of a slow random walk: low-entropy binary.
    const int64_t samples = rng_.Range(128, 768);
    int64_t level = rng_.Range(-2000, 2000);
    out->append("TLM1", 4);
    for (int64_t i = 0; i < samples; ++i) {
      level += rng_.Range(-3, 3);
      out->push_back(static_cast<char>(level & 0xff));
      out->push_back(static_cast<char>((level >> 8) & 0xff));
    }
    return;
  }
  // An image or a scanned document: a fixed header, then entropy-coded
  // (incompressible) bytes.
  static constexpr char kHeader[] =
      "\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x01\x00\x48\x00\x48\x00\x00";
  out->append(kHeader, sizeof(kHeader) - 1);
  rng_.AppendBytes(out, static_cast<size_t>(rng_.Range(256, 1536)));
}

}  // namespace cofre::bench
