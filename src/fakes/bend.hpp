#pragma once
// The fake vendor's answer and the faults that bend it. The answer is built as a draft (its
// sentences and the documents they cite, taken from the extraction) and rendered as prose or as
// the JSON the model writes for structured output; bending faults (hallucination, injection
// following, refusal, drift, schema breaks) edit the draft or its rendering. The unbent answer
// takes the same path with no edits (FakeVendor documents what each fault does).
#include <string>
#include <vector>

#include "fakes/vendor.hpp"
#include "sim/rng.hpp"
#include "spec/fault.hpp"

namespace gameday::bend {

/// The hallucination material used when a vendor is given none (codes and fact sentences).
const HallucinationMaterial& builtin_material();

/// Whether the request's first system message restricts the model to its context (it contains
/// "only", any case). An unrestricted prompt lets a vendor with ungrounded_rate add facts.
bool grounded_prompt(const ChatRequest& req);

/// The bending faults that applied to one request (the first applied fault of each kind).
struct Bends {
  const FaultSpec* hallucination = nullptr;  ///< kind hallucination
  const FaultSpec* injection = nullptr;      ///< kind injection_following
  const FaultSpec* schema = nullptr;         ///< kind schema_break
  const FaultSpec* refusal = nullptr;        ///< kind refusal_storm
  const FaultSpec* drift = nullptr;          ///< kind drift
  bool ungrounded = false;  ///< an unrestricted prompt let the model add an unsupported statement
  /// Whether anything bends the answer.
  bool any() const { return hallucination || injection || schema || refusal || drift || ungrounded; }
};

/// The content of the answer to `req` with nothing bent (FakeVendor's prompt contract): the
/// extraction's sentences as prose, cited when the system prompt asks, or as the JSON object
/// {"answer": ..., "citations": [...]} when req.json_output; the refusal when nothing matches.
std::string plain_answer(const ChatRequest& req);

/// The content of the answer to `req` under `b` (any()). Draws from `rng` in this order:
/// drift (refusal, then hallucination), the fact of an ungrounded answer, hallucination (its
/// mode when mixed, then material picks), injection (susceptibility), schema_break (its mode
/// when mixed, then the dropped field). Sets r.tool_calls (ids "call_" and the 12 hex digits
/// after "chatcmpl-" in r.id, which must be set) and r.finish_reason ("tool_calls", or "length"
/// for a truncated schema break) and appends to `fault_ids` the ids of the faults that changed
/// the answer (drift whenever it applied), in the order above. Hallucinations draw from `m`.
std::string bent_answer(const ChatRequest& req, const Bends& b, const HallucinationMaterial& m,
                        Rng& rng, ChatResponse& r, std::vector<std::string>& fault_ids);

}  // namespace gameday::bend
