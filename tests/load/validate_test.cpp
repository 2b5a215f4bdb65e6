#include <catch2/catch.hpp>

#include <filesystem>

#include "load/loader.hpp"
#include "config_fixture.hpp"

using namespace gameday;
using gameday::config_test::small_fakes;

namespace {

constexpr const char* kScenario = R"(name: s
duration: 60m
workload: {rate: 1}
alerts:
  - {name: AssistantLatencyHigh, type: threshold, sli: latency_p95, above: 6s}
  - {name: Errors, type: threshold, sli: error_ratio, above: 0.1, severity: ticket}
playbooks: [../playbooks/p.yaml]
)";

constexpr const char* kPlaybook = R"(name: p
trigger: {alert: AssistantLatencyHigh, labels: {severity: page}}
steps:
  - {kind: model.failover, to: secondary}
  - {kind: flag.set, flag: auto-failover, variant: "on"}
  - {kind: prompt.rollback, version: v1}
  - {kind: golden.check, set: ../scenarios/golden/core.yaml}
rollback:
  - {kind: model.failover, to: primary}
)";

constexpr const char* kGolden = R"(name: core
cases:
  - {id: a, task: benefits_question, patient: pat-0020}
)";

MemoryFiles project() {
  MemoryFiles files = small_fakes();
  files.add("scenarios/s.yaml", kScenario);
  files.add("playbooks/p.yaml", kPlaybook);
  files.add("scenarios/golden/core.yaml", kGolden);
  return files;
}

}  // namespace

TEST_CASE("validate_files accepts a consistent scenario, playbook and golden set", "[config][validate]") {
  const MemoryFiles files = project();
  CHECK(validate_files({"scenarios/s.yaml"}, files).empty());
  CHECK(validate_files({"playbooks/p.yaml", "scenarios/golden/core.yaml"}, files).empty());
  CHECK(validate_files({"fakes/vendors.yaml", "fakes/assistant/flags.json"}, files).empty());
}

TEST_CASE("validate_files reports every dangling reference of a scenario's playbooks", "[config][validate]") {
  MemoryFiles files = project();
  files.add("playbooks/p.yaml", R"(name: p
trigger: {alert: AssistantLatencyHihg}
steps:
  - {kind: model.failover, to: tertiary}
  - {kind: flag.set, flag: auto-failover, variant: "yes"}
  - {kind: flag.set, flag: kill-switch, variant: "on"}
  - {kind: prompt.rollback, version: v0}
  - {kind: golden.check, set: ../scenarios/golden/core.yaml}
)");
  files.add("scenarios/golden/core.yaml", R"(name: core
cases:
  - {id: a, task: benefits_question, patient: pat-0021}
)");
  CHECK(validate_files({"scenarios/s.yaml"}, files) ==
        std::vector<std::string>{
            "playbooks/p.yaml:2:18: trigger alert 'AssistantLatencyHihg' is not defined by scenario "
            "'scenarios/s.yaml' (did you mean 'AssistantLatencyHigh'?)",
            "playbooks/p.yaml:4:32: unknown vendor 'tertiary' for 'to' (expected one of: primary, "
            "secondary)",
            "playbooks/p.yaml:5:52: unknown variant 'yes' for 'auto-failover' (expected one of: off, on)",
            "playbooks/p.yaml:6:28: unknown flag 'kill-switch' (expected one of: auto-failover, prompt)",
            "playbooks/p.yaml:7:38: unknown prompt version 'v0' (did you mean 'v1'? expected one of: "
            "v1, v2, v3)",
            "scenarios/golden/core.yaml:3:47: patient 'pat-0021' does not exist (the world has "
            "pat-0001..pat-0020)",
        });
}

TEST_CASE("validate_files checks a lone playbook or golden set against the fakes next to it",
          "[config][validate]") {
  MemoryFiles files = project();
  files.add("playbooks/q.yaml", "name: q\ntrigger: {manual: true}\nsteps: [{kind: model.failover, to: backup}]\n");
  files.add("scenarios/golden/extra.yaml", "name: extra\ncases: [{id: a, task: discharge_summary, patient: pat-0999}]\n");
  CHECK(validate_files({"playbooks/q.yaml", "scenarios/golden/extra.yaml"}, files) ==
        std::vector<std::string>{
            "playbooks/q.yaml:3:36: unknown vendor 'backup' for 'to' (expected one of: primary, "
            "secondary)",
            "scenarios/golden/extra.yaml:2:51: patient 'pat-0999' does not exist (the world has "
            "pat-0001..pat-0020)",
        });
}

TEST_CASE("validate_files checks a trigger's severity label against the alert", "[config][validate]") {
  MemoryFiles files = project();
  files.add("playbooks/p.yaml", "name: p\ntrigger: {alert: Errors, labels: {severity: page}}\n"
                                "steps: [{kind: wait, duration: 1m}]\n");
  CHECK(validate_files({"scenarios/s.yaml"}, files) ==
        std::vector<std::string>{"playbooks/p.yaml:2:45: trigger label severity 'page' never matches "
                                 "alert 'Errors' of scenario 'scenarios/s.yaml' (severity ticket)"});
}

TEST_CASE("validate_files checks fault targets against the fakes' vendors", "[config][validate]") {
  MemoryFiles files = project();
  files.add("scenarios/t.yaml", R"(name: t
duration: 60m
workload: {rate: 1}
faults:
  - {target: vendor:primry, kind: hang, at: 1m}
)");
  CHECK(validate_files({"scenarios/t.yaml"}, files) ==
        std::vector<std::string>{"scenarios/t.yaml:5:14: unknown vendor 'primry' for 'target' (did "
                                 "you mean 'primary'? expected one of: primary, secondary)"});
}

TEST_CASE("validate_files returns all problems of a file in order", "[config][validate]") {
  MemoryFiles files = project();
  files.add("scenarios/t.yaml", R"(name: t
duraton: 60m
workload: {rate: fast}
faults:
  - {target: ehr, kind: timeout, at: 1m, for: 5 minutes}
expect: ["ttd <= 3m", "ttd <= soon"]
)");
  CHECK(validate_files({"scenarios/t.yaml"}, files) ==
        std::vector<std::string>{
            "scenarios/t.yaml:2:1: unknown key 'duraton' (did you mean 'duration'?)",
            "scenarios/t.yaml:3:18: expected a number for 'rate', got 'fast'",
            "scenarios/t.yaml:5:47: expected a duration like 250ms, 30s, 5m or 1h for 'for', got "
            "'5 minutes'",
            "scenarios/t.yaml:6:23: expected a duration like 90s, 3m or 1h (or none) for 'ttd', got 'soon'",
        });
}

TEST_CASE("validate_files names unreadable, unparsable and unrecognised files", "[config][validate]") {
  MemoryFiles files = project();
  files.add("notes.yaml", "title: not an input file\n");
  files.add("broken.yaml", "steps: [\n");
  CHECK(validate_files({"missing.yaml", "notes.yaml", "broken.yaml"}, files) ==
        std::vector<std::string>{
            "missing.yaml:1:1: cannot read file",
            "notes.yaml:1:1: cannot tell what kind of file this is: a scenario has 'duration', "
            "'workload' or 'faults', a playbook 'steps', a golden set 'cases'",
            "broken.yaml:2:1: invalid YAML: end of sequence flow not found",
        });
}

TEST_CASE("validate_files reports a problem shared by two files once", "[config][validate]") {
  MemoryFiles files = project();
  files.add("scenarios/golden/core.yaml", "name: core\ncases: [{id: a, task: chat, patient: pat-0001}]\n");
  files.add("scenarios/u.yaml", kScenario);
  const auto problems =
      validate_files({"scenarios/s.yaml", "scenarios/u.yaml", "scenarios/golden/core.yaml"}, files);
  CHECK(problems ==
        std::vector<std::string>{"scenarios/golden/core.yaml:2:23: unknown task type 'chat' (expected "
                                 "one of: prior_auth_status, benefits_question, discharge_summary, message_triage)"});
}

TEST_CASE("validate_files validates the files of a directory", "[config][validate]") {
  MemoryFiles files = project();
  files.add("scenarios/notes.txt", "not yaml");
  files.add("scenarios/t.yaml", "name: t\nduration: 1h\nworkload: {rate: 1}\nseed: x\n");
  CHECK(validate_files({"scenarios", "fakes"}, files) ==
        std::vector<std::string>{"scenarios/t.yaml:4:7: expected an integer for 'seed', got 'x'"});
  CHECK(validate_files({"nowhere"}, files) == std::vector<std::string>{"nowhere:1:1: cannot read file"});
}

TEST_CASE("detect_kind tells scenarios, playbooks and golden sets apart", "[config][validate]") {
  MemoryFiles files = project();
  files.add("other.yaml", "vendors: []\n");
  files.add("bad.yaml", "{");
  CHECK(detect_kind("scenarios/s.yaml", files) == FileKind::kScenario);
  CHECK(detect_kind("playbooks/p.yaml", files) == FileKind::kPlaybook);
  CHECK(detect_kind("scenarios/golden/core.yaml", files) == FileKind::kGoldenSet);
  CHECK(detect_kind("other.yaml", files) == FileKind::kUnknown);
  CHECK(detect_kind("bad.yaml", files) == FileKind::kUnknown);
  CHECK(detect_kind("none.yaml", files) == FileKind::kUnknown);
}

TEST_CASE("The checked-in fakes validate", "[config][validate]") {
  const DiskFiles disk;
  CHECK(validate_files({GAMEDAY_SOURCE_DIR "/fakes/vendors.yaml"}, disk).empty());
}

TEST_CASE("Every checked-in scenario, playbook and golden set validates", "[config][validate]") {
  const DiskFiles disk;
  std::vector<std::string> paths;
  for (const char* dir : {"/scenarios", "/scenarios/golden", "/playbooks"}) {
    for (const auto& p : disk.list(std::string(GAMEDAY_SOURCE_DIR) + dir)) {
      if (p.size() > 5 && p.compare(p.size() - 5, 5, ".yaml") == 0) paths.push_back(p);
    }
  }
  REQUIRE_FALSE(paths.empty());
  CHECK(validate_files(paths, disk) == std::vector<std::string>{});
}

TEST_CASE("The fakes embedded in the binary load", "[config][validate]") {
  const Fakes f = load_fakes("fakes", embedded_files());
  CHECK(f.vendors.size() == 2);
  CHECK(f.world.policies.size() == 20);
  CHECK(f.flags.size() == 8);
  CHECK(f.prompts.size() == 3);
}

TEST_CASE("validate_files checks the names expectations use", "[config][validate]") {
  MemoryFiles files = project();
  files.add("scenarios/s.yaml", std::string(kScenario) + R"(faults:
  - {id: slow, at: 5m, target: vendor:primary, kind: latency, delay: 8s, incident: outage}
expect:
  - incident(slow).ttd <= 3m
  - incident(outage#2).ttm <= 5m
  - incident(slwo).ttd <= 3m
  - alert(Erors).fired
  - playbook(q).outcome == completed
  - final.route == tertiary
  - final.flag(auto-failover) == maybe
  - final.prompt == v9
)");
  CHECK(validate_files({"scenarios/s.yaml"}, files) ==
        std::vector<std::string>{
            "scenarios/s.yaml:13:5: unknown incident (a fault id or incident name) 'slwo' (did you mean "
            "'slow'? expected one of: slow, outage)",
            "scenarios/s.yaml:14:5: unknown alert 'Erors' (did you mean 'Errors'? expected one of: "
            "AssistantLatencyHigh, Errors)",
            "scenarios/s.yaml:15:5: unknown playbook 'q' (did you mean 'p'? expected one of: p)",
            "scenarios/s.yaml:16:5: unknown vendor 'tertiary' for 'final.route' (expected one of: primary, secondary)",
            "scenarios/s.yaml:17:5: unknown variant 'maybe' for 'auto-failover' (expected one of: off, on)",
            "scenarios/s.yaml:18:5: unknown prompt version 'v9' for 'final.prompt' (did you mean 'v1'? "
            "expected one of: v1, v2, v3)",
        });
}

TEST_CASE("validate_files warns of a trigger alert the scenario lacks while another trigger can fire", "[config][validate]") {
  MemoryFiles files = project();
  files.add("playbooks/p.yaml", "name: p\ntrigger: {alert: [AssistantLatencyHigh, Gone]}\n"
                                "steps: [{kind: wait, duration: 1m}]\n");
  std::vector<std::string> warnings;
  CHECK(validate_files({"scenarios/s.yaml"}, files, &warnings).empty());
  CHECK(warnings == std::vector<std::string>{
                        "playbooks/p.yaml:2:18: warning: trigger alert 'Gone' is not defined by scenario "
                        "'scenarios/s.yaml' (it defines: AssistantLatencyHigh, Errors); it never starts the playbook"});
  files.add("playbooks/p.yaml", "name: p\ntrigger: {alert: Gone, at: 10m}\nsteps: [{kind: wait, duration: 1m}]\n");
  CHECK(validate_files({"scenarios/s.yaml"}, files, &warnings).empty());
  CHECK(warnings.size() == 1);
}

TEST_CASE("validate_files rejects a playbook none of whose triggers can fire", "[config][validate]") {
  MemoryFiles files = project();
  files.add("playbooks/p.yaml", "name: p\ntrigger: {alert: [Gone, Lost]}\nsteps: [{kind: wait, duration: 1m}]\n");
  std::vector<std::string> warnings;
  const auto problems = validate_files({"scenarios/s.yaml"}, files, &warnings);
  CHECK(warnings.empty());
  REQUIRE(problems.size() == 2);
  CHECK(problems[0].find("playbooks/p.yaml:2:18: trigger alert 'Gone' is not defined") == 0);
  CHECK(problems[1].find("playbooks/p.yaml:2:18: trigger alert 'Lost' is not defined") == 0);
}

TEST_CASE("validate_files accepts an end step's outcome in a playbook outcome expectation", "[config][validate]") {
  MemoryFiles files = project();
  files.add("playbooks/p.yaml", "name: p\ntrigger: {alert: AssistantLatencyHigh}\n"
                                "steps: [{kind: end, outcome: escalated}]\n");
  std::string scenario = kScenario;
  files.add("scenarios/s.yaml", scenario + "expect:\n  - playbook(p).outcome == escalated\n"
                                           "  - playbook(p).outcome == escalatd\n");
  CHECK(validate_files({"scenarios/s.yaml"}, files) ==
        std::vector<std::string>{"scenarios/s.yaml:10:5: unknown outcome 'escalatd' (did you mean "
                                 "'escalated'? expected one of: completed, aborted, rolled_back, "
                                 "interrupted, failed, escalated)"});
}
