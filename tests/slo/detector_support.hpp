#pragma once
// Helpers shared by the detector tests: an alert log read back from the journal, a request
// feeder on the virtual scheduler, and rule builders.
#include <functional>
#include <string>
#include <variant>
#include <vector>

#include "sim/journal.hpp"
#include "sim/scheduler.hpp"
#include "slo/detector.hpp"

namespace gameday::test {

struct AlertLog {
  SimTime t;
  std::string kind;  // "fire" or "resolve"
  std::string name;
  double value;
  std::string summary;
};

inline std::vector<AlertLog> alert_log(const Journal& j) {
  std::vector<AlertLog> out;
  for (const auto& e : j.events()) {
    if (const auto* f = std::get_if<AlertFireEvent>(&e.body)) {
      out.push_back({e.t, "fire", f->name, f->value, f->summary});
    } else if (const auto* r = std::get_if<AlertResolveEvent>(&e.body)) {
      out.push_back({e.t, "resolve", r->name, 0, ""});
    }
  }
  return out;
}

inline RequestEvent request(Duration latency, RequestStatus status = RequestStatus::kOk) {
  RequestEvent r;
  r.latency = latency;
  r.status = status;
  return r;
}

// Schedules one request completion every `step` in [from, to); `make(t, i)` builds the i-th.
inline void feed(VirtualScheduler& s, Detector& d, SimTime from, SimTime to, Duration step,
                 const std::function<RequestEvent(SimTime, long)>& make) {
  long i = 0;
  for (SimTime t = from; t < to; t += step, ++i) {
    RequestEvent r = make(t, i);
    s.at(t, [&d, t, r] { d.observe(t, r); });
  }
}

inline AlertSpec threshold(const std::string& name, const std::string& sli, Duration window,
                           double above, Duration for_duration = 0) {
  AlertSpec a;
  a.name = name;
  a.type = AlertType::kThreshold;
  a.sli = parse_name<Sli>(sli).value();
  a.window = window;
  a.above = above;
  a.for_duration = for_duration;
  return a;
}

}  // namespace gameday::test
