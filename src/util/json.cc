#include "util/json.h"

#include <cstdint>
#include <utility>

#include "util/utf8.h"
#include "util/wipe.h"

namespace cofre {
namespace {

// Length of the UTF-8 sequence starting at s[i], or 0 when it is malformed.
size_t Utf8SequenceLength(std::string_view s, size_t i) {
  const auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = b(i);
  if (c < 0x80) return 1;
  size_t len;
  uint32_t cp;
  if (c >= 0xC2 && c <= 0xDF) {
    len = 2;
    cp = c & 0x1F;
  } else if (c >= 0xE0 && c <= 0xEF) {
    len = 3;
    cp = c & 0x0F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    len = 4;
    cp = c & 0x07;
  } else {
    return 0;
  }
  if (i + len > s.size()) return 0;
  for (size_t k = 1; k < len; ++k) {
    if ((b(i + k) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (b(i + k) & 0x3F);
  }
  if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF))) return 0;
  if (cp >= 0xD800 && cp <= 0xDFFF) return 0;
  return len;
}

// A recursive-descent reader over one JSON text.
class Parser {
 public:
  Parser(std::string_view in, bool include_numbers) : in_(in), include_numbers_(include_numbers) {}

  StatusOr<JsonFields> TopLevelObject() {
    JsonFields fields;
    Status s = ParseTopLevel(&fields);
    if (!s.ok()) {
      WipeJsonFields(&fields);
      return s;
    }
    return fields;
  }

 private:
  Status Error(std::string_view what) const {
    return InvalidArgumentError("malformed JSON at byte " + std::to_string(pos_) + ": " +
                                std::string(what));
  }

  void SkipSpace() {
    while (pos_ < in_.size() &&
           (in_[pos_] == ' ' || in_[pos_] == '\t' || in_[pos_] == '\n' || in_[pos_] == '\r')) {
      ++pos_;
    }
  }

  bool Consume(char c) {
    SkipSpace();
    if (pos_ < in_.size() && in_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }

  Status ParseTopLevel(JsonFields* fields) {
    if (in_.size() > kMaxJsonSize) {
      return InvalidArgumentError("JSON document larger than " + std::to_string(kMaxJsonSize) +
                                  " bytes");
    }
    if (!Consume('{')) return Error("expected a JSON object");
    if (!Consume('}')) {
      while (true) {
        SkipSpace();
        std::string name;
        RETURN_IF_ERROR(ParseString(&name));
        if (!Consume(':')) return Error("expected ':' after an object member name");
        SkipSpace();
        if (fields->count(name) != 0) return Error("duplicate object member name");
        if (pos_ < in_.size() && in_[pos_] == '"') {
          std::string value;
          Status s = ParseString(&value);
          if (!s.ok()) {
            WipeString(&value);
            return s;
          }
          fields->emplace(std::move(name), std::move(value));
          WipeString(&value);
        } else if (include_numbers_ && pos_ < in_.size() &&
                   (in_[pos_] == '-' || (in_[pos_] >= '0' && in_[pos_] <= '9'))) {
          const size_t start = pos_;
          RETURN_IF_ERROR(SkipNumber());
          fields->emplace(std::move(name), std::string(in_.substr(start, pos_ - start)));
        } else {
          RETURN_IF_ERROR(SkipValue(2));  // the top-level object is depth 1
        }
        if (Consume(',')) continue;
        if (Consume('}')) break;
        return Error("expected ',' or '}' in an object");
      }
    }
    SkipSpace();
    if (pos_ != in_.size()) return Error("unexpected bytes after the JSON object");
    return Status::OK();
  }

  // Reads four hex digits at pos_.
  StatusOr<uint32_t> Hex4() {
    if (pos_ + 4 > in_.size()) return Error("truncated \\u escape");
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) {
      char c = in_[pos_++];
      v <<= 4;
      if (c >= '0' && c <= '9') {
        v |= static_cast<uint32_t>(c - '0');
      } else if (c >= 'a' && c <= 'f') {
        v |= static_cast<uint32_t>(c - 'a' + 10);
      } else if (c >= 'A' && c <= 'F') {
        v |= static_cast<uint32_t>(c - 'A' + 10);
      } else {
        return Error("bad hex digit in \\u escape");
      }
    }
    return v;
  }

  // The offset of the quote closing the string that starts at pos_ (just past its opening
  // quote), or npos.
  size_t ClosingQuote(size_t from) const {
    for (size_t i = from; i < in_.size(); ++i) {
      if (in_[i] == '\\') {
        ++i;
      } else if (in_[i] == '"') {
        return i;
      }
    }
    return std::string_view::npos;
  }

  // Parses a string at pos_ into *out. Decoding never grows *out past its reserved size.
  Status ParseString(std::string* out) {
    if (pos_ >= in_.size() || in_[pos_] != '"') return Error("expected a string");
    ++pos_;
    size_t end = ClosingQuote(pos_);
    if (end == std::string_view::npos) return Error("unterminated string");
    out->reserve(end - pos_);  // escapes only shrink: the decoded text is never longer
    while (pos_ < end) {
      unsigned char c = static_cast<unsigned char>(in_[pos_]);
      if (c < 0x20) return Error("control character in a string");
      if (c != '\\') {
        size_t len = Utf8SequenceLength(in_, pos_);
        if (len == 0 || pos_ + len > end) return Error("invalid UTF-8 in a string");
        out->append(in_.substr(pos_, len));
        pos_ += len;
        continue;
      }
      ++pos_;
      char e = in_[pos_++];
      switch (e) {
        case '"':
          out->push_back('"');
          break;
        case '\\':
          out->push_back('\\');
          break;
        case '/':
          out->push_back('/');
          break;
        case 'b':
          out->push_back('\b');
          break;
        case 'f':
          out->push_back('\f');
          break;
        case 'n':
          out->push_back('\n');
          break;
        case 'r':
          out->push_back('\r');
          break;
        case 't':
          out->push_back('\t');
          break;
        case 'u': {
          ASSIGN_OR_RETURN(uint32_t cp, Hex4());
          if (cp >= 0xDC00 && cp <= 0xDFFF) return Error("lone low surrogate in \\u escape");
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            if (pos_ + 2 > end || in_[pos_] != '\\' || in_[pos_ + 1] != 'u') {
              return Error("high surrogate without its low surrogate");
            }
            pos_ += 2;
            ASSIGN_OR_RETURN(uint32_t lo, Hex4());
            if (lo < 0xDC00 || lo > 0xDFFF)
              return Error("high surrogate without its low surrogate");
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          }
          AppendUtf8(cp, out);
          break;
        }
        default:
          return Error("unknown escape in a string");
      }
      if (pos_ > end) return Error("escape runs past the end of a string");
    }
    pos_ = end + 1;
    return Status::OK();
  }

  Status SkipNumber() {
    size_t start = pos_;
    if (pos_ < in_.size() && in_[pos_] == '-') ++pos_;
    auto digits = [&]() {
      size_t from = pos_;
      while (pos_ < in_.size() && in_[pos_] >= '0' && in_[pos_] <= '9') ++pos_;
      return pos_ - from;
    };
    if (pos_ < in_.size() && in_[pos_] == '0') {
      ++pos_;
    } else if (digits() == 0) {
      pos_ = start;
      return Error("expected a value");
    }
    if (pos_ < in_.size() && in_[pos_] == '.') {
      ++pos_;
      if (digits() == 0) return Error("expected digits after '.' in a number");
    }
    if (pos_ < in_.size() && (in_[pos_] == 'e' || in_[pos_] == 'E')) {
      ++pos_;
      if (pos_ < in_.size() && (in_[pos_] == '+' || in_[pos_] == '-')) ++pos_;
      if (digits() == 0) return Error("expected digits in a number's exponent");
    }
    return Status::OK();
  }

  // Validates and skips one value at pos_ (after whitespace), `depth` levels deep.
  Status SkipValue(int depth) {
    if (depth > kMaxJsonDepth) return Error("values nested too deeply");
    SkipSpace();
    if (pos_ >= in_.size()) return Error("expected a value");
    switch (in_[pos_]) {
      case '"': {
        std::string ignored;
        Status s = ParseString(&ignored);
        WipeString(&ignored);
        return s;
      }
      case '{': {
        ++pos_;
        if (Consume('}')) return Status::OK();
        while (true) {
          SkipSpace();
          std::string name;
          RETURN_IF_ERROR(ParseString(&name));
          if (!Consume(':')) return Error("expected ':' after an object member name");
          RETURN_IF_ERROR(SkipValue(depth + 1));
          if (Consume(',')) continue;
          if (Consume('}')) return Status::OK();
          return Error("expected ',' or '}' in an object");
        }
      }
      case '[': {
        ++pos_;
        if (Consume(']')) return Status::OK();
        while (true) {
          RETURN_IF_ERROR(SkipValue(depth + 1));
          if (Consume(',')) continue;
          if (Consume(']')) return Status::OK();
          return Error("expected ',' or ']' in an array");
        }
      }
      case 't':
        return SkipLiteral("true");
      case 'f':
        return SkipLiteral("false");
      case 'n':
        return SkipLiteral("null");
      default:
        return SkipNumber();
    }
  }

  Status SkipLiteral(std::string_view word) {
    if (in_.substr(pos_, word.size()) != word) return Error("expected a value");
    pos_ += word.size();
    return Status::OK();
  }

  std::string_view in_;
  const bool include_numbers_;
  size_t pos_ = 0;
};

}  // namespace

void AppendJsonString(std::string_view s, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back('"');
  for (char ch : s) {
    unsigned char c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      case '\b':
        out->append("\\b");
        break;
      case '\f':
        out->append("\\f");
        break;
      default:
        if (c < 0x20 || c == 0x7F) {
          out->append("\\u00");
          out->push_back(kHex[c >> 4]);
          out->push_back(kHex[c & 0xF]);
        } else {
          out->push_back(ch);
        }
    }
  }
  out->push_back('"');
}

void JsonObjectWriter::AddName(std::string_view name) {
  if (out_.size() > 1) out_.push_back(',');
  AppendJsonString(name, &out_);
  out_.push_back(':');
}

void JsonObjectWriter::AddString(std::string_view name, std::string_view value) {
  AddName(name);
  AppendJsonString(value, &out_);
}

void JsonObjectWriter::AddStringMap(std::string_view name,
                                    const std::map<std::string, std::string>& values) {
  AddName(name);
  out_.push_back('{');
  bool first = true;
  for (const auto& [k, v] : values) {
    if (!first) out_.push_back(',');
    first = false;
    AppendJsonString(k, &out_);
    out_.push_back(':');
    AppendJsonString(v, &out_);
  }
  out_.push_back('}');
}

std::string JsonObjectWriter::Finish() {
  out_.push_back('}');
  std::string done = std::move(out_);
  out_ = "{";
  return done;
}

StatusOr<JsonFields> ParseJsonObject(std::string_view json, bool include_numbers) {
  return Parser(json, include_numbers).TopLevelObject();
}

void WipeJsonFields(JsonFields* fields) {
  for (auto& [name, value] : *fields) WipeString(&value);
  fields->clear();
}

bool IsValidUtf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    size_t len = Utf8SequenceLength(s, i);
    if (len == 0) return false;
    i += len;
  }
  return true;
}

}  // namespace cofre
