#include "net/async_http_client.hpp"

#include <curl/curl.h>

#include "net/curl_easy.hpp"

#include <atomic>
#include <deque>
#include <mutex>
#include <thread>
#include <unordered_map>

namespace gameday::net {
struct AsyncHttpClient::Impl {
  // One transfer: the easy handle and what it owns.
  struct Transfer {
    HttpRequest request;
    std::function<void(HttpResult)> done;
    HttpResult result;
    std::unique_ptr<CurlEasy> easy;
  };

  explicit Impl(std::size_t max_connections) {
    curl_global_once();
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
    t->easy = std::make_unique<CurlEasy>(t->request, &t->result.body);
    if (!t->easy->ok()) {
      t->result.error = t->easy->error();
      return false;
    }
    CURL* c = t->easy->handle();
    curl_easy_setopt(c, CURLOPT_PRIVATE, t.get());
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
