// Word lists of the benchmark dataset: names, places, products, web pages.
//
// Real tables repeat a limited vocabulary (cities, statuses, product names)
// next to unique values (emails, tokens). These lists supply the repeated
// part. Immutable data; safe to read from any thread.
#ifndef COFRE_BENCH_DATASET_VOCAB_H_
#define COFRE_BENCH_DATASET_VOCAB_H_

#include <span>
#include <string_view>

namespace cofre::bench {

using Vocab = std::span<const std::string_view>;

// A city with the ISO code and name of its country.
struct Place {
  std::string_view city;
  std::string_view country_code;
  std::string_view country;
};

extern const Vocab kFirstNames;
extern const Vocab kLastNames;
extern const std::span<const Place> kPlaces;
extern const Vocab kStreetNames;
extern const Vocab kStreetKinds;
extern const Vocab kEmailDomains;
extern const Vocab kTiers;
extern const Vocab kNotePhrases;
extern const Vocab kOrderStatuses;
extern const Vocab kCurrencies;
extern const Vocab kShippingMethods;
extern const Vocab kCouponPrefixes;
extern const Vocab kProductAdjectives;
extern const Vocab kProductNouns;
extern const Vocab kColors;
extern const Vocab kSizes;
extern const Vocab kMaterials;
extern const Vocab kEventKinds;
extern const Vocab kEventSources;
extern const Vocab kSiteSections;
extern const Vocab kReferrers;
extern const Vocab kUserAgents;

}  // namespace cofre::bench

#endif  // COFRE_BENCH_DATASET_VOCAB_H_
