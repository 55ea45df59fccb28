// The PostgreSQL v3 wire protocol's messages: bounds-checked decoding of what clients send and
// encoding of what the server answers.
//
// A frontend message arrives as a type byte, a 4-byte big-endian length (counting itself) and a
// body; the startup packet has no type byte. Every decoder reads a body the caller has already
// received whole (its length checked against ServerOptions::max_message_size) and fails with
// InvalidArgument on any field that runs past the body, an unterminated string, a negative count
// or trailing garbage; none allocates more than the body's size.
// Thread-safety: plain values and pure functions.
#ifndef COFRE_SERVER_PG_MESSAGE_H_
#define COFRE_SERVER_PG_MESSAGE_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/status.h"

namespace cofre::server {

inline constexpr int32_t kProtocolVersion3 = 196608;  // 3.0
inline constexpr int32_t kSslRequestCode = 80877103;
inline constexpr int32_t kGssEncRequestCode = 80877104;
inline constexpr int32_t kCancelRequestCode = 80877102;

// Reads the fields of one message body.
class MessageReader {
 public:
  explicit MessageReader(std::string_view body) : body_(body) {}
  StatusOr<uint8_t> Byte();
  StatusOr<int16_t> Int16();
  StatusOr<int32_t> Int32();
  StatusOr<std::string_view> CString();
  StatusOr<std::string_view> Bytes(size_t n);
  size_t remaining() const { return body_.size() - pos_; }
  // InvalidArgument unless every byte was read.
  Status ExpectEnd() const;

 private:
  std::string_view body_;
  size_t pos_ = 0;
};

// Builds backend messages into one output buffer.
class MessageWriter {
 public:
  // Starts a message of `type`; End() patches its length.
  void Begin(char type);
  void Byte(uint8_t v) { out_.push_back(static_cast<char>(v)); }
  void Int16(int16_t v);
  void Int32(int32_t v);
  void CString(std::string_view s);
  void Bytes(std::string_view s) { out_.append(s); }
  void End();
  std::string& buffer() { return out_; }
  bool empty() const { return out_.empty(); }
  void clear() { out_.clear(); }

 private:
  std::string out_;
  size_t start_ = 0;
};

struct StartupPacket {
  int32_t code = 0;                           // protocol version, or an SSL/GSS/cancel request code
  std::map<std::string, std::string> params;  // protocol 3 startup parameters
  int32_t cancel_pid = 0;                     // CancelRequest
  int32_t cancel_secret = 0;
};
StatusOr<StartupPacket> DecodeStartup(std::string_view body);

struct ParseMessage {
  std::string name;
  std::string query;
  std::vector<int32_t> param_types;
};
StatusOr<ParseMessage> DecodeParse(std::string_view body);

struct BindMessage {
  std::string portal;
  std::string statement;
  std::vector<int16_t> param_formats;  // 0 text, 1 binary; empty or one applies to all
  std::vector<std::optional<std::string>> params;
  std::vector<int16_t> result_formats;
};
StatusOr<BindMessage> DecodeBind(std::string_view body);

struct DescribeMessage {  // also Close
  char kind = 'S';        // 'S' statement, 'P' portal
  std::string name;
};
StatusOr<DescribeMessage> DecodeDescribe(std::string_view body);

struct ExecuteMessage {
  std::string portal;
  int32_t max_rows = 0;  // 0: all
};
StatusOr<ExecuteMessage> DecodeExecute(std::string_view body);

StatusOr<std::string> DecodeQuery(std::string_view body);

struct SaslInitialResponse {
  std::string mechanism;
  std::string data;
};
StatusOr<SaslInitialResponse> DecodeSaslInitial(std::string_view body);

}  // namespace cofre::server

#endif  // COFRE_SERVER_PG_MESSAGE_H_
