// End-to-end: the drill room (`gameday drill --room`). A trainee in Debian's headless Chromium
// (tests/node/room_drive.mjs) acknowledges the page, fails over, runs the golden check, suspects
// the vendor and declares the incident mitigated while the facilitator's page shows the fault
// and sends a hint; every action is in the journal with its author. The room's API rejects bad
// actions and keeps the truth behind the facilitator's key.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>
#include <vector>

#include "drill_support.hpp"
#include "e2e_support.hpp"
#include "node_clients.hpp"

using e2e::gameday;
using e2e::journal;
using e2e::kCurl;
using e2e::of_type;
using e2e::slurp;
using e2e::TempDir;
using e2e::with_drill;
using nlohmann::json;

namespace {

const std::string kSpike = std::string("'") + GAMEDAY_SOURCE_DIR + "/scenarios/vendor-latency-spike.yaml'";

std::string missing_browser() {
  if (auto why = e2e::missing_node({"puppeteer-core"}); !why.empty()) return why;
  return e2e::missing("chromium", "chromium");
}

}  // namespace

TEST_CASE("A trainee plays a hidden manual drill in the browser and every action is journaled with its author",
          "[e2e][room][browser][slow]") {
  if (auto why = missing_browser(); !why.empty()) return e2e::skip_because(why);
  TempDir dir;
  // 16 minutes at 40x: the latency fault starts at T+02:40 (the timeline is scaled), the
  // drill lasts 24 s of real time.
  const std::string body =
      "ROOM_URL=$(sed -n 's/^room //p' drill.out) FACILITATOR_URL=$(sed -n 's/^facilitator //p' drill.out) "
      "OUT_DIR='" + dir.path().string() + "' timeout 120 node '" + (e2e::kNodeDir / "room_drive.mjs").string() +
      "' > drive.json 2> drive.err; rc=$?; "
      // The hidden drill keeps the truth behind the facilitator's key.
      "KEY=$(sed -n 's/^facilitator .*key=//p' drill.out); " + std::string(kCurl) +
      " -o /dev/null -w '%{http_code}' \"$CONTROL/events\" > events-nokey.code; " + kCurl +
      " -o /dev/null -w '%{http_code}' \"$CONTROL/faults?key=$KEY\" > faults-key.code; exit $rc";
  const int rc = with_drill(dir, kSpike + " --room --hide --manual --trainee alex --speed 40 --duration 16m --out '" +
                                     (dir / "out").string() + "' --no-traces",
                            body);
  INFO("drive: " << slurp(dir / "drive.err") << "\ndrill: " << slurp(dir / "drill.err"));
  REQUIRE(rc == 0);
  const std::string code = slurp(dir / "drill.code");  // the scenario's expectations decide 0 or 1
  CHECK((code == "0\n" || code == "1\n"));
  CHECK(slurp(dir / "events-nokey.code") == "403");
  CHECK(slurp(dir / "faults-key.code") == "200");

  const json drive = json::parse(slurp(dir / "drive.json"));
  INFO(drive.dump());
  for (const auto& step : drive["steps"]) {
    CHECK(step["status"] == step["action"].get<std::string>() + ": done");
  }
  CHECK(drive["fault_seen"] == "primary-latency");
  CHECK(drive["incident_seen"] == "primary-latency");  // the incident model, live, for the facilitator
  CHECK(drive["hint_seen"] == true);
  for (const char* view : {"trainee", "facilitator"}) {
    INFO(view);
    CHECK(drive[view]["console_errors"].empty());
    CHECK(drive[view]["page_errors"].empty());
    CHECK(drive[view]["foreign_requests"].empty());
  }
  // Hidden: the trainee's page names neither the scenario nor its fault; the facilitator's does.
  const std::string trainee_text = drive["trainee"]["text"];
  CHECK(trainee_text.find("vendor-latency-spike") == std::string::npos);
  CHECK(trainee_text.find("primary-latency") == std::string::npos);
  CHECK(drive["facilitator"]["text"].get<std::string>().find("primary-latency") != std::string::npos);
  CHECK(std::filesystem::file_size(dir / "room-trainee.png") > 10000);

  const auto events = journal(dir / "out" / "journal.jsonl");
  // The trainee's actions, in the order they were made, each with its author and outcome.
  std::vector<std::string> actions;
  long long last = -1;
  for (const auto& a : of_type(events, "action")) {
    if (a["by"] != "trainee:alex") continue;
    actions.push_back(a["action"]);
    CHECK(a["outcome"] == "ok");
    CHECK(a["t_us"].get<long long>() >= last);
    last = a["t_us"];
  }
  CHECK(actions == std::vector<std::string>{"ack", "route", "golden", "suspect", "declare"});
  // The report's trainee section has those actions, at the journal's times.
  const json report = json::parse(slurp(dir / "out" / "report.json"));
  REQUIRE(report.contains("trainee"));
  std::vector<std::string> reported;
  for (const auto& a : report["trainee"]["actions"]) reported.push_back(a["action"]);
  CHECK(reported == actions);
  std::size_t k = 0;
  for (const auto& a : of_type(events, "action")) {
    if (a["by"] != "trainee:alex" || k >= report["trainee"]["actions"].size()) continue;
    CHECK(report["trainee"]["actions"][k++]["t_s"].get<double>() == Approx(a["t_us"].get<double>() / 1e6));
  }
  CHECK(report["trainee"]["name"] == "alex");
  CHECK(report["trainee"]["cause_right"] == true);
  // What they changed is journaled as any actor's change, with the trainee as its author.
  const auto acks = of_type(events, "ack");
  REQUIRE(acks.size() == 1);  // --manual: no simulated responder acknowledges
  CHECK(acks[0]["who"] == "alex");
  bool routed = false;
  for (const auto& c : of_type(events, "control_change")) {
    routed = routed || (c["what"] == "route" && c["to"] == "secondary" && c["by"] == "trainee:alex");
  }
  CHECK(routed);
  bool golden = false;
  for (const auto& g : of_type(events, "golden_result")) golden = golden || g["by"] == "trainee:alex";
  CHECK(golden);
  CHECK(of_type(events, "playbook_start").empty());  // --manual: no automation started
  bool hinted = false;
  for (const auto& a : of_type(events, "action")) hinted = hinted || (a["by"] == "facilitator" && a["action"] == "hint");
  CHECK(hinted);
}

TEST_CASE("The scorecard judges the trainee's actions: the failover helped, turning PHI redaction off did harm",
          "[e2e][room][browser][slow]") {
  if (auto why = missing_browser(); !why.empty()) return e2e::skip_because(why);
  TempDir dir;
  const auto drive = [&](const std::string& mode, const std::string& out) {
    const std::string body =
        "ROOM_URL=$(sed -n 's/^room //p' drill.out) FACILITATOR_URL=$(sed -n 's/^facilitator //p' drill.out) "
        "MODE=" + mode + " timeout 120 node '" + (e2e::kNodeDir / "room_drive.mjs").string() + "' > drive-" + mode +
        ".json 2> drive-" + mode + ".err";
    return with_drill(dir, kSpike + " --room --manual --trainee sam --speed 40 --duration 16m --out '" +
                               (dir / out).string() + "' --no-traces --history '" + (dir / "h.sqlite").string() + "'",
                      body);
  };
  REQUIRE(drive("harm", "harm") == 0);
  INFO(slurp(dir / "drive-harm.err"));
  const json harm = json::parse(slurp(dir / "harm" / "report.json"));
  REQUIRE(harm.contains("trainee"));
  const json& t = harm["trainee"];
  INFO(t.dump(2));
  CHECK(t["name"] == "sam");
  CHECK(t["harmed"] == 1);
  CHECK(t["suspected_cause"] == "prompt");
  CHECK(t["true_causes"] == json::array({"vendor"}));
  CHECK(t["cause_right"] == false);
  CHECK(t["points"].get<int>() <= 100 - 15 - 10);
  bool judged = false;
  for (const auto& a : t["actions"]) {
    if (a["action"] == "flag") {
      CHECK(a["target"] == "phi-redaction");
      CHECK(a["verdict"] == "harmed");
      judged = true;
    }
  }
  CHECK(judged);
  // Identifiers went to the vendor after the change: the truth counts them, the report says so.
  CHECK(harm["metrics"]["phi"]["to_vendor"].get<long>() > 0);
  CHECK(slurp(dir / "harm" / "report.md").find("## Trainee scorecard: sam") != std::string::npos);

  REQUIRE(drive("good", "good") == 0);
  const json good = json::parse(slurp(dir / "good" / "report.json"));
  const json& g = good["trainee"];
  INFO(g.dump(2));
  CHECK(g["harmed"] == 0);
  CHECK(g["cause_right"] == true);
  CHECK(g["hints"] == 1);
  bool helped = false;
  for (const auto& a : g["actions"]) helped = helped || (a["action"] == "route" && a["verdict"] == "helped");
  CHECK(helped);
  // Where the trainee stands: the same incident under the scenario's playbooks and with nobody acting.
  REQUIRE(g["incidents"].size() == 1);
  CHECK(g["incidents"][0]["reference_playbooks"]["ttm_s"].is_number());
  CHECK(g["incidents"][0]["reference_nobody"]["ttm_s"].is_number());
  CHECK(g["incidents"][0]["reference_nobody"]["ttm_s"].get<double>() >
        g["incidents"][0]["reference_playbooks"]["ttm_s"].get<double>());
  CHECK(g["incidents"][0]["tta_s"].is_number());
  CHECK(g["points"].get<int>() > t["points"].get<int>());
  // One person's drills over time.
  const auto h = gameday("history trainee sam --history '" + (dir / "h.sqlite").string() + "'");
  INFO(h.out << h.err);
  REQUIRE(h.code == 0);
  CHECK(h.out.find("points") != std::string::npos);
  CHECK(h.out.find("prompt (wrong)") != std::string::npos);
  CHECK(h.out.find("vendor (right)") != std::string::npos);
  CHECK(h.out.find(" " + std::to_string(t["points"].get<int>()) + " ") != std::string::npos);
}

TEST_CASE("The drill room's API rejects bad actions and keeps facilitator actions behind the key", "[e2e][room]") {
  TempDir dir;
  const std::string post = std::string(kCurl) + " -w ' %{http_code}\\n' -X POST -H 'Content-Type: application/json'";
  const std::string body =
      post + " -d '{\"action\":\"fly\"}' \"$CONTROL/room/api/action\" > bad.txt; " +
      post + " -d '{\"action\":\"ack\",\"alert\":\"NoSuchAlert\"}' \"$CONTROL/room/api/action\" > ack.txt; " +
      post + " -d '{\"action\":\"suspect\",\"cause\":\"gremlins\"}' \"$CONTROL/room/api/action\" > cause.txt; " +
      post + " -d '{\"action\":\"note\",\"text\":\"patient SYN-0004821 called\"}' \"$CONTROL/room/api/action\" > note.txt; " +
      post + " -d '{\"action\":\"pause\"}' \"$CONTROL/room/api/facilitator\" > nokey.txt; " +
      kCurl + " -o /dev/null -w '%{http_code}' \"$CONTROL/room/facilitator\" > page-nokey.code; " +
      kCurl + " -o /dev/null -w '%{http_code}' \"$CONTROL/room\" > page.code; "
      "KEY=$(sed -n 's/^facilitator .*key=//p' drill.out); " +
      post + " -d '{\"action\":\"speed\",\"speed\":-1}' \"$CONTROL/room/api/facilitator?key=$KEY\" > speed.txt; " +
      post + " -d '{\"action\":\"hint\",\"text\":\"\"}' \"$CONTROL/room/api/facilitator?key=$KEY\" > hint.txt; " +
      post + " -d '{\"action\":\"rewind\"}' \"$CONTROL/room/api/facilitator?key=$KEY\" > rewind.txt; "
      "kill -INT $PID";
  with_drill(dir, kSpike + " --room --speed 10 --duration 10m --out '" + (dir / "out").string() + "' --no-traces", body);
  CHECK(slurp(dir / "bad.txt").find("\"field\":\"action\"") != std::string::npos);
  CHECK(slurp(dir / "bad.txt").find(" 400") != std::string::npos);
  CHECK(slurp(dir / "ack.txt").find("the scenario has no alert 'NoSuchAlert'") != std::string::npos);
  CHECK(slurp(dir / "ack.txt").find(" 409") != std::string::npos);
  CHECK(slurp(dir / "cause.txt").find("\"field\":\"cause\"") != std::string::npos);
  CHECK(slurp(dir / "note.txt").find(" 200") != std::string::npos);
  CHECK(slurp(dir / "nokey.txt").find(" 403") != std::string::npos);
  CHECK(slurp(dir / "page-nokey.code") == "403");
  CHECK(slurp(dir / "page.code") == "200");
  // The facilitator's bad input names the field.
  CHECK(slurp(dir / "speed.txt").find("\"field\":\"speed\"") != std::string::npos);
  CHECK(slurp(dir / "speed.txt").find(" 400") != std::string::npos);
  CHECK(slurp(dir / "hint.txt").find("\"field\":\"text\"") != std::string::npos);
  CHECK(slurp(dir / "rewind.txt").find("\"field\":\"action\"") != std::string::npos);
  // A refused action is journaled with its reason; a note's identifier never reaches the journal.
  const std::string text = slurp(dir / "out" / "journal.jsonl");
  CHECK(text.find("SYN-0004821") == std::string::npos);
  CHECK(text.find("patient [MRN] called") != std::string::npos);
  CHECK(text.find("\"outcome\":\"the scenario has no alert 'NoSuchAlert'\"") != std::string::npos);
}

TEST_CASE("drill rejects --hide and --trainee without --room, and a bad trainee name, with exit 2", "[e2e][room][errors]") {
  const auto hide = gameday("drill scenarios/vendor-latency-spike.yaml --hide");
  CHECK(hide.code == 2);
  CHECK(hide.err.find("--hide: the trainee's view is the drill room's: give --room too") != std::string::npos);
  const auto name = gameday("drill scenarios/vendor-latency-spike.yaml --room --trainee 'a b'");
  CHECK(name.code == 2);
  CHECK(name.err.find("--trainee: expected a name") != std::string::npos);
}

TEST_CASE("A manual playbook starts when the paged responder acknowledges, not on the alert", "[e2e][room][playbook]") {
  TempDir dir;
  const std::filesystem::path src(GAMEDAY_SOURCE_DIR);
  std::filesystem::create_directory_symlink(src / "fakes", dir / "fakes");
  std::filesystem::create_directories(dir / "scenarios");
  std::filesystem::copy_file(src / "scenarios/vendor-latency-spike.yaml", dir / "scenarios/spike.yaml");
  std::filesystem::create_directory_symlink(src / "scenarios/golden", dir / "scenarios/golden");
  std::string playbook = slurp(src / "playbooks/vendor-failover.yaml");
  playbook.insert(playbook.find("trigger:"), "mode: manual\n");
  dir.write("playbooks/vendor-failover.yaml", playbook);
  const auto r = gameday("run '" + (dir / "scenarios/spike.yaml").string() + "' -q --no-traces --out '" +
                         (dir / "out").string() + "'");
  INFO(r.err);
  REQUIRE((r.code == 0 || r.code == 1));
  const auto events = journal(dir / "out" / "journal.jsonl");
  const auto starts = of_type(events, "playbook_start");
  const auto acks = of_type(events, "ack");
  REQUIRE_FALSE(starts.empty());
  // The playbook's trigger is AssistantLatencyHigh: it starts at that page's acknowledgement.
  const json* ack = nullptr;
  for (const auto& a : acks) {
    if (a["alert"] == "AssistantLatencyHigh" && ack == nullptr) ack = &a;
  }
  REQUIRE(ack != nullptr);
  CHECK(starts[0]["trigger"] == "manual:" + (*ack)["who"].get<std::string>());
  CHECK(starts[0]["t_us"] == (*ack)["t_us"]);
  for (const auto& a : of_type(events, "alert_fire")) {
    if (a["name"] == "AssistantLatencyHigh") CHECK(a["t_us"].get<long long>() < starts[0]["t_us"].get<long long>());
  }
  // A mode the loader does not know is invalid input naming the key.
  playbook.replace(playbook.find("mode: manual"), 12, "mode: later");
  dir.write("playbooks/vendor-failover.yaml", playbook);
  const auto bad = gameday("validate '" + (dir / "scenarios/spike.yaml").string() + "'");
  CHECK(bad.code == 2);
  CHECK(bad.err.find("vendor-failover.yaml:") != std::string::npos);
  CHECK(bad.err.find("mode") != std::string::npos);
}

TEST_CASE("With a control-port token the room's pages and API take it as ?token=, nothing else does", "[e2e][room]") {
  TempDir dir;
  const std::string code = std::string(kCurl) + " -o /dev/null -w '%{http_code}'";
  const std::string body =
      code + " \"$CONTROL/room\" > page-none.code; " +
      code + " \"$CONTROL/room?token=s3cret-token\" > page-token.code; " +
      code + " -X POST -d '{\"action\":\"note\",\"text\":\"hi\"}' \"$CONTROL/room/api/action?token=s3cret-token\" > action.code; " +
      code + " \"$CONTROL/events?token=s3cret-token\" > events-query.code; " +
      code + " -H 'Authorization: Bearer s3cret-token' \"$CONTROL/faults\" > faults-bearer.code; "
      "kill -INT $PID";
  with_drill(dir, kSpike + " --room --token s3cret-token --speed 10 --duration 10m --out '" + (dir / "out").string() +
                      "' --no-traces",
             body);
  CHECK(slurp(dir / "page-none.code") == "401");
  CHECK(slurp(dir / "page-token.code") == "200");
  CHECK(slurp(dir / "action.code") == "200");
  CHECK(slurp(dir / "events-query.code") == "401");  // only the room's paths take the query
  CHECK(slurp(dir / "faults-bearer.code") == "200");
}

TEST_CASE("An alert's runbook must be an http(s) URL", "[e2e][room][validate]") {
  TempDir dir;
  const std::filesystem::path src(GAMEDAY_SOURCE_DIR);
  std::string scenario = slurp(src / "scenarios/vendor-latency-spike.yaml");
  const auto at = scenario.find("    severity: page");
  REQUIRE(at != std::string::npos);
  std::string good = scenario;
  good.insert(at, "    runbook: https://runbooks.example.org/assistant-latency\n");
  dir.write("scenarios/good.yaml", good);
  std::string bad = scenario;
  bad.insert(at, "    runbook: runbooks/assistant-latency.md\n");
  dir.write("scenarios/bad.yaml", bad);
  std::filesystem::create_directory_symlink(src / "fakes", dir / "fakes");
  std::filesystem::create_directory_symlink(src / "playbooks", dir / "playbooks");
  std::filesystem::create_directory_symlink(src / "scenarios/golden", dir / "scenarios/golden");
  const auto ok = gameday("validate '" + (dir / "scenarios/good.yaml").string() + "'");
  INFO(ok.err);
  CHECK(ok.code == 0);
  const auto r = gameday("validate '" + (dir / "scenarios/bad.yaml").string() + "'");
  CHECK(r.code == 2);
  CHECK(r.err.find("bad.yaml:") != std::string::npos);
  CHECK(r.err.find("expected an http:// or https:// URL for 'runbook'") != std::string::npos);
}
