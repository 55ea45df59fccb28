#include "cli/shell.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "sql/splitter.h"

namespace cofre::cli {
namespace {

void Write(std::FILE* f, std::string_view text) { std::fwrite(text.data(), 1, text.size(), f); }

}  // namespace

Shell::Shell(sql::Session* session, ShellOptions options, std::FILE* out, std::FILE* err)
    : session_(session), options_(options), out_(out), err_(err) {}

void ReportError(const Status& status, std::FILE* out, std::FILE* err) {
  std::fflush(out);
  std::string text = "ERROR: " + status.message() + "\n";
  if (!status.hint().empty()) text += "HINT: " + status.hint() + "\n";
  Write(err, text);
  std::fflush(err);
}

void ReportNotices(const std::vector<ResultSet::Notice>& notices, std::FILE* out, std::FILE* err) {
  if (notices.empty()) return;
  std::fflush(out);
  std::string text;
  for (const ResultSet::Notice& n : notices) {
    text += n.severity == ResultSet::Notice::Severity::kWarning ? "WARNING: " : "NOTICE: ";
    text += n.message + "\n";
  }
  Write(err, text);
  std::fflush(err);
}

void Shell::ReportError(const Status& status) const { cli::ReportError(status, out_, err_); }

void Shell::Echo(std::string_view statement) {
  std::string text = "> ";
  for (char c : statement) {
    text.push_back(c);
    if (c == '\n') text += "  ";
  }
  text.push_back('\n');
  Write(out_, text);
}

Status Shell::Execute(std::string_view statement) {
  if (options_.echo_statements) Echo(statement);
  std::string text = variables_.Interpolate(statement);
  StatusOr<ResultSet> result = session_->Execute(text);
  WipeText(&text);  // it may hold a variable's secret
  if (!result.ok()) {
    ReportError(result.status());
    return result.status();
  }
  ReportNotices(result->notices, out_, err_);
  Write(out_, FormatResult(*result, options_.format));
  if (options_.blank_line_after_result) Write(out_, "\n");
  std::fflush(out_);
  return Status::OK();
}

Status Shell::ExecuteVariableCommand(std::string_view line) {
  Status status = variables_.RunCommand(line, out_);
  if (!status.ok()) ReportError(status);
  return status;
}

Status Shell::ExecuteScript(std::string_view script) {
  for (const std::string& statement : sql::SplitStatements(script, nullptr)) {
    RETURN_IF_ERROR(Execute(statement));
  }
  return Status::OK();
}

Status Shell::ExecuteStream(std::FILE* in) {
  std::string pending;
  char* line = nullptr;
  size_t capacity = 0;
  ssize_t length;
  Status status;
  while ((length = getline(&line, &capacity, in)) >= 0) {
    const std::string_view text(line, static_cast<size_t>(length));
    if (pending.find_first_not_of(" \t\r\n") == std::string::npos) {
      const size_t first = text.find_first_not_of(" \t\r\n");
      if (first != std::string_view::npos && text[first] == '\\') {
        // A shell command (ShellVariables::RunCommand refuses unknown ones).
        status = ExecuteVariableCommand(text);
        WipeText(line, static_cast<size_t>(length));  // \set's value stays in the variable only
        if (!status.ok()) break;
        pending.clear();
        continue;
      }
    }
    pending.append(text);
    // Only a line with a ';' can complete a statement: skip re-splitting otherwise.
    if (text.find(';') == std::string_view::npos) continue;
    std::string rest;
    for (const std::string& statement : sql::SplitStatements(pending, &rest)) {
      status = Execute(statement);
      if (!status.ok()) break;
    }
    if (!status.ok()) break;
    pending = std::move(rest);
  }
  const int read_errno = errno;
  const bool read_failed = std::ferror(in) != 0;
  std::free(line);
  if (!status.ok()) return status;
  if (read_failed) {
    Status error = UnavailableError(std::string("reading statements from standard input failed: ") +
                                    std::strerror(read_errno));
    ReportError(error);
    return error;
  }
  return ExecuteScript(pending);
}

}  // namespace cofre::cli
