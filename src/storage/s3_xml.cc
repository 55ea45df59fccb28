#include "storage/s3_xml.h"

#include <expat.h>

#include <algorithm>
#include <charconv>
#include <memory>

namespace cofre {
namespace {

constexpr int kMaxDepth = 32;
constexpr size_t kMaxElements = 200'000;

struct ParseState {
  XML_Parser parser = nullptr;
  XmlElement root;
  bool have_root = false;
  std::vector<XmlElement*> stack;
  size_t elements = 0;
  std::string error;  // set when a handler stopped the parser

  void Fail(std::string why) {
    if (error.empty()) error = std::move(why);
    XML_StopParser(parser, XML_FALSE);
  }
};

std::string_view LocalName(const XML_Char* name) {
  std::string_view n(name);
  if (size_t colon = n.rfind(':'); colon != std::string_view::npos) n.remove_prefix(colon + 1);
  return n;
}

void XMLCALL OnStart(void* data, const XML_Char* name, const XML_Char** /*attrs*/) {
  auto* st = static_cast<ParseState*>(data);
  if (!st->error.empty()) return;
  if (++st->elements > kMaxElements) return st->Fail("too many elements");
  if (static_cast<int>(st->stack.size()) >= kMaxDepth) return st->Fail("nesting too deep");
  XmlElement* el;
  if (st->stack.empty()) {
    if (st->have_root) return st->Fail("more than one root element");
    st->have_root = true;
    el = &st->root;
  } else {
    st->stack.back()->children.emplace_back();
    el = &st->stack.back()->children.back();
  }
  el->name = std::string(LocalName(name));
  st->stack.push_back(el);
}

void XMLCALL OnEnd(void* data, const XML_Char* /*name*/) {
  auto* st = static_cast<ParseState*>(data);
  if (!st->stack.empty()) st->stack.pop_back();
}

void XMLCALL OnText(void* data, const XML_Char* s, int len) {
  auto* st = static_cast<ParseState*>(data);
  if (!st->stack.empty()) st->stack.back()->text.append(s, static_cast<size_t>(len));
}

void XMLCALL OnDoctype(void* data, const XML_Char*, const XML_Char*, const XML_Char*, int) {
  static_cast<ParseState*>(data)->Fail("DOCTYPE declarations are not accepted");
}

std::string_view TrimmedView(const std::string& s) {
  std::string_view v(s);
  while (!v.empty() &&
         (v.front() == ' ' || v.front() == '\n' || v.front() == '\r' || v.front() == '\t')) {
    v.remove_prefix(1);
  }
  while (!v.empty() &&
         (v.back() == ' ' || v.back() == '\n' || v.back() == '\r' || v.back() == '\t')) {
    v.remove_suffix(1);
  }
  return v;
}

Status Malformed(std::string_view what, std::string_view why) {
  return UnavailableError("S3 returned a malformed " + std::string(what) + ": " + std::string(why) +
                          "; if this persists, check AWS_ENDPOINT points at an "
                          "S3-compatible service");
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Decodes S3's encoding-type=url form: %XX escapes, and '+' for a space.
StatusOr<std::string> UrlDecodeS3(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out.push_back(' ');
    } else if (s[i] == '%') {
      int hi = i + 2 < s.size() ? HexDigit(s[i + 1]) : -1;
      int lo = i + 2 < s.size() ? HexDigit(s[i + 2]) : -1;
      if (hi < 0 || lo < 0) return Malformed("ListObjectsV2 response", "bad %-escape in a key");
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

StatusOr<XmlElement> ParseRoot(std::string_view doc, std::string_view what,
                               std::string_view root_name) {
  ASSIGN_OR_RETURN(XmlElement root, ParseXml(doc, what));
  if (root.name != root_name) {
    return Malformed(what, "expected <" + std::string(root_name) + ">, got <" + root.name + ">");
  }
  return root;
}

}  // namespace

const XmlElement* XmlElement::Child(std::string_view n) const {
  for (const XmlElement& c : children) {
    if (c.name == n) return &c;
  }
  return nullptr;
}

const std::string& XmlElement::ChildText(std::string_view n) const {
  static const std::string* const kEmpty = new std::string();
  const XmlElement* c = Child(n);
  return c == nullptr ? *kEmpty : c->text;
}

StatusOr<XmlElement> ParseXml(std::string_view doc, std::string_view what) {
  ParseState st;
  std::unique_ptr<std::remove_pointer_t<XML_Parser>, void (*)(XML_Parser)> parser(
      XML_ParserCreate(nullptr), XML_ParserFree);
  if (parser == nullptr)
    return ResourceExhaustedError("out of memory parsing " + std::string(what));
  st.parser = parser.get();
  XML_SetUserData(parser.get(), &st);
  XML_SetElementHandler(parser.get(), OnStart, OnEnd);
  XML_SetCharacterDataHandler(parser.get(), OnText);
  XML_SetStartDoctypeDeclHandler(parser.get(), OnDoctype);
  // Feed in slices: expat takes an int length.
  constexpr size_t kSlice = 1 << 30;
  XML_Status rc = XML_STATUS_OK;
  size_t off = 0;
  do {
    size_t n = std::min(kSlice, doc.size() - off);
    bool final = off + n == doc.size();
    rc = XML_Parse(parser.get(), doc.data() + off, static_cast<int>(n), final ? 1 : 0);
    off += n;
  } while (rc == XML_STATUS_OK && off < doc.size());
  if (!st.error.empty()) return Malformed(what, st.error);
  if (rc != XML_STATUS_OK) {
    return Malformed(what, std::string(XML_ErrorString(XML_GetErrorCode(parser.get()))) +
                               " at line " +
                               std::to_string(XML_GetCurrentLineNumber(parser.get())));
  }
  if (!st.have_root) return Malformed(what, "empty document");
  return std::move(st.root);
}

StatusOr<S3ListPage> ParseListObjectsV2(std::string_view doc) {
  constexpr std::string_view kWhat = "ListObjectsV2 response";
  ASSIGN_OR_RETURN(XmlElement root, ParseRoot(doc, kWhat, "ListBucketResult"));
  const bool url_encoded = TrimmedView(root.ChildText("EncodingType")) == "url";
  auto decode = [&](const std::string& s) -> StatusOr<std::string> {
    if (!url_encoded) return s;
    return UrlDecodeS3(s);
  };
  S3ListPage page;
  for (const XmlElement& c : root.children) {
    if (c.name == "Contents") {
      const XmlElement* key = c.Child("Key");
      if (key == nullptr) return Malformed(kWhat, "<Contents> without <Key>");
      S3ListPage::Object obj;
      ASSIGN_OR_RETURN(obj.key, decode(key->text));
      std::string_view size = TrimmedView(c.ChildText("Size"));
      auto [ptr, ec] = std::from_chars(size.data(), size.data() + size.size(), obj.size);
      if (ec != std::errc() || ptr != size.data() + size.size() || size.empty()) {
        return Malformed(kWhat, "bad <Size> for a key");
      }
      page.objects.push_back(std::move(obj));
    } else if (c.name == "CommonPrefixes") {
      const XmlElement* prefix = c.Child("Prefix");
      if (prefix == nullptr) return Malformed(kWhat, "<CommonPrefixes> without <Prefix>");
      ASSIGN_OR_RETURN(std::string p, decode(prefix->text));
      page.common_prefixes.push_back(std::move(p));
    }
  }
  std::string_view truncated = TrimmedView(root.ChildText("IsTruncated"));
  page.is_truncated = truncated == "true";
  if (page.is_truncated) {
    page.next_continuation_token =
        std::string(TrimmedView(root.ChildText("NextContinuationToken")));
    if (page.next_continuation_token.empty()) {
      return Malformed(kWhat, "truncated listing without <NextContinuationToken>");
    }
  }
  return page;
}

StatusOr<std::string> ParseInitiateMultipartUpload(std::string_view doc) {
  constexpr std::string_view kWhat = "CreateMultipartUpload response";
  ASSIGN_OR_RETURN(XmlElement root, ParseRoot(doc, kWhat, "InitiateMultipartUploadResult"));
  std::string id(TrimmedView(root.ChildText("UploadId")));
  if (id.empty()) return Malformed(kWhat, "no <UploadId>");
  return id;
}

S3ErrorInfo ParseS3Error(std::string_view doc) {
  S3ErrorInfo info;
  StatusOr<XmlElement> root = ParseXml(doc, "error response");
  if (!root.ok() || root->name != "Error") return info;
  info.code = std::string(TrimmedView(root->ChildText("Code")));
  info.message = std::string(TrimmedView(root->ChildText("Message")));
  info.bucket = std::string(TrimmedView(root->ChildText("BucketName")));
  return info;
}

StatusOr<std::optional<S3ErrorInfo>> ParseCompleteMultipartUpload(std::string_view doc) {
  constexpr std::string_view kWhat = "CompleteMultipartUpload response";
  ASSIGN_OR_RETURN(XmlElement root, ParseXml(doc, kWhat));
  if (root.name == "Error") {
    S3ErrorInfo info;
    info.code = std::string(TrimmedView(root.ChildText("Code")));
    info.message = std::string(TrimmedView(root.ChildText("Message")));
    info.bucket = std::string(TrimmedView(root.ChildText("BucketName")));
    return std::optional<S3ErrorInfo>(std::move(info));
  }
  // moto answers <CompleteMultipartUploadResponse>; AWS <CompleteMultipartUploadResult>.
  if (root.name != "CompleteMultipartUploadResult" &&
      root.name != "CompleteMultipartUploadResponse") {
    return Malformed(kWhat, "unexpected <" + root.name + ">");
  }
  return std::optional<S3ErrorInfo>();
}

StatusOr<std::vector<S3DeleteError>> ParseDeleteResult(std::string_view doc) {
  ASSIGN_OR_RETURN(XmlElement root, ParseRoot(doc, "DeleteObjects response", "DeleteResult"));
  std::vector<S3DeleteError> errors;
  for (const XmlElement& c : root.children) {
    if (c.name != "Error") continue;
    S3DeleteError e;
    e.key = c.ChildText("Key");
    e.error.code = std::string(TrimmedView(c.ChildText("Code")));
    e.error.message = std::string(TrimmedView(c.ChildText("Message")));
    errors.push_back(std::move(e));
  }
  return errors;
}

std::string XmlEscape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      case '\r':
        out += "&#13;";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

std::string BuildCompleteMultipartUploadXml(const std::vector<S3CompletedPart>& parts) {
  std::string out = "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">";
  for (const S3CompletedPart& p : parts) {
    out += "<Part><PartNumber>" + std::to_string(p.number) + "</PartNumber><ETag>" +
           XmlEscape(p.etag) + "</ETag></Part>";
  }
  out += "</CompleteMultipartUpload>";
  return out;
}

std::string BuildDeleteObjectsXml(const std::vector<std::string>& keys) {
  std::string out = "<Delete xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Quiet>true</Quiet>";
  for (const std::string& k : keys) out += "<Object><Key>" + XmlEscape(k) + "</Key></Object>";
  out += "</Delete>";
  return out;
}

}  // namespace cofre
