#include "storage/xml_tree.h"

#include <expat.h>

#include <algorithm>
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

void XMLCALL OnStart(void* data, const XML_Char* name, const XML_Char** attrs) {
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
  for (int i = 0; attrs != nullptr && attrs[i] != nullptr && attrs[i + 1] != nullptr; i += 2) {
    el->attributes.emplace_back(std::string(LocalName(attrs[i])), std::string(attrs[i + 1]));
  }
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

}  // namespace

Status MalformedXml(std::string_view what, std::string_view why) {
  return UnavailableError("the server sent a malformed " + std::string(what) + ": " +
                          std::string(why));
}

std::string_view TrimmedXmlText(const std::string& s) {
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

const XmlElement* XmlElement::Child(std::string_view n) const {
  for (const XmlElement& c : children) {
    if (c.name == n) return &c;
  }
  return nullptr;
}

std::string_view XmlElement::Attribute(std::string_view n) const {
  for (const auto& [k, v] : attributes) {
    if (k == n) return v;
  }
  return {};
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
  if (!st.error.empty()) return MalformedXml(what, st.error);
  if (rc != XML_STATUS_OK) {
    return MalformedXml(what, std::string(XML_ErrorString(XML_GetErrorCode(parser.get()))) +
                                  " at line " +
                                  std::to_string(XML_GetCurrentLineNumber(parser.get())));
  }
  if (!st.have_root) return MalformedXml(what, "empty document");
  return std::move(st.root);
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

}  // namespace cofre
