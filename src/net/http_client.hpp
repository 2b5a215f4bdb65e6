#pragma once
// HTTP requests with libcurl, for http and notify steps. The caller's thread waits, but keeps
// calling an idle callback (to serve the control API while the request is in flight, and to
// give up).
#include <functional>

#include "playbook/effects.hpp"

namespace gameday::net {

/// Performs `request` (http:// or https:// only, proxies bypassed for loopback) within its
/// timeout, calling `idle` every few milliseconds meanwhile (false: drop the request, status 0,
/// error "cancelled"). The response body is kept up to 1 MiB. Never throws for network
/// problems: they come back as status 0 with `error`.
HttpResult http_request(const HttpRequest& request, const std::function<bool()>& idle = {});

}  // namespace gameday::net
