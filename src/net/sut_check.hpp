#pragma once
// `gameday sut check URL`: the golden sets against a team's own answer service over HTTP, with
// no faults, each response checked against the published contract (docs/sut-openapi.yaml) and
// judged against the world's truth; and the report of it, for a developer to act on. The fakes
// the service calls are started by the command (cli/sut.cpp); this is the part that asks,
// judges and reports. Nothing here prints an answer's text or a patient id.
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "spec/model.hpp"
#include "quality/judge.hpp"
#include "sim/time.hpp"
#include "workload/task.hpp"

namespace gameday {
class World;
}

namespace gameday::net {

/// A golden set to run, with the file it came from.
struct SutGoldenSet {
  std::string path;
  GoldenSet set;
};

/// How `sut check` asks.
struct SutCheckOptions {
  std::string url;                  ///< the service ("http://HOST:PORT", no trailing '/')
  std::uint64_t seed = 1;           ///< picks among a patient's cases and topics
  Duration timeout = 30 * kSecond;  ///< one request, real time
  int parallel = 4;                 ///< requests in flight at once
  /// The fakes' made-up statements for the judge (the built-in lexicon when null); must
  /// outlive the check.
  const JudgeLexicon* lexicon = nullptr;
};

/// How one case fared.
struct SutCaseResult {
  std::string set;          ///< the golden set's name
  std::string id;           ///< the case's id
  std::string task_type;
  std::string patient_ref;  ///< the patient's pseudonym (never the id)
  bool applicable = true;   ///< false: no task can be built for it (not counted)
  bool pass = false;
  /// The judge's verdict: "correct", "unsafe: <kind>", "not correct" (safe, but not correct),
  /// "fallback (<cause>)" / "error (<cause>)" (no answer), "http <status>", "unreachable",
  /// "bad answer" (not an answer response), "skipped".
  std::string verdict;
  std::string reason;  ///< why it did not pass ("" when it did); never PHI
  std::string fix;     ///< what to change, with the section of docs/sut.md ("" when it passed)
  int http_status = 0;
  Duration latency = 0;
  std::vector<std::string> schema_problems;  ///< "/citations/0: expected string, got number"
};

/// The outcome of a check.
struct SutCheckResult {
  std::string url;
  std::uint64_t seed = 1;
  std::vector<std::string> servers;  ///< the fakes' lines ("vendor URL/v1", ...) as printed
  std::vector<std::string> notes;    ///< contract findings outside the cases (the 400 probe)
  std::vector<SutCaseResult> cases;  ///< in set order
  int passed = 0;
  int failed = 0;
  int skipped = 0;
  bool ok = false;  ///< every applicable case passed, and there was at least one
};

/// The schema problems of a response body: not JSON, or against the contract's AnswerResponse;
/// with `triage`, an ok answer's JSON against TriageAnswer too ("/answer: in the triage JSON,
/// /citations: expected array, got string"). Empty when it is valid.
std::vector<std::string> sut_response_problems(const std::string& body, bool triage);

/// Judges the service's response to `task` (golden case `c`): `http_status` 0 means no
/// response (`body` then says why). Validates the body against AnswerResponse (and a
/// message_triage answer's JSON against TriageAnswer), rebuilds the answer
/// (answer_from_response), judges it (judge, golden_case_passes) and says what to change.
/// A case passes when its response has no schema problem, meets the case's expectations and is
/// judged correct (or, for a case that expects a refusal, refuses), and is not unsafe.
/// `lexicon`: the fakes' made-up statements (JudgeLexicon::builtin() by default).
SutCaseResult judge_sut_response(const GoldenCase& c, const Task& task, const World& world,
                                 int http_status, const std::string& body, Duration latency,
                                 const JudgeLexicon& lexicon = JudgeLexicon::builtin());

/// Asks the service to answer a request with no task (`{}`): "" when it answered at all, else
/// why it could not be reached (connection refused, timeout). A reachable service that does
/// not answer 400 with the Error shape gets a note in `notes`.
std::string probe_sut(const SutCheckOptions& o, std::vector<std::string>& notes);

/// Runs every case of `sets` against the service at o.url (POST /v1/answers, o.parallel at a
/// time) and judges each (judge_sut_response). Tasks are built from `world` in set order with
/// the seed's rng, so the same seed asks the same questions.
SutCheckResult run_sut_check(const World& world, const std::vector<SutGoldenSet>& sets,
                             const SutCheckOptions& o);

/// The text report: a line per case (verdict, judge's verdict, task type, patient pseudonym,
/// latency), its reason, schema problems and fix beneath when it did not pass, then a summary
/// line ending in PASS or FAIL.
std::string sut_check_text(const SutCheckResult& r);

/// The same as JSON: url, seed, servers, notes, cases (each field of SutCaseResult, latency in
/// ms), passed, failed, skipped, ok.
nlohmann::ordered_json sut_check_json(const SutCheckResult& r);

}  // namespace gameday::net
