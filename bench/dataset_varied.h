// VariedEvents: event payloads and attachments of the "varied" dataset shape, data the backup was
// not tuned for (issue 14 §5): JSON with keys that vary from event to event (optional fields,
// per-experiment keys drawn from a large set, nested context objects, arrays of line items of
// any length), product records copied into payloads from a catalog with a heavily skewed
// popularity (a popular product repeats within kilobytes, a rare one megabytes apart), numbers
// with skewed magnitudes, and attachments mixing incompressible images, low-entropy telemetry
// and text documents that reuse catalog descriptions.
// Thread-safety: one object per thread (it draws from the caller's Rng).
#ifndef COFRE_BENCH_DATASET_VARIED_H_
#define COFRE_BENCH_DATASET_VARIED_H_

#include <string>
#include <string_view>
#include <vector>

#include "rng.h"

namespace cofre::bench {

class VariedEvents {
 public:
  // Builds the product catalog from `seed` (the same seed gives the same catalog).
  explicit VariedEvents(uint64_t seed);

  // Appends a JSON payload for an event of `kind`.
  void AppendPayload(Rng& rng, std::string_view kind, std::string* out) const;
  // Whether an event of `kind` carries an attachment, and appends it.
  bool WantsAttachment(Rng& rng, std::string_view kind) const;
  void AppendAttachment(Rng& rng, std::string_view kind, std::string* out) const;

 private:
  struct Product {
    std::string json;         // {"sku":..,"name":..,...}: copied into payloads as it is
    std::string description;  // its text, reused by document attachments
  };
  const Product& PickProduct(Rng& rng) const;

  std::vector<Product> catalog_;
};

}  // namespace cofre::bench

#endif  // COFRE_BENCH_DATASET_VARIED_H_
