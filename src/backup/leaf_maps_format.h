// The leaf maps file of a layer (`<layer_dir>/LEAF_MAPS`, a stored file: encrypted in encrypted
// chains, size and SHA-256 recorded in the manifest's `leaf_maps`): the magic, then a LeafMaps
// protobuf. A table's entries are fixed-size, one per group of consecutive non-empty leaf pages
// of its b-tree in key order (engine/leaf_map.h GroupLeaves): first rowid (8 bytes, big-endian
// two's complement), last rowid (8 bytes), digest (16 bytes: SHA-256 of the group's leaf
// digests, truncated). A full map (depth 0) holds them all in `leaves`; a delta map builds them
// with `runs` from the previous layer's entries and its own `leaves`. See docs/format.md §6.
// Thread-safety: constants only.
#ifndef COFRE_BACKUP_LEAF_MAPS_FORMAT_H_
#define COFRE_BACKUP_LEAF_MAPS_FORMAT_H_

#include <cstddef>
#include <cstdint>

namespace cofre::leaf_maps_format {

inline constexpr char kMagic[4] = {'C', 'L', 'M', '1'};
inline constexpr char kFileName[] = "LEAF_MAPS";
inline constexpr size_t kDigestBytes = 16;
inline constexpr size_t kEntryBytes = 8 + 8 + kDigestBytes;
// Leaves per stored entry, on average (GroupLeaves): 64 KiB of 4 KiB pages, so that a change
// makes an incremental scan and compare about 16 leaves of rows. A full map costs about 512 KiB
// per GiB of table; the delta maps written between full ones (kMaxDepth) store the entries that
// changed and a few bytes per unchanged run.
inline constexpr uint32_t kGroupAverage = 16;
// A layer's maps are a delta of the previous layer's when those are at most kMaxDepth - 1 deltas
// after a full map: reading a layer's maps reads at most kMaxDepth + 1 files.
inline constexpr uint32_t kMaxDepth = 8;
// Upper bound of a leaf maps file (a 1 TiB database of 4 KiB pages is 8 GiB of leaves: refused).
inline constexpr uint64_t kMaxFileBytes = 1ull << 30;

}  // namespace cofre::leaf_maps_format

#endif  // COFRE_BACKUP_LEAF_MAPS_FORMAT_H_
