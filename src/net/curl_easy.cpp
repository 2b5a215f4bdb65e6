#include "net/curl_easy.hpp"

#include <algorithm>
#include <mutex>

namespace gameday::net {
namespace {

std::size_t on_data(char* data, std::size_t size, std::size_t n, void* user) {
  auto* body = static_cast<std::string*>(user);
  const std::size_t bytes = size * n;
  // Keep reading past the cap (the transfer must finish) but keep only the first part.
  if (body->size() < kMaxResponseBody) body->append(data, std::min(bytes, kMaxResponseBody - body->size()));
  return bytes;
}

}  // namespace

void curl_global_once() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

CurlEasy::CurlEasy(const HttpRequest& r, std::string* body) {
  curl_global_once();
  if (r.url.rfind("http://", 0) != 0 && r.url.rfind("https://", 0) != 0) {
    error_ = "not an http(s) URL";
    return;
  }
  handle_ = curl_easy_init();
  if (handle_ == nullptr) {
    error_ = "cannot initialise libcurl";
    return;
  }
  CURL* c = handle_;
  curl_easy_setopt(c, CURLOPT_URL, r.url.c_str());
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  const long timeout_ms = static_cast<long>(std::max<Duration>(1, r.timeout / kMillisecond));
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
  // The control API, the fakes and test servers live on loopback: never send those through a proxy.
  curl_easy_setopt(c, CURLOPT_NOPROXY, "localhost,127.0.0.1,::1");
#if LIBCURL_VERSION_NUM >= 0x075500
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
#endif
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, body);
  const std::string& m = r.method;
  if (m == "HEAD") {
    curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
  } else if (m != "GET") {
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, m.c_str());
  }
  if (!r.body.empty() || m == "POST" || m == "PUT" || m == "PATCH") {
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, static_cast<long>(r.body.size()));
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, r.body.c_str());
    if (m != "POST") curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, m.c_str());
  }
  for (const auto& [name, value] : r.headers) {
    headers_ = curl_slist_append(headers_, (name + ": " + value).c_str());
  }
  // curl adds "Expect: 100-continue" to larger bodies; small servers need not know it.
  headers_ = curl_slist_append(headers_, "Expect:");
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers_);
}

CurlEasy::~CurlEasy() {
  if (handle_ != nullptr) curl_easy_cleanup(handle_);
  if (headers_ != nullptr) curl_slist_free_all(headers_);
}

}  // namespace gameday::net
