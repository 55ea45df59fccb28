#include "backup/collection.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <ctime>
#include <map>
#include <mutex>
#include <thread>

namespace cofre::collection {
namespace {

std::tm UtcTime(int64_t micros) {
  time_t secs = static_cast<time_t>(micros / 1000000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  return tm;
}

bool AllDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isdigit(static_cast<unsigned char>(c));
  });
}

// "2026/11/28-145137.12"
bool IsFullSubdir(std::string_view s) {
  return s.size() == 20 && AllDigits(s.substr(0, 4)) && s[4] == '/' && AllDigits(s.substr(5, 2)) &&
         s[7] == '/' && AllDigits(s.substr(8, 2)) && s[10] == '-' && AllDigits(s.substr(11, 6)) &&
         s[17] == '.' && AllDigits(s.substr(18, 2));
}

Status ListPrefixes(ExternalStorage& storage, const std::string& prefix,
                    std::vector<std::string>* out) {
  return storage.List(prefix, "/", [&](const ListEntry& e) {
    if (e.is_prefix) out->push_back(e.path);
    return Status::OK();
  });
}

StatusOr<bool> Exists(ExternalStorage& storage, const std::string& path) {
  auto size = storage.Size(path);
  if (size.ok()) return true;
  if (IsNotFound(size.status())) return false;
  return size.status();
}

}  // namespace

namespace {

// Renders `micros` (UTC) with `format`, whose seven %d fields take year, month, day, hour,
// minute, second and the fraction of a second scaled by `fraction_divisor`.
std::string FormatTime(int64_t micros, const char* format, int fraction_divisor) {
  std::tm tm = UtcTime(micros);
  char buf[48];
  snprintf(buf, sizeof(buf), format, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
           tm.tm_min, tm.tm_sec, static_cast<int>((micros % 1000000) / fraction_divisor));
  return buf;
}

}  // namespace

std::string FullSubdir(int64_t end_micros) {
  return FormatTime(end_micros, "%04d/%02d/%02d-%02d%02d%02d.%02d", 10000);
}

std::string IncrementalSubdir(int64_t end_micros) {
  return FormatTime(end_micros, "%04d%02d%02d/%02d%02d%02d.%02d", 10000);
}

std::string FormatTimestamp(int64_t micros) {
  return FormatTime(micros, "%04d-%02d-%02d %02d:%02d:%02d.%06d", 1);
}

StatusOr<std::string> NormalizeSubdir(const std::string& text) {
  std::string s = text;
  while (!s.empty() && s.front() == '/') s.erase(s.begin());
  while (!s.empty() && s.back() == '/') s.pop_back();
  if (!IsFullSubdir(s)) {
    return InvalidArgumentError("'" + text +
                                "' is not a backup subdirectory; expected a path such as "
                                "/2026/11/28-145137.12 as listed by SHOW BACKUPS IN, or LATEST");
  }
  return s;
}

std::string DisplaySubdir(const std::string& subdir) { return "/" + subdir; }

StatusOr<std::vector<std::string>> ListFullBackups(ExternalStorage& storage) {
  std::vector<std::string> years, months, days, out;
  RETURN_IF_ERROR(ListPrefixes(storage, "", &years));
  for (const auto& y : years) {
    if (y.size() != 5 || !AllDigits(y.substr(0, 4))) continue;
    months.clear();
    RETURN_IF_ERROR(ListPrefixes(storage, y, &months));
    for (const auto& m : months) {
      days.clear();
      RETURN_IF_ERROR(ListPrefixes(storage, m, &days));
      for (const auto& d : days) {
        std::string sub = d.substr(0, d.size() - 1);
        if (!IsFullSubdir(sub)) continue;
        ASSIGN_OR_RETURN(bool done, Exists(storage, sub + "/" + kManifestFile));
        if (done) out.push_back(sub);
      }
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string IncrementalLayerDir(const std::string& prefix, const std::string& full_subdir,
                                int64_t end_micros) {
  return prefix + full_subdir + "/" + IncrementalSubdir(end_micros);
}

StatusOr<std::vector<std::string>> ListIncrementalDirs(ExternalStorage& storage,
                                                       const std::string& prefix,
                                                       const std::string& full_subdir) {
  std::string base = prefix + full_subdir + "/";
  std::vector<std::string> dates, times, out;
  RETURN_IF_ERROR(ListPrefixes(storage, base, &dates));
  for (const auto& d : dates) {
    times.clear();
    RETURN_IF_ERROR(ListPrefixes(storage, d, &times));
    for (const auto& t : times) out.push_back(t.substr(0, t.size() - 1));
  }
  std::sort(out.begin(), out.end());
  return out;
}

StatusOr<std::string> ResolveFullBackup(ExternalStorage& storage, const std::string& spec) {
  ASSIGN_OR_RETURN(std::string subdir, ResolveFullBackupName(storage, spec));
  ASSIGN_OR_RETURN(bool done, Exists(storage, subdir + "/" + kManifestFile));
  if (!done) return BackupNotFoundError(storage, subdir);
  return subdir;
}

Status BackupNotFoundError(const ExternalStorage& storage, const std::string& subdir) {
  return NotFoundError("backup " + DisplaySubdir(subdir) + " not found in " +
                       storage.RedactedUri() + " (no " + kManifestFile + ")")
      .WithHint("SHOW BACKUPS IN '" + storage.RedactedUri() + "' lists the backups there");
}

StatusOr<std::string> ResolveFullBackupName(ExternalStorage& storage, const std::string& spec) {
  std::string subdir;
  std::string upper = spec;
  std::transform(upper.begin(), upper.end(), upper.begin(), ::toupper);
  if (upper == "LATEST") {
    auto latest = ReadSmallFile(storage, kLatestFile, 4096);
    if (!latest.ok()) {
      if (IsNotFound(latest.status())) {
        return NotFoundError("no backups found in " + storage.RedactedUri() +
                             " (it has no LATEST file)");
      }
      return latest.status().Annotate("reading LATEST in " + storage.RedactedUri());
    }
    std::string text = *latest;
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
    auto norm = NormalizeSubdir(text);
    if (!norm.ok()) {
      return DataLossError("the LATEST file in " + storage.RedactedUri() +
                           " is corrupt: it does not name a backup");
    }
    subdir = *norm;
  } else {
    ASSIGN_OR_RETURN(subdir, NormalizeSubdir(spec));
  }
  return subdir;
}

StatusOr<std::string> FreeLayerDir(ExternalStorage& storage,
                                   const std::function<std::string(int64_t)>& name,
                                   int64_t micros) {
  // Names handed out by this process, until their BACKUP-LOCK surely exists on the storage.
  static std::mutex mu;
  static std::map<std::string, std::chrono::steady_clock::time_point> handed_out;
  constexpr auto kRemembered = std::chrono::minutes(10);
  std::lock_guard<std::mutex> lock(mu);
  const auto now = std::chrono::steady_clock::now();
  std::erase_if(handed_out, [&](const auto& entry) { return now - entry.second > kRemembered; });
  const std::string storage_key = storage.RedactedUri() + "\n";
  while (true) {
    std::string dir = name(micros);
    bool taken = handed_out.contains(storage_key + dir);
    if (!taken) {
      ASSIGN_OR_RETURN(taken, Exists(storage, dir + "/" + kManifestFile));
    }
    if (!taken) {
      // Another backup of the same hundredth of a second, still being written.
      ASSIGN_OR_RETURN(taken, Exists(storage, dir + "/" + kLockFile));
    }
    if (!taken) {
      handed_out.emplace(storage_key + dir, now);
      return dir;
    }
    micros += 10000;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

Status WriteLatest(ExternalStorage& storage, const std::string& full_subdir) {
  return WriteSmallFile(storage, kLatestFile, DisplaySubdir(full_subdir));
}

}  // namespace cofre::collection
