// Locality-aware collections (CockroachDB's COCKROACH_LOCALITY URI parameter).
//
// A locality-aware backup names several collection URIs, each with COCKROACH_LOCALITY set to
// `default` or to one locality tier `key=value` (percent-encoded in the URI: region%3Dus-west).
// Data files go to the URI whose tier the node's locality (`cofre sql --locality
// region=us-west,zone=a`) contains, more specific (later) tiers first, else to the default URI;
// manifests, ENCRYPTION-INFO and LATEST always go to the default URI.
//
// ParseLocalityUris validates such a list and strips the parameter, so storage sees plain URIs
// and errors show no locality noise. Thread-safety: free functions over plain values.
#ifndef COFRE_BACKUP_LOCALITY_H_
#define COFRE_BACKUP_LOCALITY_H_

#include <string>
#include <string_view>
#include <vector>

#include "util/status.h"

namespace cofre {

inline constexpr char kLocalityParam[] = "COCKROACH_LOCALITY";
inline constexpr char kDefaultLocality[] = "default";

// One URI of a collection list.
struct LocalityUri {
  std::string locality;  // "" for the default URI, else the tier, e.g. "region=us-west"
  std::string uri;       // the URI without its COCKROACH_LOCALITY parameter
  bool labeled = false;  // the URI carried COCKROACH_LOCALITY
};

// Validates a list of collection URIs and returns it with the default URI first, the others
// in the order given.
// - One URI without COCKROACH_LOCALITY: a plain collection (the default).
// - Otherwise, when `require_labels` (BACKUP), every URI must carry COCKROACH_LOCALITY.
//   When not (RESTORE, SHOW BACKUP), either every URI carries it or none does; with none, the
//   first URI is the default and the others are unlabeled (locality "", labeled = false):
//   the caller finds out which locality each holds.
// - Labeled lists need exactly one `default`, each other value one `key=value` tier, and no
//   locality twice.
// Errors are InvalidArgument naming the URI (redacted) and what to write instead.
StatusOr<std::vector<LocalityUri>> ParseLocalityUris(const std::vector<std::string>& uris,
                                                     bool require_labels);

// Splits a node locality "region=us-west,zone=a" into its tiers {"region=us-west", "zone=a"}.
std::vector<std::string> LocalityTiers(std::string_view node_locality);

// The locality (a tier among `available`) that a node with `node_locality` writes data files
// to: its most specific tier that `available` holds; "" (the default URI) when none does.
std::string MatchLocality(std::string_view node_locality,
                          const std::vector<std::string>& available);

// `uri` without any COCKROACH_LOCALITY query parameter (the rest kept byte for byte).
std::string StripLocalityParam(std::string_view uri);

}  // namespace cofre

#endif  // COFRE_BACKUP_LOCALITY_H_
