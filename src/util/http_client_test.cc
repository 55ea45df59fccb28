// HttpClient against a real HTTP/1.1 server on a loopback socket (util/loopback_http_server.h).
#include "util/http_client.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "util/loopback_http_server.h"

namespace cofre {
namespace {

using http_testing::LoopbackServer;
using http_testing::ReceivedRequest;
using http_testing::Response;

TEST(HttpClient, GetReturnsStatusHeadersAndBody) {
  LoopbackServer server([](const ReceivedRequest&) {
    return Response(200, "hello", "X-Custom-Thing: some value\r\nETag: \"abc\"\r\n");
  });
  HttpClient client;
  HttpRequest req;
  req.url = server.Url("/path?a=b");
  StatusOr<HttpResponse> resp = client.Send(req);
  ASSERT_TRUE(resp.ok()) << resp.status().ToString();
  EXPECT_EQ(resp->status, 200);
  EXPECT_EQ(resp->body, "hello");
  EXPECT_EQ(resp->headers.Get("x-custom-thing").value_or(""), "some value");
  EXPECT_EQ(resp->headers.Get("ETAG").value_or(""), "\"abc\"");
  EXPECT_FALSE(resp->headers.Has("missing"));
  EXPECT_EQ(server.requests().at(0).request_line, "GET /path?a=b HTTP/1.1");
}

TEST(HttpClient, OversizedResponseBodyIsRefusedNotBuffered) {
  // A hostile endpoint answering a small request with more than the caller's bound.
  LoopbackServer server(
      [](const ReceivedRequest&) { return Response(200, std::string(300 << 10, 'x')); });
  HttpClient client;
  HttpRequest req;
  req.url = server.Url("/list");
  req.max_response_bytes = 64 << 10;
  StatusOr<HttpResponse> resp = client.Send(req);
  EXPECT_EQ(resp.status().code(), StatusCode::kResourceExhausted) << resp.status().ToString();
  req.max_response_bytes = 1 << 20;
  resp = client.Send(req);
  ASSERT_TRUE(resp.ok()) << resp.status().ToString();
  EXPECT_EQ(resp->body.size(), 300u << 10);
}

TEST(HttpClient, PutSendsStringAndSourceBodiesWithLength) {
  LoopbackServer server([](const ReceivedRequest& r) { return Response(200, ""); });
  HttpClient client;
  HttpRequest req;
  req.method = "PUT";
  req.url = server.Url("/obj");
  req.headers.Add("Content-Type", "application/octet-stream");
  req.body = "payload-bytes";
  ASSERT_TRUE(client.Send(req).ok());

  std::string big(3 << 20, 'x');
  for (size_t i = 0; i < big.size(); i += 4099) big[i] = static_cast<char>('a' + i % 26);
  StringSource source(big);
  HttpRequest req2;
  req2.method = "POST";
  req2.url = server.Url("/obj2");
  req2.body_source = &source;
  req2.body_length = big.size();
  ASSERT_TRUE(client.Send(req2).ok());

  HttpRequest empty;
  empty.method = "PUT";
  empty.url = server.Url("/empty");
  ASSERT_TRUE(client.Send(empty).ok());

  auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 3u);
  EXPECT_EQ(reqs[0].request_line, "PUT /obj HTTP/1.1");
  EXPECT_EQ(reqs[0].body, "payload-bytes");
  EXPECT_NE(reqs[0].headers.find("content-type: application/octet-stream"), std::string::npos);
  EXPECT_EQ(reqs[0].headers.find("expect:"), std::string::npos);
  EXPECT_EQ(reqs[1].request_line, "POST /obj2 HTTP/1.1");
  EXPECT_EQ(reqs[1].body, big);
  EXPECT_NE(reqs[2].headers.find("content-length: 0"), std::string::npos);
}

TEST(HttpClient, SourceShorterThanDeclaredLengthFails) {
  LoopbackServer server([](const ReceivedRequest&) { return Response(200, ""); });
  HttpClient client;
  StringSource source("short");
  HttpRequest req;
  req.method = "PUT";
  req.url = server.Url("/x");
  req.body_source = &source;
  req.body_length = 100;
  StatusOr<HttpResponse> resp = client.Send(req);
  ASSERT_FALSE(resp.ok());
  EXPECT_EQ(resp.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(resp.status().message().find("ended after 5 of 100"), std::string::npos);
}

TEST(HttpClient, ReusesOneConnectionAcrossRequests) {
  LoopbackServer server([](const ReceivedRequest&) { return Response(200, "ok"); });
  HttpClient client;
  for (int i = 0; i < 5; ++i) {
    HttpRequest req;
    req.method = i % 2 ? "PUT" : "GET";
    req.body = i % 2 ? "b" : "";
    req.url = server.Url("/r" + std::to_string(i));
    StatusOr<HttpResponse> resp = client.Send(req);
    ASSERT_TRUE(resp.ok());
    EXPECT_EQ(resp->body, "ok");
  }
  EXPECT_EQ(server.connections(), 1);
}

TEST(HttpClient, StreamingDeliversSuccessBodyInPiecesAndBuffersErrors) {
  std::string big(5 << 20, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 7);
  LoopbackServer server([&](const ReceivedRequest& r) {
    if (r.request_line.find("/missing") != std::string::npos) {
      return Response(404, "<Error><Code>NoSuchKey</Code></Error>");
    }
    return Response(206, big);
  });
  HttpClient client;
  HttpRequest req;
  req.url = server.Url("/big");
  std::string got;
  int pieces = 0;
  StatusOr<HttpResponse> resp = client.SendStreaming(req, [&](std::string_view d) {
    got.append(d);
    ++pieces;
    return Status::OK();
  });
  ASSERT_TRUE(resp.ok());
  EXPECT_EQ(resp->status, 206);
  EXPECT_TRUE(resp->body.empty());
  EXPECT_EQ(got, big);
  EXPECT_GT(pieces, 1);

  req.url = server.Url("/missing");
  bool called = false;
  resp = client.SendStreaming(req, [&](std::string_view) {
    called = true;
    return Status::OK();
  });
  ASSERT_TRUE(resp.ok());
  EXPECT_EQ(resp->status, 404);
  EXPECT_FALSE(called);
  EXPECT_EQ(resp->body, "<Error><Code>NoSuchKey</Code></Error>");
}

std::string Pattern(size_t n) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>((i * 131 + i / 4099) & 0xff);
  return s;
}

TEST(HttpClient, OpenPullsTheBodyNoFasterThanTheCallerReads) {
  const std::string big = Pattern(24 << 20);
  LoopbackServer server([&](const ReceivedRequest&) {
    return Response(206, big, "Content-Range: bytes 0-25165823/25165824\r\n");
  });
  HttpClient client;
  HttpRequest req;
  req.url = server.Url("/big");
  req.stall_timeout = std::chrono::milliseconds(1000);
  StatusOr<std::unique_ptr<HttpBodyStream>> stream = client.Open(req);
  ASSERT_TRUE(stream.ok()) << stream.status().ToString();
  ASSERT_NE(*stream, nullptr);
  EXPECT_EQ((*stream)->response().status, 206);
  EXPECT_EQ((*stream)->response().headers.Get("content-length"), std::to_string(big.size()));
  EXPECT_TRUE((*stream)->response().body.empty());

  std::string got(7, '\0');
  StatusOr<size_t> n = (*stream)->Read(got.data(), got.size());
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  ASSERT_EQ(*n, 7u);
  // Paused longer than the stall timeout: not a stall. Meanwhile the server could send only
  // what the connection's buffers hold, far less than the body: the client did not take it.
  std::this_thread::sleep_for(std::chrono::milliseconds(2000));
  EXPECT_LT(server.bytes_written(), uint64_t{16} << 20);
  EXPECT_LE((*stream)->held_bytes(), HttpBodyStream::kBufferBytes);

  std::vector<char> buf(3 << 20);
  size_t i = 0;
  while (true) {
    const size_t want = i++ % 3 == 0 ? 1 : (i % 3 == 1 ? 100'003 : buf.size());
    n = (*stream)->Read(buf.data(), want);
    ASSERT_TRUE(n.ok()) << n.status().ToString();
    // The stream keeps no more than a piece of what it was not asked for.
    ASSERT_LE((*stream)->held_bytes(), HttpBodyStream::kBufferBytes);
    if (*n == 0) break;
    got.append(buf.data(), *n);
  }
  EXPECT_TRUE(got == big);
  n = (*stream)->Read(buf.data(), buf.size());
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 0u);
}

TEST(HttpClient, OpenReadsErrorBodiesWholeAndRefusesOtherMethods) {
  LoopbackServer server([](const ReceivedRequest&) {
    return Response(404, "<Error><Code>NoSuchKey</Code></Error>");
  });
  HttpClient client;
  HttpRequest req;
  req.url = server.Url("/missing");
  StatusOr<std::unique_ptr<HttpBodyStream>> stream = client.Open(req);
  ASSERT_TRUE(stream.ok()) << stream.status().ToString();
  ASSERT_NE(*stream, nullptr);
  EXPECT_EQ((*stream)->response().status, 404);
  EXPECT_EQ((*stream)->response().body, "<Error><Code>NoSuchKey</Code></Error>");
  char c;
  StatusOr<size_t> n = (*stream)->Read(&c, 1);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 0u);
  stream->reset();

  req.method = "PUT";
  req.body = "x";
  stream = client.Open(req);
  ASSERT_FALSE(stream.ok());
  EXPECT_EQ(stream.status().code(), StatusCode::kInvalidArgument);
}

TEST(HttpClient, OpenDeliversTheBytesOfACutBodyThenUnavailable) {
  const std::string body = Pattern(1 << 20);
  LoopbackServer server([&](const ReceivedRequest&) {
    std::string full = Response(200, body);
    return "CLOSE\n" + full.substr(0, full.size() - body.size() + 100'000);
  });
  HttpClient client;
  HttpRequest req;
  req.url = server.Url("/cut");
  StatusOr<std::unique_ptr<HttpBodyStream>> stream = client.Open(req);
  ASSERT_TRUE(stream.ok()) << stream.status().ToString();
  ASSERT_NE(*stream, nullptr);
  std::string got;
  std::vector<char> buf(64 << 10);
  Status end;
  while (true) {
    StatusOr<size_t> n = (*stream)->Read(buf.data(), buf.size());
    if (!n.ok()) {
      end = n.status();
      break;
    }
    ASSERT_GT(*n, 0u) << "a cut body must not read as a whole one";
    got.append(buf.data(), *n);
  }
  EXPECT_EQ(end.code(), StatusCode::kUnavailable) << end.ToString();
  EXPECT_EQ(got, body.substr(0, 100'000));
}

TEST(HttpClient, StreamsReadToTheirEndKeepTheConnection) {
  const std::string body = Pattern(300'000);
  LoopbackServer server([&](const ReceivedRequest&) { return Response(200, body); });
  HttpClient client;
  HttpRequest req;
  req.url = server.Url("/x");
  for (int i = 0; i < 3; ++i) {
    StatusOr<std::unique_ptr<HttpBodyStream>> stream = client.Open(req);
    ASSERT_TRUE(stream.ok()) << stream.status().ToString();
    ASSERT_NE(*stream, nullptr);
    std::string got(body.size() + 1, '\0');
    StatusOr<size_t> n = (*stream)->Read(got.data(), got.size());
    ASSERT_TRUE(n.ok()) << n.status().ToString();
    EXPECT_EQ(got.substr(0, *n), body);
  }
  EXPECT_EQ(server.connections(), 1);
}

TEST(HttpClient, ClientIsReusableAfterAStreamLeftMidBody) {
  const std::string big = Pattern(16 << 20);
  LoopbackServer server([&](const ReceivedRequest& r) {
    if (r.request_line.find("/small") != std::string::npos) return Response(200, "ok");
    return Response(200, big);
  });
  HttpClient client;
  HttpRequest req;
  req.url = server.Url("/big");
  {
    StatusOr<std::unique_ptr<HttpBodyStream>> stream = client.Open(req);
    ASSERT_TRUE(stream.ok()) << stream.status().ToString();
    ASSERT_NE(*stream, nullptr);
    char buf[10];
    StatusOr<size_t> n = (*stream)->Read(buf, sizeof(buf));
    ASSERT_TRUE(n.ok());
    EXPECT_EQ(std::string(buf, *n), big.substr(0, 10));
  }
  req.url = server.Url("/small");
  StatusOr<HttpResponse> resp = client.Send(req);
  ASSERT_TRUE(resp.ok()) << resp.status().ToString();
  EXPECT_EQ(resp->body, "ok");
  // Through a pool: the stream keeps its client until it is destroyed.
  HttpClientPool pool;
  StatusOr<std::unique_ptr<HttpBodyStream>> stream = pool.Open(req);
  ASSERT_TRUE(stream.ok()) << stream.status().ToString();
  ASSERT_NE(*stream, nullptr);
  char buf[8];
  StatusOr<size_t> n = (*stream)->Read(buf, sizeof(buf));
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(std::string(buf, *n), "ok");
}

TEST(HttpClient, CallbackErrorAbortsTransfer) {
  LoopbackServer server(
      [](const ReceivedRequest&) { return Response(200, std::string(1 << 20, 'z')); });
  HttpClient client;
  HttpRequest req;
  req.url = server.Url("/x");
  StatusOr<HttpResponse> resp = client.SendStreaming(
      req, [](std::string_view) { return DataLossError("checksum mismatch in test"); });
  ASSERT_FALSE(resp.ok());
  EXPECT_EQ(resp.status().code(), StatusCode::kDataLoss);
  // The client stays usable.
  resp = client.Send(req);
  ASSERT_TRUE(resp.ok());
  EXPECT_EQ(resp->body.size(), 1u << 20);
}

TEST(HttpClient, HeadReturnsHeadersWithoutBody) {
  LoopbackServer server([](const ReceivedRequest&) {
    return std::string("HTTP/1.1 200 OK\r\nContent-Length: 12345\r\n\r\n");
  });
  HttpClient client;
  HttpRequest req;
  req.method = "HEAD";
  req.url = server.Url("/x");
  StatusOr<HttpResponse> resp = client.Send(req);
  ASSERT_TRUE(resp.ok()) << resp.status().ToString();
  EXPECT_EQ(resp->headers.Get("content-length").value_or(""), "12345");
  EXPECT_TRUE(resp->body.empty());
  EXPECT_EQ(server.requests().at(0).request_line, "HEAD /x HTTP/1.1");
}

TEST(HttpClient, RefusedConnectionIsUnavailableNamingHostPortWithoutQuery) {
  int port;
  {
    LoopbackServer server([](const ReceivedRequest&) { return Response(200, ""); });
    port = server.port();
  }
  HttpClient client;
  HttpRequest req;
  req.url = "http://127.0.0.1:" + std::to_string(port) +
            "/b/k?X-Amz-Signature=s3cr3t&X-Amz-Credential=AKID";
  StatusOr<HttpResponse> resp = client.Send(req);
  ASSERT_FALSE(resp.ok());
  EXPECT_EQ(resp.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(resp.status().message().find("127.0.0.1:" + std::to_string(port)), std::string::npos)
      << resp.status().message();
  EXPECT_EQ(resp.status().message().find("s3cr3t"), std::string::npos);
  EXPECT_EQ(resp.status().message().find("AKID"), std::string::npos);
}

TEST(HttpClient, ServerClosingWithoutAnswerIsUnavailable) {
  LoopbackServer server([](const ReceivedRequest&) { return std::string(); });
  HttpClient client;
  HttpRequest req;
  req.url = server.Url("/x");
  StatusOr<HttpResponse> resp = client.Send(req);
  ASSERT_FALSE(resp.ok());
  EXPECT_EQ(resp.status().code(), StatusCode::kUnavailable);
}

TEST(HttpClient, StalledServerTimesOut) {
  LoopbackServer server([](const ReceivedRequest&) { return std::string("STALL"); });
  HttpClient client;
  HttpRequest req;
  req.url = server.Url("/x");
  req.stall_timeout = std::chrono::milliseconds(1000);
  auto start = std::chrono::steady_clock::now();
  StatusOr<HttpResponse> resp = client.Send(req);
  auto took = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(resp.ok());
  EXPECT_EQ(resp.status().code(), StatusCode::kUnavailable);
  EXPECT_LT(took, std::chrono::seconds(5));

  req.stall_timeout = std::chrono::milliseconds(0);
  req.total_timeout = std::chrono::milliseconds(300);
  resp = client.Send(req);
  ASSERT_FALSE(resp.ok());
  EXPECT_EQ(resp.status().code(), StatusCode::kUnavailable);
}

TEST(HttpClientPool, LendsDistinctClientsAndReusesIdleOnes) {
  LoopbackServer server([](const ReceivedRequest&) { return Response(200, "ok"); });
  HttpClientPool pool(4);
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10; ++i) {
        HttpClientPool::Lease client = pool.Acquire();
        HttpRequest req;
        req.url = server.Url("/x");
        if (client->Send(req).ok()) ++ok;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok, 40);
  EXPECT_LE(server.connections(), 4);
}

TEST(HttpHeaders, CaseInsensitiveSetAndGet) {
  HttpHeaders h;
  h.Add("Content-Type", "a");
  h.Add("content-type", "b");
  EXPECT_EQ(h.Get("CONTENT-TYPE").value_or(""), "a");
  h.Set("Content-TYPE", "c");
  EXPECT_EQ(h.fields().size(), 1u);
  EXPECT_EQ(h.Get("content-type").value_or(""), "c");
}

TEST(HostPortOf, FillsDefaultPorts) {
  EXPECT_EQ(HostPortOf("http://127.0.0.1:9000/b/k?x=y"), "127.0.0.1:9000");
  EXPECT_EQ(HostPortOf("https://s3.us-east-1.amazonaws.com/b"), "s3.us-east-1.amazonaws.com:443");
  EXPECT_EQ(HostPortOf("http://example.com?q"), "example.com:80");
  EXPECT_EQ(HostPortOf("http://[::1]:8080/x"), "[::1]:8080");
  EXPECT_EQ(HostPortOf("http://[::1]/x"), "[::1]:80");
  EXPECT_EQ(HostPortOf("http://user:pw@host:1/x"), "host:1");
}

}  // namespace
}  // namespace cofre
