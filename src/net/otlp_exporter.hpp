#pragma once
// Live traces out: OTLP/HTTP export of ExportTraceServiceRequest JSON bodies to a collector, from
// a background thread, with the OTLP/HTTP specification's retry rules (429, 502, 503, 504 and
// connection failures are retried with exponential backoff, honouring Retry-After; other
// answers are final). Batching is the caller's: each submit() is one POST.
#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "net/http_server.hpp"
#include "sim/time.hpp"

namespace gameday::net {

/// How an OtlpExporter sends.
struct OtlpExporterOptions {
  /// The collector's base URL: requests go to {url}/v1/traces (a URL already ending in
  /// /v1/traces is used as is).
  std::string url;
  /// Export requests waiting to be sent; a submit beyond that is dropped (and counted).
  std::size_t max_queue = 256;
  /// The longest one POST may take (connecting included).
  Duration timeout = 10 * kSecond;
  /// Attempts per export request, the first one included (at least 1).
  int max_attempts = 5;
  /// The wait before the first retry, doubled per retry up to max_backoff; a Retry-After
  /// header (in seconds) wins when it is longer.
  Duration initial_backoff = 500 * kMillisecond;
  Duration max_backoff = 10 * kSecond;
  /// Extra request headers (e.g. the Authorization a collector needs).
  HeaderList headers;
};

/// What an exporter has done so far.
struct OtlpExportStats {
  std::uint64_t requests_sent = 0;  ///< export requests the collector accepted (a 2xx answer)
  std::uint64_t spans_sent = 0;     ///< spans in them, less those the collector rejected
  std::uint64_t spans_dropped = 0;  ///< spans never sent: queue full, submitted after close, or still queued when close() gave up
  std::uint64_t spans_failed = 0;   ///< spans refused (a final error, attempts exhausted, partialSuccess.rejectedSpans)
  std::uint64_t retries = 0;        ///< POSTs repeated after a retryable answer or a connection failure
  /// Why the last POST that did not succeed failed ("503 Service Unavailable", "Couldn't
  /// connect to server"); "" while none has.
  std::string last_error;
};

/// Sends export requests to an OTLP/HTTP collector from its own thread, one at a time, in
/// submission order. submit() never waits for the network. Thread-safe.
class OtlpExporter {
 public:
  /// Starts the sender thread. The URL is not checked here (see check_otlp_url): a bad one
  /// makes every request fail.
  explicit OtlpExporter(OtlpExporterOptions options);
  /// close(2 s) when close() was not called.
  ~OtlpExporter();
  OtlpExporter(const OtlpExporter&) = delete;
  OtlpExporter& operator=(const OtlpExporter&) = delete;

  /// Queues one ExportTraceServiceRequest JSON carrying `spans` spans. False when it is dropped
  /// (the queue is full or the exporter is closed): its spans count in spans_dropped.
  bool submit(std::string body, std::size_t spans);
  /// Sends what is queued (retries included), waiting at most `grace` in total, then stops the
  /// sender, aborting a POST in flight; what was not sent by then counts as dropped. Later
  /// submits are dropped. Returns within `grace` (plus thread teardown) even when the
  /// collector hangs. Only the first call does anything.
  void close(Duration grace);
  /// The counts so far.
  OtlpExportStats stats() const;

 private:
  struct Item {
    std::string body;
    std::size_t spans = 0;
  };
  void run();
  // Sends one export request with its retries; false when the exporter stopped meanwhile.
  bool deliver(const Item& item);
  // Waits `d` of real time, or until stopped; false when stopped.
  bool pause(Duration d);

  OtlpExporterOptions options_;
  std::string endpoint_;
  void* multi_ = nullptr;  // CURLM*: kept across requests (its connection cache), woken by close()
  mutable std::mutex mu_;
  std::condition_variable cv_;  // the queue, busy_, closing_ and stop_ changed
  std::deque<Item> queue_;
  bool busy_ = false;     // an item is being delivered
  bool closing_ = false;  // no more submits
  std::atomic<bool> stop_{false};  // give up now (set under mu_; the transfer loop reads it unlocked)
  bool closed_ = false;
  OtlpExportStats stats_;
  std::thread thread_;
};

/// nullopt when `url` is an http:// or https:// URL with a host, else the message for the
/// command line ("--otlp: expected an http:// or https:// URL, got 'x'").
std::optional<std::string> check_otlp_url(const std::string& url);

/// The URL an export request for collector `url` goes to: {url}/v1/traces, or `url` itself
/// when it already ends in /v1/traces.
std::string otlp_traces_endpoint(const std::string& url);

}  // namespace gameday::net
