#include "storage/s3_xml.h"

#include <algorithm>
#include <charconv>

namespace cofre {
namespace {

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

StatusOr<S3ListPage> ParseListObjectsV2(std::string_view doc) {
  constexpr std::string_view kWhat = "ListObjectsV2 response";
  ASSIGN_OR_RETURN(XmlElement root, ParseRoot(doc, kWhat, "ListBucketResult"));
  const bool url_encoded = TrimmedXmlText(root.ChildText("EncodingType")) == "url";
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
      std::string_view size = TrimmedXmlText(c.ChildText("Size"));
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
  std::string_view truncated = TrimmedXmlText(root.ChildText("IsTruncated"));
  page.is_truncated = truncated == "true";
  if (page.is_truncated) {
    page.next_continuation_token =
        std::string(TrimmedXmlText(root.ChildText("NextContinuationToken")));
    if (page.next_continuation_token.empty()) {
      return Malformed(kWhat, "truncated listing without <NextContinuationToken>");
    }
  }
  return page;
}

StatusOr<std::string> ParseInitiateMultipartUpload(std::string_view doc) {
  constexpr std::string_view kWhat = "CreateMultipartUpload response";
  ASSIGN_OR_RETURN(XmlElement root, ParseRoot(doc, kWhat, "InitiateMultipartUploadResult"));
  std::string id(TrimmedXmlText(root.ChildText("UploadId")));
  if (id.empty()) return Malformed(kWhat, "no <UploadId>");
  return id;
}

S3ErrorInfo ParseS3Error(std::string_view doc) {
  S3ErrorInfo info;
  StatusOr<XmlElement> root = ParseXml(doc, "error response");
  if (!root.ok() || root->name != "Error") return info;
  info.code = std::string(TrimmedXmlText(root->ChildText("Code")));
  info.message = std::string(TrimmedXmlText(root->ChildText("Message")));
  info.bucket = std::string(TrimmedXmlText(root->ChildText("BucketName")));
  return info;
}

StatusOr<std::optional<S3ErrorInfo>> ParseCompleteMultipartUpload(std::string_view doc) {
  constexpr std::string_view kWhat = "CompleteMultipartUpload response";
  ASSIGN_OR_RETURN(XmlElement root, ParseXml(doc, kWhat));
  if (root.name == "Error") {
    S3ErrorInfo info;
    info.code = std::string(TrimmedXmlText(root.ChildText("Code")));
    info.message = std::string(TrimmedXmlText(root.ChildText("Message")));
    info.bucket = std::string(TrimmedXmlText(root.ChildText("BucketName")));
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
    e.error.code = std::string(TrimmedXmlText(c.ChildText("Code")));
    e.error.message = std::string(TrimmedXmlText(c.ChildText("Message")));
    errors.push_back(std::move(e));
  }
  return errors;
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
