#include "cli/traces.hpp"

#include <spdlog/spdlog.h>

#include <stdexcept>
#include <string>

namespace gameday {

void add_trace_flags(CLI::App& command, bool& off, double& sample) {
  command.add_flag("--no-traces", off, "do not write traces.otlp.jsonl (OpenTelemetry spans)");
  auto check = [](std::string& text) {
    std::string error;
    return parse_trace_sample(text, &error) ? std::string() : error;
  };
  command
      .add_option_function<std::string>(
          "--trace-sample",
          [&sample](const std::string& text) { sample = parse_trace_sample(text, nullptr).value_or(1); },
          "share of requests traced, in (0, 1] (default 1); failed and unsafe ones always are")
      ->type_name("RATIO")
      ->check(CLI::Validator(check, "RATIO", "trace sample"));
}

RunTraces::RunTraces(const std::filesystem::path& dir, const ScenarioBundle& bundle, const TraceFlags& flags,
                     Journal& journal, TraceOptions options) {
  if (flags.off) return;
  const std::filesystem::path path = dir / std::string(kTracesFileName);
  file_.open(path, std::ios::binary | std::ios::trunc);
  if (!file_) throw std::runtime_error("cannot write " + path.string());
  options.sample = flags.sample;
  options.vendor_models = vendor_models(bundle);
  writer_ = std::make_unique<TraceWriter>(file_, std::move(options));
  journal.subscribe_behind([w = writer_.get()](const Event& e) { w->observe(e); });
}

std::map<std::string, std::string> vendor_models(const ScenarioBundle& bundle) {
  std::map<std::string, std::string> models;
  for (const VendorProfile& v : bundle.fakes.vendors) {
    if (!v.models.empty()) models[v.id] = v.models.front();
  }
  return models;
}

void log_otlp_export(const net::OtlpExportStats& s) {
  const std::string line = "otlp: " + std::to_string(s.spans_sent) + " spans sent, " +
                           std::to_string(s.spans_dropped) + " dropped, " + std::to_string(s.spans_failed) +
                           " failed, " + std::to_string(s.retries) + " retries";
  if (s.spans_dropped + s.spans_failed == 0) {
    spdlog::info("{}", line);
  } else {
    spdlog::warn("{} (last error: {})", line, s.last_error.empty() ? "none" : s.last_error);
  }
}

void show_otlp_export(net::LiveMetrics& metrics, const net::OtlpExportStats& s) {
  metrics.set_gauge("gameday_otlp_export_spans", {{"outcome", "sent"}}, static_cast<double>(s.spans_sent));
  metrics.set_gauge("gameday_otlp_export_spans", {{"outcome", "dropped"}}, static_cast<double>(s.spans_dropped));
  metrics.set_gauge("gameday_otlp_export_spans", {{"outcome", "failed"}}, static_cast<double>(s.spans_failed));
  metrics.set_gauge("gameday_otlp_export_retries", {}, static_cast<double>(s.retries));
}

void RunTraces::append_line(const std::string& line) {
  if (!writer_) return;
  file_ << line << '\n';
}

void RunTraces::finish() {
  if (!writer_) return;
  writer_->finish();
  file_.close();
}

}  // namespace gameday
