// Server::RenderMetrics: the Prometheus text exposition of /metrics.
#include <sstream>

#include "engine/data_dir.h"
#include "server/server.h"

namespace cofre::server {

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
  auto dir = DataDir::Open(ctx_.options.data_dir);
  if (dir.ok()) {
    auto st = (*dir)->system().Prepare(
        "SELECT job_type, status, count(*) FROM jobs GROUP BY 1, 2 ORDER BY 1, 2");
    if (st.ok()) {
      while (true) {
        auto row = st->Step();
        if (!row.ok() || !*row) break;
        o << "cofre_jobs{type=\"" << st->ColumnText(0) << "\",status=\"" << st->ColumnText(1)
          << "\"} " << st->ColumnInt(2) << "\n";
      }
    }
  }
  return o.str();
}

}  // namespace cofre::server
