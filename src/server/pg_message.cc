#include "server/pg_message.h"

namespace cofre::server {

namespace {

Status Truncated() { return InvalidArgumentError("invalid protocol message: truncated field"); }

}  // namespace

StatusOr<uint8_t> MessageReader::Byte() {
  if (remaining() < 1) return Truncated();
  return static_cast<uint8_t>(body_[pos_++]);
}

StatusOr<int16_t> MessageReader::Int16() {
  if (remaining() < 2) return Truncated();
  auto b = reinterpret_cast<const uint8_t*>(body_.data() + pos_);
  pos_ += 2;
  return static_cast<int16_t>((b[0] << 8) | b[1]);
}

StatusOr<int32_t> MessageReader::Int32() {
  if (remaining() < 4) return Truncated();
  auto b = reinterpret_cast<const uint8_t*>(body_.data() + pos_);
  pos_ += 4;
  return static_cast<int32_t>((uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) |
                              (uint32_t{b[2]} << 8) | uint32_t{b[3]});
}

StatusOr<std::string_view> MessageReader::CString() {
  size_t end = body_.find('\0', pos_);
  if (end == std::string_view::npos) {
    return InvalidArgumentError("invalid protocol message: unterminated string");
  }
  std::string_view s = body_.substr(pos_, end - pos_);
  pos_ = end + 1;
  return s;
}

StatusOr<std::string_view> MessageReader::Bytes(size_t n) {
  if (remaining() < n) return Truncated();
  std::string_view s = body_.substr(pos_, n);
  pos_ += n;
  return s;
}

Status MessageReader::ExpectEnd() const {
  if (remaining() != 0) return InvalidArgumentError("invalid protocol message: trailing bytes");
  return Status::OK();
}

void MessageWriter::Begin(char type) {
  out_.push_back(type);
  start_ = out_.size();
  out_.append(4, '\0');
}

void MessageWriter::Int16(int16_t v) {
  out_.push_back(static_cast<char>((v >> 8) & 0xff));
  out_.push_back(static_cast<char>(v & 0xff));
}

void MessageWriter::Int32(int32_t v) {
  uint32_t u = static_cast<uint32_t>(v);
  for (int shift = 24; shift >= 0; shift -= 8)
    out_.push_back(static_cast<char>((u >> shift) & 0xff));
}

void MessageWriter::CString(std::string_view s) {
  out_.append(s);
  out_.push_back('\0');
}

void MessageWriter::End() {
  uint32_t len = static_cast<uint32_t>(out_.size() - start_);
  for (int i = 0; i < 4; ++i) out_[start_ + i] = static_cast<char>((len >> (24 - 8 * i)) & 0xff);
}

StatusOr<StartupPacket> DecodeStartup(std::string_view body) {
  MessageReader r(body);
  StartupPacket p;
  ASSIGN_OR_RETURN(p.code, r.Int32());
  if (p.code == kCancelRequestCode) {
    ASSIGN_OR_RETURN(p.cancel_pid, r.Int32());
    ASSIGN_OR_RETURN(p.cancel_secret, r.Int32());
    RETURN_IF_ERROR(r.ExpectEnd());
    return p;
  }
  if (p.code == kSslRequestCode || p.code == kGssEncRequestCode) {
    RETURN_IF_ERROR(r.ExpectEnd());
    return p;
  }
  if ((p.code >> 16) != 3) {
    return InvalidArgumentError("unsupported frontend protocol " + std::to_string(p.code >> 16) +
                                "." + std::to_string(p.code & 0xffff) + ": the server speaks 3.0");
  }
  while (true) {
    ASSIGN_OR_RETURN(std::string_view name, r.CString());
    if (name.empty()) break;
    ASSIGN_OR_RETURN(std::string_view value, r.CString());
    if (p.params.size() >= 64) return InvalidArgumentError("too many startup parameters");
    p.params[std::string(name)] = std::string(value);
  }
  RETURN_IF_ERROR(r.ExpectEnd());
  return p;
}

StatusOr<ParseMessage> DecodeParse(std::string_view body) {
  MessageReader r(body);
  ParseMessage m;
  ASSIGN_OR_RETURN(std::string_view name, r.CString());
  ASSIGN_OR_RETURN(std::string_view query, r.CString());
  ASSIGN_OR_RETURN(int16_t n, r.Int16());
  if (n < 0) return InvalidArgumentError("invalid protocol message: negative parameter count");
  if (static_cast<size_t>(n) * 4 > r.remaining()) return Truncated();
  m.name = name;
  m.query = query;
  m.param_types.reserve(n);
  for (int i = 0; i < n; ++i) {
    ASSIGN_OR_RETURN(int32_t oid, r.Int32());
    m.param_types.push_back(oid);
  }
  RETURN_IF_ERROR(r.ExpectEnd());
  return m;
}

StatusOr<BindMessage> DecodeBind(std::string_view body) {
  MessageReader r(body);
  BindMessage m;
  ASSIGN_OR_RETURN(std::string_view portal, r.CString());
  ASSIGN_OR_RETURN(std::string_view statement, r.CString());
  m.portal = portal;
  m.statement = statement;
  auto read_formats = [&](std::vector<int16_t>* out) -> Status {
    ASSIGN_OR_RETURN(int16_t n, r.Int16());
    if (n < 0) return InvalidArgumentError("invalid protocol message: negative format count");
    if (static_cast<size_t>(n) * 2 > r.remaining()) return Truncated();
    for (int i = 0; i < n; ++i) {
      ASSIGN_OR_RETURN(int16_t f, r.Int16());
      if (f != 0 && f != 1) return InvalidArgumentError("invalid format code " + std::to_string(f));
      out->push_back(f);
    }
    return Status::OK();
  };
  RETURN_IF_ERROR(read_formats(&m.param_formats));
  ASSIGN_OR_RETURN(int16_t nparams, r.Int16());
  if (nparams < 0)
    return InvalidArgumentError("invalid protocol message: negative parameter count");
  if (static_cast<size_t>(nparams) * 4 > r.remaining()) return Truncated();
  if (m.param_formats.size() > 1 && m.param_formats.size() != static_cast<size_t>(nparams)) {
    return InvalidArgumentError("bind message has " + std::to_string(m.param_formats.size()) +
                                " parameter formats but " + std::to_string(nparams) +
                                " parameters");
  }
  for (int i = 0; i < nparams; ++i) {
    ASSIGN_OR_RETURN(int32_t len, r.Int32());
    if (len == -1) {
      m.params.emplace_back(std::nullopt);
      continue;
    }
    if (len < 0) return InvalidArgumentError("invalid protocol message: negative value length");
    ASSIGN_OR_RETURN(std::string_view v, r.Bytes(static_cast<size_t>(len)));
    m.params.emplace_back(std::string(v));
  }
  RETURN_IF_ERROR(read_formats(&m.result_formats));
  RETURN_IF_ERROR(r.ExpectEnd());
  return m;
}

StatusOr<DescribeMessage> DecodeDescribe(std::string_view body) {
  MessageReader r(body);
  DescribeMessage m;
  ASSIGN_OR_RETURN(uint8_t kind, r.Byte());
  if (kind != 'S' && kind != 'P') {
    return InvalidArgumentError("invalid protocol message: describe/close kind must be S or P");
  }
  m.kind = static_cast<char>(kind);
  ASSIGN_OR_RETURN(std::string_view name, r.CString());
  m.name = name;
  RETURN_IF_ERROR(r.ExpectEnd());
  return m;
}

StatusOr<ExecuteMessage> DecodeExecute(std::string_view body) {
  MessageReader r(body);
  ExecuteMessage m;
  ASSIGN_OR_RETURN(std::string_view portal, r.CString());
  m.portal = portal;
  ASSIGN_OR_RETURN(m.max_rows, r.Int32());
  RETURN_IF_ERROR(r.ExpectEnd());
  return m;
}

StatusOr<std::string> DecodeQuery(std::string_view body) {
  MessageReader r(body);
  ASSIGN_OR_RETURN(std::string_view q, r.CString());
  RETURN_IF_ERROR(r.ExpectEnd());
  return std::string(q);
}

StatusOr<SaslInitialResponse> DecodeSaslInitial(std::string_view body) {
  MessageReader r(body);
  SaslInitialResponse m;
  ASSIGN_OR_RETURN(std::string_view mech, r.CString());
  m.mechanism = mech;
  ASSIGN_OR_RETURN(int32_t len, r.Int32());
  if (len < -1) return InvalidArgumentError("invalid SASL response length");
  if (len > 0) {
    ASSIGN_OR_RETURN(std::string_view data, r.Bytes(static_cast<size_t>(len)));
    m.data = data;
  }
  RETURN_IF_ERROR(r.ExpectEnd());
  return m;
}

}  // namespace cofre::server
