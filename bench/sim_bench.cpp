// Simulation speed: one hour of the latency-spike scenario at 20 requests/s, journal on (and
// the traces writer over the same events, timed on its own),
// against a bare event-queue loop with the same number of events, measured in the same run.
// Prints figures and ratios; never passes or fails on timing.
//
//   build/gameday_bench [--rate R] [--minutes M] [--repeat N]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "cli/bundle.hpp"
#include "load/files.hpp"
#include "engine/simulation.hpp"
#include "report/html.hpp"
#include "report/report.hpp"
#include "score/score.hpp"
#include "sim/journal.hpp"
#include "sim/scheduler.hpp"
#include "trace/otlp.hpp"

using namespace gameday;
using WallClock = std::chrono::steady_clock;

namespace {

double seconds_since(WallClock::time_point t0) {
  return std::chrono::duration<double>(WallClock::now() - t0).count();
}

/// The baseline: a chain of `n` events through the same scheduler, each scheduling the next
/// at a pseudo-random gap, with `fanout` events pending at once (like in-flight requests).
double bare_queue(std::uint64_t n, int fanout) {
  VirtualScheduler s;
  std::uint64_t done = 0;
  std::uint64_t x = 88172645463325252ULL;
  std::function<void()> tick = [&] {
    if (++done >= n) return;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    s.after(static_cast<Duration>(x % 1000000), tick);
  };
  const auto t0 = WallClock::now();
  for (int i = 0; i < fanout; ++i) s.after(i, tick);
  s.run_until(kNever - 1);
  return seconds_since(t0);
}

}  // namespace

int main(int argc, char** argv) {
  double rate = 20;
  int minutes = 60;
  int repeat = 3;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--rate")) rate = std::atof(argv[i + 1]);
    if (!std::strcmp(argv[i], "--minutes")) minutes = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--repeat")) repeat = std::atoi(argv[i + 1]);
  }
  const DiskFiles disk;
  ScenarioBundle bundle =
      load_bundle(std::string(GAMEDAY_SOURCE_DIR) + "/scenarios/vendor-latency-spike.yaml", disk);
  bundle.scenario.workload.rate_per_s = rate;
  bundle.scenario.duration = static_cast<Duration>(minutes) * kMinute;

  std::printf("scenario: %s, %d min simulated at %.0f req/s, journal on (written to a file)\n",
              bundle.scenario.name.c_str(), minutes, rate);
  double best_sim = 1e9, best_total = 1e9, best_html = 1e9;
  std::size_t html_bytes = 0;
  SimStats stats;
  std::size_t journal_bytes = 0;
  for (int r = 0; r < repeat; ++r) {
    std::ofstream sink("/tmp/gameday-bench-journal.jsonl", std::ios::binary | std::ios::trunc);
    const auto t0 = WallClock::now();
    Journal journal;
    journal.set_sink(&sink);
    stats = run_simulation(bundle, SimOptions{7, true}, journal);
    journal.flush();
    const double sim_s = seconds_since(t0);
    const Score score = score_journal(journal.events());
    const std::string json = report_json(score);
    const std::string md = report_markdown(score);
    const auto t_html = WallClock::now();
    const std::string html = report_html(score, journal.events());
    best_html = std::min(best_html, seconds_since(t_html));
    html_bytes = html.size();
    const double total_s = seconds_since(t0);
    journal_bytes = static_cast<std::size_t>(sink.tellp());
    best_sim = std::min(best_sim, sim_s);
    best_total = std::min(best_total, total_s);
  }
  // The journal writer alone: every event of the last run serialized again into one buffer.
  double best_write = 1e9;
  std::size_t written = 0, lines = 0;
  // And the traces writer (traces.otlp.jsonl, every request traced) over the same events.
  double best_traces = 1e9;
  std::size_t trace_bytes = 0, spans = 0;
  {
    Journal journal;
    run_simulation(bundle, SimOptions{7, true}, journal);
    std::string buffer;
    for (int r = 0; r < repeat; ++r) {
      buffer.clear();
      const auto t0 = WallClock::now();
      for (const Event& e : journal.events()) {
        append_json(buffer, e);
        buffer.push_back('\n');
      }
      best_write = std::min(best_write, seconds_since(t0));
      written = buffer.size();
      lines = journal.events().size();
    }
    TraceOptions options;
    for (const VendorProfile& v : bundle.fakes.vendors) {
      if (!v.models.empty()) options.vendor_models[v.id] = v.models.front();
    }
    for (int r = 0; r < repeat; ++r) {
      std::ofstream out("/tmp/gameday-bench-traces.otlp.jsonl", std::ios::binary | std::ios::trunc);
      const auto t0 = WallClock::now();
      TraceWriter traces(out, options);
      for (const Event& e : journal.events()) traces.observe(e);
      traces.finish();
      best_traces = std::min(best_traces, seconds_since(t0));
      trace_bytes = static_cast<std::size_t>(out.tellp());
      spans = traces.spans();
    }
  }
  const double simulated_s = minutes * 60.0;
  std::printf("pipeline: %llu requests, %llu events, journal %.1f MiB\n",
              static_cast<unsigned long long>(stats.requests),
              static_cast<unsigned long long>(stats.events), journal_bytes / 1048576.0);
  std::printf("  simulate + journal: %.3f s  (%.2f us/request, %.0f events/s, %.0fx real time)\n",
              best_sim, best_sim * 1e6 / stats.requests, stats.events / best_sim, simulated_s / best_sim);
  std::printf("  + score + reports:  %.3f s  (%.2f us/request, %.0fx real time)\n", best_total,
              best_total * 1e6 / stats.requests, simulated_s / best_total);

  std::printf("  report.html alone: %.3f s  (%.2f us/request, %.0f KiB)\n", best_html,
              best_html * 1e6 / stats.requests, html_bytes / 1024.0);
  std::printf("  journal writer alone: %.3f s  (%zu lines, %.3f us/line, %.0f MiB/s)\n",
              best_write, lines, best_write * 1e6 / static_cast<double>(lines), written / 1048576.0 / best_write);

  std::printf("  traces writer alone: %.3f s  (%zu spans, %.2f us/request, %.1f MiB, %.0f MiB/s)\n",
              best_traces, spans, best_traces * 1e6 / static_cast<double>(stats.requests),
              trace_bytes / 1048576.0, trace_bytes / 1048576.0 / best_traces);

  double best_bare = 1e9;
  for (int r = 0; r < repeat; ++r) best_bare = std::min(best_bare, bare_queue(stats.events, 64));
  std::printf("baseline bare event queue: %llu events in %.3f s (%.0f events/s)\n",
              static_cast<unsigned long long>(stats.events), best_bare, stats.events / best_bare);
  std::printf("ratio: full pipeline costs %.1fx the bare queue per event\n", best_sim / best_bare);
  std::printf("target: 1 h at 20 req/s in < 0.36 s (>= 10,000x real time): %s (%.3f s)\n",
              best_total < 0.36 ? "met" : "not met", best_total);
  return 0;
}
