#pragma once
// `gameday sut check URL`: the shipped golden sets against a team's own answer service, with the
// fake vendor and EHR running and no faults, each response checked against the published
// contract (docs/sut-openapi.yaml, embedded) and judged; and `gameday sut validate FILE...`:
// saved response bodies against the same schema.
#include <cstdint>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace gameday {

/// Options of `gameday sut check` and `gameday sut validate`.
struct SutOptions {
  std::string url;                  ///< check: the service ("http://HOST:PORT")
  std::vector<std::string> golden;  ///< check: golden set files (empty: the shipped ones)
  std::uint64_t seed = 1;           ///< check: picks among a patient's cases and policy topics
  bool json = false;                ///< print the result as JSON
  /// check: `ADDR:PORT` for the assistant's route, `ID=ADDR:PORT` per vendor profile
  /// (as `gameday drill --vendor`).
  std::vector<std::string> vendors;
  std::string ehr;                  ///< check: ADDR:PORT of the fake EHR ("" = the ports file's, else any free port)
  std::string ports;                ///< check: a ports file (as `gameday drill --ports`; "" = none)
  std::string fakes;                ///< fakes directory ("" = ./fakes when present, else embedded)
  double timeout_s = 30;            ///< check: seconds one request may take
  std::vector<std::string> files;   ///< validate: response bodies (JSON files)
  std::string task_type;            ///< validate: "message_triage" checks the answer's JSON too
};

/// Registers `sut` (with `check` and `validate`) on `app`; returns {check, validate}.
std::pair<CLI::App*, CLI::App*> add_sut_command(CLI::App& app, SutOptions& options);

/// Runs `gameday sut check`: prints `vendor URL/v1`, `vendor:<id> URL/v1` and `ehr URL/fhir`
/// first (as `gameday drill` does; with --json they are in the JSON), then each case's verdict
/// and a summary. Exit 0 when every case a correct service can answer passed, 1 when one did
/// not, 2 for bad options or input, or when the service cannot be reached.
int cmd_sut_check(const SutOptions& options);

/// Runs `gameday sut validate`: each file's schema problems against AnswerResponse (and
/// TriageAnswer for --task-type message_triage), "FILE: ok" when none. Exit 0 when every file
/// is valid, 1 when one is not, 2 when one cannot be read.
int cmd_sut_validate(const SutOptions& options);

}  // namespace gameday
