// Data file frames: reading only some frames of a data file through its frame index
// (docs/format.md §5, data_file_format.h). An incremental backup diffing a span whose changes
// are a few key ranges reads back just the frames that hold those ranges
// (backup/span_reader.h), instead of every file start to end.
//
// Nothing in a file is trusted: the index must have the size and SHA-256 the manifest records,
// sit at the end of the plaintext behind its skippable-frame header, and tile the plaintext
// after the magic exactly with frames in strictly increasing key order; each frame read must
// decompress (zstd checksum included) to exactly the size the index gives and start with a
// record of the index's key, and its stored bytes must match the CRC-32C the index gives (files
// of cofre 0.6 on). Anything else is DataLoss naming the file. A frame is left before its end
// only where its bytes were checked otherwise than by its zstd checksum: by that CRC, or by the
// authentication of every byte read in an encrypted chain (backup/stored_file.h;
// FrameSourceOptions, docs/architecture.md §3 item 9).
// Thread-safety: one thread at a time per source; the functions are pure.
#ifndef COFRE_BACKUP_DATA_FILE_FRAMES_H_
#define COFRE_BACKUP_DATA_FILE_FRAMES_H_

#include <memory>
#include <optional>
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
  uint64_t offset = 0;             // in the plaintext
  uint64_t stored = 0;             // bytes of its zstd frame
  uint64_t size = 0;               // bytes of records it decompresses to
  std::string first_key;           // empty: it starts with the end record
  std::optional<uint32_t> crc32c;  // of the stored bytes (indexes of cofre 0.6 on)
  // Set by FramesOverlapping: the end of the last key range the frame overlaps (records from it
  // on hold none of the ranges' keys); empty: every record may be needed.
  std::string needed_until;
};

// Encoded key bounds [start, end) (empty: unbounded), in increasing order, disjoint.
using KeyRanges = std::vector<std::pair<std::string, std::string>>;

// True when `file` has a frame index (written by cofre 0.5 on).
bool HasFrameIndex(const proto::DataFile& file);

// Reads and checks `file`'s frame index through `ranges` (opened on the file); with
// first_frame_dictionary, the first frame must be at most kMaxDictionaryBytes.
StatusOr<std::vector<DataFrame>> ReadFrameIndex(StoredFileRanges& ranges,
                                                const proto::DataFile& file, const KeyOrder& order);

// The frames that may hold keys in `keys`: a frame holds the keys from its first key up to the
// next frame's first key (the last frame: to the end). Frames of the end record alone hold none.
std::vector<DataFrame> FramesOverlapping(const std::vector<DataFrame>& frames,
                                         const KeyOrder& order, const KeyRanges& keys);

// FrameSourceOptions::dictionary_frame for `file`, whose index gave `frames`.
std::optional<DataFrame> DictionaryFrame(const proto::DataFile& file,
                                         const std::vector<DataFrame>& frames);

// Options of NewFrameSource.
struct FrameSourceOptions {
  // Stop decompressing a frame once a record at or past its `needed_until` key is out (that
  // record is the last one given), instead of decompressing it to its end, where the frame's
  // bytes are checked otherwise than by its zstd checksum (which a frame left unfinished never
  // reaches): when `authenticated`, or when the index gives the frame's CRC-32C. Default false
  // (every frame read to its end).
  bool stop_at_needed_end = false;
  // Every byte read is authenticated (an encrypted chain). Default false.
  bool authenticated = false;
  // Content decompressed between two looks for the needed end. Default 32 KiB.
  size_t step_bytes = 32 << 10;
  // Set (DictionaryFrame) for a file whose frames after the first were compressed with the first
  // frame's content as their dictionary (DataFile.first_frame_dictionary): that first frame,
  // which the source then decompresses whole (checked as any frame read) before any other
  // frame. Default unset.
  std::optional<DataFrame> dictionary_frame;
};

// The records of `frames` (of the file `ranges` reads), decompressed one frame at a time, in
// order, as one stream of length-prefixed records (the end record only if the last frame is
// among them). `order` (which must outlive the source) compares keys with `needed_until`.
// A frame whose index gives a CRC-32C is refused (DataLoss) when its stored bytes do not match it.
// Memory: one frame's stored and decompressed bytes (and the first frame's content, with a
// dictionary_frame).
StatusOr<std::unique_ptr<ByteSource>> NewFrameSource(std::unique_ptr<StoredFileRanges> ranges,
                                                     std::vector<DataFrame> frames,
                                                     std::string path, const KeyOrder& order,
                                                     const FrameSourceOptions& options = {});

}  // namespace cofre

#endif  // COFRE_BACKUP_DATA_FILE_FRAMES_H_
