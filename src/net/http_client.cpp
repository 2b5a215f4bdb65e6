#include "net/http_client.hpp"

#include <curl/curl.h>

#include "net/curl_easy.hpp"

#include <memory>
#include <mutex>

namespace gameday::net {
namespace {

constexpr int kPollMs = 5;

struct MultiDeleter {
  void operator()(CURLM* m) const { curl_multi_cleanup(m); }
};

}  // namespace

HttpResult http_request(const HttpRequest& request, const std::function<bool()>& idle) {
  HttpResult result;
  CurlEasy easy(request, &result.body);
  if (!easy.ok()) {
    result.error = easy.error();
    return result;
  }
  std::unique_ptr<CURLM, MultiDeleter> multi(curl_multi_init());
  if (!multi) {
    result.error = "cannot initialise libcurl";
    return result;
  }
  CURL* c = easy.handle();
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
      if (idle && !idle()) {
        curl_multi_remove_handle(multi.get(), c);
        result.body.clear();
        result.error = "cancelled";
        return result;
      }
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
