#include "backup/locality.h"

#include <algorithm>
#include <set>

#include "util/uri.h"

namespace cofre {
namespace {

constexpr char kLabelHint[] =
    "give every URI of the list COCKROACH_LOCALITY=default (exactly one) or "
    "COCKROACH_LOCALITY=<key>%3D<value>, e.g. 's3://bucket-west/b?COCKROACH_LOCALITY=region%3Dus-"
    "west'";

// Checks a COCKROACH_LOCALITY value other than "default": one "key=value" tier.
Status CheckTier(const std::string& value, const std::string& redacted) {
  size_t eq = value.find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == value.size() ||
      value.find('=', eq + 1) != std::string::npos || value.find(',') != std::string::npos) {
    return InvalidArgumentError("invalid COCKROACH_LOCALITY in URI '" + redacted +
                                "': a tier must be in the form \"key=value\" (one tier, "
                                "percent-encoded as key%3Dvalue), or \"default\"");
  }
  return Status::OK();
}

}  // namespace

std::string StripLocalityParam(std::string_view uri) {
  size_t q = uri.find('?');
  if (q == std::string_view::npos) return std::string(uri);
  std::string out(uri.substr(0, q));
  std::string_view query = uri.substr(q + 1);
  char sep = '?';
  while (true) {
    size_t amp = query.find('&');
    std::string_view part = query.substr(0, amp);
    std::string_view name = part.substr(0, part.find('='));
    auto decoded = PercentDecode(name);
    bool is_locality = decoded.ok() ? *decoded == kLocalityParam : name == kLocalityParam;
    if (!is_locality && !part.empty()) {
      out += sep;
      out.append(part);
      sep = '&';
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return out;
}

StatusOr<std::vector<LocalityUri>> ParseLocalityUris(const std::vector<std::string>& uris,
                                                     bool require_labels) {
  if (uris.empty()) return InvalidArgumentError("no collection URI given");
  std::vector<LocalityUri> parsed;
  size_t labeled = 0;
  for (const std::string& text : uris) {
    ASSIGN_OR_RETURN(Uri uri, ParseUri(text));
    LocalityUri entry;
    entry.uri = StripLocalityParam(text);
    if (std::optional<std::string> value = uri.Param(kLocalityParam)) {
      entry.labeled = true;
      ++labeled;
      if (*value != kDefaultLocality) {
        RETURN_IF_ERROR(CheckTier(*value, RedactUri(text)));
        entry.locality = *value;
      }
    }
    parsed.push_back(std::move(entry));
  }
  if (parsed.size() == 1 && labeled == 0) return parsed;
  if (labeled != parsed.size()) {
    for (size_t i = 0; i < parsed.size(); ++i) {
      if (parsed[i].labeled) continue;
      if (labeled == 0 && !require_labels) {
        // Unlabeled read list (as CockroachDB's RESTORE takes it): the first URI is the default.
        return parsed;
      }
      return InvalidArgumentError("URI '" + RedactUri(uris[i]) +
                                  "' of a locality-aware backup has no COCKROACH_LOCALITY "
                                  "parameter")
          .WithHint(kLabelHint);
    }
  }
  size_t defaults = 0;
  std::set<std::string> seen;
  for (size_t i = 0; i < parsed.size(); ++i) {
    if (parsed[i].locality.empty()) {
      ++defaults;
      continue;
    }
    if (!seen.insert(parsed[i].locality).second) {
      return InvalidArgumentError("COCKROACH_LOCALITY \"" + parsed[i].locality +
                                  "\" is given to more than one URI; each locality takes one "
                                  "URI");
    }
  }
  if (defaults != 1) {
    return InvalidArgumentError(
               std::string(defaults == 0 ? "a locality-aware backup needs one URI with "
                                           "COCKROACH_LOCALITY=default, and none has it"
                                         : "a locality-aware backup needs exactly one URI with "
                                           "COCKROACH_LOCALITY=default, and " +
                                               std::to_string(defaults) + " have it"))
        .WithHint(kLabelHint);
  }
  std::stable_partition(parsed.begin(), parsed.end(),
                        [](const LocalityUri& u) { return u.locality.empty(); });
  return parsed;
}

std::vector<std::string> LocalityTiers(std::string_view node_locality) {
  std::vector<std::string> tiers;
  while (!node_locality.empty()) {
    size_t comma = node_locality.find(',');
    std::string_view tier = node_locality.substr(0, comma);
    if (!tier.empty()) tiers.emplace_back(tier);
    if (comma == std::string_view::npos) break;
    node_locality.remove_prefix(comma + 1);
  }
  return tiers;
}

std::string MatchLocality(std::string_view node_locality,
                          const std::vector<std::string>& available) {
  std::vector<std::string> tiers = LocalityTiers(node_locality);
  for (auto it = tiers.rbegin(); it != tiers.rend(); ++it) {
    for (const std::string& a : available) {
      if (a == *it) return a;
    }
  }
  return "";
}

}  // namespace cofre
