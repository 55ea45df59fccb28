// A minimal HTTP/1.0 responder for /health and /metrics: reads one request (at most 8 KiB,
// within 2 s), answers GET with the handler's response and closes. Anything else gets 400/405.
// Thread-safety: a function of one accepted socket.
#ifndef COFRE_SERVER_HTTP_ENDPOINT_H_
#define COFRE_SERVER_HTTP_ENDPOINT_H_

#include <functional>
#include <string>

namespace cofre::server {

struct HttpResponse {
  int status = 200;
  std::string content_type;
  std::string body;
};

// `handler` gets the request target ("/metrics", "/health?ready=1").
void ServeHttp(int fd, const std::function<HttpResponse(const std::string&)>& handler);

}  // namespace cofre::server

#endif  // COFRE_SERVER_HTTP_ENDPOINT_H_
