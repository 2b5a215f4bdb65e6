// Simulation speed and memory: one hour of the latency-spike scenario at 20 requests/s as
// `gameday run` runs it (journal written to a file as it is appended, never held; the scorer
// fed event by event; both on the journal's writer thread), the same with the journal
// zstd-compressed, all on one thread, and with the traces file, and a rate sweep (5, 20, 80,
// 300 requests/s by default) for the cost per request and the heap each rate needs, against
// a bare event-queue loop with the same number of events, measured in the same run. Prints
// figures and ratios (wall time, and CPU time over both threads); never passes or fails on
// timing.
//
//   build/gameday_bench [--rate R] [--minutes M] [--repeat N] [--sweep 5,20,80,300]
#include <malloc.h>
#include <sys/resource.h>
#ifdef GAMEDAY_BENCH_JEMALLOC
#include <jemalloc/jemalloc.h>
#endif

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "cli/bundle.hpp"
#include "engine/simulation.hpp"
#include "load/files.hpp"
#include "report/html.hpp"
#include "report/report.hpp"
#include "score/digest.hpp"
#include "score/score.hpp"
#include "sim/journal.hpp"
#include "sim/scheduler.hpp"
#include "sim/zstd_stream.hpp"
#include "trace/otlp.hpp"

using namespace gameday;
using WallClock = std::chrono::steady_clock;

namespace {

double seconds_since(WallClock::time_point t0) {
  return std::chrono::duration<double>(WallClock::now() - t0).count();
}

double mib(double bytes) { return bytes / 1048576.0; }

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

/// Heap bytes the program has allocated and not freed (jemalloc's count, as gameday links it;
/// glibc's otherwise).
double heap_in_use() {
#ifdef GAMEDAY_BENCH_JEMALLOC
  std::uint64_t epoch = 1;
  std::size_t size = sizeof epoch;
  mallctl("epoch", &epoch, &size, &epoch, size);  // refresh the statistics
  std::size_t allocated = 0;
  size = sizeof allocated;
  if (mallctl("stats.allocated", &allocated, &size, nullptr, 0) != 0) return 0;
  return static_cast<double>(allocated);
#else
  return static_cast<double>(mallinfo2().uordblks);
#endif
}

/// Seconds of CPU this process has used, every thread's (user and system); with `who`
/// RUSAGE_THREAD, the calling thread's only.
double cpu_seconds(int who = RUSAGE_SELF) {
  rusage usage{};
  getrusage(who, &usage);
  const auto secs = [](const timeval& tv) { return static_cast<double>(tv.tv_sec) + tv.tv_usec / 1e6; };
  return secs(usage.ru_utime) + secs(usage.ru_stime);
}

/// How a pipeline run writes: as `gameday run` does (the journal's lines and the digest on a
/// background thread), or everything on the simulating thread; with or without the traces file
/// `gameday run` writes by default.
struct PipelineMode {
  bool background = true;
  bool traces = false;
};

/// One run as `gameday run` does it: the journal to `path` (zstd when it ends in .zst), the
/// digest (score, series, invariants) fed as events are appended; then the three reports.
struct PipelineRun {
  SimStats stats;
  double simulate_s = 0;     ///< simulate + journal + digest fed
  double cpu_s = 0;          ///< CPU time of the same, both threads
  double sim_cpu_s = 0;      ///< CPU time of the same, the simulating thread's alone
  double total_s = 0;        ///< + digest finished + report.json/md/html
  double journal_bytes = 0;
  double peak_heap = 0;      ///< heap in use, sampled every 65,536 events (above the start)
  double digest_heap = 0;    ///< heap still held once the engine is gone: the digest's state
};

PipelineRun pipeline(const ScenarioBundle& bundle, const std::string& path, PipelineMode mode = {}) {
  PipelineRun out;
  // A fresh file, as in a new output directory (truncating the last run's costs the kernel time).
  std::filesystem::remove(path);
  const std::string traces_path = "/tmp/gameday-bench-traces.otlp.jsonl";
  if (mode.traces) std::filesystem::remove(traces_path);
  const double heap0 = heap_in_use();
  const double cpu0 = cpu_seconds();
  const double sim_cpu0 = cpu_seconds(RUSAGE_THREAD);
  const auto t0 = WallClock::now();
  {
    const std::unique_ptr<std::ostream> sink = open_journal_output(path);
    Journal journal;
    journal.set_sink(sink.get());
    journal.keep_events(false);
    JournalDigest digest;
    std::size_t seen = 0;
    journal.subscribe_behind([&](const Event& e) {
      digest.add(e);
      if ((++seen & 65535) == 0) out.peak_heap = std::max(out.peak_heap, heap_in_use() - heap0);
    });
    std::ofstream traces_file;
    std::unique_ptr<TraceWriter> traces;
    if (mode.traces) {
      traces_file.open(traces_path, std::ios::binary | std::ios::trunc);
      TraceOptions options;
      for (const VendorProfile& v : bundle.fakes.vendors) {
        if (!v.models.empty()) options.vendor_models[v.id] = v.models.front();
      }
      traces = std::make_unique<TraceWriter>(traces_file, std::move(options));
      journal.subscribe_behind([w = traces.get()](const Event& e) { w->observe(e); });
    }
    std::optional<JournalBackground> background;  // as `gameday run` writes and scores
    if (mode.background) background.emplace(journal);
    SimOptions options{7, true};
    options.tasks_ahead = mode.background;  // as `gameday run`: tasks built on a third thread
    out.stats = run_simulation(bundle, options, journal);
    journal.flush();
    finish_journal_output(*sink);
    if (traces) traces->finish();
    out.simulate_s = seconds_since(t0);
    out.cpu_s = cpu_seconds() - cpu0;
    out.sim_cpu_s = cpu_seconds(RUSAGE_THREAD) - sim_cpu0;
    out.digest_heap = heap_in_use() - heap0;  // the engine is gone; the digest is not
    const JournalDigestResult d = digest.finish();
    const std::string json = report_json(d.score);
    const std::string md = report_markdown(d.score);
    const std::string html = report_html(d.score, d.series);
    out.total_s = seconds_since(t0);
  }
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  out.journal_bytes = static_cast<double>(in.tellg());
  return out;
}

std::vector<double> parse_list(const char* text) {
  std::vector<double> out;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) out.push_back(std::atof(item.c_str()));
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  double rate = 20;
  int minutes = 60;
  int repeat = 3;
  std::vector<double> sweep{5, 20, 80, 300};
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--rate")) rate = std::atof(argv[i + 1]);
    if (!std::strcmp(argv[i], "--minutes")) minutes = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--repeat")) repeat = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--sweep")) sweep = parse_list(argv[i + 1]);
  }
  const DiskFiles disk;
  ScenarioBundle bundle =
      load_bundle(std::string(GAMEDAY_SOURCE_DIR) + "/scenarios/vendor-latency-spike.yaml", disk);
  bundle.scenario.duration = static_cast<Duration>(minutes) * kMinute;
  const double simulated_s = minutes * 60.0;
  const std::string plain = "/tmp/gameday-bench-journal.jsonl";
  const std::string zst = "/tmp/gameday-bench-journal.jsonl.zst";

  // ---- the main figure: one hour at `rate`
  bundle.scenario.workload.rate_per_s = rate;
  std::printf("scenario: %s, %d min simulated at %.0f req/s, as `gameday run` runs it\n",
              bundle.scenario.name.c_str(), minutes, rate);
  PipelineRun best, best_z, best_one, best_traced, best_traced_one;
  for (PipelineRun* b : {&best, &best_z, &best_one, &best_traced, &best_traced_one}) b->simulate_s = b->total_s = 1e9;
  const auto keep = [](PipelineRun& b, const PipelineRun& p) {
    if (p.simulate_s < b.simulate_s) b = p;
  };
  for (int r = 0; r < repeat; ++r) {
    keep(best, pipeline(bundle, plain));
    keep(best_z, pipeline(bundle, zst));
    keep(best_one, pipeline(bundle, plain, {.background = false}));
    keep(best_traced, pipeline(bundle, plain, {.traces = true}));
    keep(best_traced_one, pipeline(bundle, plain, {.background = false, .traces = true}));
  }
  const double requests = static_cast<double>(best.stats.requests);
  const double events = static_cast<double>(best.stats.events);
  double best_bare = 1e9;
  for (int r = 0; r < repeat; ++r) best_bare = std::min(best_bare, bare_queue(best.stats.events, 64));

  std::printf("pipeline: %llu requests, %llu events\n", static_cast<unsigned long long>(best.stats.requests),
              static_cast<unsigned long long>(best.stats.events));
  std::printf("  simulate + journal + scoring fed:  %.3f s  (%.2f us/request, %.0f events/s, %.0fx real time)\n",
              best.simulate_s, best.simulate_s * 1e6 / requests, events / best.simulate_s, simulated_s / best.simulate_s);
  std::printf("  + score + report.json/md/html:     %.3f s  (%.2f us/request, %.0fx real time)\n", best.total_s,
              best.total_s * 1e6 / requests, simulated_s / best.total_s);
  std::printf("  (the journal's lines, the judge and the scoring run on a second thread, as in `gameday run`: CPU "
              "%.3f s on both threads, %.3f s on the simulating one;\n   everything on one thread: %.3f s, %.2f "
              "us/request, %.2fx the two threads' time)\n",
              best.cpu_s, best.sim_cpu_s, best_one.simulate_s, best_one.simulate_s * 1e6 / requests,
              best_one.simulate_s / best.simulate_s);
  std::printf("  + traces.otlp.jsonl (`gameday run`'s default): %.3f s (%.2f us/request); on one thread %.3f s "
              "(%.2fx)\n",
              best_traced.simulate_s, best_traced.simulate_s * 1e6 / requests, best_traced_one.simulate_s,
              best_traced_one.simulate_s / best_traced.simulate_s);
  std::printf("  journal.jsonl:     %.1f MiB, %.0f bytes/request\n", mib(best.journal_bytes),
              best.journal_bytes / requests);
  std::printf("  journal.jsonl.zst: %.2f MiB, %.0f bytes/request (%.1fx smaller); simulate + journal + scoring "
              "%.3f s (%.2fx the plain journal's)\n",
              mib(best_z.journal_bytes), best_z.journal_bytes / requests, best.journal_bytes / best_z.journal_bytes,
              best_z.simulate_s, best_z.simulate_s / best.simulate_s);
  std::printf("baseline bare event queue: %llu events in %.3f s (%.0f events/s)\n",
              static_cast<unsigned long long>(best.stats.events), best_bare, events / best_bare);
  std::printf("ratio: the pipeline costs %.1fx the bare queue per event (target <= 4x); in CPU time %.1fx\n",
              best.simulate_s / best_bare, best.cpu_s / best_bare);
  std::printf("target: 1 h at 20 req/s in < 0.25 s with the journal on: %s (%.3f s simulate + journal + scoring, "
              "%.3f s with the reports)\n",
              best.simulate_s < 0.25 ? "met" : "not met", best.simulate_s, best.total_s);

  // ---- parts on their own, over one run's events held in memory
  {
    Journal journal;
    run_simulation(bundle, SimOptions{7, true}, journal);
    double best_write = 1e9, best_score = 1e9, best_html = 1e9, best_traces = 1e9;
    std::size_t written = 0, trace_bytes = 0, spans = 0, html_bytes = 0;
    std::string buffer;
    TraceOptions options;
    for (const VendorProfile& v : bundle.fakes.vendors) {
      if (!v.models.empty()) options.vendor_models[v.id] = v.models.front();
    }
    for (int r = 0; r < repeat; ++r) {
      buffer.clear();
      auto t0 = WallClock::now();
      for (const Event& e : journal.events()) {
        append_json(buffer, e);
        buffer.push_back('\n');
      }
      best_write = std::min(best_write, seconds_since(t0));
      written = buffer.size();
      t0 = WallClock::now();
      JournalDigest digest;
      for (const Event& e : journal.events()) digest.add(e);
      const JournalDigestResult d = digest.finish();
      best_score = std::min(best_score, seconds_since(t0));
      t0 = WallClock::now();
      html_bytes = report_html(d.score, d.series).size();
      best_html = std::min(best_html, seconds_since(t0));
      std::ofstream out("/tmp/gameday-bench-traces.otlp.jsonl", std::ios::binary | std::ios::trunc);
      t0 = WallClock::now();
      TraceWriter traces(out, options);
      for (const Event& e : journal.events()) traces.observe(e);
      traces.finish();
      best_traces = std::min(best_traces, seconds_since(t0));
      trace_bytes = static_cast<std::size_t>(out.tellp());
      spans = traces.spans();
    }
    const double lines = static_cast<double>(journal.events().size());
    std::printf("parts alone (the same events held in memory):\n");
    std::printf("  journal writer: %.3f s  (%.3f us/line, %.0f MiB/s)\n", best_write, best_write * 1e6 / lines,
                mib(static_cast<double>(written)) / best_write);
    std::printf("  scoring (score, series, invariants): %.3f s  (%.2f us/request)\n", best_score,
                best_score * 1e6 / requests);
    std::printf("  report.html: %.3f s  (%.2f us/request, %.0f KiB)\n", best_html, best_html * 1e6 / requests,
                static_cast<double>(html_bytes) / 1024.0);
    std::printf("  traces writer: %.3f s  (%zu spans, %.2f us/request, %.1f MiB, %.0f MiB/s)\n", best_traces, spans,
                best_traces * 1e6 / requests, mib(static_cast<double>(trace_bytes)),
                mib(static_cast<double>(trace_bytes)) / best_traces);
    // What the 4x ratio leaves: 4x the bare queue's time on each of two cores is all the CPU a
    // run may spend; the journal's lines and the scoring need their share of it whatever the
    // simulating thread does.
    const double budget = 2 * 4 * best_bare;
    std::printf("  the 4x ratio on 2 cores allows %.3f s of CPU (%.2f us/request); the journal writer and the "
                "scoring alone take %.0f%% of it, leaving %.2f us/request to simulate a request (the simulating "
                "thread spent %.2f us/request)\n",
                budget, budget * 1e6 / requests, 100 * (best_write + best_score) / budget,
                (budget - best_write - best_score) * 1e6 / requests, best.sim_cpu_s * 1e6 / requests);
  }

  // ---- rate sweep: cost per request and heap, one run per rate
  if (!sweep.empty()) {
    // Best of several runs per rate: at least min(repeat, 2), and more for the cheap rates until
    // a rate has run for 1.5 s (up to 20 runs), so a noisy moment on a shared machine does not
    // set the first row every other row is compared with.
    std::printf("rate sweep (%d min each; simulate + journal + scoring fed, best of `runs`):\n", minutes);
    std::printf("  %8s %10s %5s %10s %10s %9s %9s %12s %9s %12s %12s\n", "req/s", "requests", "runs", "seconds",
                "us/request", "vs first", "events/req", "us/event", "vs bare", "peak heap", "scorer heap");
    double first = 0;
    for (const double r : sweep) {
      bundle.scenario.workload.rate_per_s = r;
      PipelineRun p;
      p.simulate_s = 1e9;
      int runs = 0;
      double spent = 0;
      while (runs < std::max(std::min(repeat, 2), 1) || (spent < 1.5 && runs < 20)) {
        const PipelineRun q = pipeline(bundle, plain);
        ++runs;
        spent += q.simulate_s;
        if (q.simulate_s < p.simulate_s) p = q;
      }
      const double bare = bare_queue(p.stats.events, 64);
      const double us = p.simulate_s * 1e6 / static_cast<double>(p.stats.requests);
      if (first == 0) first = us;
      const double per_event = p.simulate_s * 1e6 / static_cast<double>(p.stats.events);
      std::printf("  %8.0f %10llu %5d %10.3f %10.2f %8.2fx %9.2f %9.3f %8.1fx %9.1f MiB %9.1f MiB\n", r,
                  static_cast<unsigned long long>(p.stats.requests), runs, p.simulate_s, us, us / first,
                  static_cast<double>(p.stats.events) / static_cast<double>(p.stats.requests), per_event,
                  p.simulate_s / bare, mib(p.peak_heap), mib(p.digest_heap));
    }
    std::printf("  (peak heap: in use during the run above the start, sampled; scorer heap: what the scorer\n"
                "   holds once the engine is gone. Peak resident size of a whole `gameday run`: bench/sim_memory.sh)\n");
    struct rusage usage {};
    getrusage(RUSAGE_SELF, &usage);
    std::printf("  this process's peak resident size: %.1f MiB\n", usage.ru_maxrss / 1024.0);
  }
  return 0;
}
