// Server::RenderMetrics: the Prometheus text exposition of /metrics.
#include <algorithm>
#include <iterator>
#include <map>
#include <sstream>

#include "engine/data_dir.h"
#include "server/server.h"

namespace cofre::server {

namespace {

void Family(std::ostringstream& o, const char* name, const char* type, const char* help) {
  o << "# HELP " << name << " " << help << "\n# TYPE " << name << " " << type << "\n";
}

// What succeeded jobs did, by type: rows and bytes written, durations, when the last one ended
// (for alerts such as "no successful BACKUP in 25 hours", docs/operations.md).
void RenderJobResults(const SqliteDb& system, std::ostringstream& o) {
  static constexpr int64_t kBuckets[] = {1, 10, 60, 300, 1800, 3600, 4 * 3600, 24 * 3600};
  struct PerType {
    int64_t rows = 0, bytes = 0, count = 0;
    double seconds = 0, last_success = 0;
    int64_t in_bucket[std::size(kBuckets)] = {};
  };
  std::map<std::string, PerType> types;
  auto st = system.Prepare(
      "SELECT job_type, coalesce(result_rows, 0), coalesce(result_bytes, 0), "
      "max(0, (julianday(finished) - julianday(started)) * 86400), "
      "(julianday(finished) - 2440587.5) * 86400 FROM jobs WHERE status = 'succeeded' AND "
      "started IS NOT NULL AND finished IS NOT NULL");
  if (!st.ok()) return;
  while (true) {
    auto row = st->Step();
    if (!row.ok() || !*row) break;
    PerType& t = types[st->ColumnText(0)];
    t.rows += st->ColumnInt(1);
    t.bytes += st->ColumnInt(2);
    const double seconds = st->ColumnDouble(3);
    t.seconds += seconds;
    t.count++;
    for (size_t b = 0; b < std::size(kBuckets); ++b) t.in_bucket[b] += seconds <= kBuckets[b];
    t.last_success = std::max(t.last_success, st->ColumnDouble(4));
  }
  Family(o, "cofre_jobs_rows_written_total", "counter", "Rows written by succeeded jobs.");
  for (const auto& [type, t] : types) {
    o << "cofre_jobs_rows_written_total{type=\"" << type << "\"} " << t.rows << "\n";
  }
  Family(o, "cofre_jobs_bytes_written_total", "counter",
         "Logical bytes written by succeeded jobs.");
  for (const auto& [type, t] : types) {
    o << "cofre_jobs_bytes_written_total{type=\"" << type << "\"} " << t.bytes << "\n";
  }
  Family(o, "cofre_jobs_last_success_timestamp_seconds", "gauge",
         "Unix time at which the last successful job of the type finished.");
  for (const auto& [type, t] : types) {
    o << "cofre_jobs_last_success_timestamp_seconds{type=\"" << type << "\"} " << std::fixed
      << t.last_success << "\n";
  }
  Family(o, "cofre_jobs_duration_seconds", "histogram", "Run time of succeeded jobs.");
  for (const auto& [type, t] : types) {
    for (size_t b = 0; b < std::size(kBuckets); ++b) {
      o << "cofre_jobs_duration_seconds_bucket{type=\"" << type << "\",le=\""
        << static_cast<int64_t>(kBuckets[b]) << "\"} " << t.in_bucket[b] << "\n";
    }
    o << "cofre_jobs_duration_seconds_bucket{type=\"" << type << "\",le=\"+Inf\"} " << t.count
      << "\n";
    o << "cofre_jobs_duration_seconds_sum{type=\"" << type << "\"} " << t.seconds << "\n";
    o << "cofre_jobs_duration_seconds_count{type=\"" << type << "\"} " << t.count << "\n";
  }
}

// CockroachDB's schedule metrics for BACKUP (runs started, succeeded, failed; when the last one
// succeeded, Unix seconds) and cofre's schedules by status, from the schedules' job links.
void RenderScheduleMetrics(const SqliteDb& system, std::ostringstream& o) {
  auto st = system.Prepare(
      "SELECT count(*), coalesce(sum(j.status = 'succeeded'), 0), "
      "coalesce(sum(j.status = 'failed'), 0), coalesce(max(CASE WHEN j.status = 'succeeded' "
      "THEN (julianday(j.finished) - 2440587.5) * 86400 END), 0) FROM schedule_jobs s JOIN "
      "jobs j ON j.id = s.job_id WHERE j.job_type = 'BACKUP'");
  if (!st.ok()) return;
  auto row = st->Step();
  if (!row.ok() || !*row) return;
  Family(o, "schedules_BACKUP_started", "counter", "BACKUP jobs started by schedules.");
  o << "schedules_BACKUP_started " << st->ColumnInt(0) << "\n";
  Family(o, "schedules_BACKUP_succeeded", "counter",
         "BACKUP jobs started by schedules that succeeded.");
  o << "schedules_BACKUP_succeeded " << st->ColumnInt(1) << "\n";
  Family(o, "schedules_BACKUP_failed", "counter", "BACKUP jobs started by schedules that failed.");
  o << "schedules_BACKUP_failed " << st->ColumnInt(2) << "\n";
  Family(o, "schedules_BACKUP_last_completed_time", "gauge",
         "Unix time at which the last BACKUP started by a schedule succeeded (0: never).");
  o << "schedules_BACKUP_last_completed_time " << std::fixed << st->ColumnDouble(3) << "\n";
  auto by_status = system.Prepare(
      "SELECT CASE WHEN next_run_us IS NULL THEN 'PAUSED' ELSE 'ACTIVE' END, count(*) FROM "
      "schedules GROUP BY 1 ORDER BY 1");
  if (!by_status.ok()) return;
  Family(o, "cofre_schedules", "gauge", "Backup schedules by status.");
  while (true) {
    auto r = by_status->Step();
    if (!r.ok() || !*r) break;
    o << "cofre_schedules{status=\"" << by_status->ColumnText(0) << "\"} "
      << by_status->ColumnInt(1) << "\n";
  }
}

}  // namespace

std::string Server::RenderMetrics() {
  std::ostringstream o;
  auto counter = [&](const char* name, const char* help, int64_t v) {
    o << "# HELP " << name << " " << help << "\n# TYPE " << name << " counter\n"
      << name << " " << v << "\n";
  };
  auto gauge = [&](const char* name, const char* help, int64_t v) {
    o << "# HELP " << name << " " << help << "\n# TYPE " << name << " gauge\n"
      << name << " " << v << "\n";
  };
  const Metrics& m = ctx_.metrics;
  gauge("cofre_sql_connections", "Open SQL client connections.", m.connections_open.load());
  counter("cofre_sql_connections_total", "SQL client connections accepted.",
          m.connections_total.load());
  counter("cofre_sql_connections_refused_total", "Connections refused at the connection limit.",
          m.connections_refused.load());
  counter("cofre_sql_auth_failures_total", "Failed authentications.", m.auth_failures.load());
  counter("cofre_sql_statements_total", "Statements executed.", m.statements_total.load());
  counter("cofre_sql_statement_errors_total", "Statements that failed.", m.statement_errors.load());
  counter("cofre_sql_bytes_received_total", "Bytes received from SQL clients.",
          m.bytes_received.load());
  counter("cofre_sql_bytes_sent_total", "Bytes sent to SQL clients.", m.bytes_sent.load());
  counter("cofre_sql_cancel_requests_total", "Cancel requests received.", m.cancel_requests.load());
  // Jobs by type and status, from the data directory's job records.
  o << "# HELP cofre_jobs Jobs by type and status.\n# TYPE cofre_jobs gauge\n";
  std::lock_guard<std::mutex> lock(ctx_.system.mu);
  if (ctx_.system.dir) {
    const SqliteDb& system = ctx_.system.dir->system();
    auto st =
        system.Prepare("SELECT job_type, status, count(*) FROM jobs GROUP BY 1, 2 ORDER BY 1, 2");
    if (st.ok()) {
      while (true) {
        auto row = st->Step();
        if (!row.ok() || !*row) break;
        o << "cofre_jobs{type=\"" << st->ColumnText(0) << "\",status=\"" << st->ColumnText(1)
          << "\"} " << st->ColumnInt(2) << "\n";
      }
    }
    RenderJobResults(system, o);
    RenderScheduleMetrics(system, o);
  }
  return o.str();
}

}  // namespace cofre::server
