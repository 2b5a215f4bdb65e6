#include "fakes/vendor.hpp"

#include <algorithm>
#include <cmath>
#include <string_view>
#include <nlohmann/json.hpp>
#include <utility>

#include "fakes/bend.hpp"
#include "fakes/embeddings.hpp"
#include "fakes/faults.hpp"
#include "fakes/tool_calls.hpp"
#include "sim/distribution.hpp"

namespace gameday {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

int tokens_for_chars(std::size_t chars) {
  return std::max(1, static_cast<int>((chars + 3) / 4));
}

std::string hex16(std::uint64_t v) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s(16, '0');
  for (int i = 15; i >= 0; --i, v >>= 4) s[static_cast<std::size_t>(i)] = kHex[v & 0xf];
  return s;
}

VendorError error_for_status(int status, const std::string& message) {
  VendorError e;
  if (status == 429) {
    e.type = "rate_limit_error";
    e.code = "rate_limit_exceeded";
    e.message = "Rate limit reached for requests. Please try again later.";
  } else if (status >= 500) {
    e.type = "server_error";
    e.message = status == 503 ? "The engine is currently overloaded, please try again later."
                              : "The server had an error while processing your request. Sorry "
                                "about that!";
  } else {
    e.type = "invalid_request_error";
    e.message = "The request was rejected.";
  }
  if (!message.empty()) e.message = message;
  return e;
}

// The faults that applied to one request: the first of each deciding kind, and the bends.
// Latency faults are applied as they are drawn (to o.ttft, o.fault_ids).
struct Applied {
  const FaultSpec* error = nullptr;
  const FaultSpec* hang = nullptr;
  const FaultSpec* reset = nullptr;
  const FaultSpec* stream = nullptr;  // stream_stall or stream_break (live-only kinds)
  const FaultSpec* forbidden_tool = nullptr;  // the tool-flow kinds
  const FaultSpec* wrong_arguments = nullptr;
  const FaultSpec* tool_loop = nullptr;
  bend::Bends bends;
};

// Draws each fault's probability in order (FakeVendor::respond's draw order).
Applied select_faults(const ChatRequest& req, std::string_view model,
                      const std::vector<const FaultSpec*>& faults, Rng& rng, VendorOutcome& o) {
  Applied a;
  for_each_applied(faults, FaultTarget::kVendor, req.task_type, model, rng, [&](const FaultSpec& f) {
    switch (f.kind()) {
      case FaultKind::kLatency:
        o.ttft += sample(f.as<LatencyFault>()->delay, rng);
        o.fault_ids.push_back(f.id);
        break;
      case FaultKind::kError: keep_first(a.error, f); break;
      case FaultKind::kHang: keep_first(a.hang, f); break;
      case FaultKind::kReset: keep_first(a.reset, f); break;
      case FaultKind::kStreamStall:
      case FaultKind::kStreamBreak: keep_first(a.stream, f); break;
      case FaultKind::kHallucination: keep_first(a.bends.hallucination, f); break;
      case FaultKind::kInjectionFollowing: keep_first(a.bends.injection, f); break;
      case FaultKind::kSchemaBreak: keep_first(a.bends.schema, f); break;
      case FaultKind::kRefusalStorm: keep_first(a.bends.refusal, f); break;
      case FaultKind::kDrift: keep_first(a.bends.drift, f); break;
      case FaultKind::kForbiddenTool: keep_first(a.forbidden_tool, f); break;
      case FaultKind::kToolWrongArguments: keep_first(a.wrong_arguments, f); break;
      case FaultKind::kToolLoop: keep_first(a.tool_loop, f); break;
      // Not vendor kinds (for_each_applied keeps them out).
      case FaultKind::kTimeout:
      case FaultKind::kWrongPatient:
      case FaultKind::kIrrelevantDocs:
      case FaultKind::kStaleDocs:
      case FaultKind::kEmptyResults:
      case FaultKind::kTruncatedPaging:
      case FaultKind::kPoisonedNote:
      case FaultKind::kPromptDeploy:
      case FaultKind::kConfigChange:
        break;
    }
  }, req.route);
  return a;
}

// Decides an outcome without an answer (hang > reset > error fault > baseline error); false
// when the request is answered.
bool ends_without_answer(const Applied& a, bool baseline_error, VendorOutcome& o) {
  if (a.hang != nullptr) {
    o.hang = true;
    o.status = 0;
    o.fault_ids.push_back(a.hang->id);
  } else if (a.reset != nullptr) {
    o.status = 0;
    o.disconnect = Disconnect::kReset;
    o.fault_ids.push_back(a.reset->id);
  } else if (a.error != nullptr) {
    const ErrorFault& e = *a.error->as<ErrorFault>();
    o.status = e.status > 0 ? e.status : 500;
    o.error = error_for_status(o.status, e.message);
    o.retry_after = e.retry_after;
    o.fault_ids.push_back(a.error->id);
  } else if (baseline_error) {
    o.status = 500;
    o.error = error_for_status(500, "");
  } else {
    return false;
  }
  return true;
}

// Cuts content beyond max_tokens * 4 characters (finish_reason "length").
void cut_at_max_tokens(const ChatRequest& req, ChatResponse& r) {
  if (req.max_tokens <= 0 || r.content.size() <= static_cast<std::size_t>(req.max_tokens) * 4) return;
  std::size_t cut = static_cast<std::size_t>(req.max_tokens) * 4;
  // Do not split a UTF-8 sequence.
  while (cut > 0 && (static_cast<unsigned char>(r.content[cut]) & 0xC0) == 0x80) --cut;
  r.content.resize(cut);
  r.finish_reason = "length";
}

// Prompt and completion tokens, about 4 characters a token.
void count_usage(const ChatRequest& req, ChatResponse& r) {
  std::size_t prompt_chars = 0;
  for (const ChatMessage& m : req.messages) prompt_chars += m.content.size();
  std::size_t completion_chars = r.content.size();
  for (const ToolCall& tc : r.tool_calls) completion_chars += tc.name.size() + tc.arguments.size();
  r.usage.prompt_tokens = tokens_for_chars(prompt_chars);
  r.usage.completion_tokens = tokens_for_chars(completion_chars);
  r.usage.total_tokens = r.usage.prompt_tokens + r.usage.completion_tokens;
}

// How long the vendor takes to generate `tokens` (0 when the profile sets no speed).
Duration generation_time(const VendorProfile& p, int tokens) {
  if (p.tokens_per_second <= 0) return 0;
  return static_cast<Duration>(std::llround(tokens * 1e6 / p.tokens_per_second));
}

// A stream_stall or stream_break fault ends the answer on the way.
void break_stream(const VendorProfile& p, const FaultSpec& f, VendorOutcome& o) {
  // The answer starts and dies on the way: the caller gets no status (or never a reply).
  const bool stall = f.kind() == FaultKind::kStreamStall;
  o.disconnect = stall ? Disconnect::kStreamStall : Disconnect::kStreamBreak;
  o.after_tokens = stream_fault_after_tokens(f);
  o.status = 0;
  o.hang = stall;
  if (p.tokens_per_second > 0) {
    o.delay = o.ttft + generation_time(p, std::min(o.after_tokens, o.response.usage.completion_tokens));
  }
  o.fault_ids.push_back(f.id);
}

// The arguments of a forbidden tool's call: the patient the prompt names.
constexpr std::string_view kForbiddenToolSchema =
    R"({"type":"object","properties":{"patient_id":{"type":"string","description":"the patient's id"}},)"
    R"("required":["patient_id"]})";

// Moves an identifier to the neighbouring one: its last run of digits minus one (plus one when
// it is 1), same width ("pat-0007" -> "pat-0006", "pat-0001" -> "pat-0002"). Unchanged when it
// ends in no digits.
std::string neighbouring_id(const std::string& id) {
  std::size_t end = id.size();
  while (end > 0 && !is_digit(id[end - 1])) --end;
  std::size_t begin = end;
  while (begin > 0 && is_digit(id[begin - 1])) --begin;
  if (begin == end || end - begin > 18) return id;
  const long long n = std::stoll(id.substr(begin, end - begin));
  std::string digits = std::to_string(n > 1 ? n - 1 : n + 1);
  if (digits.size() < end - begin) digits.insert(0, end - begin - digits.size(), '0');
  return id.substr(0, begin) + digits + id.substr(end);
}

// tool_wrong_arguments: every string argument whose name mentions a patient names the
// neighbouring patient. False when no argument changed.
bool point_at_other_patient(std::vector<ToolCall>& calls) {
  bool changed = false;
  for (ToolCall& tc : calls) {
    nlohmann::ordered_json args = nlohmann::ordered_json::parse(tc.arguments, nullptr, false);
    if (!args.is_object()) continue;
    for (auto it = args.begin(); it != args.end(); ++it) {
      if (!it.value().is_string() || it.key().find("patient") == std::string::npos) continue;
      const std::string moved = neighbouring_id(it.value().get<std::string>());
      if (moved == it.value().get<std::string>()) continue;
      it.value() = moved;
      changed = true;
    }
    tc.arguments = args.dump();
  }
  return changed;
}

// The model's tool step on a request that offers tools (ChatRequest::tool_turn): the calls it
// makes instead of answering, shaped by the tool-flow faults (their ids go to `fault_ids` when
// they changed the calls). Empty: the model answers.
std::vector<ToolCall> tool_step(const ChatRequest& req, const Applied& a, std::string_view stem,
                                std::vector<std::string>& fault_ids) {
  const tools::ToolTurn& turn = *req.tool_turn;
  std::vector<ToolCall> calls;
  if (a.forbidden_tool != nullptr) {
    ToolCall tc;
    tc.id = "call_" + std::string(stem) + "_0";
    tc.name = a.forbidden_tool->as<ForbiddenToolFault>()->tool;
    tc.arguments = tools::fill_arguments(kForbiddenToolSchema, req.messages);
    calls.push_back(std::move(tc));
    fault_ids.push_back(a.forbidden_tool->id);
    return calls;
  }
  calls = tools::plan_tool_calls(req, turn, stem);
  if (calls.empty() && !turn.results.empty() && a.tool_loop != nullptr) {
    // It asks again as if no result had come back.
    tools::ToolTurn again = turn;
    again.results.clear();
    calls = tools::plan_tool_calls(req, again, stem);
    if (!calls.empty()) fault_ids.push_back(a.tool_loop->id);
  }
  if (!calls.empty() && a.wrong_arguments != nullptr && point_at_other_patient(calls)) {
    fault_ids.push_back(a.wrong_arguments->id);
  }
  return calls;
}

}  // namespace

int estimate_tokens(const std::string& text) { return tokens_for_chars(text.size()); }

FakeVendor::FakeVendor(VendorProfile profile) : FakeVendor(std::move(profile), HallucinationMaterial{}) {}

FakeVendor::FakeVendor(VendorProfile profile, HallucinationMaterial material)
    : profile_(std::move(profile)), material_(std::move(material)) {
  const HallucinationMaterial& builtin = bend::builtin_material();
  if (material_.cpt_codes.empty()) material_.cpt_codes = builtin.cpt_codes;
  if (material_.icd_codes.empty()) material_.icd_codes = builtin.icd_codes;
  if (material_.facts.empty()) material_.facts = builtin.facts;
}

std::string_view FakeVendor::model_for(const ChatRequest& req) const {
  if (!req.model.empty()) return req.model;
  if (!profile_.models.empty()) return profile_.models.front();
  return profile_.id;
}

int count_phi_identifiers(std::string_view t) {
  int n = 0;
  auto digits_from = [&](std::size_t i) {
    std::size_t j = i;
    while (j < t.size() && is_digit(t[j])) ++j;
    return j - i;
  };
  // MRNs "SYN-" + 7 digits and member ids "SYNM-" + 8 digits.
  for (std::size_t p = t.find("SYN"); p != std::string_view::npos; p = t.find("SYN", p + 3)) {
    if (p + 3 >= t.size()) break;
    if (t[p + 3] == '-' && digits_from(p + 4) == 7) {
      ++n;
    } else if (t[p + 3] == 'M' && p + 4 < t.size() && t[p + 4] == '-' && digits_from(p + 5) == 8) {
      ++n;
    }
  }
  // Phones "(NNN) 555-01NN", found by their rare ") 555-01" (the area code is checked after).
  for (std::size_t p = t.find(") 555-01"); p != std::string_view::npos;
       p = t.find(") 555-01", p + 8)) {
    if (p < 4 || t[p - 4] != '(') continue;
    if (!is_digit(t[p - 3]) || !is_digit(t[p - 2]) || !is_digit(t[p - 1])) continue;
    if (digits_from(p + 8) == 2) ++n;
  }
  return n;
}

VendorOutcome FakeVendor::respond(const ChatRequest& req, SimTime /*now*/, Rng& rng,
                                  const std::vector<const FaultSpec*>& faults) const {
  VendorOutcome o;
  // Tool results come back as context: the model reads (and answers from) them.
  ChatRequest with_results;
  const bool has_results = req.tool_turn != nullptr && !req.tool_turn->results.empty();
  if (has_results) with_results = tools::with_tool_results(req, req.tool_turn->results);
  const ChatRequest& seen = has_results ? with_results : req;
  for (const ChatMessage& m : seen.messages) o.phi_received += count_phi_identifiers(m.content);
  // Draw order is fixed (ttft, id, baseline error, then one draw per fault in order, plus a
  // delay sample for applied latency faults) so a seed replays a run exactly.
  o.ttft = sample(profile_.ttft, rng);
  const std::uint64_t id_bits = rng.next_u64();
  const bool baseline_error = rng.uniform01() < profile_.error_rate;
  const std::string_view model = model_for(req);
  Applied applied = select_faults(req, model, faults, rng, o);
  o.delay = o.ttft;
  if (ends_without_answer(applied, baseline_error, o)) return o;

  ChatResponse& r = o.response;
  r.id = "chatcmpl-" + hex16(id_bits);
  r.model = model;
  if (applied.bends.drift != nullptr && !applied.bends.drift->as<DriftFault>()->model_version.empty()) {
    r.model = applied.bends.drift->as<DriftFault>()->model_version;
  }
  // A prompt that does not restrict the model to its context lets it add what it "knows". The
  // draw happens only for such prompts, so grounded runs keep their random streams.
  if (req.tool_turn != nullptr) {
    r.tool_calls = tool_step(req, applied, r.id.substr(9, 12), o.fault_ids);
    if (!r.tool_calls.empty()) r.finish_reason = "tool_calls";
  }
  if (r.tool_calls.empty()) {
    if (profile_.ungrounded_rate > 0 && !bend::grounded_prompt(seen)) {
      applied.bends.ungrounded = rng.uniform01() < profile_.ungrounded_rate;
    }
    r.content = applied.bends.any()
                    ? bend::bent_answer(seen, applied.bends, material_, rng, r, o.fault_ids)
                    : bend::plain_answer(seen);
  }
  cut_at_max_tokens(req, r);
  count_usage(seen, r);  // tool results are billed as prompt tokens
  o.delay += generation_time(profile_, r.usage.completion_tokens);
  if (applied.stream != nullptr) break_stream(profile_, *applied.stream, o);
  return o;
}

EmbeddingOutcome FakeVendor::embed(const EmbeddingRequest& req, Rng& rng,
                                   const std::vector<const FaultSpec*>& faults) const {
  EmbeddingOutcome o;
  // Embeddings come back faster than a chat answer's first token.
  o.delay = sample(profile_.ttft, rng) / 5;
  const std::string_view model = req.model.empty() ? std::string_view("text-embedding-3-small") : req.model;
  Applied a;
  for_each_applied(
      faults, FaultTarget::kVendor, req.task_type, model, rng,
      [&](const FaultSpec& f) {
        // fault_on_route keeps the chat-only kinds out.
        if (const auto* latency = f.as<LatencyFault>()) {
          o.delay += sample(latency->delay, rng);
          o.fault_ids.push_back(f.id);
        } else if (f.kind() == FaultKind::kError) {
          keep_first(a.error, f);
        } else if (f.kind() == FaultKind::kHang) {
          keep_first(a.hang, f);
        } else if (f.kind() == FaultKind::kReset) {
          keep_first(a.reset, f);
        }
      },
      kEmbeddingsRoute);
  VendorOutcome decided;
  if (ends_without_answer(a, false, decided)) {
    o.hang = decided.hang;
    o.status = decided.status;
    o.error = std::move(decided.error);
    o.retry_after = decided.retry_after;
    o.disconnect = decided.disconnect;
    o.fault_ids.insert(o.fault_ids.end(), decided.fault_ids.begin(), decided.fault_ids.end());
    return o;
  }
  o.vectors.reserve(req.inputs.size());
  for (const auto& input : req.inputs) o.vectors.push_back(embedding_vector(input, req.dimensions));
  return o;
}

int stream_fault_after_tokens(const FaultSpec& f) {
  int n = 5;
  if (const auto* stall = f.as<StreamStallFault>()) n = stall->after_tokens;
  if (const auto* cut = f.as<StreamBreakFault>()) n = cut->after_tokens;
  return n >= 0 ? n : 5;
}


}  // namespace gameday
