#include "server/pg_message.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "util/status_matchers.h"

namespace cofre::server {
namespace {

std::string Int32(int32_t v) {
  MessageWriter w;
  w.Int32(v);
  return w.buffer();
}
std::string Int16(int16_t v) {
  MessageWriter w;
  w.Int16(v);
  return w.buffer();
}

TEST(PgMessageTest, StartupPacket) {
  std::string body = Int32(kProtocolVersion3) + std::string("user\0alice\0database\0shop\0\0", 26);
  ASSERT_OK_AND_ASSIGN(StartupPacket p, DecodeStartup(body));
  EXPECT_EQ(p.params["user"], "alice");
  EXPECT_EQ(p.params["database"], "shop");
  ASSERT_OK_AND_ASSIGN(StartupPacket ssl, DecodeStartup(Int32(kSslRequestCode)));
  EXPECT_EQ(ssl.code, kSslRequestCode);
  ASSERT_OK_AND_ASSIGN(StartupPacket cancel,
                       DecodeStartup(Int32(kCancelRequestCode) + Int32(1001) + Int32(-7)));
  EXPECT_EQ(cancel.cancel_pid, 1001);
  EXPECT_EQ(cancel.cancel_secret, -7);
  EXPECT_THAT(DecodeStartup(Int32(2 << 16)), StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(DecodeStartup(Int32(kProtocolVersion3) + "user"),
              StatusIs(StatusCode::kInvalidArgument));             // unterminated
  EXPECT_FALSE(DecodeStartup(Int32(kSslRequestCode) + "x").ok());  // trailing bytes
}

TEST(PgMessageTest, ParseBindDescribeExecute) {
  std::string parse = std::string("s1\0SELECT $1\0", 13) + Int16(1) + Int32(23);
  ASSERT_OK_AND_ASSIGN(ParseMessage p, DecodeParse(parse));
  EXPECT_EQ(p.name, "s1");
  EXPECT_EQ(p.query, "SELECT $1");
  EXPECT_EQ(p.param_types, std::vector<int32_t>{23});

  std::string bind = std::string("\0s1\0", 4) + Int16(1) + Int16(1) + Int16(2) + Int32(4) +
                     std::string("\0\0\0\x07", 4) + Int32(-1) + Int16(1) + Int16(0);
  ASSERT_OK_AND_ASSIGN(BindMessage b, DecodeBind(bind));
  EXPECT_EQ(b.statement, "s1");
  ASSERT_EQ(b.params.size(), 2u);
  ASSERT_TRUE(b.params[0].has_value());
  EXPECT_EQ(b.params[0]->size(), 4u);
  EXPECT_FALSE(b.params[1].has_value());
  EXPECT_EQ(b.result_formats, std::vector<int16_t>{0});

  ASSERT_OK_AND_ASSIGN(DescribeMessage d, DecodeDescribe(std::string("P\0", 2)));
  EXPECT_EQ(d.kind, 'P');
  EXPECT_FALSE(DecodeDescribe(std::string("X\0", 2)).ok());
  ASSERT_OK_AND_ASSIGN(ExecuteMessage e, DecodeExecute(std::string("\0", 1) + Int32(10)));
  EXPECT_EQ(e.max_rows, 10);
}

TEST(PgMessageTest, HostileLengthsNeverAllocateOrOverrun) {
  // A parameter claiming 2 GB in a 20-byte message.
  std::string bind = std::string("\0\0", 2) + Int16(0) + Int16(1) + Int32(0x7fffffff) + "abc";
  EXPECT_THAT(DecodeBind(bind), StatusIs(StatusCode::kInvalidArgument));
  // 30000 parameters announced, none present.
  EXPECT_FALSE(DecodeBind(std::string("\0\0", 2) + Int16(0) + Int16(30000)).ok());
  EXPECT_FALSE(DecodeParse(std::string("\0q\0", 3) + Int16(30000)).ok());
  EXPECT_FALSE(DecodeBind(std::string("\0\0", 2) + Int16(-1)).ok());
  EXPECT_FALSE(DecodeBind(std::string("\0\0", 2) + Int16(1) + Int16(7)).ok());  // format 7
  // Two formats for one parameter.
  EXPECT_FALSE(DecodeBind(std::string("\0\0", 2) + Int16(2) + Int16(0) + Int16(0) + Int16(1) +
                          Int32(-1) + Int16(0))
                   .ok());
  EXPECT_FALSE(DecodeSaslInitial(std::string("SCRAM-SHA-256\0", 14) + Int32(1000) + "x").ok());
}

TEST(PgMessageTest, WriterFramesMessages) {
  MessageWriter w;
  w.Begin('Z');
  w.Byte('I');
  w.End();
  EXPECT_EQ(w.buffer(), std::string("Z\0\0\0\x05I", 6));
}

}  // namespace
}  // namespace cofre::server
