#include "cli/progress_line.h"

#include <unistd.h>

#include <cctype>
#include <chrono>

#include "sql/describe.h"
#include "sql/parser.h"

namespace cofre::cli {

namespace {

std::string Duration(double seconds) {
  long s = static_cast<long>(seconds + 0.5);
  char buf[32];
  if (s >= 3600) {
    snprintf(buf, sizeof(buf), "%ldh%02ldm", s / 3600, (s / 60) % 60);
  } else if (s >= 60) {
    snprintf(buf, sizeof(buf), "%ldm%02lds", s / 60, s % 60);
  } else {
    snprintf(buf, sizeof(buf), "%lds", s);
  }
  return buf;
}

// 1204311 -> "1,204,311"
std::string Grouped(uint64_t n) {
  std::string digits = std::to_string(n), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return out;
}

std::string Bytes(double n) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int u = 0;
  while (n >= 1024 && u < 4) {
    n /= 1024;
    ++u;
  }
  char buf[32];
  snprintf(buf, sizeof(buf), u == 0 ? "%.0f %s" : "%.1f %s", n, units[u]);
  return buf;
}

}  // namespace

std::string JobKind(std::string_view statement) {
  size_t i = 0;
  while (i < statement.size() && std::isspace(static_cast<unsigned char>(statement[i]))) ++i;
  std::string word;
  while (i < statement.size() && std::isalpha(static_cast<unsigned char>(statement[i]))) {
    word.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(statement[i++]))));
  }
  if (word == "backup") return "BACKUP";
  if (word == "restore") return "RESTORE";
  return "";
}

std::string FormatProgress(const std::string& what, const JobProgress& p, double elapsed_seconds) {
  char buf[64];
  snprintf(buf, sizeof(buf), "%s %5.1f%%", what.c_str(), 100.0 * p.fraction);
  std::string line = buf;
  if (p.rows) line += "  " + Grouped(*p.rows) + " rows";
  if (p.bytes) {
    line += "  " + Bytes(static_cast<double>(*p.bytes));
    if (elapsed_seconds > 0) {
      line += "  " + Bytes(static_cast<double>(*p.bytes) / elapsed_seconds) + "/s";
    }
  } else {
    snprintf(buf, sizeof(buf), "  %.1f %%/s",
             elapsed_seconds > 0 ? 100.0 * p.fraction / elapsed_seconds : 0);
    line += buf;
  }
  std::string eta = "?";
  if (p.fraction > 0.001 && p.fraction < 1) {
    eta = Duration(elapsed_seconds * (1 - p.fraction) / p.fraction);
  }
  return line + "  elapsed " + Duration(elapsed_seconds) + "  ETA " + eta;
}

std::string JobDescription(std::string_view statement) {
  StatusOr<sql::Statement> parsed = sql::ParseStatement(statement);
  return parsed.ok() ? sql::DescribeStatement(*parsed) : std::string();
}

ProgressLine::ProgressLine(std::string what, std::string description, ProgressPoll poll,
                           std::FILE* err)
    : what_(std::move(what)),
      description_(std::move(description)),
      poll_(std::move(poll)),
      err_(err) {
  if (!poll_ || !isatty(fileno(err_))) return;
  thread_ = std::thread([this] { Run(); });
}

ProgressLine::~ProgressLine() {
  {
    std::lock_guard<std::mutex> l(mu_);
    stop_ = true;
    cv_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
  if (drawn_) {
    std::fputs("\r\033[K", err_);
    std::fflush(err_);
  }
}

void ProgressLine::Run() {
  const auto start = std::chrono::steady_clock::now();
  std::unique_lock<std::mutex> l(mu_);
  while (!cv_.wait_for(l, std::chrono::milliseconds(200), [this] { return stop_; })) {
    std::optional<JobProgress> progress = poll_(description_);
    if (!progress) continue;
    double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::string line = "\r" + FormatProgress(what_, *progress, elapsed) + "\033[K";
    std::fputs(line.c_str(), err_);
    std::fflush(err_);
    drawn_ = true;
  }
}

}  // namespace cofre::cli
