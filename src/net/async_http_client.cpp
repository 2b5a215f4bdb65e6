#include "net/async_http_client.hpp"

#include <curl/curl.h>

#include <atomic>
#include <deque>
#include <mutex>
#include <thread>
#include <unordered_map>

namespace gameday::net {
namespace {

constexpr std::size_t kMaxBody = 1024 * 1024;

std::size_t on_data(char* data, std::size_t size, std::size_t n, void* user) {
  auto* body = static_cast<std::string*>(user);
  const std::size_t bytes = size * n;
  if (body->size() < kMaxBody) body->append(data, std::min(bytes, kMaxBody - body->size()));
  return bytes;
}

}  // namespace

struct AsyncHttpClient::Impl {
  // One transfer: the easy handle and what it owns.
  struct Transfer {
    HttpRequest request;
    std::function<void(HttpResult)> done;
    HttpResult result;
    CURL* easy = nullptr;
    curl_slist* headers = nullptr;
    ~Transfer() {
      if (headers) curl_slist_free_all(headers);
      if (easy) curl_easy_cleanup(easy);
    }
  };

  explicit Impl(std::size_t max_connections) {
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
    multi = curl_multi_init();
    if (multi == nullptr) throw std::runtime_error("cannot initialise libcurl");
    curl_multi_setopt(multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, static_cast<long>(max_connections));
    curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, static_cast<long>(max_connections));
    thread = std::thread([this] { loop(); });
  }

  ~Impl() {
    stopping = true;
    curl_multi_wakeup(multi);
    thread.join();
    curl_multi_cleanup(multi);
  }

  void submit(HttpRequest request, std::function<void(HttpResult)> done) {
    auto t = std::make_unique<Transfer>();
    t->request = std::move(request);
    t->done = std::move(done);
    ++pending;
    {
      std::lock_guard<std::mutex> lock(mu);
      queue.push_back(std::move(t));
    }
    curl_multi_wakeup(multi);
  }

  // Configures and adds one transfer (loop thread). False: finished at once with an error.
  bool start(std::unique_ptr<Transfer>& t) {
    const HttpRequest& r = t->request;
    if (r.url.rfind("http://", 0) != 0 && r.url.rfind("https://", 0) != 0) {
      t->result.error = "not an http(s) URL";
      return false;
    }
    t->easy = curl_easy_init();
    if (t->easy == nullptr) {
      t->result.error = "cannot initialise libcurl";
      return false;
    }
    CURL* c = t->easy;
    curl_easy_setopt(c, CURLOPT_URL, r.url.c_str());
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    const long timeout_ms = static_cast<long>(std::max<Duration>(1, r.timeout / kMillisecond));
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
    curl_easy_setopt(c, CURLOPT_NOPROXY, "localhost,127.0.0.1,::1");
#if LIBCURL_VERSION_NUM >= 0x075500
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
#endif
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &t->result.body);
    curl_easy_setopt(c, CURLOPT_PRIVATE, t.get());
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
      t->headers = curl_slist_append(t->headers, (name + ": " + value).c_str());
    }
    t->headers = curl_slist_append(t->headers, "Expect:");
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, t->headers);
    if (curl_multi_add_handle(multi, c) != CURLM_OK) {
      t->result.error = "cannot start the request";
      return false;
    }
    running.emplace(c, std::move(t));
    return true;
  }

  void finish(std::unique_ptr<Transfer> t) {
    auto done = std::move(t->done);
    HttpResult result = std::move(t->result);
    t.reset();
    --pending;
    if (done) done(std::move(result));
  }

  void loop() {
    while (true) {
      std::deque<std::unique_ptr<Transfer>> fresh;
      {
        std::lock_guard<std::mutex> lock(mu);
        fresh.swap(queue);
      }
      for (auto& t : fresh) {
        if (stopping) {
          t->result.error = "client stopped";
          finish(std::move(t));
        } else if (!start(t)) {
          finish(std::move(t));
        }
      }
      if (stopping) break;
      int still = 0;
      curl_multi_perform(multi, &still);
      int left = 0;
      while (CURLMsg* msg = curl_multi_info_read(multi, &left)) {
        if (msg->msg != CURLMSG_DONE) continue;
        CURL* c = msg->easy_handle;
        const CURLcode code = msg->data.result;
        curl_multi_remove_handle(multi, c);
        auto it = running.find(c);
        if (it == running.end()) continue;
        std::unique_ptr<Transfer> t = std::move(it->second);
        running.erase(it);
        if (code != CURLE_OK) {
          t->result.status = 0;
          t->result.body.clear();
          t->result.error = curl_easy_strerror(code);
        } else {
          long status = 0;
          curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
          t->result.status = static_cast<int>(status);
        }
        finish(std::move(t));
      }
      curl_multi_poll(multi, nullptr, 0, 1000, nullptr);
    }
    // Stopping: whatever is still in flight ends now.
    for (auto& [c, t] : running) {
      curl_multi_remove_handle(multi, c);
      t->result.error = "client stopped";
      finish(std::move(t));
    }
    running.clear();
    std::deque<std::unique_ptr<Transfer>> left;
    {
      std::lock_guard<std::mutex> lock(mu);
      left.swap(queue);
    }
    for (auto& t : left) {
      t->result.error = "client stopped";
      finish(std::move(t));
    }
  }

  CURLM* multi = nullptr;
  std::thread thread;
  std::atomic<bool> stopping{false};
  std::atomic<std::size_t> pending{0};
  std::mutex mu;
  std::deque<std::unique_ptr<Transfer>> queue;           // submitted, not started (mu)
  std::unordered_map<CURL*, std::unique_ptr<Transfer>> running;  // loop thread only
};

AsyncHttpClient::AsyncHttpClient(std::size_t max_connections)
    : impl_(std::make_unique<Impl>(max_connections)) {}
AsyncHttpClient::~AsyncHttpClient() = default;

void AsyncHttpClient::submit(HttpRequest request, std::function<void(HttpResult)> done) {
  impl_->submit(std::move(request), std::move(done));
}

std::size_t AsyncHttpClient::in_flight() const { return impl_->pending.load(); }

}  // namespace gameday::net
