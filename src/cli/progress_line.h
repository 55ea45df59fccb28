// ProgressLine: the live line `cofre sql` shows on a terminal while a BACKUP or RESTORE runs in
// the statement: fraction done, elapsed time, rate and ETA, redrawn in place (carriage return)
// every 200 ms and erased when the statement ends. Rows and bytes are known only at the end (the
// job's result). Nothing is drawn unless the error stream is a terminal.
// Thread-safety: constructed and destroyed by the shell's thread; its own thread polls `poll`.
#ifndef COFRE_CLI_PROGRESS_LINE_H_
#define COFRE_CLI_PROGRESS_LINE_H_

#include <condition_variable>
#include <cstdio>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

namespace cofre::cli {

// The fraction completed of the job the running statement drives; nullopt when unknown yet.
using ProgressPoll = std::function<std::optional<double>()>;

// "BACKUP" or "RESTORE" when `statement` drives a job, else empty.
std::string JobKind(std::string_view statement);

// "BACKUP  42.0%  elapsed 3s  2.1 %/s  ETA 28s": the text of the line.
std::string FormatProgress(const std::string& what, double fraction, double elapsed_seconds);

class ProgressLine {
 public:
  // Starts drawing on `err` (when it is a terminal) for statement kind `what`.
  ProgressLine(std::string what, ProgressPoll poll, std::FILE* err);
  ~ProgressLine();  // stops, and erases the line if one was drawn
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;

 private:
  void Run();
  const std::string what_;
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
