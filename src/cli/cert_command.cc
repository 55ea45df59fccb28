#include "cli/cert_command.h"

#include <cstdio>

#include "server/certs.h"

namespace cofre::cli {

int RunCertCommand(const std::vector<std::string>& args) {
  auto fail = [](const Status& st) {
    std::fprintf(stderr, "ERROR: %s\n", st.message().c_str());
    return 1;
  };
  if (args.empty()) {
    return fail(
        InvalidArgumentError("cofre cert needs a command: create-ca, create-node or "
                             "create-client"));
  }
  server::CertOptions o;
  std::vector<std::string> positional;
  for (size_t i = 1; i < args.size(); ++i) {
    std::string flag = args[i], value;
    size_t eq = flag.find('=');
    bool inline_value = eq != std::string::npos && flag.starts_with("--");
    if (inline_value) {
      value = flag.substr(eq + 1);
      flag = flag.substr(0, eq);
    }
    if (flag == "--overwrite") {
      o.overwrite = true;
      continue;
    }
    if (flag == "--certs-dir" || flag == "--ca-key" || flag == "--lifetime") {
      if (!inline_value) {
        if (i + 1 >= args.size()) return fail(InvalidArgumentError(flag + " needs a value"));
        value = args[++i];
      }
      if (flag == "--certs-dir") o.certs_dir = value;
      if (flag == "--ca-key") o.ca_key = value;
      if (flag == "--lifetime") {
        if (value.empty() || value.size() > 6 ||
            value.find_first_not_of("0123456789") != std::string::npos || std::stoi(value) == 0) {
          return fail(InvalidArgumentError("--lifetime takes a number of days (1 or more)"));
        }
        o.lifetime_days = std::stoi(value);
      }
      continue;
    }
    if (flag.starts_with("--")) return fail(InvalidArgumentError("unknown flag " + flag));
    positional.push_back(args[i]);
  }
  Status st;
  const std::string& cmd = args[0];
  if (cmd == "create-ca") {
    if (!positional.empty()) return fail(InvalidArgumentError("create-ca takes no arguments"));
    st = server::CreateCa(o);
  } else if (cmd == "create-node") {
    st = server::CreateNodeCert(o, positional);
  } else if (cmd == "create-client") {
    if (positional.size() != 1)
      return fail(InvalidArgumentError("create-client takes one user name"));
    st = server::CreateClientCert(o, positional[0]);
  } else {
    st = InvalidArgumentError("unknown cert command '" + cmd +
                              "': use create-ca, create-node or create-client");
  }
  return st.ok() ? 0 : fail(st);
}

}  // namespace cofre::cli
