// Diagnostics, the load session and the checked YAML mapping reader used by every loader.
#include <algorithm>
#include <cctype>
#include <charconv>
#include <climits>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <tuple>

#include "load/limits.hpp"
#include "load/loader_detail.hpp"
#include "sim/time.hpp"

namespace gameday::loader {

// ---------------------------------------------------------------- Diagnostics

void Diagnostics::add(const std::string& file, int line, int col, const std::string& message) {
  file_order_.emplace(file, static_cast<int>(file_order_.size()));
  // Values are cut where they are quoted; this only bounds what slips through (a long list of
  // choices, a parser message).
  errors_.emplace_back(file, line, col, truncate_text(message, kMaxMessageChars));
}

std::vector<ConfigError> Diagnostics::sorted() const {
  std::vector<ConfigError> out = errors_;
  auto order = [this](const ConfigError& e) { return file_order_.at(e.file()); };
  std::stable_sort(out.begin(), out.end(), [&](const ConfigError& a, const ConfigError& b) {
    return std::make_tuple(order(a), a.line(), a.col()) <
           std::make_tuple(order(b), b.line(), b.col());
  });
  std::set<std::string> seen;
  std::vector<ConfigError> unique;
  for (auto& e : out) {
    if (seen.insert(e.what()).second) unique.push_back(e);
  }
  return unique;
}

void Diagnostics::throw_if_any() const {
  if (errors_.empty()) return;
  throw sorted().front();
}

void Diagnostics::record(const std::string& file, const std::string& path, SourceLoc loc) {
  where_[file + '\n' + path] = std::move(loc);
}

SourceLoc Diagnostics::where(const std::string& file, const std::string& path,
                             SourceLoc fallback) const {
  auto it = where_.find(file + '\n' + path);
  return it == where_.end() ? fallback : it->second;
}

// ---------------------------------------------------------------- Session

bool Session::exists(const std::string& path) const { return files_.size(path).has_value(); }

std::optional<std::string> Session::read(const std::string& path) {
  const auto size = files_.size(path);
  if (!size) {
    diag_.add(path, 1, 1, "cannot read file");
    return std::nullopt;
  }
  if (*size > limits::kMaxInputFileBytes) {
    diag_.add(path, 1, 1, "file is " + std::to_string(*size) + " bytes, over the limit of " +
                              std::to_string(limits::kMaxInputFileBytes) +
                              " bytes for an input file (not read)");
    return std::nullopt;
  }
  auto text = files_.read(path);
  if (!text) diag_.add(path, 1, 1, "cannot read file");
  return text;
}

std::optional<YAML::Node> Session::parse_yaml(const std::string& path) {
  auto text = read(path);
  if (!text) return std::nullopt;
  try {
    if (auto problem = check_yaml_shape(*text)) {
      diag_.add(path, problem->line, problem->col, problem->message);
      return std::nullopt;
    }
    return YAML::Load(*text);
  } catch (const YAML::Exception& e) {
    const int line = e.mark.line < 0 ? 1 : e.mark.line + 1;
    const int col = e.mark.column < 0 ? 1 : e.mark.column + 1;
    diag_.add(path, line, col, "invalid YAML: " + e.msg);
  } catch (const std::exception& e) {
    diag_.add(path, 1, 1, std::string("invalid YAML: ") + e.what());
  }
  return std::nullopt;
}

namespace {

// Caches by normalized path; the reader runs once per path and session.
template <typename T, typename F>
const T& cached(std::map<std::string, std::unique_ptr<T>>& cache, const std::string& path, F read) {
  const std::string key = resolve_path("", path);
  auto it = cache.find(key);
  if (it != cache.end()) return *it->second;
  auto value = std::make_unique<T>(read());
  return *cache.emplace(key, std::move(value)).first->second;
}

}  // namespace

const Scenario& Session::scenario(const std::string& path) {
  return cached(scenarios_, path, [&] { return read_scenario(*this, path); });
}
const Playbook& Session::playbook(const std::string& path) {
  return cached(playbooks_, path, [&] { return read_playbook(*this, path); });
}
const GoldenSet& Session::golden_set(const std::string& path) {
  return cached(golden_sets_, path, [&] { return read_golden_set(*this, path); });
}
const Fakes& Session::fakes(const std::string& dir) {
  return cached(fakes_, dir, [&] { return read_fakes(*this, dir); });
}
const AssistantConfig& Session::assistant_config(const std::string& path) {
  return cached(assistants_, path, [&] { return read_assistant_config(*this, path); });
}

// ---------------------------------------------------------------- FileCtx

SourceLoc FileCtx::loc(const YAML::Mark& mark) const {
  SourceLoc l;
  l.file = file_;
  l.line = mark.line < 0 ? 1 : mark.line + 1;
  l.col = mark.column < 0 ? 1 : mark.column + 1;
  return l;
}

void FileCtx::error(const YAML::Mark& mark, const std::string& message) {
  session_.diag().add(loc(mark), message);
}

void FileCtx::record(const std::string& path, const YAML::Mark& mark) {
  session_.diag().record(file_, path, loc(mark));
}

// ---------------------------------------------------------------- messages

std::string truncate_text(const std::string& text, std::size_t max) {
  if (text.size() <= max) return text;
  std::size_t cut = max;
  // Back off continuation bytes (10xxxxxx) so a multi-byte character is never split.
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return text.substr(0, cut) + "\u2026 (" + std::to_string(text.size()) + " bytes)";
}

std::string quoted(const std::string& value) {
  return "'" + truncate_text(value, limits::kMaxEchoedChars) + "'";
}

std::size_t edit_distance(const std::string& a, const std::string& b) {
  // Optimal string alignment: insertions, deletions, substitutions and swaps of neighbours
  // ("GLOD" -> "GOLD") each cost 1.
  auto eq = [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
  };
  std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
  for (std::size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    for (std::size_t j = 1; j <= b.size(); ++j) {
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (eq(a[i - 1], b[j - 1]) ? 0 : 1)});
      if (i > 1 && j > 1 && eq(a[i - 1], b[j - 2]) && eq(a[i - 2], b[j - 1])) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

std::optional<std::string> closest(const std::string& word,
                                   const std::vector<std::string>& candidates) {
  std::optional<std::string> best;
  std::size_t best_d = 0;
  // The distance costs length x length: a long word is no typo of a short key anyway.
  if (word.size() > limits::kMaxSuggestionLength) return best;
  for (const auto& c : candidates) {
    const std::size_t d = edit_distance(word, c);
    // A third of the shorter word's letters (at least one) may be wrong: catches typos
    // ("duraton") without pairing unrelated short words ("at" and "to").
    const std::size_t limit = std::max<std::size_t>(1, std::min(word.size(), c.size()) / 3);
    if (d <= limit && (!best || d < best_d)) {
      best = c;
      best_d = d;
    }
  }
  return best;
}

std::string join(const std::vector<std::string>& items, const std::string& sep) {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i) out += sep;
    out += items[i];
  }
  return out;
}

std::string unknown_key_message(const std::string& key, const std::vector<std::string>& allowed) {
  if (auto c = closest(key, allowed)) return "unknown key " + quoted(key) + " (did you mean '" + *c + "'?)";
  return "unknown key " + quoted(key) + " (expected one of: " + join(allowed) + ")";
}

std::string unknown_value_message(const std::string& label, const std::string& value,
                                  const std::vector<std::string>& allowed, const std::string& key) {
  std::string out = "unknown " + label + " " + quoted(value) + (key.empty() ? "" : " for " + quoted(key)) + " (";
  if (auto c = closest(value, allowed)) out += "did you mean '" + *c + "'? ";
  return out + "expected one of: " + join(allowed) + ")";
}

std::string format_number(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

std::string describe_node(const YAML::Node& v) {
  switch (v.Type()) {
    case YAML::NodeType::Scalar:
      return quoted(v.Scalar());
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Sequence:
      return "a list";
    default:
      return "nothing";
  }
}

// ---------------------------------------------------------------- value readers

namespace {

std::optional<double> parse_number(const std::string& s) {
  if (s.empty()) return std::nullopt;
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size() || !std::isfinite(v)) return std::nullopt;
  // strtod also takes hex floats and leading blanks; YAML users mean plain decimals.
  if (std::isspace(static_cast<unsigned char>(s.front())) || s.find_first_of("xX") != std::string::npos) {
    return std::nullopt;
  }
  return v;
}

std::optional<long long> parse_integer(const std::string& s) {
  long long v = 0;
  const char* begin = s.data();
  if (!s.empty() && s[0] == '+') ++begin;
  auto [ptr, ec] = std::from_chars(begin, s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size() || begin == s.data() + s.size()) {
    return std::nullopt;
  }
  return v;
}

std::optional<bool> parse_bool(const std::string& s) {
  std::string l;
  for (char c : s) l += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (l == "true" || l == "yes" || l == "on") return true;
  if (l == "false" || l == "no" || l == "off") return false;
  return std::nullopt;
}

const char* kDurationHint = "a duration like 250ms, 30s, 5m or 1h";

}  // namespace

std::optional<std::string> read_string(FileCtx& ctx, const YAML::Node& v, const std::string& key) {
  if (!v.IsScalar()) {
    ctx.error(v.Mark(), "expected a string for '" + key + "', got " + describe_node(v));
    return std::nullopt;
  }
  return v.Scalar();
}

std::optional<double> read_number(FileCtx& ctx, const YAML::Node& v, const std::string& key) {
  auto n = v.IsScalar() ? parse_number(v.Scalar()) : std::nullopt;
  if (!n) ctx.error(v.Mark(), "expected a number for '" + key + "', got " + describe_node(v));
  return n;
}

std::optional<Duration> read_duration(FileCtx& ctx, const YAML::Node& v, const std::string& key) {
  std::string why;
  auto d = v.IsScalar() ? parse_duration(v.Scalar(), &why) : std::nullopt;
  if (!d && v.IsScalar() && why != "is not a duration") {
    // Well formed but too long: say so rather than repeat the syntax.
    ctx.error(v.Mark(), "duration " + describe_node(v) + " for '" + key + "' " + why);
  } else if (!d) {
    ctx.error(v.Mark(), std::string("expected ") + kDurationHint + " for '" + key + "', got " +
                            describe_node(v));
  }
  return d;
}

std::optional<DurationDist> read_dist(FileCtx& ctx, const YAML::Node& v, const std::string& key,
                                      const std::string& path, const ScaleReader& scale) {
  DurationDist d;
  if (v.IsScalar()) {
    std::string why;
    auto value = parse_duration(v.Scalar(), &why);
    if (!value && why != "is not a duration") {
      ctx.error(v.Mark(), "duration " + describe_node(v) + " for '" + key + "' " + why);
      return std::nullopt;
    }
    if (!value) {
      ctx.error(v.Mark(), std::string("expected ") + kDurationHint +
                              " or a distribution like {dist: lognormal, median: 2m, sigma: 0.5}"
                              " for '" + key + "', got " + describe_node(v));
      return std::nullopt;
    }
    d.kind = DistKind::kFixed;
    d.value = *value;
    return d;
  }
  MapReader m(ctx, v, path, "for '" + key + "'", v.Mark());
  if (!m.ok()) return std::nullopt;
  m.allow({"dist", "value", "min", "max", "mean", "median", "sigma"});
  const auto kind = read_enum<DistKind>(m, "dist", "distribution", kRequired);
  if (!kind) return std::nullopt;
  const std::map<std::string, std::string> elsewhere = {
      {"value", "applies only to fixed distributions"},
      {"min", "applies only to uniform distributions"},
      {"max", "applies only to uniform distributions"},
      {"mean", "applies only to exponential distributions"},
      {"median", "applies only to lognormal distributions"},
      {"sigma", "applies only to lognormal distributions"}};
  auto allow = [&](std::vector<std::string> keys) {
    std::map<std::string, std::string> other = elsewhere;
    for (const auto& k : keys) other.erase(k);
    keys.insert(keys.begin(), "dist");
    m.allow(keys, other);
  };
  bool ok = true;
  auto need = [&](auto opt) {
    if (!opt) ok = false;
    return opt.value_or(0);
  };
  // The scale parameter, or what `scale` makes of it when it is a mapping.
  auto scale_of = [&](const std::string& k, bool positive) {
    if (scale && m.value(k).IsMap()) return scale(m, k);
    return positive ? m.positive_duration(k, kRequired) : m.duration(k, kRequired);
  };
  d.kind = *kind;
  switch (*kind) {
    case DistKind::kFixed:
      allow({"value"});
      d.value = need(scale_of("value", false));
      break;
    case DistKind::kUniform:
      allow({"min", "max"});
      d.min = need(m.duration("min", kRequired));
      d.max = need(m.duration("max", kRequired));
      if (ok && d.max < d.min) {
        m.error_at("max", "'max' (" + format_duration(d.max) + ") is less than 'min' (" +
                              format_duration(d.min) + ")");
        ok = false;
      }
      break;
    case DistKind::kExponential:
      allow({"mean"});
      d.mean = need(scale_of("mean", true));
      break;
    case DistKind::kLognormal:
      allow({"median", "sigma"});
      d.median = need(scale_of("median", true));
      d.sigma = need(m.number_in("sigma", 0, 5, kRequired));
      break;
  }
  if (!ok) return std::nullopt;
  return d;
}

// ---------------------------------------------------------------- MapReader

MapReader::MapReader(FileCtx& ctx, const YAML::Node& node, std::string path, const std::string& what,
                     const YAML::Mark& fallback)
    : ctx_(ctx), path_(std::move(path)), mark_(fallback) {
  if (!node.IsMap()) {
    ctx_.error(node.IsDefined() && node.Mark().line >= 0 ? node.Mark() : fallback,
               "expected a mapping " + what + ", got " + describe_node(node));
    return;
  }
  ok_ = true;
  if (node.Mark().line >= 0) mark_ = node.Mark();
  std::set<std::string> seen;
  for (auto it = node.begin(); it != node.end(); ++it) {
    if (!it->first.IsScalar()) {
      ctx_.error(it->first.Mark(), "expected a string key, got " + describe_node(it->first));
      continue;
    }
    const std::string key = it->first.Scalar();
    if (!seen.insert(key).second) {
      ctx_.error(it->first.Mark(), "duplicate key " + quoted(key));
      continue;
    }
    entries_.push_back(Entry{key, it->first, it->second});
  }
}

void MapReader::allow(const std::vector<std::string>& allowed,
                      const std::map<std::string, std::string>& elsewhere) {
  for (auto& e : entries_) {
    if (e.dropped || std::find(allowed.begin(), allowed.end(), e.key) != allowed.end()) continue;
    auto hint = elsewhere.find(e.key);
    ctx_.error(e.key_node.Mark(), hint != elsewhere.end() ? "key " + quoted(e.key) + " " + hint->second
                                                          : unknown_key_message(e.key, allowed));
    if (auto c = closest(e.key, allowed)) typo_of_.insert(*c);
    // Forget it, so a value under a misspelt key is not also read (and reported) as valid.
    // (Entries are flagged, never erased: assigning a YAML::Node rewrites the document.)
    e.dropped = true;
  }
}

const MapReader::Entry* MapReader::find(const std::string& key) const {
  for (const auto& e : entries_) {
    if (!e.dropped && e.key == key) return &e;
  }
  return nullptr;
}

bool MapReader::has(const std::string& key) const {
  const Entry* e = find(key);
  return e && !e->value.IsNull();
}

YAML::Node MapReader::value(const std::string& key) const {
  const Entry* e = find(key);
  return e ? e->value : YAML::Node(YAML::NodeType::Undefined);
}

YAML::Mark MapReader::mark_of(const std::string& key) const {
  const Entry* e = find(key);
  if (!e) return mark_;
  // yaml-cpp puts a null value's mark at the next token; the key is where the user looks.
  if (e->value.IsNull() || e->value.Mark().line < 0) return e->key_node.Mark();
  return e->value.Mark();
}

std::string MapReader::path_of(const std::string& key) const {
  return path_.empty() ? key : path_ + "." + key;
}

void MapReader::error_at(const std::string& key, const std::string& message) {
  ctx_.error(mark_of(key), message);
}

bool MapReader::require(const std::string& key) {
  if (!ok_) return false;
  const Entry* e = find(key);
  if (!e) {
    // "unknown key 'duraton' (did you mean 'duration'?)" already says what is missing.
    if (!typo_of_.count(key)) ctx_.error(mark_, "missing required key '" + key + "'");
    return false;
  }
  if (e->value.IsNull()) {
    ctx_.error(e->key_node.Mark(), "missing value for required key '" + key + "'");
    return false;
  }
  return true;
}

const MapReader::Entry* MapReader::get(const std::string& key, bool required) {
  if (!ok_) return nullptr;
  if (required && !require(key)) return nullptr;
  const Entry* e = find(key);
  if (!e || e->value.IsNull()) return nullptr;
  ctx_.record(path_of(key), mark_of(key));
  return e;
}

std::optional<std::string> MapReader::str(const std::string& key, bool required) {
  const Entry* e = get(key, required);
  if (!e) return std::nullopt;
  return read_string(ctx_, e->value, key);
}

std::optional<std::string> MapReader::one_of(const std::string& key,
                                             const std::vector<std::string>& allowed,
                                             const std::string& label, bool required) {
  auto s = str(key, required);
  if (!s) return std::nullopt;
  if (std::find(allowed.begin(), allowed.end(), *s) == allowed.end()) {
    error_at(key, unknown_value_message(label, *s, allowed));
    return std::nullopt;
  }
  return s;
}

std::optional<double> MapReader::number(const std::string& key, bool required) {
  const Entry* e = get(key, required);
  if (!e) return std::nullopt;
  return read_number(ctx_, e->value, key);
}

std::optional<double> MapReader::number_in(const std::string& key, double lo, double hi,
                                           bool required) {
  auto n = number(key, required);
  if (n && (*n < lo || *n > hi)) {
    error_at(key, "expected a number between " + format_number(lo) + " and " + format_number(hi) +
                      " for '" + key + "', got " + describe_node(value(key)));
    return std::nullopt;
  }
  return n;
}

std::optional<double> MapReader::positive(const std::string& key, bool required) {
  auto n = number(key, required);
  if (n && *n <= 0) {
    error_at(key, "expected a number > 0 for '" + key + "', got " + describe_node(value(key)));
    return std::nullopt;
  }
  return n;
}

std::optional<long long> MapReader::integer(const std::string& key, long long lo, long long hi,
                                            bool required) {
  const Entry* e = get(key, required);
  if (!e) return std::nullopt;
  auto n = e->value.IsScalar() ? parse_integer(e->value.Scalar()) : std::nullopt;
  if (!n) {
    error_at(key, "expected an integer for '" + key + "', got " + describe_node(e->value));
    return std::nullopt;
  }
  if (*n < lo || *n > hi) {
    const std::string range = hi == LLONG_MAX ? ">= " + std::to_string(lo)
                                              : "between " + std::to_string(lo) + " and " + std::to_string(hi);
    error_at(key, "expected an integer " + range + " for '" + key + "', got " + describe_node(e->value));
    return std::nullopt;
  }
  return n;
}

std::optional<bool> MapReader::boolean(const std::string& key, bool required) {
  const Entry* e = get(key, required);
  if (!e) return std::nullopt;
  auto b = e->value.IsScalar() ? parse_bool(e->value.Scalar()) : std::nullopt;
  if (!b) {
    error_at(key, "expected a bool (true or false) for '" + key + "', got " +
                      describe_node(e->value));
  }
  return b;
}

std::optional<Duration> MapReader::duration(const std::string& key, bool required) {
  const Entry* e = get(key, required);
  if (!e) return std::nullopt;
  return read_duration(ctx_, e->value, key);
}

std::optional<Duration> MapReader::positive_duration(const std::string& key, bool required) {
  auto d = duration(key, required);
  if (d && *d <= 0) {
    error_at(key, "expected a duration > 0 for '" + key + "', got " + describe_node(value(key)));
    return std::nullopt;
  }
  return d;
}

std::optional<DurationDist> MapReader::dist(const std::string& key, bool required) {
  const Entry* e = get(key, required);
  if (!e) return std::nullopt;
  return read_dist(ctx_, e->value, key, path_of(key));
}

std::optional<std::vector<std::string>> MapReader::strings(const std::string& key, bool required) {
  auto l = list(key, required);
  if (!l) return std::nullopt;
  std::vector<std::string> out;
  bool ok = true;
  for (const auto& item : *l) {
    if (!item.IsScalar()) {
      ctx_.error(item.Mark().line >= 0 ? item.Mark() : mark_of(key),
                 "expected a string for each item of '" + key + "', got " + describe_node(item));
      ok = false;
      continue;
    }
    out.push_back(item.Scalar());
  }
  if (!ok) return std::nullopt;
  return out;
}

std::optional<std::map<std::string, std::string>> MapReader::string_map(const std::string& key,
                                                                        bool required) {
  const Entry* e = get(key, required);
  if (!e) return std::nullopt;
  MapReader m(ctx_, e->value, path_of(key), "for '" + key + "'", mark_of(key));
  if (!m.ok()) return std::nullopt;
  std::map<std::string, std::string> out;
  for (const auto& entry : m.entries_) {
    if (auto s = m.str(entry.key)) out[entry.key] = *s;
  }
  return out;
}

std::optional<YAML::Node> MapReader::list(const std::string& key, bool required) {
  const Entry* e = get(key, required);
  if (!e) return std::nullopt;
  if (!e->value.IsSequence()) {
    error_at(key, "expected a list for '" + key + "', got " + describe_node(e->value));
    return std::nullopt;
  }
  return e->value;
}

}  // namespace gameday::loader
