#include "cli/bundle.hpp"

#include "load/loader.hpp"

namespace gameday {

ScenarioBundle load_bundle(const std::string& path, const FileSource& files) {
  ScenarioBundle b;
  b.scenario = load_scenario(path, files);
  b.fakes = load_fakes(b.scenario.fakes_dir, files);
  for (const auto& pb_path : b.scenario.playbook_files) {
    Playbook pb = load_playbook(pb_path, files);
    for (const auto* list : {&pb.steps, &pb.rollback}) {
      for (const StepSpec& s : *list) {
        if (s.kind == StepKind::kGoldenCheck && !b.golden_sets.count(s.golden_set)) {
          b.golden_sets.emplace(s.golden_set, load_golden_set(s.golden_set, files));
        }
      }
    }
    b.playbooks.push_back(std::move(pb));
  }
  // Scheduled probes run a golden set too.
  if (b.scenario.probes && !b.golden_sets.count(b.scenario.probes->golden_set)) {
    const std::string& set = b.scenario.probes->golden_set;
    b.golden_sets.emplace(set, load_golden_set(set, files));
  }
  return b;
}

}  // namespace gameday
