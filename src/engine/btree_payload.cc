#include "engine/btree_payload.h"

#include <cstring>

#include "engine/big_endian.h"

namespace cofre {
using big_endian::Put32;

uint64_t LocalPayloadSize(uint32_t usable_size, uint64_t payload_size, PayloadKind kind) {
  const int64_t u = usable_size;
  const int64_t x = kind == PayloadKind::kTableLeaf ? u - 35 : ((u - 12) * 64 / 255) - 23;
  if (payload_size <= static_cast<uint64_t>(x)) return payload_size;
  const int64_t m = ((u - 12) * 32 / 255) - 23;
  const int64_t k = m + static_cast<int64_t>((payload_size - static_cast<uint64_t>(m)) %
                                             static_cast<uint64_t>(u - 4));
  return static_cast<uint64_t>(k <= x ? k : m);
}

Status AppendPayload(std::string_view payload, PayloadKind kind, PageSink* sink,
                     std::string* cell) {
  const uint32_t u = sink->page_size();
  const size_t local = LocalPayloadSize(u, payload.size(), kind);
  cell->append(payload.data(), local);
  if (local == payload.size()) return Status::OK();

  std::string_view rest = payload.substr(local);
  ASSIGN_OR_RETURN(uint32_t page, sink->NewPage());
  char first[4];
  Put32(first, page);
  cell->append(first, 4);
  const size_t per_page = u - 4;
  char* buf = sink->scratch();
  while (!rest.empty()) {
    const size_t n = rest.size() < per_page ? rest.size() : per_page;
    uint32_t next = 0;
    if (n < rest.size()) {
      ASSIGN_OR_RETURN(next, sink->NewPage());
    }
    Put32(buf, next);
    std::memcpy(buf + 4, rest.data(), n);
    if (4 + n < u) std::memset(buf + 4 + n, 0, u - 4 - n);
    RETURN_IF_ERROR(sink->Write(page, buf));
    rest.remove_prefix(n);
    page = next;
  }
  return Status::OK();
}

}  // namespace cofre
