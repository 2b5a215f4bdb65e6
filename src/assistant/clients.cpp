#include "assistant/clients.hpp"

namespace gameday {

void SimEhrClient::send(const EhrRequest& req, EhrDone done) {
  EhrOutcome out = ehr_.respond(req, scheduler_.now(), rng_, faults_.for_target("ehr"));
  if (out.hang) return;
  const Duration delay = out.delay;
  scheduler_.after(delay, [done = std::move(done), out = std::move(out)]() mutable { done(out); });
}

void SimModelClient::add_vendor(const VendorProfile& profile, Rng rng) {
  routes_.emplace(profile.id, Route{std::make_unique<FakeVendor>(profile), "vendor:" + profile.id, rng});
}

bool SimModelClient::has_vendor(const std::string& vendor) const { return routes_.count(vendor) > 0; }

void SimModelClient::send(const std::string& vendor, const ChatRequest& req,
                          ModelDone done) {
  auto it = routes_.find(vendor);
  if (it == routes_.end()) {
    VendorOutcome out;
    out.status = 404;
    out.error = VendorError{"unknown vendor route '" + vendor + "'", "invalid_request_error", "model_not_found"};
    scheduler_.after(0, [done = std::move(done), out = std::move(out)]() mutable { done(out); });
    return;
  }
  Route& route = it->second;
  VendorOutcome out = route.vendor->respond(req, scheduler_.now(), route.rng, faults_.for_target(route.target));
  if (out.hang) return;
  const Duration delay = out.delay;
  scheduler_.after(delay, [done = std::move(done), out = std::move(out)]() mutable { done(out); });
}

}  // namespace gameday
