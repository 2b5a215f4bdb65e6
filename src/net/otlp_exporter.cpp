#include "net/otlp_exporter.hpp"

#include <curl/curl.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <utility>

#include "net/curl_easy.hpp"

namespace gameday::net {
namespace {

constexpr std::string_view kTracesPath = "/v1/traces";
// A Retry-After beyond this is read as this (close() bounds the wait anyway).
constexpr Duration kMaxRetryAfter = kHour;
// curl_multi_poll's longest sleep; curl's own timers and close()'s wakeup end it sooner.
constexpr int kPollMs = 1000;

// One POST's outcome.
struct Attempt {
  int status = 0;                      // 0: no answer (connection failure, timeout)
  std::string body;                    // the answer's body (bounded)
  std::string error;                   // status 0: why
  std::optional<Duration> retry_after;  // a Retry-After header in seconds
  bool aborted = false;                // close() gave up on it
};

bool retryable(int status) {
  return status == 0 || status == 429 || status == 502 || status == 503 || status == 504;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// "Retry-After: 12": delay seconds only (an HTTP-date is ignored: the backoff applies).
std::optional<Duration> parse_retry_after(std::string_view value) {
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && std::isspace(static_cast<unsigned char>(value.back()))) value.remove_suffix(1);
  if (value.empty() || value.size() > 9) return std::nullopt;
  Duration seconds = 0;
  for (const char c : value) {
    if (c < '0' || c > '9') return std::nullopt;
    seconds = seconds * 10 + (c - '0');
  }
  return std::min(seconds * kSecond, kMaxRetryAfter);
}

std::size_t on_header(char* data, std::size_t size, std::size_t n, void* user) {
  const std::string_view line(data, size * n);
  const auto colon = line.find(':');
  if (colon != std::string_view::npos && lower(line.substr(0, colon)) == "retry-after") {
    static_cast<Attempt*>(user)->retry_after = parse_retry_after(line.substr(colon + 1));
  }
  return size * n;
}

// The spans a 2xx answer's partialSuccess rejected (0 when none or unreadable).
std::uint64_t rejected_spans(const std::string& body) {
  const auto j = nlohmann::json::parse(body, nullptr, false);
  if (!j.is_object()) return 0;
  const auto ps = j.find("partialSuccess");
  if (ps == j.end() || !ps->is_object()) return 0;
  const auto r = ps->find("rejectedSpans");
  if (r == ps->end()) return 0;
  if (r->is_number_unsigned()) return r->get<std::uint64_t>();
  if (r->is_number_integer()) return static_cast<std::uint64_t>(std::max<std::int64_t>(0, r->get<std::int64_t>()));
  if (r->is_string()) {
    const std::string& s = r->get_ref<const std::string&>();
    if (s.empty() || s.size() > 19 || !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return 0;
    }
    return std::stoull(s);
  }
  return 0;
}

std::string describe(const Attempt& a) {
  if (a.status == 0) return a.error;
  return std::to_string(a.status) + " " + status_reason(a.status);
}

// One POST of `body` on `multi`, abandoned as soon as `stop` is set (close() wakes the poll).
Attempt post(CURLM* multi, const std::string& endpoint, const OtlpExporterOptions& o, const std::string& body,
             const std::atomic<bool>& stop) {
  Attempt a;
  HttpRequest request;
  request.method = "POST";
  request.url = endpoint;
  request.body = body;
  request.timeout = o.timeout;
  request.headers.emplace_back("Content-Type", "application/json");
  for (const auto& h : o.headers) request.headers.push_back(h);
  CurlEasy easy(request, &a.body);
  if (!easy.ok()) {
    a.error = easy.error();
    return a;
  }
  CURL* c = easy.handle();
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &a);
  curl_multi_add_handle(multi, c);
  int running = 1;
  CURLcode done = CURLE_OK;
  while (running && !stop.load()) {
    if (curl_multi_perform(multi, &running) != CURLM_OK) {
      done = CURLE_FAILED_INIT;
      break;
    }
    if (running) curl_multi_poll(multi, nullptr, 0, kPollMs, nullptr);
  }
  int left = 0;
  while (CURLMsg* msg = curl_multi_info_read(multi, &left)) {
    if (msg->msg == CURLMSG_DONE) done = msg->data.result;
  }
  curl_multi_remove_handle(multi, c);
  if (running && stop.load()) {
    a.aborted = true;
    return a;
  }
  if (done != CURLE_OK) {
    a.body.clear();
    a.error = curl_easy_strerror(done);
    return a;
  }
  long status = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  a.status = static_cast<int>(status);
  return a;
}

}  // namespace

std::string otlp_traces_endpoint(const std::string& url) {
  if (url.size() >= kTracesPath.size() && url.compare(url.size() - kTracesPath.size(), kTracesPath.size(), kTracesPath) == 0) {
    return url;
  }
  std::string base = url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  return base + std::string(kTracesPath);
}

std::optional<std::string> check_otlp_url(const std::string& url) {
  for (const std::string_view scheme : {"http://", "https://"}) {
    if (url.rfind(scheme, 0) == 0 && url.size() > scheme.size() && url[scheme.size()] != '/' &&
        url.find_first_of(" \t\r\n") == std::string::npos) {
      return std::nullopt;
    }
  }
  return "--otlp: expected an http:// or https:// URL, got '" + url + "'";
}

OtlpExporter::OtlpExporter(OtlpExporterOptions options)
    : options_(std::move(options)), endpoint_(otlp_traces_endpoint(options_.url)) {
  options_.max_attempts = std::max(1, options_.max_attempts);
  curl_global_once();
  multi_ = curl_multi_init();
  thread_ = std::thread([this] { run(); });
}

OtlpExporter::~OtlpExporter() {
  close(2 * kSecond);
  if (multi_ != nullptr) curl_multi_cleanup(static_cast<CURLM*>(multi_));
}

bool OtlpExporter::submit(std::string body, std::size_t spans) {
  std::lock_guard<std::mutex> lock(mu_);
  if (closing_ || queue_.size() >= options_.max_queue) {
    stats_.spans_dropped += spans;
    return false;
  }
  queue_.push_back(Item{std::move(body), spans});
  cv_.notify_all();
  return true;
}

void OtlpExporter::close(Duration grace) {
  std::unique_lock<std::mutex> lock(mu_);
  if (closed_) return;
  closed_ = true;
  closing_ = true;
  cv_.notify_all();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::microseconds(std::max<Duration>(0, grace));
  cv_.wait_until(lock, deadline, [this] { return queue_.empty() && !busy_; });
  stop_ = true;
  cv_.notify_all();
  lock.unlock();
  // Ends a POST in flight at once (its poll returns; the loop sees stop_).
  if (multi_ != nullptr) curl_multi_wakeup(static_cast<CURLM*>(multi_));
  thread_.join();
}

OtlpExportStats OtlpExporter::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

void OtlpExporter::run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    cv_.wait(lock, [this] { return stop_ || closing_ || !queue_.empty(); });
    if (stop_ || queue_.empty()) break;  // stopped, or closing with nothing left
    Item item = std::move(queue_.front());
    queue_.pop_front();
    busy_ = true;
    lock.unlock();
    const bool finished = deliver(item);
    lock.lock();
    busy_ = false;
    if (!finished) stats_.spans_dropped += item.spans;
    cv_.notify_all();
  }
  for (const Item& left : queue_) stats_.spans_dropped += left.spans;
  queue_.clear();
  cv_.notify_all();
}

bool OtlpExporter::deliver(const Item& item) {
  Duration backoff = std::clamp<Duration>(options_.initial_backoff, 0, std::max<Duration>(0, options_.max_backoff));
  for (int attempt = 1;; ++attempt) {
    if (multi_ == nullptr) {
      std::lock_guard<std::mutex> lock(mu_);
      stats_.spans_failed += item.spans;
      stats_.last_error = "cannot initialise libcurl";
      return true;
    }
    const Attempt a = post(static_cast<CURLM*>(multi_), endpoint_, options_, item.body, stop_);
    if (a.aborted) return false;
    std::unique_lock<std::mutex> lock(mu_);
    if (a.status >= 200 && a.status < 300) {
      const std::uint64_t rejected = std::min<std::uint64_t>(rejected_spans(a.body), item.spans);
      stats_.requests_sent += 1;
      stats_.spans_sent += item.spans - rejected;
      stats_.spans_failed += rejected;
      return true;
    }
    stats_.last_error = describe(a);
    if (!retryable(a.status) || attempt >= options_.max_attempts) {
      stats_.spans_failed += item.spans;
      return true;
    }
    stats_.retries += 1;
    lock.unlock();
    // The collector's Retry-After wins when it asks for longer than the backoff.
    if (!pause(std::max(backoff, a.retry_after.value_or(0)))) return false;
    backoff = std::min(backoff * 2, std::max<Duration>(0, options_.max_backoff));
  }
}

bool OtlpExporter::pause(Duration d) {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait_for(lock, std::chrono::microseconds(std::max<Duration>(0, d)), [this] { return stop_.load(); });
  return !stop_;
}

}  // namespace gameday::net
