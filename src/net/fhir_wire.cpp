#include "net/fhir_wire.hpp"

#include <algorithm>
#include <array>
#include <nlohmann/json.hpp>
#include <set>
#include <utility>

namespace gameday::net {
namespace {

using Json = nlohmann::ordered_json;

constexpr std::array<std::string_view, 4> kTypes = {"Patient", "Coverage", "ClaimResponse",
                                                    "DocumentReference"};

/// One search parameter of a resource type, as parsed and as advertised in the
/// CapabilityStatement.
struct SearchParamDef {
  std::string_view resource_type;
  std::string_view name;
  std::string_view canonical;  // parameters that set the same field share it (patient/subject)
  std::string_view kind;       // FHIR search parameter type
  std::string_view documentation;
};

constexpr std::array<SearchParamDef, 9> kSearchParams = {{
    {"Patient", "_id", "_id", "token", "The patient's logical id (pat-NNNN)."},
    {"Coverage", "patient", "patient", "reference", "The covered patient."},
    {"Coverage", "beneficiary", "patient", "reference", "Same as patient."},
    {"ClaimResponse", "patient", "patient", "reference",
     "The patient of the prior-authorization cases (use = preauthorization)."},
    {"DocumentReference", "patient", "patient", "reference",
     "The patient whose chart notes and portal messages to return, newest first."},
    {"DocumentReference", "subject", "patient", "reference", "Same as patient."},
    {"DocumentReference", "category", "category", "token",
     "discharge-summary | progress-note | portal-message | policy "
     "(system urn:gameday:document-category)."},
    {"DocumentReference", "status", "status", "token", "current | superseded."},
    {"DocumentReference", "plan", "plan", "token",
     "gameday extension: the plan code of policy documents, only with category=policy "
     "(ALL: the policies that apply to every plan)."},
}};

const SearchParamDef* find_param(std::string_view type, std::string_view name) {
  for (const auto& p : kSearchParams) {
    if (p.resource_type == type && p.name == name) return &p;
  }
  return nullptr;
}

bool is_json_format(std::string_view f) {
  // An unencoded '+' arrives as a space ("application/fhir json"): accept both.
  return f == "json" || f == "application/json" || f == "application/fhir+json" ||
         f == "application/fhir json" || f == "application/json+fhir" ||
         f == "application/json fhir";
}

// Digits only, at most 9 of them (so it fits an int).
bool parse_count(std::string_view v, int& out) {
  if (v.empty() || v.size() > 9) return false;
  int n = 0;
  for (char c : v) {
    if (c < '0' || c > '9') return false;
    n = n * 10 + (c - '0');
  }
  out = n;
  return true;
}

// FHIR ids: [A-Za-z0-9\-\.]{1,64}.
bool valid_id(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '.';
  });
}

// A Patient reference parameter: "pat-0001", "Patient/pat-0001" or ".../Patient/pat-0001".
bool patient_reference(std::string_view v, std::string& id) {
  const auto slash = v.find('/');
  if (slash == std::string_view::npos) {
    id = std::string(v);
    return true;
  }
  const auto at = v.rfind("Patient/");
  if (at == std::string_view::npos || (at > 0 && v[at - 1] != '/')) return false;
  const std::string_view rest = v.substr(at + 8);
  if (rest.empty() || rest.find('/') != std::string_view::npos) return false;
  id = std::string(rest);
  return true;
}

const char* issue_code(int status) {
  return status == 404                  ? "not-found"
         : status == 400                ? "invalid"
         : status == 405 || status == 406 ? "not-supported"
         : status == 429                ? "throttled"
         : status >= 500                ? "exception"
                                        : "processing";
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

bool percent_decode(std::string_view in, bool plus_is_space, std::string& out) {
  out.clear();
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    if (c == '%') {
      if (i + 2 >= in.size()) return false;
      const int hi = hex_value(in[i + 1]);
      const int lo = hex_value(in[i + 2]);
      if (hi < 0 || lo < 0) return false;
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out += ' ';
    } else {
      out += c;
    }
  }
  return true;
}

bool is_fhir_resource_type(std::string_view type) {
  return std::find(kTypes.begin(), kTypes.end(), type) != kTypes.end();
}

FhirTarget parse_fhir_target(std::string_view target, std::string_view base_path) {
  FhirTarget t;
  auto fail = [&t](int status, std::string param, std::string diagnostics) {
    t.status = status;
    t.param = std::move(param);
    t.diagnostics = std::move(diagnostics);
    return t;
  };

  // Absolute form (a proxy-style request line): drop the scheme and authority.
  if (target.starts_with("http://") || target.starts_with("https://")) {
    const auto authority = target.find("://") + 3;
    const auto slash = target.find('/', authority);
    target = slash == std::string_view::npos ? std::string_view("/") : target.substr(slash);
  }
  if (const auto hash = target.find('#'); hash != std::string_view::npos) {
    target = target.substr(0, hash);
  }
  const auto qmark = target.find('?');
  std::string_view path = target.substr(0, qmark);
  const std::string_view query =
      qmark == std::string_view::npos ? std::string_view() : target.substr(qmark + 1);

  while (base_path.size() > 1 && base_path.back() == '/') base_path.remove_suffix(1);
  if (!path.starts_with(base_path) ||
      (path.size() > base_path.size() && path[base_path.size()] != '/')) {
    return fail(404, "", "No FHIR route at this path: the FHIR base is " +
                             std::string(base_path));
  }
  path.remove_prefix(base_path.size());
  if (path.starts_with('/')) path.remove_prefix(1);
  if (path.ends_with('/')) path.remove_suffix(1);

  std::vector<std::string> segments;
  while (!path.empty()) {
    const auto slash = path.find('/');
    const std::string_view raw = path.substr(0, slash);
    std::string seg;
    if (!percent_decode(raw, false, seg)) {
      return fail(400, "", "Invalid percent-encoding in the request path");
    }
    if (seg.empty()) return fail(404, "", "No FHIR route at this path (empty path segment)");
    segments.push_back(std::move(seg));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  if (segments.empty() || segments.size() > 2 ||
      (segments[0] == "metadata" && segments.size() > 1)) {
    return fail(404, "",
                "No FHIR route at this path: routes are [base]/metadata, [base]/{type} and "
                "[base]/{type}/{id}");
  }
  const std::string& first = segments[0];
  if (first == "metadata") {
    t.route = FhirRoute::kMetadata;
    t.route_name = "/fhir/metadata";
  } else {
    if (!is_fhir_resource_type(first)) {
      return fail(400, "",
                  "Unknown resource type '" + first +
                      "': this server serves Patient, Coverage, ClaimResponse and "
                      "DocumentReference");
    }
    t.request.resource_type = first;
    if (segments.size() == 2) {
      if (!valid_id(segments[1])) {
        return fail(400, "", "Invalid resource id: FHIR ids are 1-64 of A-Z a-z 0-9 - .");
      }
      t.route = FhirRoute::kRead;
      t.request.op = EhrRequest::Op::kRead;
      t.request.id = segments[1];
      t.route_name = "/fhir/" + first + "/{id}";
    } else {
      t.route = FhirRoute::kSearch;
      t.request.op = EhrRequest::Op::kSearch;
      t.route_name = "/fhir/" + first;
    }
  }

  std::set<std::string, std::less<>> seen;  // canonical names
  std::string_view rest = query;
  while (!rest.empty()) {
    const auto amp = rest.find('&');
    const std::string_view pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
    if (pair.empty()) continue;
    const auto eq = pair.find('=');
    std::string key, value;
    if (!percent_decode(pair.substr(0, eq), true, key)) {
      return fail(400, "", "Invalid percent-encoding in the query");
    }
    if (eq != std::string_view::npos && !percent_decode(pair.substr(eq + 1), true, value)) {
      return fail(400, key, "Invalid percent-encoding in the value of parameter '" + key + "'");
    }
    if (key.empty()) return fail(400, "", "A query parameter has no name");

    // The canonical name decides repeats (patient and subject set the same field).
    std::string canonical = key;
    const SearchParamDef* def = nullptr;
    const bool format_param = key == "_format" || key == "_pretty";
    const bool paging_param = key == "_count" || key == "_offset" || key == "_getpagesoffset";
    if (!format_param) {
      if (t.route != FhirRoute::kSearch) {
        return fail(400, key,
                    "Unknown parameter '" + key + "': " +
                        (t.route == FhirRoute::kRead ? "a read" : "the capability statement") +
                        " takes only _format and _pretty");
      }
      if (paging_param) {
        if (key != "_count") canonical = "_offset";
      } else {
        def = find_param(t.request.resource_type, key);
        if (def == nullptr) {
          std::string known;
          for (const auto& p : kSearchParams) {
            if (p.resource_type != t.request.resource_type) continue;
            known += (known.empty() ? "" : ", ") + std::string(p.name);
          }
          return fail(400, key,
                      "Unknown search parameter '" + key + "' for " + t.request.resource_type +
                          " (supported: " + known + ", _count, _offset)");
        }
        canonical = std::string(def->canonical);
      }
    }
    if (!seen.insert(canonical).second) {
      return fail(400, key,
                  "Parameter '" + key +
                      "' is given more than once (or with a synonym): this server takes one "
                      "value per parameter");
    }

    if (key == "_format") {
      if (!is_json_format(value)) {
        return fail(406, key, "Unsupported _format '" + value + "': this server speaks JSON only");
      }
      continue;
    }
    if (key == "_pretty") {
      if (value != "true" && value != "false") {
        return fail(400, key, "Parameter '_pretty' must be true or false");
      }
      continue;
    }
    if (paging_param) {
      int n = 0;
      if (!parse_count(value, n)) {
        return fail(400, key, "Parameter '" + key + "' must be a non-negative integer");
      }
      if (key == "_count") {
        t.request.count = std::min(n, kFhirMaxCount);
      } else {
        t.request.offset = n;
      }
      continue;
    }
    // FHIR: a search parameter with an empty value is ignored.
    if (value.empty()) continue;
    if (canonical == "_id") {
      t.request.id = value;
    } else if (canonical == "patient") {
      std::string id;
      if (!patient_reference(value, id)) {
        return fail(400, key,
                    "Parameter '" + key + "' must reference a Patient (id or Patient/id)");
      }
      t.request.patient = std::move(id);
    } else if (canonical == "category") {
      // A token: system|code, |code or code.
      const auto bar = value.rfind('|');
      t.request.category = bar == std::string::npos ? value : value.substr(bar + 1);
    } else if (canonical == "status") {
      if (value != "current" && value != "superseded") {
        return fail(400, key, "Parameter 'status' must be current or superseded");
      }
      t.request.status = value;
    } else if (canonical == "plan") {
      t.request.plan = value;
    }
  }
  if (!t.request.plan.empty() && t.request.category != "policy") {
    return fail(400, "plan", "Parameter 'plan' applies only with category=policy");
  }
  return t;
}

std::string fhir_search_query(const EhrRequest& req, int offset) {
  return to_fhir_search_query(req, offset);
}

std::string fhir_bundle_json(const EhrOutcome& o, const EhrRequest& req,
                             const std::string& base_url) {
  return to_fhir_bundle_json(o, req, base_url);
}

std::string fhir_outcome_json(const EhrOutcome& o, const EhrRequest& req,
                              const std::string& base_url) {
  if (o.status != 200) return fhir_error_json(o.status, o.diagnostics);
  if (req.op == EhrRequest::Op::kSearch) return fhir_bundle_json(o, req, base_url);
  if (!o.patients.empty()) return to_fhir_json(*o.patients.front());
  if (!o.coverages.empty()) return to_fhir_json(*o.coverages.front());
  if (!o.prior_auths.empty()) return to_fhir_json(*o.prior_auths.front());
  if (!o.documents.empty()) return to_fhir_json(*o.documents.front());
  // A successful read always finds its resource; guard anyway.
  return fhir_error_json(404, "Resource " + req.resource_type + "/" + req.id + " not found");
}

std::string fhir_retry_after(const EhrOutcome& o) {
  if (o.status == 200 || o.hang || o.retry_after <= 0) return "";
  return std::to_string((o.retry_after + kSecond - 1) / kSecond);
}

std::string fhir_error_json(int status, const std::string& diagnostics) {
  return to_operation_outcome_json("error", issue_code(status), diagnostics);
}

std::string fhir_capability_statement_json(const std::string& base_url) {
  Json c;
  c["resourceType"] = "CapabilityStatement";
  c["status"] = "active";
  // A fixed date: the server's capabilities do not change with the clock.
  c["date"] = "2026-01-01";
  c["publisher"] = "gameday";
  c["kind"] = "instance";
  c["software"] = {{"name", "gameday fake EHR"}};
  c["implementation"] = {
      {"description", "gameday fake EHR: a synthetic world with PHI-shaped identifiers"},
      {"url", base_url}};
  c["fhirVersion"] = "4.0.1";
  c["format"] = Json::array({"application/fhir+json", "json"});
  Json resources = Json::array();
  for (std::string_view type : kTypes) {
    Json r;
    r["type"] = type;
    r["interaction"] = Json::array({{{"code", "read"}}, {{"code", "search-type"}}});
    Json params = Json::array();
    for (const auto& p : kSearchParams) {
      if (p.resource_type != type) continue;
      params.push_back(
          {{"name", p.name}, {"type", p.kind}, {"documentation", p.documentation}});
    }
    r["searchParam"] = std::move(params);
    resources.push_back(std::move(r));
  }
  Json rest;
  rest["mode"] = "server";
  rest["resource"] = std::move(resources);
  rest["searchParam"] = Json::array(
      {{{"name", "_count"},
        {"type", "number"},
        {"documentation", "Page size (default 20, at most " + std::to_string(kFhirMaxCount) +
                              ")."}},
       {{"name", kFhirOffsetParam},
        {"type", "number"},
        {"documentation",
         "Index of the first match on the page (also read as _getpagesoffset); the Bundle's "
         "next and previous links carry it."}}});
  c["rest"] = Json::array({std::move(rest)});
  return c.dump();
}

}  // namespace gameday::net
