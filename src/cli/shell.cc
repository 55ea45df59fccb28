#include "cli/shell.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "cli/progress_line.h"
#include "sql/splitter.h"

namespace cofre::cli {
namespace {

void Write(std::FILE* f, std::string_view text) { std::fwrite(text.data(), 1, text.size(), f); }

// pending += text, wiping the old buffer when the string has to grow into a new one.
void AppendWiping(std::string* pending, std::string_view text) {
  if (pending->size() + text.size() > pending->capacity()) {
    std::string grown;
    grown.reserve(std::max(2 * pending->capacity(), pending->size() + text.size()));
    grown.append(*pending);
    WipeText(pending);
    *pending = std::move(grown);
  }
  pending->append(text);
}

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
  StatusOr<ResultSet> result = UnavailableError("not run");
  {
    std::optional<ProgressLine> line;
    if (std::string kind = JobKind(text); options_.job_progress && !kind.empty()) {
      line.emplace(kind, JobDescription(text), options_.job_progress, err_);
    }
    result = session_->Execute(text);
  }
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
  std::vector<std::string> statements = sql::SplitStatements(script, nullptr);
  Status status;
  for (const std::string& statement : statements) {
    status = Execute(statement);
    if (!status.ok()) break;
  }
  for (std::string& statement : statements) WipeText(&statement);  // may hold a passphrase
  return status;
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
    // The statement text may hold a passphrase: every buffer that held it is wiped once the
    // statement ran (the line now, the pending text and the split statements below).
    AppendWiping(&pending, text);
    const bool may_complete = text.find(';') != std::string_view::npos;
    WipeText(line, static_cast<size_t>(length));
    // Only a line with a ';' can complete a statement: skip re-splitting otherwise.
    if (!may_complete) continue;
    std::string rest;
    std::vector<std::string> statements = sql::SplitStatements(pending, &rest);
    for (const std::string& statement : statements) {
      status = Execute(statement);
      if (!status.ok()) break;
    }
    for (std::string& statement : statements) WipeText(&statement);
    WipeText(&pending);
    if (!status.ok()) break;
    pending = std::move(rest);
  }
  if (line != nullptr) WipeText(line, capacity);
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
