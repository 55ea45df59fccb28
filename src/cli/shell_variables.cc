#include "cli/shell_variables.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <vector>

#include "sql/splitter.h"
#include "util/file_util.h"
#include "util/wipe.h"

namespace cofre::cli {
namespace {

constexpr size_t kMaxValueFileBytes = 1 << 20;

bool IsBlank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// Splits the arguments of a shell command psql's way: blanks separate arguments; '...' quotes
// (with '' for a quote) keep blanks; adjacent pieces join ('a'b is one argument "ab").
StatusOr<std::vector<std::string>> SplitArguments(std::string_view text) {
  std::vector<std::string> args;
  size_t i = 0;
  while (true) {
    while (i < text.size() && IsBlank(text[i])) ++i;
    if (i == text.size()) return args;
    std::string arg;
    while (i < text.size() && !IsBlank(text[i])) {
      if (text[i] != '\'') {
        arg.push_back(text[i++]);
        continue;
      }
      ++i;
      while (true) {
        if (i == text.size()) {
          return InvalidArgumentError("unterminated quoted string in shell command");
        }
        if (text[i] == '\'') {
          if (i + 1 < text.size() && text[i + 1] == '\'') {
            arg.push_back('\'');
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        arg.push_back(text[i++]);
      }
    }
    args.push_back(std::move(arg));
  }
}

std::string_view CommandWord(std::string_view line) {
  size_t begin = 0;
  while (begin < line.size() && IsBlank(line[begin])) ++begin;
  size_t end = begin;
  while (end < line.size() && !IsBlank(line[end])) ++end;
  return line.substr(begin, end - begin);
}

}  // namespace

void WipeText(char* data, size_t size) { WipeBytes(data, size); }

void WipeText(std::string* text) { WipeString(text); }

ShellVariables::~ShellVariables() {
  for (auto& [name, value] : values_) WipeText(&value);
}

void ShellVariables::Erase(std::string_view name) {
  auto it = values_.find(name);
  if (it == values_.end()) return;
  WipeText(&it->second);
  values_.erase(it);
}

Status ShellVariables::Set(std::string_view name, std::string value) {
  if (!sql::IsVariableName(name)) {
    return InvalidArgumentError("invalid variable name '" + std::string(name) +
                                "': use letters, digits and _");
  }
  Erase(name);
  values_.emplace(std::string(name), std::move(value));
  return Status::OK();
}

std::string ShellVariables::Interpolate(std::string_view text) const {
  if (values_.empty()) return std::string(text);
  return sql::InterpolateVariables(text, [this](std::string_view name) -> const std::string* {
    auto it = values_.find(name);
    return it == values_.end() ? nullptr : &it->second;
  });
}

bool ShellVariables::IsCommand(std::string_view line) {
  const std::string_view word = CommandWord(line);
  return word == "\\set" || word == "\\unset" || word == "\\getenv";
}

Status ShellVariables::RunCommand(std::string_view line, std::FILE* out) {
  const std::string_view word = CommandWord(line);
  if (!IsCommand(line)) {
    return InvalidArgumentError("unknown shell command '" + std::string(word) + "'")
        .WithHint(
            "cofre's shell commands are \\set, \\unset and \\getenv (and \\q, \\? "
            "interactively)");
  }
  std::string_view rest = line.substr(line.find(word) + word.size());
  ASSIGN_OR_RETURN(std::vector<std::string> args, SplitArguments(rest));
  if (word == "\\set") {
    if (args.empty()) {
      std::string names;
      for (const auto& [name, value] : values_) names += name + "\n";
      std::fputs(names.c_str(), out);
      std::fflush(out);
      return Status::OK();
    }
    std::string value;
    for (size_t i = 1; i < args.size(); ++i) value += args[i];
    for (size_t i = 1; i < args.size(); ++i) WipeText(&args[i]);
    return Set(args[0], std::move(value));
  }
  if (word == "\\unset") {
    if (args.size() != 1) return InvalidArgumentError("usage: \\unset NAME");
    Erase(args[0]);
    return Status::OK();
  }
  if (word == "\\getenv") {
    if (args.size() != 2) return InvalidArgumentError("usage: \\getenv NAME ENVIRONMENT_VARIABLE");
    const char* value = std::getenv(args[1].c_str());
    if (value == nullptr) {
      return NotFoundError("environment variable " + args[1] + " is not set");
    }
    return Set(args[0], value);
  }
  return Status::OK();
}

StatusOr<std::string> ShellVariables::ReadValueFile(const std::string& path) {
  ASSIGN_OR_RETURN(ScopedFd fd, OpenFile(path, O_RDONLY | O_CLOEXEC, 0, "variable file " + path));
  std::string value;
  value.reserve(kMaxValueFileBytes + sizeof(char[4096]));  // never reallocated: one copy to wipe
  char buf[4096];
  while (true) {
    ssize_t n = ::read(fd.get(), buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoToStatus(errno, "reading variable file " + path);
    }
    if (n == 0) break;
    value.append(buf, static_cast<size_t>(n));
    if (value.size() > kMaxValueFileBytes) {
      WipeText(&value);
      return InvalidArgumentError("variable file " + path + " is larger than 1 MiB");
    }
  }
  WipeText(buf, sizeof(buf));
  if (value.ends_with("\r\n")) {
    value.resize(value.size() - 2);
  } else if (value.ends_with("\n")) {
    value.pop_back();
  }
  return value;
}

}  // namespace cofre::cli
