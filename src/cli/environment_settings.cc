#include "cli/environment_settings.h"

#include <charconv>
#include <cstdlib>
#include <optional>
#include <string_view>

namespace cofre {
namespace {

// The variable's value as a whole decimal number, or nullopt.
std::optional<uint64_t> Number(std::string_view v) {
  uint64_t n = 0;
  auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (v.empty() || ec != std::errc() || ptr != v.data() + v.size()) return std::nullopt;
  return n;
}

std::optional<uint64_t> NumberVar(const char* name) {
  const char* v = std::getenv(name);
  return v ? Number(v) : std::nullopt;
}

}  // namespace

sql::OperationSettings OperationSettingsFromEnvironment() {
  sql::OperationSettings s;
  if (auto n = NumberVar("COFRE_BACKUP_TARGET_FILE_BYTES")) s.backup_target_file_bytes = *n;
  if (auto n = NumberVar("COFRE_BACKUP_THREADS"); n && *n > 0) {
    s.backup_threads = static_cast<int>(std::min<uint64_t>(*n, 64));
  }
  if (auto n = NumberVar("COFRE_BACKUP_MIN_PIECE_ROWS")) s.backup_min_piece_rows = *n;
  if (auto n = NumberVar("COFRE_BACKUP_FRAME_BYTES")) s.backup_frame_bytes = *n;
  if (const char* v = std::getenv("COFRE_RESTORE_BULK")) {
    s.restore_bulk_pages = std::string_view(v) != "0";
  }
  if (auto n = NumberVar("COFRE_TEST_PASSPHRASE_ITERATIONS")) {
    s.test_passphrase_iterations = static_cast<uint32_t>(std::min<uint64_t>(*n, UINT32_MAX));
  }
  if (auto n = NumberVar("COFRE_TEST_KILL_AT_CHECKPOINT")) s.test_kill_at_checkpoint = *n;
  if (const char* v = std::getenv("COFRE_TEST_PAUSE_AT_CHECKPOINTS")) {
    std::string_view list(v);
    while (!list.empty()) {
      size_t comma = list.find(',');
      if (auto n = Number(list.substr(0, comma))) s.test_pause_at_checkpoints.push_back(*n);
      if (comma == std::string_view::npos) break;
      list.remove_prefix(comma + 1);
    }
  }
  if (const char* v = std::getenv("COFRE_TEST_KILL_AFTER_COMMIT")) {
    s.test_kill_after_commit = *v != '\0' && std::string_view(v) != "0";
  }
  if (const char* v = std::getenv("COFRE_TEST_KILL_DURING_TABLE_COPY")) {
    s.test_kill_during_table_copy = *v != '\0' && std::string_view(v) != "0";
  }
  return s;
}

}  // namespace cofre
