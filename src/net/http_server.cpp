// The only translation unit that includes Boost.Beast (heavy to compile).
#include "net/http_server.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <chrono>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>

namespace gameday::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

std::string status_reason(int status) {
  return std::string(http::obsolete_reason(static_cast<http::status>(status)));
}

namespace {

// Whether replies may still be posted to the io_context (false once the server stops).
struct Gate {
  std::mutex mu;
  bool open = true;
};

class Session;

// What sessions need of the server, without owning it.
struct Registry {
  std::set<std::shared_ptr<Session>> sessions;  // touched on the io thread only
};

/// One connection: owns the socket, its timeouts and buffers, and nothing else.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, const RequestHandler& handler, const ServerOptions& options,
          Registry& registry, std::shared_ptr<Gate> gate)
      : stream_(std::move(socket)),
        handler_(handler),
        options_(options),
        registry_(registry),
        gate_(std::move(gate)) {}

  void start() {
    // Run on the connection's strand (the io thread).
    asio::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->read(); });
  }

  /// Writes a response (on the io thread).
  void write(ServerResponse r) {
    auto res = std::make_shared<http::response<http::string_body>>(
        static_cast<http::status>(r.status), 11);
    res->set(http::field::server, "gameday");
    res->set(http::field::content_type, r.content_type);
    res->keep_alive(keep_alive_);
    res->body() = std::move(r.body);
    res->prepare_payload();
    stream_.expires_after(std::chrono::microseconds(options_.io_timeout));
    http::async_write(stream_, *res,
                      [self = shared_from_this(), res](beast::error_code ec, std::size_t) {
                        if (ec || !self->keep_alive_) return self->close();
                        self->read();
                      });
  }

  void close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.socket().close(ec);
    registry_.sessions.erase(shared_from_this());
  }

 private:
  void read() {
    parser_.emplace();
    parser_->body_limit(options_.body_limit);
    stream_.expires_after(std::chrono::microseconds(options_.io_timeout));
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, std::size_t) {
                       self->on_read(ec);
                     });
  }

  void on_read(beast::error_code ec) {
    if (ec == http::error::body_limit) {
      keep_alive_ = false;
      return write(ServerResponse{413, "application/json", R"({"error":"request body too large"})"});
    }
    if (ec) return close();  // end of stream, timeout, bad request line
    auto& req = parser_->get();
    keep_alive_ = req.keep_alive();
    ServerRequest out;
    out.method = std::string(req.method_string());
    out.target = std::string(req.target());
    for (const auto& field : req) {
      out.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    }
    out.body = std::move(req.body());
    // The reply may come from another thread: it goes through the gate back onto this
    // connection's executor, and only while the server runs.
    std::weak_ptr<Session> weak = shared_from_this();
    auto executor = stream_.get_executor();
    ReplyFn reply = [weak, executor, gate = gate_](ServerResponse r) {
      std::lock_guard<std::mutex> lock(gate->mu);
      if (!gate->open) return;
      asio::post(executor, [weak, r = std::move(r)]() mutable {
        if (auto self = weak.lock()) self->write(std::move(r));
      });
    };
    handler_(std::move(out), std::move(reply));
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  bool keep_alive_ = false;
  const RequestHandler& handler_;
  const ServerOptions& options_;
  Registry& registry_;
  std::shared_ptr<Gate> gate_;
};

}  // namespace

struct HttpServer::Impl {
  Impl(RequestHandler h, ServerOptions o) : handler(std::move(h)), options(std::move(o)) {}

  void accept() {
    acceptor.async_accept(asio::make_strand(ioc), [this](beast::error_code ec, tcp::socket socket) {
      if (ec) return;  // stopped
      auto s = std::make_shared<Session>(std::move(socket), handler, options, registry, gate);
      registry.sessions.insert(s);
      s->start();
      accept();
    });
  }

  RequestHandler handler;
  ServerOptions options;
  asio::io_context ioc{1};
  tcp::acceptor acceptor{ioc};
  Registry registry;
  std::shared_ptr<Gate> gate = std::make_shared<Gate>();
  std::uint16_t port = 0;
  std::thread thread;
};

HttpServer::HttpServer(RequestHandler handler, ServerOptions options)
    : impl_(std::make_unique<Impl>(std::move(handler), std::move(options))) {
  Impl& s = *impl_;
  beast::error_code ec;
  const auto address = asio::ip::make_address(s.options.address, ec);
  if (ec) throw std::runtime_error("bad listen address '" + s.options.address + "'");
  const tcp::endpoint endpoint(address, s.options.port);
  s.acceptor.open(endpoint.protocol(), ec);
  if (!ec) s.acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) s.acceptor.bind(endpoint, ec);
  if (!ec) s.acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    throw std::runtime_error("cannot listen on " + s.options.address + ":" +
                             std::to_string(s.options.port) + ": " + ec.message());
  }
  s.port = s.acceptor.local_endpoint().port();
  s.accept();
  s.thread = std::thread([&s] { s.ioc.run(); });
}

HttpServer::~HttpServer() {
  Impl& s = *impl_;
  {
    // Replies that come later are dropped; queued ones are answered below.
    std::lock_guard<std::mutex> lock(s.gate->mu);
    s.gate->open = false;
  }
  // Answer what is still waiting for a reply, close every connection, then stop.
  asio::post(s.ioc, [&s] {
    beast::error_code ec;
    s.acceptor.close(ec);
    auto sessions = s.registry.sessions;
    for (const auto& session : sessions) session->close();
  });
  // Give the io thread a moment to flush, then stop it whatever is left.
  asio::post(s.ioc, [&s] { s.ioc.stop(); });
  if (s.thread.joinable()) s.thread.join();
  s.registry.sessions.clear();
}

void HttpServer::after(Duration delay, std::function<void()> fn) {
  auto timer = std::make_shared<asio::steady_timer>(impl_->ioc, std::chrono::microseconds(delay));
  timer->async_wait([timer, fn = std::move(fn)](beast::error_code ec) {
    if (!ec) fn();
  });
}

std::uint16_t HttpServer::port() const { return impl_->port; }

std::string HttpServer::url() const {
  return "http://" + impl_->options.address + ":" + std::to_string(impl_->port);
}

}  // namespace gameday::net
