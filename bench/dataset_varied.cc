// Event payloads of the varied dataset shape (see dataset_varied.h).
#include "dataset_varied.h"

#include <cctype>
#include <cmath>

#include "dataset_vocab.h"
#include "text_append.h"

namespace cofre::bench {
namespace {

constexpr int kCatalogProducts = 40000;
constexpr int kExperiments = 5000;
constexpr int kUsers = 200000;

// A value in [0, n) with a strong skew toward 0: rank n * u^4.
int64_t Skewed(Rng& rng, int64_t n) {
  const double u = static_cast<double>(rng.Below(1u << 30)) / (1u << 30);
  return std::min<int64_t>(n - 1, static_cast<int64_t>(n * u * u * u * u));
}

// An integer whose magnitude is spread over several orders (1, 10s, 1000s, millions).
int64_t SkewedMagnitude(Rng& rng) {
  static constexpr int64_t kScales[] = {10, 10, 10, 100, 100, 1000, 100000, 10000000};
  return rng.Range(0, rng.Pick(kScales));
}

void AppendLowerWord(std::string* out, std::string_view word) {
  for (char c : word) {
    if (c != ' ') out->push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
}

void AppendQuoted(std::string* out, std::string_view s) {
  out->push_back('"');
  for (char c : s) {
    if (c == '"' || c == '\\') out->push_back('\\');
    out->push_back(c);
  }
  out->push_back('"');
}

void AppendKey(std::string* out, bool* first, std::string_view key) {
  if (!*first) out->push_back(',');
  *first = false;
  AppendQuoted(out, key);
  out->push_back(':');
}

}  // namespace

VariedEvents::VariedEvents(uint64_t seed) {
  Rng rng(seed ^ 0x7661726965642121ULL);
  catalog_.resize(kCatalogProducts);
  for (int i = 0; i < kCatalogProducts; ++i) {
    Product& p = catalog_[i];
    std::string& d = p.description;
    for (int64_t n = rng.Range(2, 6); n > 0; --n) {
      if (!d.empty()) d.push_back(' ');
      d.append(rng.Pick(kNotePhrases));
    }
    d.append(" Model ");
    rng.AppendToken(&d, 6);
    std::string& j = p.json;
    bool first = true;
    j.push_back('{');
    AppendKey(&j, &first, "sku");
    j.append("\"P").append(std::to_string(100000 + i)).append("\"");
    AppendKey(&j, &first, "name");
    AppendQuoted(&j, std::string(rng.Pick(kProductAdjectives)) + " " +
                         std::string(rng.Pick(kColors)) + " " +
                         std::string(rng.Pick(kProductNouns)));
    AppendKey(&j, &first, "price");
    j.append(std::to_string(rng.Range(99, 250000) / 100.0));
    if (rng.Percent(60)) {
      AppendKey(&j, &first, "attributes");
      j.append("{\"material\":");
      AppendQuoted(&j, rng.Pick(kMaterials));
      if (rng.Percent(50))
        j.append(",\"size\":").append("\"").append(rng.Pick(kSizes)).append("\"");
      if (rng.Percent(30)) {
        j.append(",\"weight_g\":");
        AppendInt(&j, rng.Range(10, 20000));
      }
      j.push_back('}');
    }
    AppendKey(&j, &first, "tags");
    j.push_back('[');
    for (int64_t n = rng.Range(0, 5); n > 0; --n) {
      AppendQuoted(&j, rng.Pick(kSiteSections));
      if (n > 1) j.push_back(',');
    }
    j.push_back(']');
    if (rng.Percent(40)) {
      AppendKey(&j, &first, "description");
      AppendQuoted(&j, d);
    }
    j.push_back('}');
  }
}

const VariedEvents::Product& VariedEvents::PickProduct(Rng& rng) const {
  return catalog_[Skewed(rng, static_cast<int64_t>(catalog_.size()))];
}

void VariedEvents::AppendPayload(Rng& rng, std::string_view kind, std::string* out) const {
  bool first = true;
  out->push_back('{');
  // Producers disagree on key names and order: three styles of the same envelope.
  const uint64_t style = rng.Below(3);
  AppendKey(out, &first, style == 0 ? "event_id" : style == 1 ? "eventId" : "id");
  out->push_back('"');
  rng.AppendHex(out, 32);
  out->push_back('"');
  AppendKey(out, &first, style == 2 ? "ts_ms" : "timestamp");
  AppendInt(out, 1609459200000 + static_cast<int64_t>(rng.Below(1ULL << 36)));
  if (rng.Percent(80)) {
    // The acting user, copied into the event (popular users come back within kilobytes, most
    // within megabytes).
    const int64_t u = Skewed(rng, kUsers);
    Rng user(static_cast<uint64_t>(u) * 0x9e3779b97f4a7c15ULL);
    AppendKey(out, &first, "user");
    out->append("{\"uid\":\"u_");
    user.AppendToken(out, 10);
    out->append("\",\"email\":\"");
    AppendLowerWord(out, user.Pick(kFirstNames));
    out->push_back('.');
    AppendLowerWord(out, user.Pick(kLastNames));
    AppendInt(out, static_cast<int64_t>(user.Below(100)));
    out->push_back('@');
    out->append(user.PickSkewed(kEmailDomains));
    out->append("\",\"plan\":");
    AppendQuoted(out, user.PickSkewed(kTiers));
    if (user.Percent(50)) {
      out->append(",\"locale\":");
      AppendQuoted(out, user.PickSkewed(kPlaces).country_code);
    }
    out->push_back('}');
  }
  if (rng.Percent(70)) {
    AppendKey(out, &first, "context");
    out->append("{\"device\":{\"ua\":");
    AppendQuoted(out, rng.PickSkewed(kUserAgents));
    if (rng.Percent(50)) {
      static constexpr int64_t kWidths[] = {360, 390, 412, 768, 1280, 1920};
      static constexpr int64_t kHeights[] = {640, 800, 844, 1024, 1080};
      out->append(",\"screen\":[");
      AppendInt(out, rng.Pick(kWidths));
      out->push_back(',');
      AppendInt(out, rng.Pick(kHeights));
      out->push_back(']');
    }
    out->append("},\"geo\":{\"city\":");
    AppendQuoted(out, rng.PickSkewed(kPlaces).city);
    if (rng.Percent(40)) {
      out->append(",\"lat\":").append(std::to_string(rng.Range(-90000000, 90000000) / 1e6));
      out->append(",\"lon\":").append(std::to_string(rng.Range(-180000000, 180000000) / 1e6));
    }
    out->append("}}");
  }
  // Per-experiment keys from a large set: a key seen once may not come back for a long time.
  if (rng.Percent(50)) {
    AppendKey(out, &first, "experiments");
    out->push_back('{');
    for (int64_t n = rng.Range(1, 4); n > 0; --n) {
      out->append("\"exp_").append(std::to_string(Skewed(rng, kExperiments))).append("\":\"");
      out->append(rng.Percent(50) ? "control" : "variant_").append(std::to_string(rng.Below(4)));
      out->push_back('"');
      if (n > 1) out->push_back(',');
    }
    out->push_back('}');
  }
  AppendKey(out, &first, "kind");
  AppendQuoted(out, kind);
  const bool cart = kind == "add_to_cart" || kind == "checkout_done" || kind == "product_view" ||
                    kind == "wishlist_add" || kind == "remove_from_cart";
  if (cart || rng.Percent(15)) {
    AppendKey(out, &first, "items");
    out->push_back('[');
    const int64_t items = kind == "checkout_done" ? 1 + Skewed(rng, 12) : 1 + Skewed(rng, 3);
    for (int64_t i = 0; i < items; ++i) {
      if (i > 0) out->push_back(',');
      out->append("{\"product\":").append(PickProduct(rng).json);
      out->append(",\"qty\":");
      AppendInt(out, 1 + Skewed(rng, 9));
      out->push_back('}');
    }
    out->push_back(']');
  }
  if (rng.Percent(60)) {
    AppendKey(out, &first, "metrics");
    out->append("{\"latency_ms\":");
    AppendInt(out, SkewedMagnitude(rng));
    if (rng.Percent(50)) {
      out->append(",\"bytes\":");
      AppendInt(out, SkewedMagnitude(rng));
    }
    if (rng.Percent(30))
      out->append(",\"score\":").append(std::to_string(rng.Below(1000000) / 7.0));
    out->push_back('}');
  }
  if (kind == "search") {
    AppendKey(out, &first, "query");
    AppendQuoted(out, std::string(rng.PickSkewed(kColors)) + " " +
                          std::string(rng.PickSkewed(kProductNouns)));
  }
  if (kind == "review_posted" || kind == "support_ticket") {
    AppendKey(out, &first, "text");
    AppendQuoted(out, PickProduct(rng).description);
  }
  out->push_back('}');
}

bool VariedEvents::WantsAttachment(Rng& rng, std::string_view kind) const {
  return (kind == "photo_upload" && rng.Percent(50)) || kind == "telemetry" ||
         kind == "support_ticket" || rng.Percent(3);
}

void VariedEvents::AppendAttachment(Rng& rng, std::string_view kind, std::string* out) const {
  const uint64_t what = kind == "telemetry" ? 0 : kind == "photo_upload" ? 1 : rng.Below(3);
  if (what == 0) {
    // Float32 sensor samples of a noisy random walk: binary, partly compressible.
    out->append("TLM2", 4);
    double level = static_cast<double>(rng.Range(-1000, 1000));
    for (int64_t n = 64 + Skewed(rng, 2000); n > 0; --n) {
      level += static_cast<double>(rng.Range(-50, 50)) / 10.0;
      const float f = static_cast<float>(level);
      out->append(reinterpret_cast<const char*>(&f), 4);
    }
  } else if (what == 1) {
    // A compressed thumbnail: incompressible bytes of skewed sizes, from 256 bytes to 16 KiB.
    out->append("\x89PNG\r\n\x1a\n", 8);
    rng.AppendBytes(out, static_cast<size_t>(256 + Skewed(rng, 16 * 1024)));
  } else {
    // A text document (an invoice, a ticket transcript) built from catalog descriptions.
    out->append("%DOC-1.4\n");
    for (int64_t n = 1 + Skewed(rng, 20); n > 0; --n) {
      out->append(PickProduct(rng).description).push_back('\n');
    }
  }
}

}  // namespace cofre::bench
