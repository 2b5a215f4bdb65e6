#pragma once
// One libcurl easy handle set up for an HttpRequest: what the blocking client (http_client.cpp)
// and the multi-transfer client (async_http_client.cpp) share. Internal to src/net.
#include <curl/curl.h>

#include <string>

#include "playbook/effects.hpp"

namespace gameday::net {

/// Response bodies are kept up to this size (the transfer still reads the rest).
inline constexpr std::size_t kMaxResponseBody = 1024 * 1024;

/// An easy handle for `request` (which must outlive it: its URL and body are not copied),
/// writing the body into `body` (up to kMaxResponseBody), loopback never proxied, http(s)
/// only, "Expect: 100-continue" off. Owns its header list. On failure `ok()` is false and
/// `error` says why (not an http(s) URL, libcurl could not start).
class CurlEasy {
 public:
  CurlEasy(const HttpRequest& request, std::string* body);
  ~CurlEasy();
  CurlEasy(const CurlEasy&) = delete;
  CurlEasy& operator=(const CurlEasy&) = delete;

  bool ok() const { return handle_ != nullptr; }
  CURL* handle() const { return handle_; }
  const std::string& error() const { return error_; }

 private:
  CURL* handle_ = nullptr;
  curl_slist* headers_ = nullptr;
  std::string error_;
};

/// curl_global_init, once per process.
void curl_global_once();

}  // namespace gameday::net
