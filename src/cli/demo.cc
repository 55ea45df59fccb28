#include "cli/demo.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string_view>

#include "cli/environment_settings.h"
#include "cli/shell.h"

namespace cofre::cli {
namespace {

std::string QuoteIdent(std::string_view name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

// Runs a query returning one integer.
StatusOr<int64_t> QueryCount(sql::Session* session, const std::string& query) {
  ASSIGN_OR_RETURN(ResultSet result, session->Execute(query));
  if (result.rows.size() != 1 || result.rows[0].size() != 1 || !result.rows[0][0].has_value()) {
    return InternalError("demo check query returned no single value: " + query);
  }
  char* end = nullptr;
  const std::string& text = *result.rows[0][0];
  const long long value = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0') {
    return InternalError("demo check query returned '" + text + "', not a count: " + query);
  }
  return static_cast<int64_t>(value);
}

// Counts rows of `select_a` missing from `select_b`.
StatusOr<int64_t> CountMissing(sql::Session* session, const std::string& select_a,
                               const std::string& select_b) {
  return QueryCount(session, "SELECT count(*) FROM (" + select_a + " EXCEPT " + select_b + ")");
}

Status CompareTable(const DemoStep& step, sql::Session* session, std::FILE* out) {
  const std::string a = QuoteIdent(step.database) + "." + QuoteIdent(step.text);
  const std::string b = QuoteIdent(step.restored) + "." + QuoteIdent(step.text);
  ASSIGN_OR_RETURN(int64_t rows_a, QueryCount(session, "SELECT count(*) FROM " + a));
  ASSIGN_OR_RETURN(int64_t rows_b, QueryCount(session, "SELECT count(*) FROM " + b));
  ASSIGN_OR_RETURN(int64_t only_a,
                   CountMissing(session, "SELECT * FROM " + a, "SELECT * FROM " + b));
  ASSIGN_OR_RETURN(int64_t only_b,
                   CountMissing(session, "SELECT * FROM " + b, "SELECT * FROM " + a));
  if (rows_a != rows_b || only_a != 0 || only_b != 0) {
    return DataLossError(step.text + " differs: " + std::to_string(rows_a) + " rows in " +
                         step.database + ", " + std::to_string(rows_b) + " in " + step.restored +
                         "; " + std::to_string(only_a) + " rows only in " + step.database + ", " +
                         std::to_string(only_b) + " only in " + step.restored);
  }
  std::fprintf(out, "OK: %s matches (%lld rows)\n", step.text.c_str(),
               static_cast<long long>(rows_a));
  return Status::OK();
}

Status CompareSchema(const DemoStep& step, sql::Session* session, std::FILE* out) {
  const auto schema = [](const std::string& db) {
    return "SELECT type, name, tbl_name, sql FROM " + QuoteIdent(db) +
           ".sqlite_master WHERE name NOT LIKE 'sqlite_%'";
  };
  ASSIGN_OR_RETURN(int64_t only_a,
                   CountMissing(session, schema(step.database), schema(step.restored)));
  ASSIGN_OR_RETURN(int64_t only_b,
                   CountMissing(session, schema(step.restored), schema(step.database)));
  if (only_a != 0 || only_b != 0) {
    return DataLossError("schema of " + step.restored + " differs from " + step.database + ": " +
                         std::to_string(only_a) + " definitions only in " + step.database + ", " +
                         std::to_string(only_b) + " only in " + step.restored);
  }
  const std::string master = QuoteIdent(step.database) + ".sqlite_master";
  ASSIGN_OR_RETURN(int64_t tables,
                   QueryCount(session, "SELECT count(*) FROM " + master +
                                           " WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"));
  ASSIGN_OR_RETURN(int64_t indexes,
                   QueryCount(session, "SELECT count(*) FROM " + master +
                                           " WHERE type = 'index' AND sql IS NOT NULL"));
  std::fprintf(out, "OK: schema of %s matches %s (%lld tables, %lld indexes)\n",
               step.restored.c_str(), step.database.c_str(), static_cast<long long>(tables),
               static_cast<long long>(indexes));
  return Status::OK();
}

// Creates a fresh directory for the demo's data under $TMPDIR (or /tmp).
StatusOr<std::string> MakeDemoDir() {
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern =
      std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/cofre-demo-XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) {
    return UnavailableError("cannot create a temporary directory for the demo: " +
                            std::string(std::strerror(errno)))
        .WithHint("set TMPDIR to a writable directory, or pass --data DIR");
  }
  return pattern;
}

}  // namespace

DemoStep DemoStep::Narrate(std::string sentence) {
  DemoStep step;
  step.kind = Kind::kNarrate;
  step.text = std::move(sentence);
  return step;
}

DemoStep DemoStep::Statement(std::string sql) {
  DemoStep step;
  step.kind = Kind::kStatement;
  step.text = std::move(sql);
  return step;
}

DemoStep DemoStep::ExpectError(std::string sql) {
  DemoStep step = Statement(std::move(sql));
  step.kind = Kind::kExpectError;
  return step;
}

DemoStep DemoStep::CompareTable(std::string database, std::string restored, std::string table) {
  DemoStep step;
  step.kind = Kind::kCompareTable;
  step.text = std::move(table);
  step.database = std::move(database);
  step.restored = std::move(restored);
  return step;
}

DemoStep DemoStep::CompareSchema(std::string database, std::string restored) {
  DemoStep step;
  step.kind = Kind::kCompareSchema;
  step.database = std::move(database);
  step.restored = std::move(restored);
  return step;
}

Status RunDemoSteps(const std::vector<DemoStep>& steps, sql::Session* session, std::FILE* out,
                    std::FILE* err) {
  ShellOptions shell_options;
  shell_options.format = OutputFormat::kTable;
  shell_options.echo_statements = true;
  shell_options.blank_line_after_result = true;
  Shell shell(session, shell_options, out, err);
  bool after_check = false;  // a blank line separates a run of checks from what follows
  for (const DemoStep& step : steps) {
    const bool is_check =
        step.kind == DemoStep::Kind::kCompareTable || step.kind == DemoStep::Kind::kCompareSchema;
    if (after_check && !is_check) std::fputc('\n', out);
    after_check = is_check;
    switch (step.kind) {
      case DemoStep::Kind::kNarrate:
        std::fprintf(out, "-- %s\n", step.text.c_str());
        std::fflush(out);
        break;
      case DemoStep::Kind::kStatement:
        RETURN_IF_ERROR(shell.Execute(step.text));  // prints the statement and its result
        break;
      case DemoStep::Kind::kExpectError:
        if (shell.Execute(step.text).ok()) {  // prints the statement and its error
          std::fprintf(err, "FAILED: this statement should have been refused\n");
          return InternalError("demo statement unexpectedly succeeded: " + step.text);
        }
        std::fflush(err);
        std::fputc('\n', out);
        break;
      case DemoStep::Kind::kCompareTable:
      case DemoStep::Kind::kCompareSchema: {
        Status status = step.kind == DemoStep::Kind::kCompareTable
                            ? CompareTable(step, session, out)
                            : CompareSchema(step, session, out);
        std::fflush(out);
        if (!status.ok()) {
          std::fprintf(err, "FAILED: %s\n", status.message().c_str());
          std::fflush(err);
          return status;
        }
        break;
      }
    }
  }
  return Status::OK();
}

int RunDemo(const DemoOptions& options) {
  std::string data_dir = options.data_dir;
  if (data_dir.empty()) {
    StatusOr<std::string> dir = MakeDemoDir();
    if (!dir.ok()) {
      ReportError(dir.status());
      return 1;
    }
    data_dir = *dir;
  }
  std::printf("-- cofre demo: data directory %s\n\n", data_dir.c_str());
  std::fflush(stdout);
  sql::SessionOptions session_options;
  session_options.data_dir = data_dir;
  session_options.operations = OperationSettingsFromEnvironment();
  StatusOr<std::unique_ptr<sql::Session>> session = sql::Session::Open(session_options);
  if (!session.ok()) {
    ReportError(session.status());
    return 1;
  }
  if (!RunDemoSteps(DemoSteps(), session->get(), stdout, stderr).ok()) return 1;
  std::printf("\n-- Demo complete. Explore the data with: cofre sql --data %s\n", data_dir.c_str());
  return 0;
}

}  // namespace cofre::cli
