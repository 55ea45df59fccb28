// The cofre release version, printed by `cofre version` as "cofre <version>".
#ifndef COFRE_CLI_VERSION_H_
#define COFRE_CLI_VERSION_H_

#include <string_view>

namespace cofre::cli {

inline constexpr std::string_view kCofreVersion = "0.3.0";

}  // namespace cofre::cli

#endif  // COFRE_CLI_VERSION_H_
