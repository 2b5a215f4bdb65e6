#include "assistant/clients.hpp"

#include <algorithm>

namespace gameday {
namespace {

void record(SpanFaults* span, const std::vector<std::string>& ids) {
  if (span == nullptr) return;
  for (const auto& id : ids) {
    if (std::find(span->begin(), span->end(), id) == span->end()) span->push_back(id);
  }
}

}  // namespace

void SimEhrClient::send(const EhrRequest& req, EhrDone done, SpanFaults* span) {
  faults_.select(target_, RequestInfo{req.task_type, {}}, scheduler_.now(), selected_);
  EhrOutcome out = ehr_.respond(req, scheduler_.now(), rng_, selected_);
  record(span, out.fault_ids);
  if (out.hang) return;
  const Duration delay = out.delay;
  scheduler_.after(delay, [done = std::move(done), out = std::move(out)]() mutable { done(out); });
}

void SimModelClient::add_vendor(const VendorProfile& profile, Rng rng, const HallucinationMaterial& material) {
  // The embeddings stream is seeded from a copy of the chat stream: the chat draws stay as they were.
  Rng seed_source = rng;
  const Rng embed_rng(seed_source.next_u64() ^ fnv1a64("embeddings"));
  routes_.emplace(profile.id, Route{std::make_unique<FakeVendor>(profile, material), "vendor:" + profile.id,
                                    rng, embed_rng});
}

bool SimModelClient::has_vendor(const std::string& vendor) const { return routes_.count(vendor) > 0; }

void SimModelClient::send(const std::string& vendor, const ChatRequest& req, ModelDone done,
                          SpanFaults* span) {
  auto it = routes_.find(vendor);
  if (it == routes_.end()) {
    VendorOutcome out;
    out.status = 404;
    out.error = VendorError{"unknown vendor route '" + vendor + "'", "invalid_request_error", "model_not_found"};
    scheduler_.after(0, [done = std::move(done), out = std::move(out)]() mutable { done(out); });
    return;
  }
  Route& route = it->second;
  faults_.select(route.target, RequestInfo{req.task_type, route.vendor->model_for(req)}, scheduler_.now(),
                 selected_);
  VendorOutcome out = route.vendor->respond(req, scheduler_.now(), route.rng, selected_);
  record(span, out.fault_ids);
  if (out.hang) return;
  const Duration delay = out.delay;
  scheduler_.after(delay, [done = std::move(done), out = std::move(out)]() mutable { done(out); });
}

void ModelClient::embed(const std::string& vendor, const EmbeddingRequest& /*req*/, EmbedDone done,
                        SpanFaults* /*span*/) {
  EmbeddingOutcome out;
  out.status = 404;
  out.error = VendorError{"no embeddings on route '" + vendor + "'", "invalid_request_error", "model_not_found"};
  done(out);
}

void SimModelClient::embed(const std::string& vendor, const EmbeddingRequest& req, EmbedDone done,
                           SpanFaults* span) {
  auto it = routes_.find(vendor);
  if (it == routes_.end()) {
    ModelClient::embed(vendor, req, std::move(done), span);
    return;
  }
  Route& route = it->second;
  faults_.select(route.target, RequestInfo{req.task_type, {}, kEmbeddingsRoute}, scheduler_.now(), selected_);
  EmbeddingOutcome out = route.vendor->embed(req, route.embed_rng, selected_);
  record(span, out.fault_ids);
  if (out.hang) return;
  const Duration delay = out.delay;
  scheduler_.after(delay, [done = std::move(done), out = std::move(out)]() mutable { done(out); });
}

}  // namespace gameday
