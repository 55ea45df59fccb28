#include "backup/backup_lock.h"

#include <charconv>

namespace cofre {
namespace {

constexpr std::string_view kVersionLine = "cofre-backup-lock 1";

std::string Printable(std::string_view s) {
  std::string out(s.substr(0, 255));
  for (char& c : out) {
    if (c <= ' ' || c > '~') c = '_';
  }
  return out;
}

bool ParseInt(std::string_view s, int64_t* out) {
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && end == s.data() + s.size();
}

}  // namespace

std::string EncodeBackupLock(const BackupLock& lock) {
  std::string out(kVersionLine);
  out += "\ndata_dir_id " + Printable(lock.data_dir_id);
  out += "\njob_id " + std::to_string(lock.job_id);
  out += "\npid " + std::to_string(lock.pid);
  out += "\nhost " + Printable(lock.host);
  out += "\nstarted " + std::to_string(lock.started_micros);
  out += "\n";
  return out;
}

StatusOr<BackupLock> ParseBackupLock(std::string_view text) {
  auto bad = [] { return DataLossError("the BACKUP-LOCK note is malformed"); };
  size_t eol = text.find('\n');
  if (text.substr(0, eol) != kVersionLine) return bad();
  BackupLock lock;
  bool have_id = false, have_job = false;
  while (eol != std::string_view::npos) {
    text.remove_prefix(eol + 1);
    eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    if (line.empty()) continue;
    size_t space = line.find(' ');
    if (space == std::string_view::npos) return bad();
    std::string_view key = line.substr(0, space), value = line.substr(space + 1);
    if (key == "data_dir_id") {
      if (value.empty()) return bad();
      lock.data_dir_id = std::string(value);
      have_id = true;
    } else if (key == "job_id") {
      if (!ParseInt(value, &lock.job_id)) return bad();
      have_job = true;
    } else if (key == "pid") {
      if (!ParseInt(value, &lock.pid)) return bad();
    } else if (key == "host") {
      lock.host = std::string(value);
    } else if (key == "started") {
      if (!ParseInt(value, &lock.started_micros)) return bad();
    }
  }
  if (!have_id || !have_job) return bad();
  return lock;
}

}  // namespace cofre
