// XmlElement / ParseXml: the small XML reader behind the cloud storage clients (S3 and Azure
// responses), and XmlEscape for the request bodies they build.
//
// ParseXml runs libexpat into an element tree; namespaces are dropped (local names only).
// Documents with a DOCTYPE, nesting deeper than 32 levels or more than 200 000 elements are
// refused. A malformed document is Unavailable (a truncated or garbled response is worth a
// retry) with a message naming the document type; it never crashes, whatever the input.
// Thread-safety: pure functions; plain values.
#ifndef COFRE_STORAGE_XML_TREE_H_
#define COFRE_STORAGE_XML_TREE_H_

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "util/status.h"

namespace cofre {

struct XmlElement {
  std::string name;  // local name, without any namespace prefix
  std::string text;  // concatenated character data directly inside this element
  std::vector<XmlElement> children;
  std::vector<std::pair<std::string, std::string>> attributes;  // local names, in order

  // The value of attribute `name`, or "" when absent.
  std::string_view Attribute(std::string_view name) const;
  // The first child named `name`, or null.
  const XmlElement* Child(std::string_view name) const;
  // The text of the first child named `name`, or "" when absent. The reference lives as long
  // as this element.
  const std::string& ChildText(std::string_view name) const;
};

// Parses a whole document. `what` names it in errors ("ListObjectsV2 response").
StatusOr<XmlElement> ParseXml(std::string_view doc, std::string_view what);

// Unavailable "the server sent a malformed <what>: <why>".
Status MalformedXml(std::string_view what, std::string_view why);

// `s` without leading and trailing whitespace.
std::string_view TrimmedXmlText(const std::string& s);

// Escapes &, <, >, " and ' for XML character data and attributes.
std::string XmlEscape(std::string_view s);

}  // namespace cofre

#endif  // COFRE_STORAGE_XML_TREE_H_
