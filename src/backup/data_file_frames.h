// Data file frames: reading only some frames of a data file through its frame index
// (docs/format.md §5, data_file_format.h). An incremental backup diffing a span whose changes
// are a few key ranges reads back just the frames that hold those ranges
// (backup/span_reader.h), instead of every file start to end.
//
// Nothing in a file is trusted: the index must have the size and SHA-256 the manifest records,
// sit at the end of the plaintext behind its skippable-frame header, and tile the plaintext
// after the magic exactly with frames in strictly increasing key order; each frame read must
// decompress (zstd checksum included) to exactly the size the index gives and start with a
// record of the index's key. Anything else is DataLoss naming the file. In an encrypted chain
// every byte read is also authenticated (backup/stored_file.h).
// Thread-safety: one thread at a time per source; the functions are pure.
#ifndef COFRE_BACKUP_DATA_FILE_FRAMES_H_
#define COFRE_BACKUP_DATA_FILE_FRAMES_H_

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "backup/key_order.h"
#include "backup/stored_file.h"
#include "proto/backup_manifest.pb.h"
#include "util/stream.h"

namespace cofre {

// One frame of a data file.
struct DataFrame {
  uint64_t offset = 0;    // in the plaintext
  uint64_t stored = 0;    // bytes of its zstd frame
  uint64_t size = 0;      // bytes of records it decompresses to
  std::string first_key;  // empty: it starts with the end record
};

// Encoded key bounds [start, end) (empty: unbounded), in increasing order, disjoint.
using KeyRanges = std::vector<std::pair<std::string, std::string>>;

// True when `file` has a frame index (written by cofre 0.5 on).
bool HasFrameIndex(const proto::DataFile& file);

// Reads and checks `file`'s frame index through `ranges` (opened on the file).
StatusOr<std::vector<DataFrame>> ReadFrameIndex(StoredFileRanges& ranges,
                                                const proto::DataFile& file, const KeyOrder& order);

// The frames that may hold keys in `keys`: a frame holds the keys from its first key up to the
// next frame's first key (the last frame: to the end). Frames of the end record alone hold none.
std::vector<DataFrame> FramesOverlapping(const std::vector<DataFrame>& frames,
                                         const KeyOrder& order, const KeyRanges& keys);

// The records of `frames` (of the file `ranges` reads), decompressed one frame at a time, in
// order, as one stream of length-prefixed records (the end record only if the last frame is
// among them). Memory: one frame's stored and decompressed bytes.
StatusOr<std::unique_ptr<ByteSource>> NewFrameSource(std::unique_ptr<StoredFileRanges> ranges,
                                                     std::vector<DataFrame> frames,
                                                     std::string path);

}  // namespace cofre

#endif  // COFRE_BACKUP_DATA_FILE_FRAMES_H_
