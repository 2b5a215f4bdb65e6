#pragma once
// How the assistant reaches its dependencies: small interfaces, filled in-process for simulation
// (below) and over HTTP in live mode.
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "fakes/ehr.hpp"
#include "fakes/faults.hpp"
#include "fakes/vendor.hpp"
#include "sim/inline_function.hpp"
#include "sim/rng.hpp"
#include "sim/scheduler.hpp"

namespace gameday {

/// Receives an EHR outcome (move-only; small captures do not allocate).
using EhrDone = InlineFunction<void(const EhrOutcome&), 64>;
/// Receives a vendor outcome.
using ModelDone = InlineFunction<void(const VendorOutcome&), 64>;
/// Receives an embeddings outcome.
using EmbedDone = InlineFunction<void(const EmbeddingOutcome&), 64>;

/// The fault ids a call's span carries. A client that knows which faults were injected into a
/// call as it is made (the simulated ones do) appends their ids here at once, so the span holds
/// them even when the response never arrives in time; null when the caller keeps no span.
using SpanFaults = std::vector<std::string>;

/// Sends FHIR requests. `done` runs once with the outcome, or never when the server hangs
/// (the caller keeps its own timeout).
class EhrClient {
 public:
  virtual ~EhrClient() = default;
  virtual void send(const EhrRequest& req, EhrDone done, SpanFaults* span = nullptr) = 0;
};

/// Sends chat completions to a vendor route. `done` runs once, or never on a hang.
class ModelClient {
 public:
  virtual ~ModelClient() = default;
  /// True when `vendor` names a route this client can reach.
  virtual bool has_vendor(const std::string& vendor) const = 0;
  virtual void send(const std::string& vendor, const ChatRequest& req, ModelDone done,
                    SpanFaults* span = nullptr) = 0;
  /// Asks vendor `vendor` for embeddings of req.inputs. `done` runs once, or never on a hang.
  /// The default answers 404 at once (inside the call): a client without embeddings.
  virtual void embed(const std::string& vendor, const EmbeddingRequest& req, EmbedDone done,
                     SpanFaults* span = nullptr);
};

/// The in-process EHR: asks the pure FakeEhr and delivers the answer after its delay.
class SimEhrClient final : public EhrClient {
 public:
  /// `faults` is the run's board: each request advances its trigger counters (FaultBoard::select).
  /// `target` is the fault target this route answers for ("ehr", or "ehr:replica" for the
  /// read replica the ehr-replica flag switches to).
  SimEhrClient(const FakeEhr& ehr, FaultBoard& faults, Scheduler& scheduler, Rng rng,
               std::string target = "ehr")
      : ehr_(ehr), faults_(faults), scheduler_(scheduler), rng_(rng), target_(std::move(target)) {}
  void send(const EhrRequest& req, EhrDone done, SpanFaults* span = nullptr) override;

 private:
  const FakeEhr& ehr_;
  FaultBoard& faults_;
  Scheduler& scheduler_;
  Rng rng_;
  std::string target_;
  std::vector<const FaultSpec*> selected_;  // reused per request
};

/// The in-process vendors: each route has its own FakeVendor and random stream.
class SimModelClient final : public ModelClient {
 public:
  SimModelClient(FaultBoard& faults, Scheduler& scheduler) : faults_(faults), scheduler_(scheduler) {}
  /// Adds a vendor route named after its profile id; `material` is what it hallucinates from.
  void add_vendor(const VendorProfile& profile, Rng rng, const HallucinationMaterial& material = {});
  bool has_vendor(const std::string& vendor) const override;
  void send(const std::string& vendor, const ChatRequest& req, ModelDone done,
            SpanFaults* span = nullptr) override;
  /// The route's FakeVendor::embed on its own random stream (derived from the route's seed, so
  /// chat draws are not shifted), delivered after its delay (never on a hang).
  void embed(const std::string& vendor, const EmbeddingRequest& req, EmbedDone done,
             SpanFaults* span = nullptr) override;

 private:
  struct Route {
    std::unique_ptr<FakeVendor> vendor;
    std::string target;  // "vendor:<id>"
    Rng rng;
    Rng embed_rng;
  };
  FaultBoard& faults_;
  Scheduler& scheduler_;
  std::map<std::string, Route> routes_;
  std::vector<const FaultSpec*> selected_;  // reused per request
};

}  // namespace gameday
