#include "util/aws_endpoint.h"

namespace cofre {

StatusOr<AwsEndpoint> ParseAwsEndpoint(std::string_view endpoint, std::string_view service,
                                       std::string_view region, std::string_view display) {
  std::string text(endpoint);
  if (text.empty()) {
    text = "https://" + std::string(service) + "." + std::string(region) + ".amazonaws.com";
  }
  AwsEndpoint out;
  std::string_view rest;
  if (text.starts_with("http://")) {
    out.scheme = "http";
    rest = std::string_view(text).substr(7);
  } else if (text.starts_with("https://")) {
    out.scheme = "https";
    rest = std::string_view(text).substr(8);
  } else {
    return InvalidArgumentError("AWS_ENDPOINT '" + text + "' in " + std::string(display) +
                                " must start with http:// or https://");
  }
  while (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  if (rest.empty() || rest.find_first_of("/?#@ ") != std::string_view::npos) {
    return InvalidArgumentError("AWS_ENDPOINT '" + text + "' in " + std::string(display) +
                                " must be scheme://host[:port] with no path, e.g. "
                                "http://127.0.0.1:9000");
  }
  out.host_port = std::string(rest);
  return out;
}

}  // namespace cofre
