#pragma once
// `gameday serve --otlp URL`: the calls the live fakes serve, sent to an OTLP/HTTP collector as
// SERVER spans (net/otlp_spans.hpp) in batches, so a team's traces show the fake vendor's and
// EHR's side of each call (the faults that shaped it) under the caller's own span.
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "net/otlp_exporter.hpp"
#include "net/served_call.hpp"

namespace gameday::net {

/// A CallObserver batching served calls into export requests for `exporter`: a batch goes when
/// it holds `batch` calls or `interval` after its first call, from its own thread; served()
/// never waits on the network (a full exporter queue drops the batch, counted there). Calls
/// whose `traceparent` says the caller does not sample the trace are not exported.
class ServedSpanExporter final : public CallObserver {
 public:
  /// `exporter` must outlive this; spans are of service `service_name`.
  ServedSpanExporter(OtlpExporter& exporter, std::string service_name, std::size_t batch = 64,
                     Duration interval = kSecond);
  /// Sends what is batched and stops the thread.
  ~ServedSpanExporter() override;
  ServedSpanExporter(const ServedSpanExporter&) = delete;
  ServedSpanExporter& operator=(const ServedSpanExporter&) = delete;

  void served(const ServedCall& call) override;

 private:
  void run();
  void send(std::vector<ServedCall> calls);

  OtlpExporter& exporter_;
  const std::string service_name_;
  const std::size_t batch_;
  const Duration interval_;
  std::mutex mu_;
  std::condition_variable wake_;
  std::vector<ServedCall> pending_;
  std::uint64_t batches_ = 0;  // salts the ids of spans without trace context
  bool stop_ = false;
  std::thread thread_;  // last: starts once the rest is ready
};

}  // namespace gameday::net
