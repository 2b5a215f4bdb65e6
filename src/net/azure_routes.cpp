#include "net/azure_routes.hpp"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

#include "sim/json_text.hpp"

namespace gameday::net::azure {
namespace {

using Json = nlohmann::ordered_json;

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}


std::string percent_decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hex_value(s[i + 1]) >= 0 && hex_value(s[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
      i += 2;
    } else {
      out += s[i] == '+' ? ' ' : s[i];
    }
  }
  return out;
}

// The value of query parameter `name` ("" when absent).
std::string query_param(std::string_view query, std::string_view name) {
  std::size_t i = 0;
  while (i <= query.size()) {
    std::size_t amp = query.find('&', i);
    if (amp == std::string_view::npos) amp = query.size();
    const std::string_view pair = query.substr(i, amp - i);
    const std::size_t eq = pair.find('=');
    if (percent_decode(pair.substr(0, eq)) == name && eq != std::string_view::npos) {
      return percent_decode(pair.substr(eq + 1));
    }
    i = amp + 1;
  }
  return "";
}

std::string operation_name(Operation op) {
  switch (op) {
    case Operation::kChat: return "ChatCompletions_Create";
    case Operation::kEmbeddings: return "Embeddings_Create";
    case Operation::kResponses: return "Responses_Create";
    case Operation::kResponseGet: return "Responses_Get";
    case Operation::kUnknown: break;
  }
  return "Unknown";
}

openai::WireError error(int status, std::string code, std::string message) {
  openai::WireError e;
  e.status = status;
  e.code = std::move(code);
  e.message = std::move(message);
  e.type.clear();
  return e;
}

}  // namespace

bool is_azure_path(std::string_view target) {
  // Checked on every request: no copy of the target.
  if (target.rfind("/openai", 0) != 0) return false;
  return target.size() == 7 || target[7] == '/' || target[7] == '?';
}

Route parse_target(const std::string& target) {
  Route r;
  const auto q = target.find('?');
  std::string path = target.substr(0, q);
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  if (q != std::string::npos) r.api_version = query_param(std::string_view(target).substr(q + 1), "api-version");
  const std::string deployments = "/openai/deployments/";
  if (path.rfind(deployments, 0) == 0) {
    const std::string rest = path.substr(deployments.size());
    const auto slash = rest.find('/');
    if (slash == std::string::npos || slash == 0) return r;
    r.deployment = percent_decode(rest.substr(0, slash));
    const std::string op = rest.substr(slash);
    r.method = "POST";
    if (op == "/chat/completions") r.op = Operation::kChat;
    if (op == "/embeddings") r.op = Operation::kEmbeddings;
    return r;
  }
  if (path == "/openai/responses") {
    r.op = Operation::kResponses;
    r.method = "POST";
  } else if (path.rfind("/openai/responses/", 0) == 0 && path.find('/', 18) == std::string::npos) {
    r.op = Operation::kResponseGet;
    r.method = "GET";
    r.response_id = percent_decode(path.substr(18));
  }
  return r;
}

std::string route_label(Operation op) {
  switch (op) {
    case Operation::kChat: return "/openai/deployments/{deployment}/chat/completions";
    case Operation::kEmbeddings: return "/openai/deployments/{deployment}/embeddings";
    case Operation::kResponses: return "/openai/responses";
    case Operation::kResponseGet: return "/openai/responses/{id}";
    case Operation::kUnknown: break;
  }
  return "other";
}

bool has_credentials(const std::vector<std::pair<std::string, std::string>>& headers) {
  for (const auto& [name, value] : headers) {
    const std::string n = lower(name);
    if (n == "api-key" && !value.empty()) return true;
    if (n == "authorization" && lower(value).rfind("bearer ", 0) == 0 && value.size() > 7) return true;
  }
  return false;
}

bool known_deployment(const VendorProfile& profile, const std::string& deployment, Operation op) {
  if (op == Operation::kEmbeddings && deployment.rfind("text-embedding-", 0) == 0) return true;
  if (profile.models.empty()) return deployment == profile.id;
  return std::find(profile.models.begin(), profile.models.end(), deployment) != profile.models.end();
}

std::string error_json(const openai::WireError& e) {
  Json err;
  err["code"] = e.code.empty() ? std::to_string(e.status) : e.code;
  err["message"] = e.message;
  if (!e.param.empty()) err["param"] = e.param;
  if (!e.type.empty()) err["type"] = e.type;
  Json j;
  j["error"] = std::move(err);
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

HeaderList error_headers(Duration retry_after) {
  HeaderList h;
  if (retry_after > 0) {
    h.emplace_back("retry-after", std::to_string((retry_after + kSecond - 1) / kSecond));
    h.emplace_back("retry-after-ms", std::to_string((retry_after + kMillisecond - 1) / kMillisecond));
  }
  return h;
}

openai::WireError missing_api_version() {
  return error(400, "MissingApiVersionParameter",
               "The api-version query parameter (?api-version=) is required for all requests.");
}

openai::WireError unauthorized() {
  return error(401, "401",
               "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a "
               "valid key for an active subscription and use a correct regional API endpoint for your resource.");
}

openai::WireError deployment_not_found(const std::string& deployment) {
  return error(404, "DeploymentNotFound",
               "The API deployment '" + deployment + "' for this resource does not exist. Deployments are "
               "named after the vendor profile's models.");
}

openai::WireError resource_not_found() { return error(404, "404", "Resource not found"); }

openai::WireError fault_error(const VendorOutcome& o, const Route& route) {
  if (o.status == 429) {
    const long long secs = std::max<long long>(1, (o.retry_after + kSecond - 1) / kSecond);
    return error(429, "429",
                 "Requests to the " + operation_name(route.op) + " Operation under Azure OpenAI API version " +
                     route.api_version +
                     " have exceeded token rate limit of your current pricing tier. Please retry after " +
                     std::to_string(secs) + (secs == 1 ? " second." : " seconds."));
  }
  return error(o.status, std::to_string(o.status), o.error.message);
}

}  // namespace gameday::net::azure
