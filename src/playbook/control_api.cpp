#include "playbook/control_api.hpp"

#include <cctype>
#include <map>
#include <optional>

#include <nlohmann/json.hpp>

namespace gameday {
namespace {

using Json = nlohmann::json;

// Bytes that are not UTF-8 (a flag name from the request path, echoed in an error) become U+FFFD.
ControlResponse reply(int status, const Json& body) {
  return ControlResponse{status, body.dump(-1, ' ', false, Json::error_handler_t::replace)};
}

ControlResponse error(int status, const std::string& message, const std::string& field = "") {
  Json j = {{"error", message}};
  if (!field.empty()) j["field"] = field;
  return reply(status, j);
}

std::string percent_decode(const std::string& s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

// The body as a JSON object, or the 400 to answer.
std::optional<Json> object_body(const std::string& body, ControlResponse* bad) {
  Json j = Json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    *bad = error(400, "expected a JSON object as the request body", "body");
    return std::nullopt;
  }
  return j;
}

// A required string field of a JSON object body, or the 400 to answer.
std::optional<std::string> string_field(const Json& j, const std::string& field,
                                        ControlResponse* bad) {
  auto it = j.find(field);
  if (it == j.end() || !it->is_string()) {
    *bad = error(400, "expected a string '" + field + "'", field);
    return std::nullopt;
  }
  return it->get<std::string>();
}

Json state(const Assistant& a) {
  Json flags = Json::object();
  for (const auto& f : a.flags()) flags[f.name] = f.enabled ? Json(f.default_variant) : Json(nullptr);
  Json versions = Json::array();
  for (const auto& p : a.prompts()) versions.push_back(p.version);
  return Json{{"flags", flags},
              {"prompt_version", a.prompt_version()},
              {"prompt_versions", versions},
              {"route", a.route()},
              {"primary_route", a.config().primary_route},
              {"secondary_route", a.config().secondary_route},
              {"shed", a.shed_share()}};
}

// A variant's value as written in flags.json: kept as text, turned back into JSON.
Json variant_value(const std::string& text) {
  Json j = Json::parse(text, nullptr, false);
  return j.is_discarded() ? Json(text) : j;
}

}  // namespace

ControlResponse handle_control_request(Assistant& a, const ControlRequest& req,
                                       const std::string& by) {
  std::string path = req.target.substr(0, req.target.find('?'));
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  const std::string& m = req.method;
  ControlResponse bad;
  std::string err;
  auto method_not_allowed = [&](const std::string& allowed) {
    return error(405, "method " + m + " not allowed on " + path + " (allowed: " + allowed + ")");
  };

  if (path == "/v1/assistant") {
    if (m != "GET") return method_not_allowed("GET");
    return reply(200, state(a));
  }
  const std::string flags_prefix = "/v1/assistant/flags/";
  if (path.rfind(flags_prefix, 0) == 0 && path.size() > flags_prefix.size()) {
    const std::string name = percent_decode(path.substr(flags_prefix.size()));
    bool known = false;
    for (const auto& f : a.flags()) known = known || f.name == name;
    if (!known) return error(404, "unknown flag '" + name + "'", "flag");
    if (m == "GET") return reply(200, Json{{"flag", name}, {"variant", a.flag_variant(name)}});
    if (m != "PUT") return method_not_allowed("GET, PUT");
    auto body = object_body(req.body, &bad);
    if (!body) return bad;
    auto variant = string_field(*body, "variant", &bad);
    if (!variant) return bad;
    const std::string from = a.flag_variant(name);
    if (!a.set_flag(name, *variant, by, &err)) return error(400, err, "variant");
    return reply(200, Json{{"flag", name}, {"variant", *variant}, {"from", from}});
  }
  if (path == "/v1/assistant/prompt") {
    if (m == "GET") return reply(200, Json{{"prompt_version", a.prompt_version()}});
    if (m != "PUT") return method_not_allowed("GET, PUT");
    auto body = object_body(req.body, &bad);
    if (!body) return bad;
    auto version = string_field(*body, "version", &bad);
    if (!version) return bad;
    const std::string from = a.prompt_version();
    if (!a.set_prompt(*version, by, &err)) return error(400, err, "version");
    return reply(200, Json{{"prompt_version", a.prompt_version()}, {"from", from}});
  }
  if (path == "/v1/assistant/prompt/rollback") {
    if (m != "POST") return method_not_allowed("POST");
    const std::string from = a.prompt_version();
    if (!a.rollback_prompt(by, &err)) return error(409, err, "prompt_version");
    return reply(200, Json{{"prompt_version", a.prompt_version()}, {"from", from}});
  }
  if (path == "/v1/assistant/route") {
    if (m == "GET") return reply(200, Json{{"route", a.route()}});
    if (m != "PUT") return method_not_allowed("GET, PUT");
    auto body = object_body(req.body, &bad);
    if (!body) return bad;
    auto vendor = string_field(*body, "vendor", &bad);
    if (!vendor) return bad;
    const std::string from = a.route();
    if (!a.set_route(*vendor, by, &err)) return error(400, err, "vendor");
    return reply(200, Json{{"route", a.route()}, {"from", from}});
  }
  if (path == "/v1/assistant/shed") {
    if (m == "GET") return reply(200, Json{{"share", a.shed_share()}});
    if (m != "PUT") return method_not_allowed("GET, PUT");
    auto body = object_body(req.body, &bad);
    if (!body) return bad;
    auto it = body->find("share");
    if (it == body->end() || !it->is_number()) {
      return error(400, "expected a number 'share' between 0 and 1", "share");
    }
    const double from = a.shed_share();
    if (!a.set_shed(it->get<double>(), by, &err)) return error(400, err, "share");
    return reply(200, Json{{"share", a.shed_share()}, {"from", from}});
  }
  return error(404, "no such endpoint: " + m + " " + path);
}

std::string flags_to_flagd_json(const Assistant& a) {
  Json flags = Json::object();
  for (const auto& f : a.flags()) {
    Json variants = Json::object();
    for (const auto& [name, value] : f.variants) variants[name] = variant_value(value);
    flags[f.name] = Json{{"state", f.enabled ? "ENABLED" : "DISABLED"},
                         {"variants", variants},
                         {"defaultVariant", f.default_variant}};
  }
  return Json{{"$schema", "https://flagd.dev/schema/v0/flags.json"}, {"flags", flags}}.dump(2) + "\n";
}

bool apply_flagd_json(Assistant& a, const std::string& text, const std::string& by,
                      std::vector<std::string>* changes, std::string* error_out,
                      const std::string* before) {
  auto fail = [&](const std::string& why) {
    if (error_out) *error_out = why;
    return false;
  };
  const Json doc = Json::parse(text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return fail("flags file is not a JSON object");
  auto flags = doc.find("flags");
  if (flags == doc.end() || !flags->is_object()) return fail("flags file has no 'flags' object");
  // The variants as the file stood before (edits are what changed since then).
  std::map<std::string, std::string> earlier;
  if (before != nullptr) {
    const Json prev = Json::parse(*before, nullptr, false);
    if (prev.is_object() && prev.contains("flags") && prev["flags"].is_object()) {
      for (auto it = prev["flags"].begin(); it != prev["flags"].end(); ++it) {
        if (it->is_object() && it->contains("defaultVariant") && (*it)["defaultVariant"].is_string()) {
          earlier[it.key()] = (*it)["defaultVariant"].get<std::string>();
        }
      }
    }
  }
  std::vector<std::pair<std::string, std::string>> todo;
  for (auto it = flags->begin(); it != flags->end(); ++it) {
    const FlagDef* def = nullptr;
    for (const auto& f : a.flags()) {
      if (f.name == it.key()) def = &f;
    }
    if (!def) return fail("flags file names unknown flag '" + it.key() + "'");
    auto dv = it->find("defaultVariant");
    if (!it->is_object() || dv == it->end() || !dv->is_string()) {
      return fail("flag '" + it.key() + "' in the flags file has no defaultVariant");
    }
    const std::string variant = dv->get<std::string>();
    if (!def->variants.count(variant)) {
      return fail("flag '" + it.key() + "' has no variant '" + variant + "'");
    }
    if (auto e = earlier.find(it.key()); e != earlier.end() && e->second == variant) continue;
    if (!def->enabled || def->default_variant != variant) todo.emplace_back(it.key(), variant);
  }
  for (const auto& [name, variant] : todo) {
    const std::string from = a.flag_variant(name);
    std::string ignored;
    a.set_flag(name, variant, by, &ignored);
    if (changes) changes->push_back(name + " " + (from.empty() ? "(disabled)" : from) + " -> " + variant);
  }
  return true;
}

}  // namespace gameday
