#pragma once
// Internals shared by load/loader*.cpp: collected diagnostics, a per-load session with caches,
// and a checked reader over yaml-cpp mappings. Only loader*.cpp include this (it pulls yaml-cpp).
#include <yaml-cpp/yaml.h>

#include <initializer_list>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "load/error.hpp"
#include "load/files.hpp"
#include "spec/model.hpp"

namespace gameday::loader {

/// Longest message a diagnostic keeps (a safety net: quoted values are cut first).
inline constexpr std::size_t kMaxMessageChars = 1024;

/// `text` when it has at most `max` bytes, else its first bytes (never half a UTF-8 character)
/// followed by "…" and the full length, e.g. "aaaa… (5242880 bytes)".
std::string truncate_text(const std::string& text, std::size_t max);
/// "'value'", cut as truncate_text does at limits::kMaxEchoedChars, for error messages.
std::string quoted(const std::string& value);

/// A problem found in a YAML text before loading it (1-based position).
struct YamlProblem {
  int line = 1;
  int col = 1;
  std::string message;
};

/// Checks a YAML text's shape from its parse events (yaml_shape.cpp): one document only, no
/// tags but the core schema's (!!str, !!int, ...), and aliases that expand the document by at most limits::kMaxAliasExpansion nodes and
/// characters. nullopt when fine. Throws YAML::Exception for a syntax error.
std::optional<YamlProblem> check_yaml_shape(const std::string& text);

/// Problems found while loading, plus where each value read came from (for cross-file checks
/// that report at the referencing key after the file itself has been read).
class Diagnostics {
 public:
  /// Records one problem.
  void add(const std::string& file, int line, int col, const std::string& message);
  void add(const SourceLoc& loc, const std::string& message) {
    add(loc.file, loc.line, loc.col, message);
  }
  bool empty() const { return errors_.empty(); }
  /// Problems ordered by the file's first appearance, then line and column; duplicates dropped.
  std::vector<ConfigError> sorted() const;
  /// Throws the first of sorted() when there is any problem.
  void throw_if_any() const;

  /// Remembers that `path` (e.g. "steps[2].to") of `file` was read at `loc`.
  void record(const std::string& file, const std::string& path, SourceLoc loc);
  /// Where `path` of `file` was read, or `fallback` when it was not.
  SourceLoc where(const std::string& file, const std::string& path, SourceLoc fallback) const;

 private:
  std::vector<ConfigError> errors_;
  std::map<std::string, int> file_order_;
  std::map<std::string, SourceLoc> where_;
};

/// One load or validation run: reads files once and caches what it parsed by normalized path,
/// so a golden set used by three playbooks is read (and its problems reported) once.
class Session {
 public:
  Session(const FileSource& files, Diagnostics& diag) : files_(files), diag_(diag) {}
  Diagnostics& diag() { return diag_; }
  /// Whether `path` can be read.
  bool exists(const std::string& path) const;
  /// The file's text; reports `path:1:1: cannot read file` and returns nullopt when missing.
  std::optional<std::string> read(const std::string& path);
  /// Parses a YAML file; reports unreadable files and syntax errors, returning nullopt.
  std::optional<YAML::Node> parse_yaml(const std::string& path);

  // Cached loaders (problems go to diag()). The references stay valid for the session.
  const Scenario& scenario(const std::string& path);
  const Playbook& playbook(const std::string& path);
  const GoldenSet& golden_set(const std::string& path);
  const Fakes& fakes(const std::string& dir);
  const AssistantConfig& assistant_config(const std::string& path);

 private:
  const FileSource& files_;
  Diagnostics& diag_;
  std::map<std::string, std::unique_ptr<Scenario>> scenarios_;
  std::map<std::string, std::unique_ptr<Playbook>> playbooks_;
  std::map<std::string, std::unique_ptr<GoldenSet>> golden_sets_;
  std::map<std::string, std::unique_ptr<Fakes>> fakes_;
  std::map<std::string, std::unique_ptr<AssistantConfig>> assistants_;
};

/// Reading one file: names it in every problem.
class FileCtx {
 public:
  FileCtx(Session& session, std::string file) : session_(session), file_(std::move(file)) {}
  Session& session() { return session_; }
  const std::string& file() const { return file_; }
  /// A 1-based location for a 0-based yaml-cpp mark (1:1 for a null mark).
  SourceLoc loc(const YAML::Mark& mark) const;
  void error(const YAML::Mark& mark, const std::string& message);
  void record(const std::string& path, const YAML::Mark& mark);

 private:
  Session& session_;
  std::string file_;
};

inline constexpr bool kRequired = true;

/// A YAML mapping read key by key with type checks. Every problem is reported to the FileCtx
/// (and reading goes on with the value absent), so one pass finds all problems of a file.
/// `what` completes "expected a mapping ...", e.g. "for 'workload'" or "at the top level".
class MapReader {
 public:
  MapReader(FileCtx& ctx, const YAML::Node& node, std::string path, const std::string& what,
            const YAML::Mark& fallback);
  /// Whether the node was a mapping.
  bool ok() const { return ok_; }
  /// The mapping's own position (for "missing required key").
  const YAML::Mark& mark() const { return mark_; }
  /// Reports every key not in `allowed`; `elsewhere` maps keys that belong to another variant
  /// to the reason they do not apply here (e.g. "applies only to error faults").
  void allow(const std::vector<std::string>& allowed,
             const std::map<std::string, std::string>& elsewhere = {});
  /// Whether `key` is present with a non-null value.
  bool has(const std::string& key) const;
  /// The value of `key` (an undefined node when absent).
  YAML::Node value(const std::string& key) const;
  /// Position of the value of `key` (of the key itself when the value is null), or the mapping.
  YAML::Mark mark_of(const std::string& key) const;
  /// "steps[2].to" for key "to" of the reader at "steps[2]".
  std::string path_of(const std::string& key) const;
  /// Reports `message` at the value of `key`.
  void error_at(const std::string& key, const std::string& message);
  /// Reports "missing required key" when `key` is absent; returns whether it is present.
  bool require(const std::string& key);

  std::optional<std::string> str(const std::string& key, bool required = false);
  /// A string that must be one of `allowed`; `label` names it ("step kind").
  std::optional<std::string> one_of(const std::string& key, const std::vector<std::string>& allowed,
                                    const std::string& label, bool required = false);
  std::optional<double> number(const std::string& key, bool required = false);
  /// A number in [lo, hi].
  std::optional<double> number_in(const std::string& key, double lo, double hi,
                                  bool required = false);
  /// A number > 0.
  std::optional<double> positive(const std::string& key, bool required = false);
  std::optional<long long> integer(const std::string& key, long long lo, long long hi,
                                   bool required = false);
  std::optional<bool> boolean(const std::string& key, bool required = false);
  std::optional<Duration> duration(const std::string& key, bool required = false);
  /// A duration > 0.
  std::optional<Duration> positive_duration(const std::string& key, bool required = false);
  std::optional<DurationDist> dist(const std::string& key, bool required = false);
  std::optional<std::vector<std::string>> strings(const std::string& key, bool required = false);
  /// A string -> string mapping.
  std::optional<std::map<std::string, std::string>> string_map(const std::string& key,
                                                               bool required = false);
  /// A list node (checked to be a sequence).
  std::optional<YAML::Node> list(const std::string& key, bool required = false);

  FileCtx& ctx() { return ctx_; }

 private:
  struct Entry {
    std::string key;
    YAML::Node key_node;
    YAML::Node value;
    bool dropped = false;  // an unknown key, already reported
  };
  const Entry* find(const std::string& key) const;
  /// The entry when present with a non-null value; reports a missing required key.
  const Entry* get(const std::string& key, bool required);

  FileCtx& ctx_;
  std::string path_;
  bool ok_ = false;
  YAML::Mark mark_;
  std::vector<Entry> entries_;
  std::set<std::string> typo_of_;  // known keys that an unknown key was taken for a typo of
};

/// A value of vocabulary E (spec/names.hpp) written by its name; `label` names it in messages
/// ("alert type"). Only values for which `accept` holds are offered and accepted.
template <typename E, typename Accept>
std::optional<E> read_enum(MapReader& m, const std::string& key, const std::string& label,
                           bool required, Accept accept) {
  auto v = m.one_of(key, names_where<E>(accept), label, required);
  if (!v) return std::nullopt;
  return parse_name<E>(*v);
}

/// A value of vocabulary E, any of its values.
template <typename E>
std::optional<E> read_enum(MapReader& m, const std::string& key, const std::string& label,
                           bool required = false) {
  return read_enum<E>(m, key, label, required, [](E) { return true; });
}

// ---- value readers (report and return nullopt on a bad value; `key` names it in messages)

std::optional<std::string> read_string(FileCtx& ctx, const YAML::Node& v, const std::string& key);
std::optional<double> read_number(FileCtx& ctx, const YAML::Node& v, const std::string& key);
std::optional<Duration> read_duration(FileCtx& ctx, const YAML::Node& v, const std::string& key);
/// Reads a distribution's scale (`value`, `mean` or `median`, by key) when it is written as a
/// mapping (a fault's ramp): returns the value at start, or nullopt after reporting.
using ScaleReader = std::function<std::optional<Duration>(MapReader& dist, const std::string& key)>;
/// A duration or a distribution. With `scale`, the scale of a fixed, exponential or lognormal
/// distribution may be a mapping, which `scale` reads.
std::optional<DurationDist> read_dist(FileCtx& ctx, const YAML::Node& v, const std::string& key,
                                      const std::string& path, const ScaleReader& scale = nullptr);

/// "'fast'" for a scalar, "a mapping", "a list", "nothing".
std::string describe_node(const YAML::Node& v);

// ---- messages

/// Edit distance counting a swap of neighbouring letters as one edit (case-insensitive).
std::size_t edit_distance(const std::string& a, const std::string& b);
/// The candidate closest to `word` when it is close enough to be a likely typo.
std::optional<std::string> closest(const std::string& word, const std::vector<std::string>& candidates);
/// "a, b, c".
std::string join(const std::vector<std::string>& items, const std::string& sep = ", ");
/// "unknown key 'duraton' (did you mean 'duration'?)" or "... (expected one of: ...)".
std::string unknown_key_message(const std::string& key, const std::vector<std::string>& allowed);
/// "unknown step kind 'x' (did you mean 'y'? expected one of: ...)"; a non-empty `key` adds
/// " for 'key'" after the value.
std::string unknown_value_message(const std::string& label, const std::string& value,
                                  const std::vector<std::string>& allowed,
                                  const std::string& key = "");
/// Formats a number the way a user would write it ("0.5", "14.4", "3").
std::string format_number(double v);

// ---- per-format readers (problems go to the session's diagnostics)

Scenario read_scenario(Session& s, const std::string& path);
Playbook read_playbook(Session& s, const std::string& path);
GoldenSet read_golden_set(Session& s, const std::string& path);
Fakes read_fakes(Session& s, const std::string& dir);
AssistantConfig read_assistant_config(Session& s, const std::string& path);
/// Applies the fields present in `m` over `base` (the scenario's `assistant:` block, or
/// assistant.yaml over the built-in defaults).
void read_assistant_fields(MapReader& m, AssistantConfig& base);
/// The keys of an assistant config.
const std::vector<std::string>& assistant_keys();

/// The names of the files of a fakes directory, relative to it (all required).
const std::vector<std::string>& fakes_files();
/// Files a fakes directory may have (injections.yaml, hallucinations.yaml): read when present,
/// empty defaults when absent.
const std::vector<std::string>& optional_fakes_files();

/// fakes/injections.yaml: payloads with unique ids and canaries, known actions, and text the
/// fake model reads as the declared action (loader_material.cpp).
std::vector<InjectionPayload> read_injections(Session& s, const std::string& path);
/// fakes/hallucinations.yaml: CPT- and ICD-shaped codes and one-sentence facts.
HallucinationMaterial read_hallucinations(Session& s, const std::string& path);

/// Reads the `faults` list of a scenario (loader_faults.cpp).
void read_faults(MapReader& top, Scenario& sc, std::optional<Duration> run_duration);
/// Reads one fault from its map (item `n`, 1-based, names it "fault-<n>" when it has no id);
/// `ids` (optional) catches duplicate ids.
FaultSpec read_fault(MapReader& m, std::size_t n, std::set<std::string>* ids,
                     std::optional<Duration> run_duration, bool at_required = true);
/// Checks a scenario's faults against its fakes, reporting at the recorded key positions:
/// `models` name models of the target vendor, `payload` a payload of injections.yaml,
/// `prompt_version` a prompt version, `flag` / `variant` a flag and one of its variants.
void check_faults_against_fakes(Diagnostics& d, const Scenario& sc, const Fakes& f);

}  // namespace gameday::loader
