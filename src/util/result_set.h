// ResultSet: what one statement returns to the shell: either rows under named columns, or a
// command tag such as "CREATE TABLE". Values are already rendered as text; NULL is nullopt.
// Notices are messages for the user besides the result (PostgreSQL's NOTICE and WARNING): the
// shell prints them on stderr as "NOTICE: ..." / "WARNING: ...", a wire server sends each as a
// NoticeResponse before the result.
// Thread-safety: a plain value.
#ifndef COFRE_UTIL_RESULT_SET_H_
#define COFRE_UTIL_RESULT_SET_H_

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace cofre {

struct ResultSet {
  // How a column's values should be aligned in table output and typed in JSON.
  enum class Kind { kText, kNumber, kBool };
  // The SQL type of a column's values, for clients that want types (the wire server's type OIDs):
  // from SQLite's declared column type where there is one, else from the values themselves.
  // kUnknown: no better answer than text.
  enum class Type {
    kUnknown,
    kInt,
    kFloat,
    kNumeric,
    kText,
    kBytes,
    kBool,
    kTimestamp,
    kTimestampTz,
    kDate,
    kJson
  };
  struct Column {
    std::string name;
    Kind kind = Kind::kText;
    Type type = Type::kUnknown;
  };
  using Row = std::vector<std::optional<std::string>>;

  std::vector<Column> columns;  // empty: a tag-only result
  std::vector<Row> rows;
  std::string tag;  // e.g. "CREATE TABLE", "INSERT 3"; used when columns is empty

  struct Notice {
    enum class Severity { kNotice, kWarning };
    Severity severity = Severity::kNotice;
    std::string message;  // never holds a secret
  };
  std::vector<Notice> notices;  // in the order they arose

  bool has_rows() const { return !columns.empty(); }
};

// A tag-only result: the command tag of a statement that returns no rows.
inline ResultSet TagResult(std::string tag) {
  ResultSet rs;
  rs.tag = std::move(tag);
  return rs;
}

}  // namespace cofre

#endif  // COFRE_UTIL_RESULT_SET_H_
