#include "net/http_client.hpp"

#include <curl/curl.h>

#include <memory>
#include <mutex>

namespace gameday::net {
namespace {

constexpr std::size_t kMaxBody = 1024 * 1024;
constexpr int kPollMs = 5;

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

std::size_t on_data(char* data, std::size_t size, std::size_t n, void* user) {
  auto* body = static_cast<std::string*>(user);
  const std::size_t bytes = size * n;
  // Keep reading past the cap (the transfer must finish) but keep only the first part.
  if (body->size() < kMaxBody) body->append(data, std::min(bytes, kMaxBody - body->size()));
  return bytes;
}

struct EasyDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct MultiDeleter {
  void operator()(CURLM* m) const { curl_multi_cleanup(m); }
};
struct ListDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

}  // namespace

HttpResult http_request(const HttpRequest& request, const std::function<void()>& idle) {
  global_init();
  HttpResult result;
  if (request.url.rfind("http://", 0) != 0 && request.url.rfind("https://", 0) != 0) {
    result.error = "not an http(s) URL";
    return result;
  }
  std::unique_ptr<CURL, EasyDeleter> easy(curl_easy_init());
  std::unique_ptr<CURLM, MultiDeleter> multi(curl_multi_init());
  if (!easy || !multi) {
    result.error = "cannot initialise libcurl";
    return result;
  }
  CURL* c = easy.get();
  curl_easy_setopt(c, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  const long timeout_ms = static_cast<long>(std::max<Duration>(1, request.timeout / kMillisecond));
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
  // The control API and test servers live on loopback: never send those through a proxy.
  curl_easy_setopt(c, CURLOPT_NOPROXY, "localhost,127.0.0.1,::1");
#if LIBCURL_VERSION_NUM >= 0x075500
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
#endif
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &result.body);
  const std::string& m = request.method;
  if (m == "HEAD") {
    curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
  } else if (m != "GET") {
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, m.c_str());
  }
  if (!request.body.empty() || m == "POST" || m == "PUT" || m == "PATCH") {
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, static_cast<long>(request.body.size()));
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, request.body.c_str());
    if (m != "POST") curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, m.c_str());
  }
  curl_slist* raw_headers = nullptr;
  for (const auto& [name, value] : request.headers) {
    raw_headers = curl_slist_append(raw_headers, (name + ": " + value).c_str());
  }
  // curl adds "Expect: 100-continue" to larger bodies; small servers need not know it.
  raw_headers = curl_slist_append(raw_headers, "Expect:");
  std::unique_ptr<curl_slist, ListDeleter> headers(raw_headers);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());

  curl_multi_add_handle(multi.get(), c);
  int running = 1;
  CURLcode done = CURLE_OK;
  while (running) {
    if (curl_multi_perform(multi.get(), &running) != CURLM_OK) {
      done = CURLE_FAILED_INIT;
      break;
    }
    if (running) {
      curl_multi_poll(multi.get(), nullptr, 0, kPollMs, nullptr);
      if (idle) idle();
    }
  }
  int left = 0;
  while (CURLMsg* msg = curl_multi_info_read(multi.get(), &left)) {
    if (msg->msg == CURLMSG_DONE) done = msg->data.result;
  }
  curl_multi_remove_handle(multi.get(), c);
  if (done != CURLE_OK) {
    result.status = 0;
    result.body.clear();
    result.error = curl_easy_strerror(done);
    return result;
  }
  long status = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  result.status = static_cast<int>(status);
  return result;
}

}  // namespace gameday::net
