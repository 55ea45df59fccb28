#include "server/pg_rewrite.h"

#include <vector>

#include "server/pg_types.h"
#include "sql/lexer.h"
#include "util/sha256.h"

namespace cofre::server {

namespace {

enum class Target { kNone, kInteger, kReal, kNumeric, kText, kBlob, kBool, kDrop };

Target TargetOf(const std::string& t) {
  std::string n = sql::AsciiLower(t);
  if (n == "int" || n == "int2" || n == "int4" || n == "int8" || n == "integer" || n == "bigint" ||
      n == "smallint" || n == "oid") {
    return Target::kInteger;
  }
  if (n == "float4" || n == "float8" || n == "real" || n == "double" || n == "float") {
    return Target::kReal;
  }
  if (n == "numeric" || n == "decimal") return Target::kNumeric;
  if (n == "text" || n == "varchar" || n == "char" || n == "bpchar" || n == "name" ||
      n == "character") {
    return Target::kText;
  }
  if (n == "bytea") return Target::kBlob;
  if (n == "bool" || n == "boolean") return Target::kBool;
  if (n == "date" || n == "timestamp" || n == "timestamptz" || n == "time" || n == "json" ||
      n == "jsonb" || n == "uuid" || n == "interval" || n == "regclass" || n == "unknown") {
    return Target::kDrop;
  }
  return Target::kNone;
}

// The bytes of a bytea literal: hex (\x...) or escape format (\\ and \ooo).
bool DecodeBytea(const std::string& s, std::string* out) {
  if (s.starts_with("\\x")) {
    auto bytes = UnhexBytea(s);
    if (!bytes.ok()) return false;
    *out = std::move(*bytes);
    return true;
  }
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\\') {
      out->push_back(s[i]);
      continue;
    }
    if (i + 1 < s.size() && s[i + 1] == '\\') {
      out->push_back('\\');
      ++i;
    } else if (i + 3 < s.size()) {
      int v = 0;
      for (int k = 1; k <= 3; ++k) {
        char c = s[i + k];
        if (c < '0' || c > '7') return false;
        v = v * 8 + (c - '0');
      }
      out->push_back(static_cast<char>(v));
      i += 3;
    } else {
      return false;
    }
  }
  return true;
}

std::string HexLiteral(const std::string& bytes) { return "X'" + ToHex(bytes) + "'"; }

}  // namespace

std::string RewritePgCasts(std::string_view text) {
  if (text.find("::") == std::string_view::npos) return std::string(text);
  auto tokens = sql::Tokenize(text);
  if (!tokens.ok()) return std::string(text);
  const auto& t = *tokens;
  // Replacements as (begin, end, text) in source order.
  struct Edit {
    size_t begin, end;
    std::string with;
  };
  std::vector<Edit> edits;
  for (size_t i = 1; i + 2 < t.size(); ++i) {
    if (!t[i].IsPunct(':') || !t[i + 1].IsPunct(':') || t[i].end != t[i + 1].begin) continue;
    const sql::Token& type_tok = t[i + 2];
    if (type_tok.kind != sql::TokenKind::kIdent) continue;
    Target target = TargetOf(type_tok.text);
    if (target == Target::kNone) continue;
    size_t type_end = type_tok.end;
    size_t next = i + 3;
    // double precision, character varying, timestamp with time zone, varchar(10), int[]...
    while (next < t.size() && (t[next].IsKeyword("precision") || t[next].IsKeyword("varying") ||
                               t[next].IsKeyword("with") || t[next].IsKeyword("without") ||
                               t[next].IsKeyword("time") || t[next].IsKeyword("zone"))) {
      type_end = t[next++].end;
    }
    if (next + 2 < t.size() && t[next].IsPunct('(') &&
        t[next + 1].kind == sql::TokenKind::kNumber) {
      size_t k = next + 1;
      while (k < t.size() && !t[k].IsPunct(')')) ++k;
      if (k < t.size()) type_end = t[k].end;
    }
    // The operand: the token before '::', or a parenthesised expression ending there.
    size_t op_first = i - 1;
    const sql::Token& prev = t[i - 1];
    if (prev.IsPunct(')')) {
      int depth = 0;
      size_t k = i - 1;
      while (true) {
        if (t[k].IsPunct(')')) depth++;
        if (t[k].IsPunct('(')) depth--;
        if (depth == 0 || k == 0) break;
        --k;
      }
      if (depth != 0) continue;
      // A function call's parentheses: leave it to SQLite.
      if (k > 0 && t[k - 1].IsName()) continue;
      op_first = k;
    } else if (prev.kind == sql::TokenKind::kNumber && i >= 2 && t[i - 2].IsPunct('$') &&
               t[i - 2].end == prev.begin) {
      op_first = i - 2;  // $n
    } else if (prev.kind != sql::TokenKind::kString && prev.kind != sql::TokenKind::kNumber &&
               !prev.IsName()) {
      continue;
    }
    if (!edits.empty() && edits.back().end > t[op_first].begin) continue;  // nested: skip
    const size_t op_begin = t[op_first].begin;
    std::string operand(text.substr(op_begin, prev.end - op_begin));
    std::string with;
    if (target == Target::kBlob && prev.kind == sql::TokenKind::kString && op_first == i - 1) {
      std::string bytes;
      if (!DecodeBytea(prev.text, &bytes)) continue;
      with = HexLiteral(bytes);
    } else if (target == Target::kBool && prev.kind == sql::TokenKind::kString) {
      std::string v = sql::AsciiLower(prev.text);
      if (v == "t" || v == "true" || v == "1" || v == "on" || v == "yes" || v == "y") {
        with = "1";
      } else if (v == "f" || v == "false" || v == "0" || v == "off" || v == "no" || v == "n") {
        with = "0";
      } else {
        continue;
      }
    } else {
      switch (target) {
        case Target::kInteger:
          with = "CAST(" + operand + " AS INTEGER)";
          break;
        case Target::kReal:
          with = "CAST(" + operand + " AS REAL)";
          break;
        case Target::kNumeric:
          with = "CAST(" + operand + " AS NUMERIC)";
          break;
        case Target::kText:
          with = "CAST(" + operand + " AS TEXT)";
          break;
        case Target::kBlob:
          with = "CAST(" + operand + " AS BLOB)";
          break;
        case Target::kBool:
          with = "(" + operand + ")";
          break;
        default:
          with = operand;
          break;
      }
    }
    edits.push_back({op_begin, type_end, std::move(with)});
  }
  std::string out;
  size_t copied = 0;
  for (const auto& e : edits) {
    out.append(text.substr(copied, e.begin - copied));
    out += e.with;
    copied = e.end;
  }
  out.append(text.substr(copied));
  return out;
}

}  // namespace cofre::server
