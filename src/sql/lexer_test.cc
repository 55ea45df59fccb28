#include "sql/lexer.h"

#include <gtest/gtest.h>

#include <new>

#include "sql/keywords.h"

namespace cofre::sql {
namespace {

std::vector<Token> MustTokenize(std::string_view text) {
  StatusOr<std::vector<Token>> tokens = Tokenize(text);
  EXPECT_TRUE(tokens.ok()) << tokens.status().ToString();
  return tokens.ok() ? *tokens : std::vector<Token>{};
}

TEST(LexerTest, IdentifiersKeepTheirCase) {
  auto t = MustTokenize("BaCkUp foo_1 $x");
  ASSERT_EQ(t.size(), 5u);
  EXPECT_EQ(t[0].kind, TokenKind::kIdent);
  EXPECT_EQ(t[0].text, "BaCkUp");
  EXPECT_TRUE(t[0].IsKeyword("backup"));
  EXPECT_EQ(t[1].text, "foo_1");
  EXPECT_TRUE(t[2].IsPunct('$'));
  EXPECT_EQ(t[3].text, "x");
  EXPECT_EQ(t[4].kind, TokenKind::kEof);
}

TEST(LexerTest, QuotedIdentifierIsNeverAKeyword) {
  auto t = MustTokenize(R"("BACKUP" "a""b" "with space")");
  ASSERT_EQ(t.size(), 4u);
  EXPECT_EQ(t[0].kind, TokenKind::kQuotedIdent);
  EXPECT_EQ(t[0].text, "BACKUP");
  EXPECT_FALSE(t[0].IsKeyword("backup"));
  EXPECT_EQ(t[1].text, "a\"b");
  EXPECT_EQ(t[2].text, "with space");
}

TEST(LexerTest, StringLiterals) {
  auto t = MustTokenize("'it''s' '' 'a;b -- not a comment'");
  ASSERT_EQ(t.size(), 4u);
  EXPECT_EQ(t[0].kind, TokenKind::kString);
  EXPECT_EQ(t[0].text, "it's");
  EXPECT_EQ(t[1].text, "");
  EXPECT_EQ(t[2].text, "a;b -- not a comment");
}

TEST(LexerTest, EscapeStrings) {
  auto t = MustTokenize(R"(e'a\nb\tc\\d\'e' E'\x41\101\u00e9\U0001F600' e'x''y' e'\q')");
  ASSERT_EQ(t.size(), 5u);
  EXPECT_EQ(t[0].text, "a\nb\tc\\d'e");
  EXPECT_EQ(t[1].text, "AA\xC3\xA9\xF0\x9F\x98\x80");
  EXPECT_EQ(t[2].text, "x'y");
  EXPECT_EQ(t[3].text, "q");
}

TEST(LexerTest, IdentifierEndingInEIsNotAnEscapeString) {
  auto t = MustTokenize("type'x'");
  ASSERT_EQ(t.size(), 3u);
  EXPECT_EQ(t[0].text, "type");
  EXPECT_EQ(t[1].kind, TokenKind::kString);
}

TEST(LexerTest, Numbers) {
  auto t = MustTokenize("123 4.5 .5 1e10 2.5E-3 0x1F 10s");
  ASSERT_EQ(t.size(), 9u);
  EXPECT_EQ(t[0].text, "123");
  EXPECT_EQ(t[1].text, "4.5");
  EXPECT_EQ(t[2].text, ".5");
  EXPECT_EQ(t[3].text, "1e10");
  EXPECT_EQ(t[4].text, "2.5E-3");
  EXPECT_EQ(t[5].text, "0x1F");
  EXPECT_EQ(t[6].text, "10");
  EXPECT_EQ(t[7].text, "s");
  for (int i = 0; i < 7; ++i) EXPECT_EQ(t[i].kind, TokenKind::kNumber) << i;
}

TEST(LexerTest, CommentsAreSkipped) {
  auto t = MustTokenize("a -- comment ; 'x\n b /* block /* nested */ still */ c /**/d");
  ASSERT_EQ(t.size(), 5u);
  EXPECT_EQ(t[0].text, "a");
  EXPECT_EQ(t[1].text, "b");
  EXPECT_EQ(t[2].text, "c");
  EXPECT_EQ(t[3].text, "d");
}

TEST(LexerTest, Punctuation) {
  auto t = MustTokenize("(a, b.*)=;::");
  std::string kinds;
  for (const Token& tok : t) {
    if (tok.kind == TokenKind::kPunct) kinds += tok.text;
  }
  EXPECT_EQ(kinds, "(,.*)=;::");
}

TEST(LexerTest, OffsetsCoverTheSource) {
  std::string_view src = "  BACKUP  'x' ";
  auto t = MustTokenize(src);
  EXPECT_EQ(src.substr(t[0].begin, t[0].end - t[0].begin), "BACKUP");
  EXPECT_EQ(src.substr(t[1].begin, t[1].end - t[1].begin), "'x'");
  EXPECT_EQ(t[2].begin, src.size());
}

TEST(LexerTest, ErrorsNameThePositionButNotTheLiteral) {
  struct Case {
    const char* text;
    const char* message;
  } cases[] = {
      {"a 'secret-pw", "lexical error at line 1, column 3: unterminated string literal"},
      {"a\n  \"ident", "lexical error at line 2, column 3: unterminated quoted identifier"},
      {"x /* open", "lexical error at line 1, column 3: unterminated comment"},
      {"x /* /* */", "lexical error at line 1, column 3: unterminated comment"},
      {"\"\"", "lexical error at line 1, column 1: zero-length delimited identifier"},
      {"e'secret\\", "lexical error at line 1, column 1: unterminated string literal"},
      {"e'\\xZZ'",
       "lexical error at line 1, column 3: invalid \\x escape in string "
       "literal"},
      {"e'\\u12'",
       "lexical error at line 1, column 3: invalid Unicode escape in string "
       "literal"},
      {"e'\\UFFFFFFFF'",
       "lexical error at line 1, column 3: invalid Unicode code point in "
       "string literal"},
      {"e'\\uD800'",
       "lexical error at line 1, column 3: invalid Unicode code point in "
       "string literal"},
      {"e'\\777'",
       "lexical error at line 1, column 3: invalid octal escape in string "
       "literal"},
      {"a \x01", "lexical error at line 1, column 3: unexpected control character 0x01"},
  };
  for (const Case& c : cases) {
    StatusOr<std::vector<Token>> tokens = Tokenize(c.text);
    ASSERT_FALSE(tokens.ok()) << c.text;
    EXPECT_EQ(tokens.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(tokens.status().message(), c.message) << c.text;
    EXPECT_EQ(tokens.status().message().find("secret"), std::string::npos);
  }
}

TEST(LexerTest, EofRepeats) {
  Lexer lexer("x");
  ASSERT_TRUE(lexer.Next().ok());
  for (int i = 0; i < 3; ++i) {
    StatusOr<Token> t = lexer.Next();
    ASSERT_TRUE(t.ok());
    EXPECT_EQ(t->kind, TokenKind::kEof);
  }
}

TEST(LexerTest, NonAsciiIdentifiers) {
  auto t = MustTokenize("caf\xC3\xA9 \xE6\x97\xA5\xE6\x9C\xAC");
  ASSERT_EQ(t.size(), 3u);
  EXPECT_EQ(t[0].text, "caf\xC3\xA9");
  EXPECT_EQ(t[1].kind, TokenKind::kIdent);
}

TEST(LexerTest, CaseHelpers) {
  EXPECT_EQ(AsciiLower("BaCKuP_1"), "backup_1");
  EXPECT_TRUE(EqualsIgnoreCase("LATEST", "latest"));
  EXPECT_FALSE(EqualsIgnoreCase("LATEST", "lates"));
  EXPECT_EQ(DescribePosition("ab\ncd", 4), "line 2, column 2");
}

TEST(KeywordsTest, Reserved) {
  for (const char* w :
       {"select", "FROM", "Into", "with", "table", "to", "in", "as", "where", "window"}) {
    EXPECT_TRUE(IsReservedKeyword(w)) << w;
  }
  for (const char* w : {"backup", "database", "latest", "restore", "kms", "public", "t", ""}) {
    EXPECT_FALSE(IsReservedKeyword(w)) << w;
  }
}

// Issue 13 §3: a string literal may be a passphrase; a token leaves no copy of it behind.
TEST(TokenTest, TextIsWipedOnDestruction) {
  alignas(Token) unsigned char storage[sizeof(Token)];
  Token* t = new (storage) Token();
  t->text = "pw-secret";  // short enough to live inside the object
  t->~Token();
  std::string_view bytes(reinterpret_cast<const char*>(storage), sizeof(storage));
  EXPECT_EQ(bytes.find("pw-secret"), std::string_view::npos);
}

}  // namespace
}  // namespace cofre::sql
