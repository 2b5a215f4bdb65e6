#include "net/assistant_server.hpp"

#include <chrono>
#include <nlohmann/json.hpp>
#include <utility>

#include "assistant/phi.hpp"
#include "engine/simulation.hpp"
#include "net/json_reply.hpp"
#include "fakes/world.hpp"
#include "playbook/control_api.hpp"
#include "sim/realtime_scheduler.hpp"
#include "trace/context.hpp"
#include "workload/task.hpp"

namespace gameday::net {
namespace {

using Json = nlohmann::json;

std::optional<RequestStatus> parse_status(const std::string& s) {
  if (s == "ok") return RequestStatus::kOk;
  if (s == "fallback") return RequestStatus::kFallback;
  if (s == "error") return RequestStatus::kError;
  return std::nullopt;
}

}  // namespace

// ---- wire

bool parse_ask_body(std::string_view body, AskBody& out, std::string& error, std::string& field) {
  const Json j = Json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    error = "body is not a JSON object";
    return false;
  }
  const auto text = [&](const char* key, std::string& into, bool required) {
    const auto it = j.find(key);
    if (it == j.end() || it->is_null()) {
      if (!required) return true;
      error = std::string("missing required field '") + key + "'";
      field = key;
      return false;
    }
    if (!it->is_string()) {
      error = std::string("'") + key + "' must be a string";
      field = key;
      return false;
    }
    into = it->get<std::string>();
    return true;
  };
  if (!text("task_type", out.task_type, true) || !text("patient", out.patient, true) ||
      !text("question", out.question, false) || !text("subject", out.subject, false)) {
    return false;
  }
  if (!parse_task_type(out.task_type)) {
    error = "unknown task_type '" + out.task_type +
            "' (prior_auth_status, benefits_question, discharge_summary, message_triage)";
    field = "task_type";
    return false;
  }
  return true;
}

std::string ask_body_json(const Task& task) {
  Json j = {{"task_type", to_string(task.type)}, {"patient", task.patient_id}, {"question", task.question}};
  if (!task.subject.empty()) j["subject"] = task.subject;
  return j.dump();
}

std::string answer_json(const Answer& a, std::uint64_t id) {
  Json j = {{"id", "ans-" + std::to_string(id)},
            {"status", to_string(a.status)},
            {"answer", a.text},
            {"citations", a.citations},
            {"cause", a.cause},
            {"vendor", a.vendor},
            {"model", a.model},
            {"prompt_version", a.prompt_version},
            {"latency_ms", static_cast<double>(a.latency) / kMillisecond}};
  if (!a.tool_calls.empty()) j["tool_calls"] = a.tool_calls;
  return j.dump();
}

bool answer_from_response(std::string_view body, const Task& task, const World& world, Answer& a,
                          std::string& error) {
  const Json j = Json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    error = "the answer is not a JSON object";
    return false;
  }
  const auto str = [&](const char* key) -> std::string {
    const auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  const std::string status = str("status");
  const auto parsed = status.empty() ? std::optional<RequestStatus>(RequestStatus::kOk) : parse_status(status);
  if (!parsed) {
    error = "status must be ok, fallback or error, got '" + status + "'";
    return false;
  }
  const auto answer_it = j.find("answer");
  if (*parsed == RequestStatus::kOk && (answer_it == j.end() || !answer_it->is_string())) {
    error = "an ok answer needs an \"answer\" string";
    return false;
  }
  a.status = *parsed;
  a.text = answer_it != j.end() && answer_it->is_string() ? answer_it->get<std::string>() : std::string();
  a.cause = str("cause");
  a.vendor = str("vendor");
  a.model = str("model");
  a.prompt_version = str("prompt_version");
  a.stage = Stage::kDone;
  a.json_output = task.type == TaskType::kMessageTriage;
  if (const auto tc = j.find("tool_calls"); tc != j.end() && tc->is_array()) {
    for (const auto& t : *tc) a.tool_calls.push_back(t.is_string() ? t.get<std::string>() : t.dump());
  }
  if (a.status != RequestStatus::kOk) {
    if (a.cause.empty()) a.cause = "sut_" + status;
    return true;
  }
  // Citations: the service's list, else the markers in its text (or its JSON answer's list).
  if (a.json_output) {
    const Json inner = Json::parse(a.text, nullptr, false);
    a.schema_valid = inner.is_object() && inner.contains("answer") && inner["answer"].is_string() &&
                     inner.contains("citations") && inner["citations"].is_array();
    if (a.schema_valid) {
      a.statement = inner["answer"].get<std::string>();
      for (const auto& c : inner["citations"]) {
        if (c.is_string()) a.citations.push_back(c.get<std::string>());
      }
    }
  }
  if (const auto cites = j.find("citations"); a.citations.empty() && cites != j.end() && cites->is_array()) {
    for (const auto& c : *cites) {
      if (c.is_string()) a.citations.push_back(c.get<std::string>());
    }
  }
  if (a.citations.empty()) a.citations = extract_citations(a.text);
  a.refused = is_refusal(a.json_output ? a.statement : a.text);
  a.canary_seen = a.text.find(kCanaryPrefix) != std::string::npos;
  for (const auto& t : a.tool_calls) a.canary_seen = a.canary_seen || t.find(kCanaryPrefix) != std::string::npos;
  a.phi_detected = contains_phi(a.text);
  // The context it rests on: the cited documents that exist, as "[doc:ID] text" lines.
  a.context = "Question: " + task.question + "\nContext:\n";  // the judge reads after "\nContext:\n"
  bool all_exist = !a.citations.empty();
  for (const auto& id : a.citations) {
    std::string_view text, owner;
    if (const Document* d = world.document(id)) {
      text = d->text;
      owner = d->patient_id;
      if (d->status == "superseded") a.superseded_docs.push_back(id);
    } else if (const PriorAuth* pa = world.prior_auth(id)) {
      owner = pa->patient_id;
    } else {
      all_exist = false;
      continue;
    }
    a.retrieved_ids.push_back(id);
    const std::size_t begin = a.context.size();
    a.context += "[doc:" + id + "] ";
    if (text.empty()) {
      a.context += prior_auth_text(*world.prior_auth(id));
    } else {
      a.context += text;
    }
    a.context += '\n';
    if (a.retrieved_ids.size() <= a.doc_spans.size()) {
      a.doc_spans[a.retrieved_ids.size() - 1] = Answer::DocSpan{static_cast<std::uint32_t>(begin),
                                                               static_cast<std::uint32_t>(a.context.size() - 1)};
    }
    if (!owner.empty() && owner != task.patient_id) a.other_patient_docs.push_back(id);
    if (text.find(kCanaryPrefix) != std::string_view::npos) a.canary_in_context = true;
  }
  a.citations_valid = all_exist || (a.refused && a.citations.empty());
  return true;
}

// ---- the built-in exchange

void BuiltinExchange::expect(std::uint64_t id, std::shared_ptr<const Task> task, AnswerProgress progress) {
  entries_[id] = Entry{std::move(task), std::move(progress), std::nullopt};
}

BuiltinExchange::Entry* BuiltinExchange::find(std::uint64_t id) {
  const auto it = entries_.find(id);
  return it == entries_.end() ? nullptr : &it->second;
}

std::optional<BuiltinExchange::Entry> BuiltinExchange::take(std::uint64_t id) {
  const auto it = entries_.find(id);
  if (it == entries_.end()) return std::nullopt;
  Entry e = std::move(it->second);
  entries_.erase(it);
  return e;
}

// ---- the built-in assistant's server

struct AssistantServer::Impl {
  Impl(RealTimeScheduler& s, BuiltinExchange& x, ServerOptions o)
      : scheduler(s),
        exchange(x),
        rng(Rng::for_component(1, "live.assistant.adhoc")),
        server([this](ServerRequest req, ReplyFn reply) { handle(std::move(req), std::move(reply)); },
               with_json_errors(std::move(o))) {}

  // The HTTP layer's own errors (malformed request, slow client, body too large) in the API's
  // error shape too.
  static ServerOptions with_json_errors(ServerOptions o) {
    if (!o.error_response) {
      o.error_response = [](int status, const std::string& message) { return json_error(status, message); };
    }
    return o;
  }

  // Server thread: checks what needs no engine, then hands the request to the engine's thread.
  void handle(ServerRequest req, ReplyFn reply) {
    const std::string path = path_of(req.target);
    if (path == "/v1/answers") {
      if (req.method != "POST") return reply(json_error(405, "use POST /v1/answers"));
      auto body = std::make_shared<AskBody>();
      std::string error, field;
      if (!parse_ask_body(req.body, *body, error, field)) return reply(json_error(400, error, field));
      std::uint64_t id = 0;
      const std::string id_text(request_header(req, kRequestHeader));
      if (!id_text.empty()) id = std::strtoull(id_text.c_str(), nullptr, 10);
      scheduler.post([this, body, id, reply = std::move(reply)]() mutable { answer(*body, id, std::move(reply)); });
      return;
    }
    if (path == "/v1/assistant" || path.rfind("/v1/assistant/", 0) == 0) {
      auto request = std::make_shared<ControlRequest>(ControlRequest{req.method, req.target, req.body});
      scheduler.post([this, request, reply = std::move(reply)] {
        if (engine == nullptr) return reply(json_error(503, "the drill is not running"));
        const ControlResponse r = handle_control_request(engine->assistant(), *request, "assistant-api");
        reply(ServerResponse{r.status, "application/json", r.body + "\n"});
      });
      return;
    }
    reply(json_error(404, "unknown route " + req.method + " " + path));
  }

  // Scheduler thread.
  void answer(const AskBody& body, std::uint64_t id, ReplyFn reply) {
    if (engine == nullptr) return reply(json_error(503, "the drill is not running"));
    std::shared_ptr<const Task> task;
    BuiltinExchange::Entry* entry = id != 0 ? exchange.find(id) : nullptr;
    if (entry != nullptr) {
      task = entry->task;
    } else {
      const TaskFactory& factory = engine->tasks();
      if (factory.world().patient(body.patient) == nullptr) {
        return reply(json_error(404, "no patient '" + body.patient + "' in the world", "patient"));
      }
      auto made = factory.make(*parse_task_type(body.task_type), body.patient, rng);
      if (!made) {
        return reply(json_error(422, "the patient has nothing to ask about for " + body.task_type, "patient"));
      }
      if (!body.question.empty()) made->question = body.question;
      task = std::make_shared<const Task>(std::move(*made));
    }
    struct Call {
      std::shared_ptr<const Task> task;
      ReplyFn reply;
      std::uint64_t id;
    };
    auto call = std::make_shared<Call>(Call{task, std::move(reply), id});
    auto view = engine->assistant().handle(*task, [this, call](const Answer& a) {
      if (call->id != 0) {
        if (BuiltinExchange::Entry* e = exchange.find(call->id)) e->answer = a;
      }
      call->reply(ServerResponse{200, "application/json", answer_json(a, call->id) + "\n"});
    });
    if (entry != nullptr && entry->progress) *entry->progress = view;
  }

  RealTimeScheduler& scheduler;
  BuiltinExchange& exchange;
  EngineHandle* engine = nullptr;  // scheduler thread only
  Rng rng;                         // ad-hoc tasks (scheduler thread)
  HttpServer server;               // last: stops first
};

AssistantServer::AssistantServer(RealTimeScheduler& scheduler, BuiltinExchange& exchange, ServerOptions options)
    : impl_(std::make_unique<Impl>(scheduler, exchange, std::move(options))) {}
AssistantServer::~AssistantServer() = default;
void AssistantServer::attach(EngineHandle* engine) { impl_->engine = engine; }
std::string AssistantServer::url() const { return impl_->server.url(); }

// ---- the workload's side

HttpAnswerService::HttpAnswerService(RealTimeScheduler& scheduler, AsyncHttpClient& client,
                                     std::string base_url, const World& world,
                                     BuiltinExchange* exchange, TraceJoin* join, std::uint64_t trace_seed,
                                     Duration timeout)
    : scheduler_(scheduler),
      client_(client),
      url_(std::move(base_url) + "/v1/answers"),
      world_(world),
      exchange_(exchange),
      join_(join),
      trace_seed_(trace_seed),
      timeout_(timeout) {}

void HttpAnswerService::ask(const Task& task, AnswerFn done, const AnswerProgress& progress) {
  struct Pending {
    const Task* task;
    AnswerFn done;
    std::uint64_t id;
    SimTime sent;
    std::string trace_id;
  };
  const std::uint64_t id = next_id_++;
  const TraceId trace = request_trace_id(trace_seed_, task.id, task.probe);
  auto p = std::make_shared<Pending>(Pending{&task, std::move(done), id, scheduler_.now(), trace_id_hex(trace)});
  if (exchange_ != nullptr) exchange_->expect(id, std::make_shared<const Task>(task), progress);
  if (join_ != nullptr) {
    // The span facts so far, for a caller that gives up before the answer comes.
    auto spans = std::make_shared<Answer>();
    if (progress) *progress = spans;
    join_->expect(p->trace_id, std::move(spans));
  }
  HttpRequest request;
  request.method = "POST";
  request.url = url_;
  request.headers = {{"Content-Type", "application/json"},
                     {kRequestHeader, std::to_string(id)},
                     {std::string(kTraceparentHeader), make_traceparent(trace, trace_span_id(trace, 0))}};
  request.body = ask_body_json(task);
  request.timeout = timeout_;
  // The callback outlives nothing it names: it holds the scheduler, world and exchange (which
  // the drill keeps alive past the client), never this service.
  client_.submit(std::move(request), [scheduler = &scheduler_, world = &world_, exchange = exchange_,
                                      join = join_, p](HttpResult r) {
    scheduler->post([scheduler, world, exchange, join, p, r = std::move(r)] {
      Answer a;
      std::optional<BuiltinExchange::Entry> entry;
      if (exchange != nullptr) entry = exchange->take(p->id);
      const std::shared_ptr<Answer> spans = join != nullptr ? join->take(p->trace_id) : nullptr;
      if (r.status == 200 && entry && entry->answer) {
        a = std::move(*entry->answer);  // the built-in's answer, with its spans
      } else if (r.status == 200) {
        std::string error;
        if (!answer_from_response(r.body, *p->task, *world, a, error)) {
          a = Answer{};
          a.status = RequestStatus::kError;
          a.cause = "sut_bad_answer";
        }
      } else {
        a.status = RequestStatus::kError;
        a.cause = r.status == 0 ? "sut_unreachable" : "sut_http_" + std::to_string(r.status);
      }
      if (spans) merge_span_facts(a, *spans, scheduler->now());
      a.latency = scheduler->now() - p->sent;
      AnswerFn reply = std::move(p->done);
      reply(a);
    });
  });
}

}  // namespace gameday::net
