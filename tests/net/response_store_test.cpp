// The bounded store of recent Responses API responses.
#include <catch2/catch.hpp>

#include "net/response_store.hpp"

using namespace gameday::net;

TEST_CASE("The response store returns what it holds and forgets the oldest past its capacity", "[net][responses]") {
  ResponseStore store(2);
  store.put("a", StoredResponse{"{\"id\":\"a\"}", {}});
  store.put("b", StoredResponse{"{\"id\":\"b\"}", {{"user", "hi"}}});
  REQUIRE(store.get("a")->json == "{\"id\":\"a\"}");
  REQUIRE(store.get("b")->conversation.size() == 1);
  store.put("c", StoredResponse{"c", {}});
  REQUIRE(store.size() == 2);
  REQUIRE_FALSE(store.get("a").has_value());
  REQUIRE(store.get("c")->json == "c");
  store.put("b", StoredResponse{"b2", {}});  // replacing keeps its place
  store.put("d", StoredResponse{"d", {}});
  REQUIRE_FALSE(store.get("b").has_value());
  REQUIRE(store.get("d").has_value());
  REQUIRE_FALSE(store.get("zzz").has_value());
}

TEST_CASE("The response store keeps its bytes under budget and refuses a response over all of it", "[net][responses]") {
  ResponseStore store(100, 300);
  const StoredResponse big{std::string(120, 'x'), {}};
  REQUIRE(ResponseStore::bytes_of(big) == 120);
  REQUIRE(ResponseStore::bytes_of(StoredResponse{"ab", {{"user", "hi"}}}) == 2 + 64 + 4 + 2);
  REQUIRE(store.put("a", big));
  REQUIRE(store.put("b", big));
  REQUIRE(store.put("c", big));  // 360 bytes: the oldest goes
  REQUIRE(store.size() == 2);
  REQUIRE_FALSE(store.get("a").has_value());
  REQUIRE_FALSE(store.put("huge", StoredResponse{std::string(301, 'x'), {}}));
  REQUIRE_FALSE(store.get("huge").has_value());
  REQUIRE(store.size() == 2);
}
