#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <string>

#include "fakes/vendor.hpp"
#include "fakes/world.hpp"

using namespace gameday;

namespace {

VendorProfile profile() {
  VendorProfile p;
  p.id = "primary";
  p.name = "Fake Primary";
  p.models = {"fake-gpt-large"};
  p.ttft.kind = DistKind::kFixed;
  p.ttft.value = 300 * kMillisecond;
  p.tokens_per_second = 50;
  return p;
}

const char* kCiteSystem =
    "You answer questions using only the context. Cite every sentence as [doc:ID].";
const char* kPlainSystem = "You answer questions using only the context.";

const std::string kDischarge =
    "Avery Testwell (MRN SYN-0004821) was admitted on 2026-03-02. Discharge diagnosis: "
    "community-acquired pneumonia (ICD-10 J18.9). Hospital course was uncomplicated. Follow-up "
    "plan: see primary care in 7 days. Medications at discharge: amoxicillin 500 mg.";
const std::string kProgress =
    "Avery Testwell was seen in clinic on 2026-04-01 for a routine visit. Blood pressure was "
    "128/82 mmHg. Assessment: breathing at baseline. Plan: continue current medications.";

ChatRequest request(const std::string& system, const std::string& question,
                    const std::string& context) {
  ChatRequest r;
  r.model = "";
  r.messages = {{"system", system}, {"user", context + "\nQuestion: " + question + "\n"}};
  return r;
}

std::string chart_context() {
  return "[doc:note-0001-ds] " + kDischarge + "\n[doc:note-0001-pn1] " + kProgress;
}

// The ids inside "[doc:ID]" markers.
std::set<std::string> cited(const std::string& s) {
  std::set<std::string> ids;
  const std::regex re(R"(\[doc:([^\]]+)\])");
  for (auto it = std::sregex_iterator(s.begin(), s.end(), re); it != std::sregex_iterator(); ++it) {
    ids.insert((*it)[1]);
  }
  return ids;
}

FaultSpec fault(const std::string& id, const std::string& kind, double probability) {
  FaultSpec f;
  f.id = id;
  f.target = "vendor:primary";
  f.params = default_params(parse_name<FaultKind>(kind).value());
  f.probability = probability;
  return f;
}

}  // namespace

TEST_CASE("Fake vendor answers extractively with the fact sentences", "[fakes][vendor]") {
  const FakeVendor v(profile());
  Rng rng(1);
  const auto o = v.respond(request(kCiteSystem, "What is the discharge diagnosis and follow-up plan?",
                                   chart_context()),
                           0, rng, {});
  REQUIRE(o.status == 200);
  REQUIRE_FALSE(o.hang);
  REQUIRE(o.response.content ==
          "Discharge diagnosis: community-acquired pneumonia (ICD-10 J18.9). [doc:note-0001-ds] "
          "Follow-up plan: see primary care in 7 days. [doc:note-0001-ds]");
  REQUIRE(o.response.finish_reason == "stop");
  REQUIRE(o.response.model == "fake-gpt-large");
  REQUIRE(std::regex_match(o.response.id, std::regex("chatcmpl-[0-9a-f]{16}")));
}

TEST_CASE("Fake vendor cites only documents it was given", "[fakes][vendor]") {
  const FakeVendor v(profile());
  Rng rng(2);
  const std::set<std::string> given{"note-0001-ds", "note-0001-pn1"};
  for (const char* q : {"What was the blood pressure and plan at the last visit?",
                        "What medications at discharge?", "Which ICD-10 code was the diagnosis?"}) {
    const auto o = v.respond(request(kCiteSystem, q, chart_context()), 0, rng, {});
    const auto ids = cited(o.response.content);
    INFO(q << " -> " << o.response.content);
    REQUIRE(!ids.empty());
    for (const auto& id : ids) REQUIRE(given.count(id) == 1);
  }
  // Output follows context order even when the later sentence scores higher.
  const auto o = v.respond(
      request(kCiteSystem, "What blood pressure plan?", chart_context()), 0, rng, {});
  REQUIRE(o.response.content ==
          "Follow-up plan: see primary care in 7 days. [doc:note-0001-ds] Blood pressure was "
          "128/82 mmHg. [doc:note-0001-pn1]");
}

TEST_CASE("Fake vendor refuses when the context is irrelevant", "[fakes][vendor]") {
  const FakeVendor v(profile());
  Rng rng(3);
  const auto o = v.respond(
      request(kCiteSystem, "What is the copay for acupuncture?", chart_context()), 0, rng, {});
  REQUIRE(o.status == 200);
  REQUIRE(o.response.content == "I cannot answer that from the provided records.");
  // Stopwords alone never match.
  const auto o2 = v.respond(request(kCiteSystem, "What is this?", chart_context()), 0, rng, {});
  REQUIRE(o2.response.content == "I cannot answer that from the provided records.");
  // No context at all.
  const auto o3 = v.respond(request(kCiteSystem, "What is the discharge diagnosis?", ""), 0, rng, {});
  REQUIRE(o3.response.content == "I cannot answer that from the provided records.");
}

TEST_CASE("Fake vendor does not cite when the system prompt does not ask", "[fakes][vendor]") {
  const FakeVendor v(profile());
  Rng rng(4);
  const auto o = v.respond(request(kPlainSystem, "What is the discharge diagnosis and follow-up plan?",
                                   chart_context()),
                           0, rng, {});
  REQUIRE(o.response.content ==
          "Discharge diagnosis: community-acquired pneumonia (ICD-10 J18.9). Follow-up plan: see "
          "primary care in 7 days.");
  REQUIRE(cited(o.response.content).empty());
}

TEST_CASE("Fake vendor matches money amounts, codes and plurals", "[fakes][vendor]") {
  const FakeVendor v(profile());
  Rng rng(5);
  const std::string ctx =
      "[doc:policy-gold-ppo-pt-v3] Gold PPO covers 30 physical therapy visits per calendar year. "
      "A $30 copay applies per visit. Prior authorization is required after the 12th visit.";
  const auto o = v.respond(
      request(kCiteSystem, "How many physical therapy visits does the Gold PPO plan cover?", ctx), 0,
      rng, {});
  REQUIRE(o.response.content ==
          "Gold PPO covers 30 physical therapy visits per calendar year. "
          "[doc:policy-gold-ppo-pt-v3] A $30 copay applies per visit. [doc:policy-gold-ppo-pt-v3]");
}

TEST_CASE("Fake vendor answers JSON when structured output is requested", "[fakes][vendor]") {
  const FakeVendor v(profile());
  Rng rng(6);
  ChatRequest r = request(kCiteSystem, "What is the discharge diagnosis and follow-up plan?",
                          chart_context());
  r.json_output = true;
  const auto o = v.respond(r, 0, rng, {});
  const auto j = nlohmann::json::parse(o.response.content);
  REQUIRE(j.at("answer") ==
          "Discharge diagnosis: community-acquired pneumonia (ICD-10 J18.9). Follow-up plan: see "
          "primary care in 7 days.");
  REQUIRE(j.at("citations") == nlohmann::json::array({"note-0001-ds"}));

  ChatRequest refuse = request(kCiteSystem, "What is the acupuncture copay?", chart_context());
  refuse.json_output = true;
  const auto j2 = nlohmann::json::parse(v.respond(refuse, 0, rng, {}).response.content);
  REQUIRE(j2.at("answer") == "I cannot answer that from the provided records.");
  REQUIRE(j2.at("citations").empty());
}

TEST_CASE("Fake vendor answers about a generated world's notes with their facts",
          "[fakes][vendor]") {
  WorldConfig c;
  c.seed = 42;
  c.patients = 60;
  const World w = World::generate(c);
  const FakeVendor v(profile());
  Rng rng(7);
  for (const Patient& p : w.patients()) {
    std::string ctx;
    std::set<std::string> ids;
    for (const Document* d : w.notes_of(p.id)) {
      ctx += "[doc:" + d->id + "] " + d->text + "\n";
      ids.insert(d->id);
    }
    const auto o = v.respond(
        request(kCiteSystem, "What is the discharge diagnosis and follow-up plan?", ctx), 0, rng, {});
    const Document* ds = w.document("note-" + p.id.substr(4) + "-ds");
    INFO(o.response.content);
    for (const std::string& f : ds->facts) REQUIRE(o.response.content.find(f) != std::string::npos);
    for (const auto& id : cited(o.response.content)) REQUIRE(ids.count(id) == 1);
    // The answer does not repeat the patient's name or MRN.
    REQUIRE(o.response.content.find(p.mrn) == std::string::npos);
  }
}

TEST_CASE("Fake vendor baseline latency is ttft plus tokens over speed", "[fakes][vendor]") {
  const FakeVendor v(profile());
  Rng rng(8);
  const auto o = v.respond(request(kCiteSystem, "What is the discharge diagnosis?", chart_context()),
                           0, rng, {});
  REQUIRE(o.ttft == 300 * kMillisecond);
  const int tokens = o.response.usage.completion_tokens;
  REQUIRE(tokens == estimate_tokens(o.response.content));
  REQUIRE(o.delay == 300 * kMillisecond + std::llround(tokens * 1e6 / 50.0));
  REQUIRE(o.response.usage.total_tokens ==
          o.response.usage.prompt_tokens + o.response.usage.completion_tokens);
  REQUIRE(o.response.usage.prompt_tokens > 50);
  REQUIRE(estimate_tokens("") == 1);
  REQUIRE(estimate_tokens("abcd") == 1);
  REQUIRE(estimate_tokens("abcde") == 2);
}

TEST_CASE("Fake vendor cuts answers at max_tokens", "[fakes][vendor]") {
  const FakeVendor v(profile());
  Rng rng(9);
  ChatRequest r = request(kCiteSystem, "What is the discharge diagnosis?", chart_context());
  r.max_tokens = 5;
  const auto o = v.respond(r, 0, rng, {});
  REQUIRE(o.response.finish_reason == "length");
  REQUIRE(o.response.content.size() == 20);
  REQUIRE(o.response.usage.completion_tokens == 5);
}

TEST_CASE("Latency fault with probability one half slows about half the requests",
          "[fakes][vendor][faults]") {
  const FakeVendor v(profile());
  FaultSpec slow = fault("slow", "latency", 0.5);
  slow.as<LatencyFault>()->delay.kind = DistKind::kFixed;
  slow.as<LatencyFault>()->delay.value = 5 * kSecond;
  Rng rng(10);
  const ChatRequest r = request(kCiteSystem, "What is the discharge diagnosis?", chart_context());
  int slowed = 0;
  const int n = 2000;
  for (int i = 0; i < n; ++i) {
    const auto o = v.respond(r, 0, rng, {&slow});
    REQUIRE(o.status == 200);
    if (!o.fault_ids.empty()) {
      ++slowed;
      REQUIRE(o.fault_ids == std::vector<std::string>{"slow"});
      REQUIRE(o.ttft == 5300 * kMillisecond);
      REQUIRE(o.delay > 5300 * kMillisecond);
    } else {
      REQUIRE(o.delay < 2 * kSecond);
    }
  }
  REQUIRE(slowed > 900);
  REQUIRE(slowed < 1100);
}

TEST_CASE("Error fault returns its status, Retry-After and OpenAI error fields",
          "[fakes][vendor][faults]") {
  const FakeVendor v(profile());
  FaultSpec limited = fault("rate-limit", "error", 1.0);
  limited.as<ErrorFault>()->status = 429;
  limited.as<ErrorFault>()->retry_after = 20 * kSecond;
  Rng rng(11);
  const auto o = v.respond(request(kCiteSystem, "What is the discharge diagnosis?", chart_context()),
                           0, rng, {&limited});
  REQUIRE(o.status == 429);
  REQUIRE(o.retry_after == 20 * kSecond);
  REQUIRE(o.fault_ids == std::vector<std::string>{"rate-limit"});
  REQUIRE(o.delay == 300 * kMillisecond);
  REQUIRE(o.error.type == "rate_limit_error");
  REQUIRE(o.error.code == "rate_limit_exceeded");
  REQUIRE_FALSE(o.error.message.empty());

  FaultSpec down = fault("down", "error", 1.0);
  down.as<ErrorFault>()->status = 503;
  down.as<ErrorFault>()->message = "upstream overloaded";
  const auto o2 = v.respond(request(kCiteSystem, "Q?", ""), 0, rng, {&down});
  REQUIRE(o2.status == 503);
  REQUIRE(o2.retry_after == 0);
  REQUIRE(o2.error.type == "server_error");
  REQUIRE(o2.error.code.empty());
  REQUIRE(o2.error.message == "upstream overloaded");

  FaultSpec bad = fault("bad", "error", 1.0);
  bad.as<ErrorFault>()->status = 400;
  REQUIRE(v.respond(request(kCiteSystem, "Q?", ""), 0, rng, {&bad}).error.type ==
          "invalid_request_error");
}

TEST_CASE("Hang fault makes the vendor never answer", "[fakes][vendor][faults]") {
  const FakeVendor v(profile());
  FaultSpec hang = fault("hang", "hang", 1.0);
  FaultSpec err = fault("err", "error", 1.0);
  Rng rng(12);
  const auto o = v.respond(request(kCiteSystem, "Q?", ""), 0, rng, {&err, &hang});
  REQUIRE(o.hang);
  REQUIRE(o.fault_ids == std::vector<std::string>{"hang"});
  FaultSpec never = fault("never", "hang", 0.0);
  REQUIRE_FALSE(v.respond(request(kCiteSystem, "Q?", ""), 0, rng, {&never}).hang);
}

TEST_CASE("Fake vendor baseline error rate yields server errors", "[fakes][vendor]") {
  VendorProfile p = profile();
  p.error_rate = 0.1;
  const FakeVendor v(p);
  Rng rng(13);
  int errors = 0;
  for (int i = 0; i < 2000; ++i) {
    const auto o = v.respond(request(kCiteSystem, "Q?", ""), 0, rng, {});
    if (o.status != 200) {
      ++errors;
      REQUIRE(o.status == 500);
      REQUIRE(o.error.type == "server_error");
      REQUIRE(o.fault_ids.empty());
    }
  }
  REQUIRE(errors > 150);
  REQUIRE(errors < 250);
}

TEST_CASE("Fake vendor replays exactly from the same rng seed", "[fakes][vendor]") {
  VendorProfile p = profile();
  p.ttft.kind = DistKind::kLognormal;
  p.ttft.median = 400 * kMillisecond;
  p.ttft.sigma = 0.5;
  p.error_rate = 0.05;
  const FakeVendor v(p);
  FaultSpec slow = fault("slow", "latency", 0.3);
  slow.as<LatencyFault>()->delay.kind = DistKind::kExponential;
  slow.as<LatencyFault>()->delay.mean = 2 * kSecond;
  FaultSpec limited = fault("limited", "error", 0.2);
  limited.as<ErrorFault>()->status = 429;
  const ChatRequest r = request(kCiteSystem, "What is the discharge diagnosis?", chart_context());
  Rng a(99), b(99);
  for (int i = 0; i < 200; ++i) {
    const auto x = v.respond(r, i, a, {&slow, &limited});
    const auto y = v.respond(r, i, b, {&slow, &limited});
    REQUIRE(x.delay == y.delay);
    REQUIRE(x.status == y.status);
    REQUIRE(x.fault_ids == y.fault_ids);
    REQUIRE(x.response.id == y.response.id);
    REQUIRE(x.response.content == y.response.content);
  }
}

TEST_CASE("Fake vendor respond cost per call", "[.][bench]") {
  // A figure, not a pass/fail timing: run with "[.bench]" in a Release build.
  WorldConfig c;
  c.seed = 3;
  c.patients = 10;
  const World w = World::generate(c);
  std::string ctx;
  for (const Document* d : w.notes_of("pat-0001")) ctx += "[doc:" + d->id + "] " + d->text + "\n";
  const ChatRequest r =
      request(kCiteSystem, "What is the discharge diagnosis and follow-up plan?", ctx);
  VendorProfile p = profile();
  p.ttft.kind = DistKind::kLognormal;
  p.ttft.median = 400 * kMillisecond;
  p.ttft.sigma = 0.5;
  const FakeVendor v(p);
  Rng rng(1);
  // CPU time, best of several trials: the machines are shared and the best trial is the
  // least disturbed one.
  const int trials = 20;
  const int n = 10000;
  std::size_t sink = 0;
  double best_us = 1e9;
  for (int trial = 0; trial < trials; ++trial) {
    const std::clock_t t0 = std::clock();
    for (int i = 0; i < n; ++i) sink += v.respond(r, 0, rng, {}).response.content.size();
    const std::clock_t t1 = std::clock();
    best_us = std::min(best_us, 1e6 * static_cast<double>(t1 - t0) / CLOCKS_PER_SEC / n);
  }
  std::printf("FakeVendor::respond: %.3f us/call CPU, best of %d x %d (prompt %zu chars)\n",
              best_us, trials, n, r.messages[1].content.size());
  REQUIRE(sink > 0);
}

TEST_CASE("Fake vendor finds keywords and sentence ends at every offset of a long line",
          "[fakes][vendor]") {
  // Context is scanned in 64-character chunks: slide the fact across chunk boundaries.
  const FakeVendor v(profile());
  Rng rng(14);
  for (int pad = 0; pad < 140; ++pad) {
    const std::string filler = std::string(static_cast<std::size_t>(pad), 'x');
    const std::string ctx = "[doc:d1] Intro " + filler +
                            " sentence. The echocardiogram copay is $45 per study. Unrelated "
                            "closing remark.";
    const auto o = v.respond(request(kCiteSystem, "What is the echocardiogram copay?", ctx), 0, rng,
                             {});
    INFO("pad " << pad << ": " << o.response.content);
    REQUIRE(o.response.content == "The echocardiogram copay is $45 per study. [doc:d1]");
  }
}

TEST_CASE("Fake vendor takes the first plain line as the question without a Question line",
          "[fakes][vendor]") {
  const FakeVendor v(profile());
  Rng rng(15);
  ChatRequest r;
  r.messages = {{"system", kPlainSystem},
                {"user", "[doc:note-0001-ds] " + kDischarge + "\nWhat medications at discharge?"}};
  const auto o = v.respond(r, 0, rng, {});
  REQUIRE(o.response.content ==
          "Discharge diagnosis: community-acquired pneumonia (ICD-10 J18.9). Medications at "
          "discharge: amoxicillin 500 mg.");
}
