// ProgressLine: the live line `cofre sql` shows on a terminal while a BACKUP or RESTORE runs in
// the statement: fraction done, elapsed time, rate and ETA, redrawn in place (carriage return)
// every 200 ms and erased when the statement ends, with the rows and bytes done so far and the
// bytes' rate when the job reports them. Nothing is drawn unless the error stream is a terminal.
// Embedded `cofre sql` reads its job's record in the data directory; `--url` sessions ask the
// server (SHOW JOBS on a second connection, cli/remote_session.h).
// Thread-safety: constructed and destroyed by the shell's thread; its own thread polls `poll`.
#ifndef COFRE_CLI_PROGRESS_LINE_H_
#define COFRE_CLI_PROGRESS_LINE_H_

#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

namespace cofre::cli {

// What the job the running statement drives has done.
struct JobProgress {
  double fraction = 0;
  std::optional<uint64_t> rows, bytes;  // unset: not reported
};
// The progress of the job the running statement drives, given the job's description (the
// statement with its secrets redacted, JobDescription); nullopt when unknown yet.
using ProgressPoll = std::function<std::optional<JobProgress>(const std::string& description)>;

// The description a job started by `statement` is recorded with (SHOW JOBS), or empty.
std::string JobDescription(std::string_view statement);

// "BACKUP" or "RESTORE" when `statement` drives a job, else empty.
std::string JobKind(std::string_view statement);

// "BACKUP  42.0%  1,204,311 rows  120.5 MiB  35.2 MiB/s  elapsed 3s  ETA 4s": the text of the
// line (rows, bytes and the rate only when reported).
std::string FormatProgress(const std::string& what, const JobProgress& progress,
                           double elapsed_seconds);

class ProgressLine {
 public:
  // Starts drawing on `err` (when it is a terminal) for statement kind `what` and the job
  // description `description`.
  ProgressLine(std::string what, std::string description, ProgressPoll poll, std::FILE* err);
  ~ProgressLine();  // stops, and erases the line if one was drawn
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;

 private:
  void Run();
  const std::string what_;
  const std::string description_;
  const ProgressPoll poll_;
  std::FILE* const err_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  bool drawn_ = false;
  std::thread thread_;
};

}  // namespace cofre::cli

#endif  // COFRE_CLI_PROGRESS_LINE_H_
