#pragma once
// Azure OpenAI's paths on the fake vendor: /openai/deployments/{deployment}/chat/completions,
// /openai/deployments/{deployment}/embeddings, /openai/responses and /openai/responses/{id},
// each with `?api-version=` required and an `api-key` header (or a bearer token). A deployment
// is named after one of the vendor profile's models. Azure's error bodies and retry headers.
// No I/O: vendor_server.cpp routes with these.
#include <string>
#include <string_view>
#include <vector>

#include "fakes/vendor.hpp"
#include "net/http_server.hpp"
#include "net/openai_wire.hpp"

namespace gameday::net::azure {

/// What an Azure path asks for.
enum class Operation : std::uint8_t { kChat, kEmbeddings, kResponses, kResponseGet, kUnknown };

/// A request target under /openai, parsed.
struct Route {
  Operation op = Operation::kUnknown;
  std::string deployment;   ///< kChat, kEmbeddings: the deployment in the path
  std::string response_id;  ///< kResponseGet
  std::string api_version;  ///< the `api-version` query parameter ("" = missing)
  std::string method;       ///< the method the operation takes ("POST" or "GET")
};

/// Whether a request target (path and query) is an Azure OpenAI path (/openai or below).
bool is_azure_path(std::string_view target);

/// Parses an Azure request target ("/openai/deployments/d/chat/completions?api-version=...").
/// Trailing slashes are ignored; query values are percent-decoded.
Route parse_target(const std::string& target);

/// The route label metrics record for `op` ("/openai/deployments/{deployment}/chat/completions",
/// ...; "other" for kUnknown).
std::string route_label(Operation op);

/// Whether the request carries Azure credentials: a non-empty `api-key` header or an
/// `Authorization: Bearer <token>` header (any value: the fake checks presence only).
bool has_credentials(const std::vector<std::pair<std::string, std::string>>& headers);

/// Whether `deployment` names a deployment of `profile`: one of its models (its id when it
/// lists none); for embeddings also any "text-embedding-*" model.
bool known_deployment(const VendorProfile& profile, const std::string& deployment, Operation op);

/// Azure's error body: {"error": {"code", "message"}} plus "param" and "type" when `e` has
/// them (request validation errors keep OpenAI's fields, as Azure does). `code` is always a
/// string: e.code, else the status ("429").
std::string error_json(const openai::WireError& e);

/// Azure's retry headers: `retry-after` (whole seconds, rounded up) and `retry-after-ms` when
/// `retry_after` > 0. (No `x-should-retry`: Azure does not send it.)
HeaderList error_headers(Duration retry_after);

/// 400 {"code": "MissingApiVersionParameter"}: no `api-version` query parameter.
openai::WireError missing_api_version();
/// 401: neither an api-key header nor a bearer token.
openai::WireError unauthorized();
/// 404 {"code": "DeploymentNotFound"}.
openai::WireError deployment_not_found(const std::string& deployment);
/// 404 {"code": "404", "message": "Resource not found"}: a path Azure does not serve.
openai::WireError resource_not_found();

/// The error a fault outcome with a non-200 status gives on Azure: a 429 in Azure's words
/// ("Requests to the <Operation> Operation under Azure OpenAI API version <v> have exceeded
/// ...; Please retry after N seconds."), code "429"; others keep the fault's message, code
/// the status.
openai::WireError fault_error(const VendorOutcome& o, const Route& route);

}  // namespace gameday::net::azure
