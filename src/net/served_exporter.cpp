#include "net/served_exporter.hpp"

#include <chrono>
#include <utility>

#include "net/otlp_spans.hpp"
#include "sim/rng.hpp"

namespace gameday::net {

ServedSpanExporter::ServedSpanExporter(OtlpExporter& exporter, std::string service_name, std::size_t batch,
                                       Duration interval)
    : exporter_(exporter),
      service_name_(std::move(service_name)),
      batch_(batch == 0 ? 1 : batch),
      interval_(interval),
      thread_([this] { run(); }) {}

ServedSpanExporter::~ServedSpanExporter() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void ServedSpanExporter::served(const ServedCall& call) {
  if (!call.sampled) return;  // the caller does not record this trace
  bool wake = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    pending_.push_back(call);
    // The first call starts a batch's clock; a full batch goes at once.
    wake = pending_.size() == 1 || pending_.size() >= batch_;
  }
  if (wake) wake_.notify_all();
}

void ServedSpanExporter::run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    wake_.wait(lock, [this] { return stop_ || !pending_.empty(); });
    if (!stop_ && pending_.size() < batch_) {
      // The first call of a batch waits at most `interval` for company.
      wake_.wait_for(lock, std::chrono::microseconds(interval_), [this] { return stop_ || pending_.size() >= batch_; });
    }
    std::vector<ServedCall> calls = std::move(pending_);
    pending_.clear();
    const bool stopping = stop_;
    lock.unlock();
    if (!calls.empty()) send(std::move(calls));
    lock.lock();
    if (stopping && pending_.empty()) return;
  }
}

void ServedSpanExporter::send(std::vector<ServedCall> calls) {
  const std::size_t n = calls.size();
  const std::uint64_t salt = mix64(unix_nanos_now() ^ ++batches_);
  exporter_.submit(served_export_json(calls, service_name_, salt), n);
}

}  // namespace gameday::net
