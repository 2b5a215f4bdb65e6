#pragma once
// What a live fake saw of one call it served: the fake vendor's model calls (chat completions,
// Responses, Messages, embeddings) and the fake EHR's reads and searches. The GenAI metrics on
// /metrics count them, and a drill joins them by trace id to the `--sut` answers they served.
#include <cstdint>
#include <string>

#include "sim/journal.hpp"
#include "sim/time.hpp"

namespace gameday::net {

/// One call as the fake that served it saw it. Holds no PHI: no message, no identifier.
struct ServedCall {
  std::string trace_id;        ///< the caller's `traceparent` trace id ("" = it sent none)
  std::string parent_span_id;  ///< the caller's span the call belongs to ("" = none)
  /// The caller's trace-flags sampled bit (true without trace context): a caller that does not
  /// record its trace gets no span of the call exported (`serve --otlp`).
  bool sampled = true;
  /// dependency (kVendor, kEmbeddings or kEhr), vendor id, status (0: reset, cut or never
  /// answered), latency (real time from receipt to the last byte, the reset, or the hold),
  /// resource (EHR: the FHIR resource type; vendor: the model that answered), response id,
  /// finish reason, error type (a fault's error body), tokens, the faults that shaped it.
  /// `started` is not set (the drill places the call on its own clock).
  DependencyCall call;
  std::string operation;      ///< gen_ai.operation.name: "chat" or "embeddings" ("" for the EHR)
  std::string provider;       ///< gen_ai.provider.name: "openai", "azure.ai.openai", "anthropic"
  std::string request_model;  ///< the model the request named (an Azure deployment's model)
  Duration first_chunk = -1;  ///< a streamed answer: time to its first chunk (-1 when not streamed)
  /// Held open without an answer (a hang, a stalled stream): recorded when the hold began.
  bool unfinished = false;
  int phi_in_prompt = 0;  ///< vendor: identifiers (MRN, phone, member id) in the request's messages
  /// Vendor: the request's messages held a canary token (a poisoned note reached the model).
  /// EHR: a document it served held one.
  bool canary = false;
  /// When the fake received it (Unix time, nanoseconds): where its span starts.
  std::uint64_t start_unix_nano = 0;
};

/// The wall clock in Unix nanoseconds (the live fakes' receipt times). Never on the simulated path.
std::uint64_t unix_nanos_now();

/// Receives every call a fake served, from the servers' io threads (implementations lock).
class CallObserver {
 public:
  virtual ~CallObserver() = default;
  /// One finished (or held) call.
  virtual void served(const ServedCall& call) = 0;
};

}  // namespace gameday::net
