// A pass over a YAML text's parse events before it is loaded: what yaml-cpp would accept but
// gameday does not (a second document, tags) and what would cost without bound once loaded
// (aliases repeating large subtrees, "billion laughs").
#include <yaml-cpp/eventhandler.h>

#include <map>
#include <set>
#include <sstream>
#include <vector>

#include "load/limits.hpp"
#include "load/loader_detail.hpp"

namespace gameday::loader {
namespace {

// Adds without overflowing: sizes of nested aliases grow exponentially.
std::uint64_t saturating_add(std::uint64_t a, std::uint64_t b) {
  return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

// Counts each node (and each character of a scalar) as it would be once aliases are
// expanded; records the first problem.
class ShapeCheck final : public YAML::EventHandler {
 public:
  std::optional<YamlProblem> problem;

  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t anchor) override { leaf(anchor, 1); }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    auto it = sizes_.find(anchor);
    // An alias to a node still open (a recursive alias) repeats nothing yet.
    const std::uint64_t size = it == sizes_.end() ? 1 : it->second;
    expanded_ = saturating_add(expanded_, size);
    added_ = saturating_add(added_, size);
    if (added_ > limits::kMaxAliasExpansion) {
      fail(mark, "YAML aliases expand this document by more than " +
                     std::to_string(limits::kMaxAliasExpansion) +
                     " nodes and characters (the limit): write the repeated content out");
    }
  }
  void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                const std::string& value) override {
    check_tag(mark, tag);
    leaf(anchor, 1 + value.size());
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    open(mark, tag, anchor);
  }
  void OnSequenceEnd() override { close(); }
  void OnMapStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    open(mark, tag, anchor);
  }
  void OnMapEnd() override { close(); }

 private:
  struct Open {
    YAML::anchor_t anchor;
    std::uint64_t start;
  };

  void fail(const YAML::Mark& mark, const std::string& message) {
    if (problem) return;
    problem = YamlProblem{mark.line < 0 ? 1 : mark.line + 1, mark.column < 0 ? 1 : mark.column + 1,
                          message};
  }
  // "?" marks an untagged plain node and "!" an untagged quoted one: both carry no tag. The
  // core schema's own tags (!!str, !!int, ...) say what the loader reads anyway; any other tag
  // (!!binary, !!set, an application tag like !secret) asks for a meaning gameday never gives.
  void check_tag(const YAML::Mark& mark, const std::string& tag) {
    static const std::set<std::string> kCore = {"str", "int", "float", "bool", "null", "map", "seq"};
    const std::string core_prefix = "tag:yaml.org,2002:";
    if (tag.empty() || tag == "?" || tag == "!") return;
    if (tag.rfind(core_prefix, 0) == 0 && kCore.count(tag.substr(core_prefix.size()))) return;
    fail(mark, "YAML tag '" + truncate_text(tag, limits::kMaxEchoedChars) +
                   "' is not supported (gameday reads plain values; remove the tag)");
  }
  void leaf(YAML::anchor_t anchor, std::uint64_t size) {
    expanded_ = saturating_add(expanded_, size);
    if (anchor != YAML::NullAnchor) sizes_[anchor] = size;
  }
  void open(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor) {
    check_tag(mark, tag);
    expanded_ = saturating_add(expanded_, 1);
    stack_.push_back(Open{anchor, expanded_ - 1});
  }
  void close() {
    if (stack_.empty()) return;
    const Open o = stack_.back();
    stack_.pop_back();
    if (o.anchor != YAML::NullAnchor) sizes_[o.anchor] = expanded_ - o.start;
  }

  std::map<YAML::anchor_t, std::uint64_t> sizes_;  // expanded size of each anchored node
  std::vector<Open> stack_;
  std::uint64_t expanded_ = 0;  // the document so far, aliases expanded
  std::uint64_t added_ = 0;     // what aliases added to it
};

// Notes where a second document starts, and nothing else.
class SecondDocument final : public YAML::EventHandler {
 public:
  std::optional<YAML::Mark> start;
  void OnDocumentStart(const YAML::Mark& mark) override {
    if (!start) start = mark;
  }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t, const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}
};

}  // namespace

std::optional<YamlProblem> check_yaml_shape(const std::string& text) {
  std::istringstream in(text);
  YAML::Parser parser(in);
  ShapeCheck shape;
  if (!parser.HandleNextDocument(shape)) return std::nullopt;  // empty
  if (shape.problem) return shape.problem;
  SecondDocument second;
  if (parser.HandleNextDocument(second)) {
    const YAML::Mark m = second.start.value_or(YAML::Mark());
    return YamlProblem{m.line < 0 ? 1 : m.line + 1, m.column < 0 ? 1 : m.column + 1,
                       "a second YAML document starts here: a file holds one document (remove "
                       "the '---' line and what follows, or move it to its own file)"};
  }
  return std::nullopt;
}

}  // namespace gameday::loader
