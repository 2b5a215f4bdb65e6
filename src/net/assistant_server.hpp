#pragma once
// The assistant over HTTP, for live drills: the built-in assistant's own server (ask a task, get
// an answer with citations; its controls), and the workload's side, which asks any such service
// (the built-in's, or the team's own with `gameday drill --sut URL`) through libcurl multi.
//
// The answer API (what a `--sut` service implements too):
//   POST /v1/answers   {"task_type": "prior_auth_status", "patient": "pat-0001",
//                       "question": "...", "subject": "..."}
//     -> 200 {"id", "status": "ok" | "fallback" | "error", "answer": "... [doc:ID] ...",
//             "citations": ["ID", ...], "cause", "vendor", "model", "prompt_version",
//             "latency_ms"}
//   Bad bodies get 400 {"error": {"message", "field"}}; an unknown patient 404; a patient with
//   nothing to ask about 422.
// The built-in's controls (the control API of playbook scripts, playbook/control_api.hpp):
//   GET /v1/assistant, PUT /v1/assistant/flags/{name}, PUT /v1/assistant/prompt,
//   POST /v1/assistant/prompt/rollback, PUT /v1/assistant/route, PUT /v1/assistant/shed.
// Requests the drill's workload sends carry X-Gameday-Request: the built-in server answers them
// for the task the workload made (with its truth), and hands the answer's spans to the scorer
// in-process, as a tracing backend would. Other requests (a facilitator's curl) are answered for
// a task built from the body and are not scored.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "assistant/assistant.hpp"
#include "net/async_http_client.hpp"
#include "net/http_server.hpp"
#include "net/trace_join.hpp"

namespace gameday {
class RealTimeScheduler;
class EngineHandle;
class World;
}  // namespace gameday

namespace gameday::net {

/// The header that ties a workload request to its task.
inline constexpr const char* kRequestHeader = "X-Gameday-Request";

/// A parsed POST /v1/answers body.
struct AskBody {
  std::string task_type;
  std::string patient;
  std::string question;  ///< "" = the task's own
  std::string subject;
};

/// Parses an answer request body; false with `error` and `field` on a bad one.
bool parse_ask_body(std::string_view body, AskBody& out, std::string& error, std::string& field);
/// The answer request for `task`.
std::string ask_body_json(const Task& task);
/// The answer response for `answer` (request id `id`).
std::string answer_json(const Answer& answer, std::uint64_t id);

/// Rebuilds what the scorer needs from a service's answer response when it cannot see the
/// service's spans (a `--sut` service): status, text, citations (from "citations", else from
/// the "[doc:ID]" markers), vendor, model, prompt version; the observable checks (refusal,
/// canary, PHI pattern, JSON shape for message triage); and, as the context the answer rests
/// on, the world's text of each cited document that exists (a cited document of another patient
/// is wrong-patient evidence, a citation of a document that does not exist is a hallucination).
/// False with `error` when the body is not an answer response.
bool answer_from_response(std::string_view body, const Task& task, const World& world, Answer& out,
                          std::string& error);

/// Tasks in flight between the drill's workload and the built-in assistant's server, by request
/// id, and the answers (with spans) the server hands back. Scheduler thread only.
class BuiltinExchange {
 public:
  struct Entry {
    std::shared_ptr<const Task> task;  ///< a copy: alive as long as either side needs it
    AnswerProgress progress;           ///< the workload's view of the answer in progress
    std::optional<Answer> answer;      ///< set by the server when the assistant answered
  };
  /// Registers request `id` (the workload, before sending).
  void expect(std::uint64_t id, std::shared_ptr<const Task> task, AnswerProgress progress);
  /// The entry of request `id`, or null (the server, on receiving it).
  Entry* find(std::uint64_t id);
  /// Removes and returns the entry of `id` (the workload, on the response).
  std::optional<Entry> take(std::uint64_t id);

 private:
  std::unordered_map<std::uint64_t, Entry> entries_;
};

/// The built-in assistant's HTTP server. Requests are handed to the engine's thread (the
/// scheduler); while no engine is attached they get 503.
class AssistantServer {
 public:
  /// Binds and starts serving; throws std::runtime_error when it cannot bind.
  AssistantServer(RealTimeScheduler& scheduler, BuiltinExchange& exchange, ServerOptions options);
  ~AssistantServer();
  AssistantServer(const AssistantServer&) = delete;
  AssistantServer& operator=(const AssistantServer&) = delete;

  /// Attaches the running engine (or detaches with nullptr). Scheduler thread only.
  void attach(EngineHandle* engine);
  /// "http://HOST:PORT".
  std::string url() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// The workload's side: asks an answer service over HTTP (AnswerService for the engine).
/// Every ask ends in `done` on the scheduler's thread: the service's answer, or status error
/// with cause "sut_http_<status>" / "sut_unreachable" / "sut_bad_answer". Every request carries
/// a W3C `traceparent` (trace id request_trace_id(trace_seed, task id, probe), parent its root span's
/// id): the trace its spans are written under.
class HttpAnswerService final : public AnswerService {
 public:
  /// `base_url`: the service ("http://127.0.0.1:PORT"; POST base_url + "/v1/answers").
  /// `exchange`: non-null for the built-in assistant's server (answers come with spans).
  /// `join`: for a `--sut` service, the calls the fakes served by trace id (answers get their
  /// span facts from it); null for the built-in.
  /// `timeout`: how long one request may take (beyond the workload's own client timeout).
  /// `scheduler`, `world`, `exchange` and `join` must outlive `client` (its callbacks use them);
  /// the service itself may go first.
  HttpAnswerService(RealTimeScheduler& scheduler, AsyncHttpClient& client, std::string base_url,
                    const World& world, BuiltinExchange* exchange, TraceJoin* join, std::uint64_t trace_seed,
                    Duration timeout);
  void ask(const Task& task, AnswerFn done, const AnswerProgress& progress) override;

 private:
  RealTimeScheduler& scheduler_;
  AsyncHttpClient& client_;
  std::string url_;
  const World& world_;
  BuiltinExchange* exchange_;
  TraceJoin* join_;
  std::uint64_t trace_seed_;
  Duration timeout_;
  std::uint64_t next_id_ = 1;
};

}  // namespace gameday::net
