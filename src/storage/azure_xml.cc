#include "storage/azure_xml.h"

#include <charconv>

#include "storage/xml_tree.h"
#include "util/uri.h"

namespace cofre {
namespace {

constexpr std::string_view kListWhat = "List Blobs response";

StatusOr<std::string> NameOf(const XmlElement& item) {
  const XmlElement* name = item.Child("Name");
  if (name == nullptr) {
    return MalformedXml(kListWhat, "<" + item.name + "> without <Name>");
  }
  if (name->Attribute("Encoded") == "true") {
    StatusOr<std::string> decoded = PercentDecode(name->text);
    if (!decoded.ok()) return MalformedXml(kListWhat, "bad %-escape in an encoded <Name>");
    return decoded;
  }
  return name->text;
}

}  // namespace

StatusOr<AzureListPage> ParseAzureListBlobs(std::string_view doc) {
  ASSIGN_OR_RETURN(XmlElement root, ParseXml(doc, kListWhat));
  if (root.name != "EnumerationResults") {
    return MalformedXml(kListWhat, "expected <EnumerationResults>, got <" + root.name + ">");
  }
  AzureListPage page;
  if (const XmlElement* blobs = root.Child("Blobs"); blobs != nullptr) {
    for (const XmlElement& c : blobs->children) {
      if (c.name != "Blob" && c.name != "BlobPrefix") continue;
      AzureListPage::Entry e;
      ASSIGN_OR_RETURN(e.name, NameOf(c));
      if (e.name.empty()) return MalformedXml(kListWhat, "an empty <Name>");
      if (c.name == "BlobPrefix") {
        e.is_prefix = true;
      } else {
        const XmlElement* props = c.Child("Properties");
        std::string_view size = props == nullptr
                                    ? std::string_view()
                                    : TrimmedXmlText(props->ChildText("Content-Length"));
        auto [ptr, ec] = std::from_chars(size.data(), size.data() + size.size(), e.size);
        if (size.empty() || ec != std::errc() || ptr != size.data() + size.size()) {
          return MalformedXml(kListWhat, "bad <Content-Length> for a blob");
        }
      }
      page.entries.push_back(std::move(e));
    }
  }
  page.next_marker = std::string(TrimmedXmlText(root.ChildText("NextMarker")));
  return page;
}

AzureErrorInfo ParseAzureError(std::string_view doc) {
  AzureErrorInfo info;
  StatusOr<XmlElement> root = ParseXml(doc, "error response");
  if (!root.ok() || root->name != "Error") return info;
  info.code = std::string(TrimmedXmlText(root->ChildText("Code")));
  std::string_view msg = TrimmedXmlText(root->ChildText("Message"));
  info.message = std::string(msg.substr(0, msg.find('\n')));
  while (!info.message.empty() && info.message.back() == '\r') info.message.pop_back();
  return info;
}

std::string BuildAzureBlockListXml(const std::vector<std::string>& block_ids) {
  std::string out = "<?xml version=\"1.0\" encoding=\"utf-8\"?><BlockList>";
  for (const std::string& id : block_ids) out += "<Latest>" + XmlEscape(id) + "</Latest>";
  out += "</BlockList>";
  return out;
}

}  // namespace cofre
