#include "util/aws_credentials.h"

#include <openssl/crypto.h>
#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

namespace cofre {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

void Wipe(std::string& s) {
  if (!s.empty()) OPENSSL_cleanse(s.data(), s.size());
  s.clear();
}

// One INI file: section name -> key (lower-cased) -> value.
using IniFile = std::map<std::string, std::map<std::string, std::string>>;

// Reads an AWS shared file. nullopt when it does not exist; FailedPrecondition if unreadable.
StatusOr<std::optional<IniFile>> ReadIni(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 && (errno == ENOENT || errno == ENOTDIR)) {
    return std::optional<IniFile>();
  }
  std::ifstream in(path);
  if (!in || S_ISDIR(st.st_mode)) {
    return FailedPreconditionError("cannot read AWS shared file " + path +
                                   "; fix its permissions or remove it");
  }
  IniFile ini;
  std::string section, line;
  while (std::getline(in, line)) {
    // Indented lines continue a nested setting (e.g. "s3 =\n  max_concurrent_requests = 4").
    if (!line.empty() && (line[0] == ' ' || line[0] == '\t')) continue;
    std::string_view l = Trim(line);
    if (l.empty() || l[0] == '#' || l[0] == ';') continue;
    if (l.front() == '[' && l.back() == ']') {
      section = std::string(Trim(l.substr(1, l.size() - 2)));
      ini[section];
      continue;
    }
    size_t eq = l.find('=');
    if (eq == std::string_view::npos || section.empty()) continue;
    ini[section][Lower(Trim(l.substr(0, eq)))] = std::string(Trim(l.substr(eq + 1)));
  }
  std::optional<IniFile> out(std::move(ini));
  return out;
}

std::string HomeFile(const EnvLookup& env, std::string_view override_var, std::string_view name) {
  if (auto v = env(override_var); v && !v->empty()) return *v;
  std::string home = env("HOME").value_or("");
  return home + "/.aws/" + std::string(name);
}

std::string ProfileName(const EnvLookup& env) {
  if (auto v = env("AWS_PROFILE"); v && !v->empty()) return *v;
  return "default";
}

// Credentials from one profile section, if it names any. `where` describes the section.
StatusOr<std::optional<AwsCredentials>> FromSection(const std::map<std::string, std::string>& kv,
                                                    const std::string& where) {
  auto id = kv.find("aws_access_key_id");
  auto secret = kv.find("aws_secret_access_key");
  bool has_id = id != kv.end() && !id->second.empty();
  bool has_secret = secret != kv.end() && !secret->second.empty();
  if (!has_id && !has_secret) return std::optional<AwsCredentials>();
  if (!has_id || !has_secret) {
    return FailedPreconditionError(where + " sets " +
                                   (has_id ? "aws_access_key_id but not aws_secret_access_key"
                                           : "aws_secret_access_key but not aws_access_key_id") +
                                   "; set both");
  }
  AwsCredentials c(id->second, secret->second);
  if (auto t = kv.find("aws_session_token"); t != kv.end()) c.session_token = t->second;
  return std::optional<AwsCredentials>(std::move(c));
}

}  // namespace

AwsCredentials::~AwsCredentials() {
  Wipe(secret_access_key);
  Wipe(session_token);
}

StatusOr<AwsAuthMode> ParseAwsAuthMode(const std::optional<std::string>& value,
                                       std::string_view redacted_uri) {
  if (!value || value->empty() || Lower(*value) == "specified") return AwsAuthMode::kSpecified;
  if (Lower(*value) == "implicit") return AwsAuthMode::kImplicit;
  return InvalidArgumentError("unsupported AUTH=" + *value + " in " + std::string(redacted_uri) +
                              "; use AUTH=specified or AUTH=implicit");
}

EnvLookup ProcessEnvironment() {
  return [](std::string_view name) -> std::optional<std::string> {
    const char* v = std::getenv(std::string(name).c_str());
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  };
}

StatusOr<AwsCredentials> ResolveAwsCredentials(AwsAuthMode mode, const AwsCredentialParams& given,
                                               std::string_view redacted_uri,
                                               const EnvLookup& env) {
  const std::string uri(redacted_uri);
  if (mode == AwsAuthMode::kImplicit) {
    if (given.access_key_id || given.secret_access_key || given.session_token) {
      return InvalidArgumentError(
          "AUTH=implicit takes credentials from the environment, but " + uri +
          " also gives AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY/AWS_SESSION_TOKEN; remove them or "
          "use AUTH=specified");
    }
    StatusOr<AwsCredentials> c = LoadImplicitAwsCredentials(env);
    if (!c.ok()) return c.status().Annotate("AUTH=implicit for " + uri);
    return c;
  }
  bool has_id = given.access_key_id && !given.access_key_id->empty();
  bool has_secret = given.secret_access_key && !given.secret_access_key->empty();
  if (!has_id || !has_secret) {
    std::string missing = !has_id && !has_secret ? "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
                          : !has_id              ? "AWS_ACCESS_KEY_ID"
                                                 : "AWS_SECRET_ACCESS_KEY";
    return InvalidArgumentError(uri + " is missing " + missing +
                                " (AUTH=specified); add them to the URI or use AUTH=implicit to "
                                "take credentials from the environment");
  }
  return AwsCredentials(*given.access_key_id, *given.secret_access_key,
                        given.session_token.value_or(""));
}

StatusOr<AwsCredentials> LoadImplicitAwsCredentials(const EnvLookup& env) {
  auto id = env("AWS_ACCESS_KEY_ID");
  auto secret = env("AWS_SECRET_ACCESS_KEY");
  bool has_id = id && !id->empty();
  bool has_secret = secret && !secret->empty();
  if (has_id && has_secret) {
    return AwsCredentials(*id, *secret, env("AWS_SESSION_TOKEN").value_or(""));
  }
  if (has_id != has_secret) {
    return FailedPreconditionError(
        std::string("environment variable ") +
        (has_id ? "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not"
                : "AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not") +
        "; set both or unset both");
  }

  const std::string profile = ProfileName(env);
  const std::string cred_path = HomeFile(env, "AWS_SHARED_CREDENTIALS_FILE", "credentials");
  const std::string config_path = HomeFile(env, "AWS_CONFIG_FILE", "config");

  ASSIGN_OR_RETURN(std::optional<IniFile> creds_file, ReadIni(cred_path));
  if (creds_file) {
    if (auto it = creds_file->find(profile); it != creds_file->end()) {
      ASSIGN_OR_RETURN(std::optional<AwsCredentials> c,
                       FromSection(it->second, "profile [" + profile + "] in " + cred_path));
      if (c) return std::move(*c);
    }
  }
  ASSIGN_OR_RETURN(std::optional<IniFile> config_file, ReadIni(config_path));
  if (config_file) {
    for (const std::string& section :
         {std::string("profile ") + profile, profile == "default" ? profile : std::string()}) {
      if (section.empty()) continue;
      if (auto it = config_file->find(section); it != config_file->end()) {
        ASSIGN_OR_RETURN(std::optional<AwsCredentials> c,
                         FromSection(it->second, "section [" + section + "] in " + config_path));
        if (c) return std::move(*c);
      }
    }
  }
  return FailedPreconditionError(
      "no AWS credentials found: tried environment variables AWS_ACCESS_KEY_ID and "
      "AWS_SECRET_ACCESS_KEY, profile '" +
      profile +
      "' (AWS_PROFILE) in the shared credentials "
      "file " +
      cred_path + (creds_file ? "" : " (absent)") +
      " (AWS_SHARED_CREDENTIALS_FILE) and "
      "in the config file " +
      config_path + (config_file ? "" : " (absent)") + " (AWS_CONFIG_FILE); set one of them");
}

std::optional<std::string> ImplicitAwsRegion(const EnvLookup& env) {
  for (std::string_view var : {"AWS_REGION", "AWS_DEFAULT_REGION"}) {
    if (auto v = env(var); v && !v->empty()) return v;
  }
  StatusOr<std::optional<IniFile>> config = ReadIni(HomeFile(env, "AWS_CONFIG_FILE", "config"));
  if (!config.ok() || !config->has_value()) return std::nullopt;
  const std::string profile = ProfileName(env);
  for (const std::string& section : {std::string("profile ") + profile, profile}) {
    if (section == profile && profile != "default") continue;
    auto it = (*config)->find(section);
    if (it == (*config)->end()) continue;
    if (auto r = it->second.find("region"); r != it->second.end() && !r->second.empty()) {
      return r->second;
    }
  }
  return std::nullopt;
}

}  // namespace cofre
