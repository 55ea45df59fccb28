#include "server/server_context.h"

#include <openssl/rand.h>

#include <thread>

namespace cofre::server {

std::pair<int32_t, int32_t> ConnectionRegistry::Register(LiveConnection* c) {
  int32_t secret = 0;
  if (RAND_bytes(reinterpret_cast<unsigned char*>(&secret), sizeof(secret)) != 1) {
    secret = static_cast<int32_t>(std::chrono::steady_clock::now().time_since_epoch().count());
  }
  std::lock_guard<std::mutex> l(mu_);
  int32_t pid = next_pid_++;
  live_[pid] = {secret, c};
  return {pid, secret};
}

void ConnectionRegistry::Unregister(int32_t pid) {
  std::lock_guard<std::mutex> l(mu_);
  live_.erase(pid);
}

void ConnectionRegistry::Cancel(int32_t pid, int32_t secret) {
  std::lock_guard<std::mutex> l(mu_);
  auto it = live_.find(pid);
  if (it != live_.end() && it->second.first == secret) it->second.second->InterruptStatement();
}

void ConnectionRegistry::EnforceTimeouts() {
  std::lock_guard<std::mutex> l(mu_);
  for (auto& [pid, entry] : live_) {
    LiveConnection* c = entry.second;
    int64_t timeout = c->StatementTimeoutMs();
    int64_t elapsed = c->StatementElapsedMs();
    if (timeout > 0 && elapsed >= timeout) c->InterruptStatement();
  }
}

void ConnectionRegistry::ForEach(const std::function<void(LiveConnection*)>& f) {
  std::lock_guard<std::mutex> l(mu_);
  for (auto& [pid, entry] : live_) f(entry.second);
}

size_t ConnectionRegistry::size() {
  std::lock_guard<std::mutex> l(mu_);
  return live_.size();
}

int LoginThrottle::Failures(const std::string& key) {
  auto it = entries_.find(key);
  if (it == entries_.end()) return 0;
  // Failures older than five minutes are forgotten.
  if (std::chrono::steady_clock::now() - it->second.last > std::chrono::minutes(5)) {
    entries_.erase(it);
    return 0;
  }
  return it->second.failures;
}

std::chrono::milliseconds LoginThrottle::Delay(const std::string& user,
                                               const std::string& address) {
  std::lock_guard<std::mutex> l(mu_);
  int f = std::max(Failures("u:" + user), Failures("a:" + address));
  if (f < limit_) return std::chrono::milliseconds(0);
  int shift = std::min(f - limit_, 6);
  return std::chrono::milliseconds(std::min(5000, 100 << shift));
}

void LoginThrottle::Failed(const std::string& user, const std::string& address) {
  std::lock_guard<std::mutex> l(mu_);
  auto now = std::chrono::steady_clock::now();
  for (const std::string& key : {"u:" + user, "a:" + address}) {
    Failures(key);
    Entry& e = entries_[key];
    e.failures++;
    e.last = now;
  }
  if (entries_.size() > 100000) entries_.clear();  // bounded memory under a flood
}

void LoginThrottle::Succeeded(const std::string& user, const std::string& address) {
  std::lock_guard<std::mutex> l(mu_);
  entries_.erase("u:" + user);
}

}  // namespace cofre::server
