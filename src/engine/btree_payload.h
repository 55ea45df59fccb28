// Cell payloads of SQLite b-tree pages (the database file format, section "Cell Payload Overflow
// Pages"): how much of a payload stays on the b-tree page and how the rest spills to a chain of
// overflow pages (4-byte next page number, then content; 0 ends the chain).
//
// With usable size U (page size; the bulk writer requires 0 reserved bytes) and payload size P:
// X = U-35 for table leaves, ((U-12)*64/255)-23 for index pages; M = ((U-12)*32/255)-23;
// K = M+((P-M)%(U-4)); the local part is P when P <= X, else K when K <= X, else M.
// Thread-safety: pure functions; AppendPayload uses the caller's PageSink.
#ifndef COFRE_ENGINE_BTREE_PAYLOAD_H_
#define COFRE_ENGINE_BTREE_PAYLOAD_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "engine/page_sink.h"
#include "util/status.h"

namespace cofre {

enum class PayloadKind { kTableLeaf, kIndex };

// Bytes of a `payload_size`-byte payload stored on the b-tree page itself.
uint64_t LocalPayloadSize(uint32_t usable_size, uint64_t payload_size, PayloadKind kind);

// Appends to `cell` the local part of `payload` and, when it spills, the first overflow page
// number, after writing the overflow chain with pages from `sink`. The caller appends the
// payload-size varint (and rowid) first.
Status AppendPayload(std::string_view payload, PayloadKind kind, PageSink* sink, std::string* cell);

}  // namespace cofre

#endif  // COFRE_ENGINE_BTREE_PAYLOAD_H_
