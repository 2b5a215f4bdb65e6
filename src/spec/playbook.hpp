#pragma once
// What responders do: step kinds, failure policies and comparison operators (closed
// vocabularies, see spec/names.hpp), and the playbook specs.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sim/distribution.hpp"
#include "sim/time.hpp"
#include "spec/names.hpp"
#include "spec/slo.hpp"
#include "spec/source.hpp"

namespace gameday {

/// A comparison in a condition or an expectation.
enum class CompareOp : std::uint8_t { kLess, kLessEqual, kGreater, kGreaterEqual, kEqual, kNotEqual };

constexpr std::string_view name_of(CompareOp op) {
  switch (op) {
    case CompareOp::kLess: return "<";
    case CompareOp::kLessEqual: return "<=";
    case CompareOp::kGreater: return ">";
    case CompareOp::kGreaterEqual: return ">=";
    case CompareOp::kEqual: return "==";
    case CompareOp::kNotEqual: return "!=";
  }
  return {};
}

/// Whether `a op b` holds.
constexpr bool compare(double a, CompareOp op, double b) {
  switch (op) {
    case CompareOp::kLess: return a < b;
    case CompareOp::kLessEqual: return a <= b;
    case CompareOp::kGreater: return a > b;
    case CompareOp::kGreaterEqual: return a >= b;
    case CompareOp::kEqual: return a == b;
    case CompareOp::kNotEqual: return a != b;
  }
  return false;
}

/// Every kind of playbook step.
enum class StepKind : std::uint8_t {
  kApprove,         // a human (or a quorum) approves after a delay
  kEnd,             // stops the playbook at once with a named outcome
  kEscalate,        // pages another team or person
  kExec,            // runs a program (argv, no shell) in real time
  kFlagSet,         // sets an assistant flag
  kGoldenCheck,     // runs a golden set against the serving route
  kHttp,            // an HTTP request in real time
  kModeFallback,    // switches the assistant's safe fallback mode on or off
  kModelFailover,   // moves the model route to another vendor
  kModelRollback,   // moves the model route back to the primary
  kNotify,          // posts a message to a webhook in real time
  kPromptDeploy,    // deploys a prompt version
  kPromptRollback,  // rolls the prompt back (to a version or the last known good)
  kTrafficShed,     // rejects a share of user traffic
  kWait,            // waits a fixed time
  kWaitFor,         // waits until a condition holds
};

constexpr std::string_view name_of(StepKind k) {
  switch (k) {
    case StepKind::kApprove: return "approve";
    case StepKind::kEnd: return "end";
    case StepKind::kEscalate: return "escalate";
    case StepKind::kExec: return "exec";
    case StepKind::kFlagSet: return "flag.set";
    case StepKind::kGoldenCheck: return "golden.check";
    case StepKind::kHttp: return "http";
    case StepKind::kModeFallback: return "mode.fallback";
    case StepKind::kModelFailover: return "model.failover";
    case StepKind::kModelRollback: return "model.rollback";
    case StepKind::kNotify: return "notify";
    case StepKind::kPromptDeploy: return "prompt.deploy";
    case StepKind::kPromptRollback: return "prompt.rollback";
    case StepKind::kTrafficShed: return "traffic.shed";
    case StepKind::kWait: return "wait";
    case StepKind::kWaitFor: return "wait_for";
  }
  return {};
}

/// Whether a step of this kind does real work in real time (a script, a request): virtual time
/// stands still while it runs, and its timeout is wall-clock time.
constexpr bool is_real_time(StepKind k) {
  switch (k) {
    case StepKind::kExec:
    case StepKind::kHttp:
    case StepKind::kNotify:
      return true;
    case StepKind::kApprove:
    case StepKind::kEnd:
    case StepKind::kEscalate:
    case StepKind::kFlagSet:
    case StepKind::kGoldenCheck:
    case StepKind::kModeFallback:
    case StepKind::kModelFailover:
    case StepKind::kModelRollback:
    case StepKind::kPromptDeploy:
    case StepKind::kPromptRollback:
    case StepKind::kTrafficShed:
    case StepKind::kWait:
    case StepKind::kWaitFor:
      return false;
  }
  return false;
}

/// What a playbook does when a step fails (after its retries).
enum class OnFailure : std::uint8_t {
  kAbort,     // stop and run the rollback list (outcome aborted)
  kContinue,  // go on with the next step
  kRollback,  // stop and run the rollback list (outcome rolled_back)
  kGoto,      // jump to the step named by `goto_step`
};

/// "abort", "continue", "rollback", "goto".
constexpr std::string_view name_of(OnFailure f) {
  switch (f) {
    case OnFailure::kAbort: return "abort";
    case OnFailure::kContinue: return "continue";
    case OnFailure::kRollback: return "rollback";
    case OnFailure::kGoto: return "goto";
  }
  return {};
}

/// A condition on what production can see (a step's `when`, a `wait_for` step): an alert's
/// state, or an SLI compared with a threshold over a trailing window.
struct ConditionSpec {
  std::string text;      // as written (for journals), e.g. "error_ratio < 0.01 over 2m"
  std::string alert;     // alert condition: the alert's name ("" for an SLI condition)
  bool firing = true;    // alert condition: holds while it fires (false: while it does not)
  Sli sli = Sli::kErrorRatio;
  CompareOp op = CompareOp::kLess;
  double value = 0;      // threshold; seconds for latency SLIs
  Duration window = 2 * kMinute;
  std::string vendor;    // vendor SLIs: only calls to this vendor ("" = every vendor)
};

/// One test of a step's `if`: `steps.<step>.outcome == <outcome>` (or `!=`).
struct OutcomeTest {
  std::string step;        // the name of an earlier step of the same list
  std::size_t index = 0;   // its index in that list
  bool equal = true;       // == (false: !=)
  std::string outcome;     // ok | failed | timeout | skipped | interrupted
};

/// A step's `if`: tests on earlier steps' outcomes, `or` of `and`s. A step that has not run
/// (jumped over by a goto) reads as skipped.
struct StepIfSpec {
  std::string text;                             // as written, for journals
  std::vector<std::vector<OutcomeTest>> any_of;  // holds when every test of one group holds
};

/// The outcomes an `if` may test.
inline constexpr std::string_view kStepOutcomes[] = {"ok", "failed", "timeout", "skipped", "interrupted"};

/// The outcomes an expectation may name for every playbook ("failed": anything but completed);
/// end steps add their own.
inline constexpr std::string_view kRunOutcomes[] = {"completed", "aborted", "rolled_back", "interrupted", "failed"};

/// Who an approve step asks, in order.
enum class ApproverOrder : std::uint8_t {
  kParallel,    // everyone at once; the step completes at the quorum-th answer
  kEscalation,  // the first; the next after `escalate_after` without an answer, and so on
};

/// "parallel", "escalation".
constexpr std::string_view name_of(ApproverOrder o) {
  switch (o) {
    case ApproverOrder::kParallel: return "parallel";
    case ApproverOrder::kEscalation: return "escalation";
  }
  return {};
}

/// What an `http` step expects of the response.
struct HttpExpectSpec {
  std::vector<int> status;  // accepted statuses; empty = any 2xx
  /// JSON fields of the body: path ("status", "data.state", "items.0.id" or a JSON pointer
  /// "/data/state") -> expected value as JSON text.
  std::vector<std::pair<std::string, std::string>> json;
};

/// One playbook step: the fields every step has, then the fields of each kind (only those of
/// `kind` are set; the loader rejects the others).
struct StepSpec {
  StepKind kind = StepKind::kWait;
  std::string name;
  SourceLoc loc;
  Duration timeout = 0;      // 0 = none (exec/http/notify: real time, with a default)
  int retries = 0;
  Duration retry_delay = 10 * kSecond;
  OnFailure on_failure = OnFailure::kAbort;
  std::string goto_step;     // on_failure goto: the name of the step to jump to
  std::optional<ConditionSpec> when;  // run only when it holds; skipped otherwise
  std::optional<StepIfSpec> if_;      // run only when earlier outcomes match; skipped otherwise
  // flag.set
  std::string flag;
  std::string variant;
  // model.failover: target vendor route; escalate: the team or person paged
  std::string to;
  // prompt.rollback: explicit version, or "" for the last known good; prompt.deploy: the version
  std::string version;
  // wait
  Duration duration = 0;
  // approve: a human's delay, who approves, and approvals needed (0 = one approval, one delay)
  DurationDist delay;
  std::vector<std::string> approvers;
  int quorum = 0;
  /// Each approver's own delay, parallel to `approvers` (empty: everyone uses `delay`, and one
  /// approval without a quorum takes one draw, as before approvers had delays).
  std::vector<DurationDist> approver_delays;
  std::optional<ApproverOrder> order;  // unset: parallel
  Duration escalate_after = 0;         // escalation order: ask the next after this long
  // end: the playbook's outcome and reason (in `message`); whether the rollback list runs
  std::string end_outcome;
  bool end_rollback = false;
  // golden.check
  std::string golden_set;    // resolved path
  double min_pass_rate = 1.0;
  // wait_for: the condition waited for (polled every evaluation interval)
  ConditionSpec condition;
  // traffic.shed: share of user traffic rejected (0 stops shedding)
  double share = 0;
  // mode.fallback: on (true) or back to normal (false)
  bool enabled = true;
  // escalate: their acknowledgement delay; whether the step ends at it (false: at once)
  DurationDist ack_delay;
  bool wait_for_ack = true;
  std::string message;       // escalate: the page's note; end: the reason
  // notify and http
  std::string url;           // http:// or https:// (or ${GAMEDAY_CONTROL_URL}/...)
  std::string method;        // http: GET, POST, PUT, PATCH, DELETE, HEAD
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;          // http: request body (JSON when written as a mapping or list)
  std::string text;          // notify: the message ({"text": ...})
  HttpExpectSpec expect;     // http
  // exec: argument vector (no shell), extra environment, working directory
  std::vector<std::string> argv;
  std::map<std::string, std::string> env;
  std::string cwd;           // resolved; "" = inherit
};

/// What starts a playbook.
struct TriggerSpec {
  std::string alert;                          // alert name, "" when not alert-triggered
  /// Every alert that starts the playbook (`alert: [A, B]`); holds `alert` first. Empty when
  /// not alert-triggered.
  std::vector<std::string> alerts;
  /// True when alert `name` starts the playbook.
  bool fires_on(const std::string& name) const {
    if (name == alert) return !alert.empty();
    for (const auto& a : alerts) {
      if (a == name) return true;
    }
    return false;
  }
  std::map<std::string, std::string> labels;  // e.g. severity: page
  bool manual = false;
  std::optional<SimTime> at;                  // started at this time since the run began
  /// Starts again this long after the last start while the triggering alert still fires and
  /// no instance runs (0 = only on the alert's edge).
  Duration rerun_every = 0;
  /// A re-fire starts the playbook only this long after its last start (0 = always).
  Duration cooldown = 0;
};

/// A playbook: steps responders (or automation) run when triggered.
struct Playbook {
  std::string name;
  std::string description;
  std::string file;
  TriggerSpec trigger;
  /// `mode: manual`: a person runs it once paged, not automation. Its alert and time triggers
  /// never start it; the paged responder does when they acknowledge the page (in a simulation,
  /// the modelled responder after its ack delay; in a drill room, the trainee by hand).
  bool manual = false;
  std::vector<StepSpec> steps;
  std::vector<StepSpec> rollback;
};

}  // namespace gameday
