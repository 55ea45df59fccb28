#include "backup/short_rows.h"

#include "backup/data_file_format.h"

namespace cofre {

namespace fmt = data_file_format;

namespace {

Status RowSizeError(const std::string& where, size_t values, const std::string& table,
                    size_t columns) {
  return DataLossError(where + " has a row with " + std::to_string(values) + " columns; table " +
                       table + " has " + std::to_string(columns));
}

// Whether `now` is `before` with ", <text>" inserted at one place.
bool IsInsertion(std::string_view before, std::string_view now) {
  if (now.size() <= before.size() + 2) return false;
  size_t prefix = 0;
  while (prefix < before.size() && before[prefix] == now[prefix]) ++prefix;
  size_t suffix = 0;
  while (suffix < before.size() &&
         before[before.size() - 1 - suffix] == now[now.size() - 1 - suffix]) {
    ++suffix;
  }
  // Insertion points `at` keep before[0, at) in front and before[at, end) at the end.
  for (size_t at = before.size() - std::min(suffix, before.size()); at <= prefix; ++at) {
    if (now.compare(at, 2, ", ") == 0) return true;
  }
  return false;
}

// The values SQLite reads for `columns` (name, declared type, default expression text or null)
// of a row stored before they were added: a scratch table with one row gains them by ALTER
// TABLE ADD COLUMN and is read back. nullopt when SQLite refuses one of them.
StatusOr<std::optional<std::vector<std::string>>> ValuesAfterAddColumn(
    const std::vector<std::tuple<std::string, std::string, std::optional<std::string>>>& columns) {
  ASSIGN_OR_RETURN(SqliteDb scratch, SqliteDb::Open(":memory:", true));
  RETURN_IF_ERROR(scratch.Exec("CREATE TABLE x(k INTEGER PRIMARY KEY); INSERT INTO x VALUES(1)"));
  std::string select = "SELECT ";
  for (const auto& [name, type, dflt] : columns) {
    std::string sql = "ALTER TABLE x ADD COLUMN " + QuoteIdent(name) + " " + type;
    if (dflt) sql += " DEFAULT " + *dflt;
    sqlite3_stmt* stmt = nullptr;
    const char* tail = nullptr;
    int rc =
        sqlite3_prepare_v2(scratch.get(), sql.c_str(), static_cast<int>(sql.size()), &stmt, &tail);
    SqliteStmt owned(scratch.get(), stmt);
    if (rc != SQLITE_OK || !stmt || (tail && *tail)) return std::nullopt;
    if (!owned.Run().ok()) return std::nullopt;
    if (select.size() > 7) select += ", ";
    select += QuoteIdent(name);
  }
  ASSIGN_OR_RETURN(SqliteStmt read, scratch.Prepare(select + " FROM x"));
  ASSIGN_OR_RETURN(bool row, read.Step());
  if (!row) return InternalError("scratch table lost its row");
  std::vector<std::string> values(columns.size());
  for (size_t i = 0; i < columns.size(); ++i) {
    rowcodec::AppendColumn(&values[i], read.get(), static_cast<int>(i));
  }
  return values;
}

}  // namespace

StatusOr<ShortRowDefaults> ShortRowDefaults::ForTable(const proto::Table& table) {
  ShortRowDefaults d;
  d.table_ = table.name();
  d.columns_ = static_cast<size_t>(table.columns_size());
  d.short_columns_ = table.short_row_columns() == 0 ? d.columns_ : table.short_row_columns();
  if (d.short_columns_ > d.columns_) {
    return DataLossError("table " + table.name() + " says its rows may hold " +
                         std::to_string(d.short_columns_) + " columns of " +
                         std::to_string(d.columns_));
  }
  for (size_t i = d.short_columns_; i < d.columns_; ++i) {
    std::string_view enc = table.columns(static_cast<int>(i)).short_row_default();
    rowcodec::ValueRef v;
    size_t pos = 0;
    if (!rowcodec::DecodeValue(enc, &pos, &v).ok() || pos != enc.size() ||
        v.tag == fmt::kRowidValue) {
      return DataLossError("table " + table.name() + " has a malformed default for column " +
                           table.columns(static_cast<int>(i)).name());
    }
    d.values_.push_back(v);
    d.encoded_.push_back(enc);
  }
  return d;
}

Status ShortRowDefaults::CheckCount(size_t n, const std::string& where) const {
  if (n > columns_ || n < short_columns_) return RowSizeError(where, n, table_, columns_);
  return Status::OK();
}

Status ShortRowDefaults::Complete(std::vector<rowcodec::ValueRef>* values,
                                  const std::string& where) const {
  const size_t n = values->size();
  if (n == columns_) return Status::OK();
  RETURN_IF_ERROR(CheckCount(n, where));
  values->insert(values->end(), values_.begin() + static_cast<long>(n - short_columns_),
                 values_.end());
  return Status::OK();
}

Status ShortRowDefaults::CompleteBody(std::string_view body, std::string* out) const {
  rowcodec::Record rec;
  RETURN_IF_ERROR(rowcodec::DecodeRecord(body, &rec));
  const size_t n = rec.values.size();
  if (rec.kind != fmt::kRecordRow || n == columns_) {
    out->assign(body);
    return Status::OK();
  }
  RETURN_IF_ERROR(CheckCount(n, "a backup file"));
  size_t pos = 1 + rec.key.size();
  uint64_t count;
  if (!rowcodec::GetVarint(body, &pos, &count)) return DataLossError("malformed row");
  out->assign(body.substr(0, 1 + rec.key.size()));
  rowcodec::PutVarint(out, columns_);
  out->append(body.substr(pos));
  for (size_t i = n; i < columns_; ++i) out->append(encoded_[i - short_columns_]);
  return Status::OK();
}

StatusOr<bool> DescribeAddedColumns(const SqliteDb& db, const proto::Table& before,
                                    const TableSchema& now, proto::Table* out) {
  const int old_count = before.columns_size();
  if (before.without_rowid() != now.without_rowid ||
      old_count > static_cast<int>(now.columns.size()) ||
      out->columns_size() != static_cast<int>(now.columns.size()) ||
      !IsInsertion(before.create_sql(), now.create_sql)) {
    return false;
  }
  for (int i = 0; i < out->columns_size(); ++i) {
    const proto::Column& c = out->columns(i);
    if (i < old_count ? (c.name() != before.columns(i).name() ||
                         c.key_position() != before.columns(i).key_position())
                      : c.key_position() != 0) {
      return false;
    }
  }
  auto ok = ShortRowDefaults::ForTable(before);
  if (!ok.ok()) return false;  // a damaged previous entry: written in full
  std::vector<std::tuple<std::string, std::string, std::optional<std::string>>> added;
  ASSIGN_OR_RETURN(SqliteStmt info,
                   db.Prepare("SELECT type, dflt_value FROM main.pragma_table_xinfo(?1) "
                              "WHERE name = ?2"));
  for (int i = old_count; i < out->columns_size(); ++i) {
    info.Bind(1, now.name).Bind(2, out->columns(i).name());
    ASSIGN_OR_RETURN(bool row, info.Step());
    if (!row) return false;
    std::optional<std::string> dflt;
    if (!info.ColumnIsNull(1)) dflt = info.ColumnText(1);
    added.emplace_back(out->columns(i).name(), info.ColumnText(0), std::move(dflt));
    RETURN_IF_ERROR(info.Reset());
  }
  ASSIGN_OR_RETURN(auto values, ValuesAfterAddColumn(added));
  if (!values) return false;
  const int short_columns =
      before.short_row_columns() == 0 ? old_count : static_cast<int>(before.short_row_columns());
  if (short_columns >= out->columns_size()) return true;  // no column added to the rows
  out->set_short_row_columns(static_cast<uint32_t>(short_columns));
  for (int i = short_columns; i < out->columns_size(); ++i) {
    out->mutable_columns(i)->set_short_row_default(
        i < old_count ? before.columns(i).short_row_default() : (*values)[i - old_count]);
  }
  return true;
}

void CarryShortRows(const proto::Table& before, proto::Table* out) {
  if (before.short_row_columns() == 0 || before.columns_size() != out->columns_size()) return;
  out->set_short_row_columns(before.short_row_columns());
  for (int i = static_cast<int>(before.short_row_columns()); i < out->columns_size(); ++i) {
    out->mutable_columns(i)->set_short_row_default(before.columns(i).short_row_default());
  }
}

}  // namespace cofre
