// The control API's bearer check: HTTP's case rules for the header name and the scheme.
#include <catch2/catch.hpp>

#include "net/control_server.hpp"

using namespace gameday::net;

namespace {

ServerRequest with_header(const std::string& name, const std::string& value) {
  ServerRequest r;
  r.method = "GET";
  r.target = "/status";
  r.headers.emplace_back(name, value);
  return r;
}

}  // namespace

TEST_CASE("The bearer check takes the header name and the scheme in any case", "[net][control]") {
  CHECK(bearer_authorized(with_header("Authorization", "Bearer s3cret"), "s3cret"));
  CHECK(bearer_authorized(with_header("AUTHORIZATION", "bearer s3cret"), "s3cret"));
  CHECK(bearer_authorized(with_header("authorization", "BEARER   s3cret "), "s3cret"));
  CHECK(bearer_authorized(with_header("AuThOrIzAtIoN", "BeArEr\ts3cret"), "s3cret"));
}

TEST_CASE("The bearer check refuses a wrong, partial, differently cased or missing token", "[net][control]") {
  CHECK_FALSE(bearer_authorized(with_header("Authorization", "Bearer s3cre"), "s3cret"));
  CHECK_FALSE(bearer_authorized(with_header("Authorization", "Bearer s3cretX"), "s3cret"));
  CHECK_FALSE(bearer_authorized(with_header("Authorization", "Bearer S3CRET"), "s3cret"));
  CHECK_FALSE(bearer_authorized(with_header("Authorization", "Basic s3cret"), "s3cret"));
  CHECK_FALSE(bearer_authorized(with_header("Authorization", "Bearers3cret"), "s3cret"));
  CHECK_FALSE(bearer_authorized(with_header("Authorization", "Bearer"), "s3cret"));
  CHECK_FALSE(bearer_authorized(with_header("X-Authorization", "Bearer s3cret"), "s3cret"));
  CHECK_FALSE(bearer_authorized(ServerRequest{}, "s3cret"));
}

TEST_CASE("The bearer check lets everything through when no token is set", "[net][control]") {
  CHECK(bearer_authorized(ServerRequest{}, ""));
}
