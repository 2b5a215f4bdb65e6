// Azure OpenAI's paths on the fake vendor: parsing targets, credentials, deployments, and
// Azure's error bodies and retry headers.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "net/azure_routes.hpp"

using namespace gameday;
using namespace gameday::net;
using Json = nlohmann::json;

TEST_CASE("Azure targets name their operation, deployment and api-version", "[net][azure]") {
  const auto chat = azure::parse_target("/openai/deployments/nw-clinical-large/chat/completions?api-version=2024-10-21");
  CHECK(chat.op == azure::Operation::kChat);
  CHECK(chat.deployment == "nw-clinical-large");
  CHECK(chat.api_version == "2024-10-21");
  CHECK(chat.method == "POST");
  const auto emb = azure::parse_target("/openai/deployments/my%20emb/embeddings/?x=1&api-version=2024-06-01");
  CHECK(emb.op == azure::Operation::kEmbeddings);
  CHECK(emb.deployment == "my emb");
  CHECK(emb.api_version == "2024-06-01");
  const auto resp = azure::parse_target("/openai/responses?api-version=2025-03-01-preview");
  CHECK(resp.op == azure::Operation::kResponses);
  const auto get = azure::parse_target("/openai/responses/resp_12?api-version=2025-03-01-preview");
  CHECK(get.op == azure::Operation::kResponseGet);
  CHECK(get.response_id == "resp_12");
  CHECK(get.method == "GET");
  CHECK(azure::parse_target("/openai/deployments/d/chat/completions").api_version.empty());
  CHECK(azure::parse_target("/openai/deployments/d/completions?api-version=1").op == azure::Operation::kUnknown);
  CHECK(azure::parse_target("/openai/models?api-version=1").op == azure::Operation::kUnknown);
  CHECK(azure::is_azure_path("/openai/responses"));
  CHECK(azure::is_azure_path("/openai?api-version=1"));
  CHECK_FALSE(azure::is_azure_path("/openaix"));
  CHECK_FALSE(azure::is_azure_path("/v1/chat/completions"));
}

TEST_CASE("Azure takes an api-key header or a bearer token", "[net][azure]") {
  CHECK(azure::has_credentials({{"Api-Key", "k"}}));
  CHECK(azure::has_credentials({{"authorization", "Bearer t"}}));
  CHECK_FALSE(azure::has_credentials({{"api-key", ""}}));
  CHECK_FALSE(azure::has_credentials({{"authorization", "Basic x"}}));
  CHECK_FALSE(azure::has_credentials({}));
}

TEST_CASE("Azure deployments are the vendor profile's models", "[net][azure]") {
  VendorProfile p;
  p.id = "primary";
  p.models = {"nw-clinical-large"};
  CHECK(azure::known_deployment(p, "nw-clinical-large", azure::Operation::kChat));
  CHECK_FALSE(azure::known_deployment(p, "gpt-4o", azure::Operation::kChat));
  CHECK(azure::known_deployment(p, "text-embedding-3-small", azure::Operation::kEmbeddings));
  CHECK_FALSE(azure::known_deployment(p, "text-embedding-3-small", azure::Operation::kChat));
  p.models.clear();
  CHECK(azure::known_deployment(p, "primary", azure::Operation::kResponses));
}

TEST_CASE("Azure errors carry a string code and retry headers without x-should-retry", "[net][azure][errors]") {
  const Json missing = Json::parse(azure::error_json(azure::missing_api_version()));
  CHECK(missing["error"]["code"] == "MissingApiVersionParameter");
  CHECK_FALSE(missing["error"].contains("type"));
  CHECK(azure::missing_api_version().status == 400);
  CHECK(azure::unauthorized().status == 401);
  CHECK(azure::deployment_not_found("x").status == 404);
  openai::WireError bad;
  bad.param = "messages";
  bad.message = "m";
  bad.code = "";
  const Json validation = Json::parse(azure::error_json(bad));
  CHECK(validation["error"]["code"] == "400");
  CHECK(validation["error"]["param"] == "messages");
  CHECK(validation["error"]["type"] == "invalid_request_error");
  VendorOutcome o;
  o.status = 429;
  o.retry_after = 1500 * kMillisecond;
  azure::Route r = azure::parse_target("/openai/deployments/d/chat/completions?api-version=2024-10-21");
  const auto e = azure::fault_error(o, r);
  CHECK(e.status == 429);
  CHECK(Json::parse(azure::error_json(e))["error"]["code"] == "429");
  CHECK(e.message.find("ChatCompletions_Create") != std::string::npos);
  CHECK(e.message.find("2024-10-21") != std::string::npos);
  CHECK(e.message.find("retry after 2 seconds") != std::string::npos);
  const HeaderList h = azure::error_headers(o.retry_after);
  REQUIRE(h.size() == 2);
  CHECK(h[0] == std::pair<std::string, std::string>{"retry-after", "2"});
  CHECK(h[1] == std::pair<std::string, std::string>{"retry-after-ms", "1500"});
  CHECK(azure::error_headers(0).empty());
}
