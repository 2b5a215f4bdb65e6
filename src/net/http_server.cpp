// The only translation unit that includes Boost.Beast (heavy to compile).
#include "net/http_server.hpp"

#include <utility>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>
#include <thread>

namespace gameday::net {

std::string_view request_header(const ServerRequest& req, std::string_view name) {
  const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
  for (const auto& [k, v] : req.headers) {
    if (k.size() != name.size()) continue;
    bool same = true;
    for (std::size_t i = 0; i < k.size() && same; ++i) same = lower(k[i]) == lower(name[i]);
    if (same) return v;
  }
  return {};
}

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

// A whole response on its way out (kept alive by the write's handler).
struct Outgoing {
  std::string head;
  std::string body;
};

// What sessions need of the server, without owning it.
struct Registry {
  std::mutex mu;                                // sessions live on several io threads
  std::set<std::shared_ptr<Session>> sessions;  // guarded by mu
};

// How long a connection closed after an error answer keeps reading what the client still
// sends (so the client reads the answer instead of a reset).
constexpr auto kLingerDrain = std::chrono::seconds(1);
// While an answer is pending, the connection keeps reading to notice the client leaving; what
// arrives meanwhile (a pipelined request) is kept for the next parse, up to this much.
constexpr std::size_t kWatchChunk = 4096;
constexpr std::size_t kWatchKeepLimit = 64 * 1024;
// How long accept waits before trying again when the process is out of descriptors.
constexpr auto kAcceptBackoff = std::chrono::milliseconds(100);

// Connections held by unreserved servers, process-wide (the descriptor budget is too).
std::atomic<std::size_t> g_unreserved_sessions{0};

// RLIMIT_NOFILE's soft limit (a large number when unlimited).
std::size_t fd_limit() {
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY) return 1u << 20;
  return static_cast<std::size_t>(rl.rlim_cur);
}

// The io_context the current thread runs, and for which server (null off the io threads).
thread_local const void* tl_server = nullptr;
thread_local asio::io_context* tl_ioc = nullptr;

}  // namespace

// An exchange's link to its session: which connection, on which executor (the connection's
// io_context, run by exactly one thread), while the server runs.
struct Exchange::State {
  std::weak_ptr<Session> session;
  asio::io_context::executor_type executor;
  std::shared_ptr<Gate> gate;
  std::atomic<bool> alive{true};
  bool finished = false;  // the connection's io thread only: reply/end/close/reset/hang seen

  State(std::weak_ptr<Session> s, asio::io_context::executor_type e, std::shared_ptr<Gate> g)
      : session(std::move(s)), executor(std::move(e)), gate(std::move(g)) {}

  // Runs `fn(session, state)` on the connection's io thread, while the server runs and the
  // session lives.
  template <typename Fn>
  void post(std::shared_ptr<State> self, Fn fn);
};

namespace {

/// One connection: owns the socket, its timeouts and buffers, and nothing else. Every member
/// function runs on the thread of the socket's io_context (one thread per io_context), so a
/// session needs no lock of its own.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, asio::io_context::executor_type executor, const ExchangeHandler& handler,
          const ServerOptions& options, Registry& registry, std::shared_ptr<Gate> gate)
      : stream_(std::move(socket)),
        executor_(std::move(executor)),
        deadline_(executor_),
        handler_(handler),
        options_(options),
        registry_(registry),
        gate_(std::move(gate)) {}
  ~Session() {
    if (counted_) g_unreserved_sessions.fetch_sub(1, std::memory_order_relaxed);
  }
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  /// Counts this connection against the unreserved servers' share of descriptors.
  void count_unreserved() {
    counted_ = true;
    g_unreserved_sessions.fetch_add(1, std::memory_order_relaxed);
  }

  /// Closes the connection if its exchange hangs by a fault `release` covers.
  void release_if_held(const HoldRelease& release) {
    if (hanging_ && release.covers(held_by_)) close();
  }

  void start() {
    // Run on the connection's io thread.
    asio::dispatch(executor_, [self = shared_from_this()] { self->read(); });
  }

  const asio::io_context::executor_type& executor() const { return executor_; }

  /// Writes a whole response (on the io thread): the head written by hand as Beast would
  /// (status line, Server, Content-Type, the extra headers in order, Connection: close when the
  /// connection ends, Content-Length) and the body, in one gathered write.
  void write(ServerResponse r) {
    auto out = std::make_shared<Outgoing>();
    std::string& h = out->head;
    h.reserve(96 + r.content_type.size() + 32 * r.headers.size());
    h += "HTTP/1.1 ";
    h += std::to_string(r.status);
    h += ' ';
    const auto reason = http::obsolete_reason(static_cast<http::status>(r.status));
    h.append(reason.data(), reason.size());
    h += "\r\nServer: gameday\r\nContent-Type: ";
    h += r.content_type;
    h += "\r\n";
    for (const auto& [name, value] : r.headers) {
      h += name;
      h += ": ";
      h += value;
      h += "\r\n";
    }
    if (!keep_alive_) h += "Connection: close\r\n";
    h += "Content-Length: ";
    h += std::to_string(r.body.size());
    h += "\r\n\r\n";
    out->body = std::move(r.body);
    const std::array<asio::const_buffer, 2> buffers{asio::buffer(out->head), asio::buffer(out->body)};
    stream_.expires_after(std::chrono::microseconds(options_.io_timeout));
    asio::async_write(stream_, buffers,
                      [self = shared_from_this(), out](beast::error_code ec, std::size_t) {
                        self->finish_exchange();
                        if (ec) return self->close();
                        if (!self->keep_alive_) return self->linger_close();
                        self->read();
                      });
  }

  /// Closes the connection (FIN) and forgets it.
  void close() {
    if (closed_) return;
    closed_ = true;
    finish_exchange();
    beast::error_code ec;
    deadline_.cancel();
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.socket().close(ec);
    forget();
  }

  // --- the exchange's operations (io thread; `st` must be the current exchange) ---

  bool current(const std::shared_ptr<Exchange::State>& st) const {
    return !closed_ && st == exchange_ && !st->finished;
  }

  void begin(const std::shared_ptr<Exchange::State>& st, int status, const std::string& content_type,
             const HeaderList& headers, long long content_length) {
    if (!current(st) || began_) return;
    began_ = true;
    chunked_ = content_length < 0;
    std::string h = "HTTP/1.1 " + std::to_string(status) + " " + status_reason(status) + "\r\n";
    h += "Server: gameday\r\nContent-Type: " + content_type + "\r\n";
    if (chunked_) {
      h += "Transfer-Encoding: chunked\r\n";
    } else {
      h += "Content-Length: " + std::to_string(content_length) + "\r\n";
    }
    if (!keep_alive_) h += "Connection: close\r\n";
    for (const auto& [name, value] : headers) h += name + ": " + value + "\r\n";
    h += "\r\n";
    queue(std::move(h));
  }

  void write_body(const std::shared_ptr<Exchange::State>& st, std::string data) {
    if (!current(st) || !began_ || data.empty()) return;
    if (chunked_) {
      char size[32];
      std::snprintf(size, sizeof size, "%zx\r\n", data.size());
      queue(size + std::move(data) + "\r\n");
    } else {
      queue(std::move(data));
    }
  }

  void end(const std::shared_ptr<Exchange::State>& st) {
    if (!current(st) || !began_) return;
    if (chunked_) queue("0\r\n\r\n");
    st->finished = true;
    then_ = keep_alive_ ? Then::kNext : Then::kClose;
    pump();
  }

  void close_after_queue(const std::shared_ptr<Exchange::State>& st) {
    if (!current(st)) return;
    st->finished = true;
    then_ = Then::kClose;
    pump();
  }

  void reset(const std::shared_ptr<Exchange::State>& st) {
    if (!current(st)) return;
    st->finished = true;
    beast::error_code ec;
    stream_.socket().set_option(asio::socket_base::linger(true, 0), ec);
    // Closing without shutdown sends RST with linger 0.
    closed_ = true;
    finish_exchange();
    deadline_.cancel();
    stream_.socket().close(ec);
    forget();
  }

  void hang(const std::shared_ptr<Exchange::State>& st, std::vector<std::string> held_by) {
    if (!current(st)) return;
    st->finished = true;  // nothing more is sent, but the exchange stays alive until close
    hanging_ = true;
    held_by_ = std::move(held_by);
    // Beast sets no expiry while a read and a write are both pending (a watch and a stream's
    // last pieces): pump() clears the write's expiry before its next write, and a watch
    // already pending keeps its own.
    if (!(writing_ && watching_)) stream_.expires_never();
    watch();
  }

 private:
  enum class Then { kNone, kNext, kClose };

  void read() {
    if (closed_) return;
    exchange_.reset();
    began_ = false;
    hanging_ = false;
    held_by_.clear();
    then_ = Then::kNone;
    parser_.emplace();
    parser_->body_limit(options_.body_limit);
    // Our own deadline rather than the stream's: a client that sent part of a request gets 408.
    stream_.expires_never();
    timed_out_ = false;
    deadline_.expires_after(std::chrono::microseconds(options_.io_timeout));
    deadline_.async_wait([weak = weak_from_this()](beast::error_code ec) {
      if (ec) return;
      if (auto self = weak.lock()) self->on_deadline();
    });
    reading_ = true;
    // A watch still pending: stop it (what it read is in buffer_, maybe a whole pipelined
    // request); the parse starts when it ends. No write is pending here.
    if (watching_) {
      resume_read_ = true;
      beast::error_code ec;
      stream_.socket().cancel(ec);
      return;
    }
    parse();
  }

  void parse() {
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, std::size_t) {
                       self->on_read(ec);
                     });
  }

  void on_deadline() {
    if (closed_ || !reading_) return;
    timed_out_ = true;
    beast::error_code ec;
    stream_.socket().cancel(ec);
  }

  void on_read(beast::error_code ec) {
    reading_ = false;
    deadline_.cancel();
    if (closed_) return;
    if (timed_out_ && ec) {
      // An idle keep-alive connection just closes; a half-sent request gets 408.
      if (buffer_.size() == 0 && !parser_->got_some()) return close();
      return error_reply(408, "the request was not received in time");
    }
    if (ec == http::error::body_limit) {
      return error_reply(413, "request body too large (limit " +
                                  std::to_string(options_.body_limit) + " bytes)");
    }
    if (ec == http::error::header_limit) return error_reply(431, "request headers too large");
    if (ec == http::error::end_of_stream || ec == http::error::partial_message) return close();
    if (ec.category() == http::make_error_code(http::error::bad_method).category()) {
      return error_reply(400, "malformed HTTP request: " + ec.message());
    }
    if (ec) return close();  // reset by the peer, stopped
    auto& req = parser_->get();
    keep_alive_ = req.keep_alive();
    ServerRequest out;
    out.method = std::string(req.method_string());
    out.target = std::string(req.target());
    for (const auto& field : req) {
      out.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    }
    out.body = std::move(req.body());
    parser_.reset();
    auto st = std::make_shared<Exchange::State>(weak_from_this(), executor_, gate_);
    exchange_ = st;
    handler_(std::move(out), std::make_shared<Exchange>(std::move(st)));
    // Whatever the answer waits for (a delay, a hang, a stream), a client that leaves frees
    // its connection at once.
    watch();
  }

  // An answer the server makes itself; the connection closes after it.
  void error_reply(int status, const std::string& message) {
    keep_alive_ = false;
    ServerResponse r = options_.error_response
                           ? options_.error_response(status, message)
                           : ServerResponse{status, "application/json",
                                            "{\"error\":\"" + message + "\"}"};
    r.status = status;
    write(std::move(r));
  }

  // Half-closes, then reads and drops what the client still sends for a moment, so it reads
  // our answer rather than a reset (closing with unread input sends RST).
  void linger_close() {
    if (closed_) return;
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.expires_after(kLingerDrain);
    lingering_ = true;
    // A pending watch has no deadline: cancel it (on_watch then drains, with one).
    if (watching_) {
      stream_.socket().cancel(ec);
      return;
    }
    drain();
  }

  void drain() {
    stream_.async_read_some(asio::buffer(scratch_), [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) return self->close();
      self->drain();
    });
  }

  // Reads while an answer is pending, to notice the client going away (EOF or reset). What
  // arrives is kept for the next request; a hung exchange has none, so it is dropped. A client
  // that sends more than kWatchKeepLimit meanwhile is not watched further (it is not gone).
  void watch() {
    if (watching_ || closed_ || lingering_) return;
    watch_keeps_ = !hanging_;
    if (watch_keeps_ && buffer_.size() >= kWatchKeepLimit) return;
    watching_ = true;
    auto on_done = [self = shared_from_this()](beast::error_code ec, std::size_t n) { self->on_watch(ec, n); };
    if (watch_keeps_) {
      stream_.async_read_some(buffer_.prepare(kWatchChunk), std::move(on_done));
    } else {
      stream_.async_read_some(asio::buffer(scratch_), std::move(on_done));
    }
  }

  void on_watch(beast::error_code ec, std::size_t n) {
    watching_ = false;
    if (watch_keeps_) buffer_.commit(n);
    if (closed_) return;
    if (lingering_) return drain();
    if (resume_read_) {
      // The exchange ended and read() stopped the watch: parse what came (or fail as it).
      resume_read_ = false;
      if (timed_out_) return on_read(ec ? ec : beast::error_code(asio::error::timed_out));
      if (ec && ec != asio::error::operation_aborted) return on_read(ec);
      return parse();
    }
    if (ec) return close();  // the client left before its answer
    watch();
  }

  void queue(std::string data) {
    out_.push_back(std::move(data));
    pump();
  }

  // Writes what is queued (one write at a time, coalesced), then does what comes after.
  void pump() {
    if (writing_ || closed_) return;
    if (out_.empty()) {
      const Then then = then_;
      then_ = Then::kNone;
      if (then == Then::kNext) {
        finish_exchange();
        read();
      } else if (then == Then::kClose) {
        finish_exchange();
        close();
      }
      return;
    }
    auto data = std::make_shared<std::string>();
    for (auto& piece : out_) *data += piece;
    out_.clear();
    writing_ = true;
    // A hung exchange waits for nobody: no write timeout then.
    if (hanging_) {
      stream_.expires_never();
    } else {
      stream_.expires_after(std::chrono::microseconds(options_.io_timeout));
    }
    asio::async_write(stream_, asio::buffer(*data),
                      [self = shared_from_this(), data](beast::error_code ec, std::size_t) {
                        self->writing_ = false;
                        if (ec) return self->close();
                        self->pump();
                      });
  }

  void forget() {
    std::lock_guard<std::mutex> lock(registry_.mu);
    registry_.sessions.erase(shared_from_this());
  }

  void finish_exchange() {
    if (exchange_) {
      exchange_->finished = true;
      exchange_->alive = false;
    }
  }

  beast::tcp_stream stream_;
  asio::io_context::executor_type executor_;  // the socket's io_context
  asio::steady_timer deadline_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  bool keep_alive_ = false;
  bool reading_ = false;
  bool timed_out_ = false;
  bool closed_ = false;
  // The exchange in progress (null while reading a request) and its streamed body.
  std::shared_ptr<Exchange::State> exchange_;
  bool began_ = false;
  bool chunked_ = false;
  bool hanging_ = false;
  std::vector<std::string> held_by_;  // the faults the hang is for (empty: any release)
  bool writing_ = false;
  bool watching_ = false;     // a watch read is pending
  bool watch_keeps_ = false;  // ... into buffer_ (else into scratch_)
  bool resume_read_ = false;  // read() waits for the watch to end
  bool lingering_ = false;    // closing after an answer: draining the input
  bool counted_ = false;      // counted in g_unreserved_sessions
  Then then_ = Then::kNone;
  std::deque<std::string> out_;
  std::array<char, 4096> scratch_{};
  const ExchangeHandler& handler_;
  const ServerOptions& options_;
  Registry& registry_;
  std::shared_ptr<Gate> gate_;
};

// A plain handler as an exchange handler.
ExchangeHandler adapt(RequestHandler handler) {
  return [handler = std::move(handler)](ServerRequest req, std::shared_ptr<Exchange> exchange) {
    handler(std::move(req), [exchange](ServerResponse r) { exchange->reply(std::move(r)); });
  };
}

}  // namespace

template <typename Fn>
void Exchange::State::post(std::shared_ptr<State> self, Fn fn) {
  std::lock_guard<std::mutex> lock(gate->mu);
  if (!gate->open) return;
  asio::post(executor, [self = std::move(self), fn = std::move(fn)]() mutable {
    if (auto s = self->session.lock()) fn(*s, self);
  });
}

Exchange::Exchange(std::shared_ptr<State> state) : state_(std::move(state)) {}

void Exchange::reply(ServerResponse response) {
  state_->post(state_, [r = std::move(response)](Session& s, const std::shared_ptr<State>& st) mutable {
    if (!s.current(st)) return;
    st->finished = true;
    s.write(std::move(r));
  });
}

void Exchange::begin(int status, const std::string& content_type, HeaderList headers,
                     long long content_length) {
  state_->post(state_, [status, content_type, headers = std::move(headers), content_length](
                           Session& s, const std::shared_ptr<State>& st) {
    s.begin(st, status, content_type, headers, content_length);
  });
}

void Exchange::write(std::string data) {
  if (data.empty()) return;
  state_->post(state_, [d = std::move(data)](Session& s, const std::shared_ptr<State>& st) mutable {
    s.write_body(st, std::move(d));
  });
}

void Exchange::end() {
  state_->post(state_, [](Session& s, const std::shared_ptr<State>& st) { s.end(st); });
}

void Exchange::close() {
  state_->post(state_, [](Session& s, const std::shared_ptr<State>& st) { s.close_after_queue(st); });
}

void Exchange::reset() {
  state_->post(state_, [](Session& s, const std::shared_ptr<State>& st) { s.reset(st); });
}

void Exchange::hang(std::vector<std::string> held_by) {
  state_->post(state_, [held_by = std::move(held_by)](Session& s, const std::shared_ptr<State>& st) mutable {
    s.hang(st, std::move(held_by));
  });
}

bool HoldRelease::covers(const std::vector<std::string>& held_by) const {
  if (all || held_by.empty()) return true;
  return std::any_of(held_by.begin(), held_by.end(), [this](const std::string& id) {
    return std::find(faults.begin(), faults.end(), id) != faults.end();
  });
}

namespace {

// A reply delayed by faults: released early (run now) when one of them ends.
struct HeldTimer {
  HeldTimer(asio::io_context& ioc, Duration delay, std::vector<std::string> by)
      : timer(ioc, std::chrono::microseconds(delay)), held_by(std::move(by)) {}
  asio::steady_timer timer;
  const std::vector<std::string> held_by;
  bool released = false;  // the timer's io thread only
};

}  // namespace

bool Exchange::alive() const { return state_->alive.load(); }

struct HttpServer::Impl {
  Impl(ExchangeHandler h, ServerOptions o) : handler(std::move(h)), options(std::move(o)) {
    const unsigned n = std::max(1u, options.io_threads);
    for (unsigned i = 0; i < n; ++i) {
      iocs.push_back(std::make_unique<asio::io_context>(1));
      // Each io_context makes its reactor (an epoll and an eventfd) on first use; made now, so
      // the first connection at the descriptor limit cannot fail to (and abort in accept).
      asio::steady_timer timer(*iocs.back());
      tcp::socket socket(*iocs.back());
    }
    acceptor.emplace(iocs.front()->get_executor());
  }

  // The io_context of the next connection or timer (round-robin).
  asio::io_context& next_ioc() {
    return *iocs[next.fetch_add(1, std::memory_order_relaxed) % iocs.size()];
  }

  // On the first io thread (the acceptor's).
  void accept() {
    asio::io_context& ioc = next_ioc();
    acceptor->async_accept(ioc, [this, &ioc](beast::error_code ec, tcp::socket socket) {
      if (ec == asio::error::operation_aborted || !acceptor->is_open()) return;  // stopped
      if (ec) return back_off(ec);
      if (!options.reserved && over_budget(socket)) {
        refuse(std::move(socket));
        return accept();
      }
      if (std::exchange(short_of_fds, false)) spdlog::info("{}: accepting connections again", url());
      beast::error_code ignored;
      socket.set_option(tcp::no_delay(true), ignored);  // small answers go out at once
      auto s = std::make_shared<Session>(std::move(socket), ioc.get_executor(), handler, options,
                                         registry, gate);
      if (!options.reserved) s->count_unreserved();
      {
        std::lock_guard<std::mutex> lock(registry.mu);
        registry.sessions.insert(s);
      }
      s->start();
      accept();
    });
  }

  // Out of file descriptors (EMFILE, ENFILE) or similar: the connection waits in the backlog;
  // try again shortly rather than stop accepting. Logged once until a connection gets through.
  void back_off(const beast::error_code& ec) {
    if (!std::exchange(short_of_fds, true)) {
      spdlog::warn("{}: cannot accept connections ({}): retrying every {} ms", url(), ec.message(),
                   kAcceptBackoff.count());
    }
    auto timer = std::make_shared<asio::steady_timer>(acceptor->get_executor(), kAcceptBackoff);
    timer->async_wait([this, timer](beast::error_code e) {
      if (!e) accept();
    });
  }

  // Whether a new connection would eat into the descriptors kept for the control API.
  bool over_budget(tcp::socket& socket) const {
    const std::size_t limit = fd_limit();
    const std::size_t reserve = fd_reserve();
    // Descriptors are allocated lowest first: this one's number is a floor on those open.
    const auto fd = static_cast<std::size_t>(socket.native_handle());
    return fd + reserve >= limit ||
           g_unreserved_sessions.load(std::memory_order_relaxed) + 2 * reserve >= limit;
  }

  // Answers 503 without reading the request and closes the connection.
  void refuse(tcp::socket socket) {
    if (!std::exchange(short_of_fds, true)) {
      spdlog::warn("{}: near the limit of {} open files: refusing new connections with 503 "
                   "({} descriptors kept for the control API)",
                   url(), fd_limit(), fd_reserve());
    }
    static constexpr char kBusy[] =
        "HTTP/1.1 503 Service Unavailable\r\nServer: gameday\r\nContent-Type: application/json\r\n"
        "Connection: close\r\nRetry-After: 1\r\nContent-Length: 37\r\n\r\n"
        "{\"error\":\"too many open connections\"}";
    // Non-blocking by construction: a fresh socket's send buffer takes this whole.
    [[maybe_unused]] const auto sent =
        ::send(socket.native_handle(), kBusy, sizeof kBusy - 1, MSG_DONTWAIT | MSG_NOSIGNAL);
    beast::error_code ignored;
    socket.shutdown(tcp::socket::shutdown_both, ignored);
    socket.close(ignored);
  }

  std::string url() const {
    const bool v6 = options.address.find(':') != std::string::npos;
    return "http://" + (v6 ? "[" + options.address + "]" : options.address) + ":" + std::to_string(port);
  }

  // Runs `fn` on each of `executors` and waits until every one has run.
  template <typename Fn>
  static void run_on_each(const std::vector<asio::io_context::executor_type>& executors, Fn fn) {
    std::mutex mu;
    std::condition_variable cv;
    std::size_t left = executors.size();
    for (const auto& ex : executors) {
      asio::post(ex, [&, fn] {
        fn();
        std::lock_guard<std::mutex> lock(mu);
        if (--left == 0) cv.notify_all();
      });
    }
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return left == 0; });
  }

  ExchangeHandler handler;
  ServerOptions options;
  // One io_context per io thread, each run by that thread only (a connection's handlers are
  // thereby serialised without strands). iocs[0] also runs the acceptor.
  std::vector<std::unique_ptr<asio::io_context>> iocs;
  std::atomic<std::size_t> next{0};
  std::optional<tcp::acceptor> acceptor;
  Registry registry;
  std::shared_ptr<Gate> gate = std::make_shared<Gate>();
  std::uint16_t port = 0;
  std::vector<std::thread> threads;
  bool short_of_fds = false;  // the acceptor's thread only: refusing or backing off (logged)
  std::mutex held_mu;
  std::set<std::shared_ptr<HeldTimer>> held_timers;  // held_mu: fault-delayed replies pending
};

HttpServer::HttpServer(RequestHandler handler, ServerOptions options)
    : HttpServer(adapt(std::move(handler)), std::move(options)) {}

HttpServer::HttpServer(ExchangeHandler handler, ServerOptions options)
    : impl_(std::make_unique<Impl>(std::move(handler), std::move(options))) {
  Impl& s = *impl_;
  beast::error_code ec;
  const auto address = asio::ip::make_address(s.options.address, ec);
  if (ec) {
    throw ListenError("bad listen address '" + s.options.address + "': expected an IPv4 or IPv6 address");
  }
  const tcp::endpoint endpoint(address, s.options.port);
  s.acceptor->open(endpoint.protocol(), ec);
  if (!ec) s.acceptor->set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) s.acceptor->bind(endpoint, ec);
  if (!ec) s.acceptor->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    const bool v6 = s.options.address.find(':') != std::string::npos;
    throw ListenError("cannot listen on " + (v6 ? "[" + s.options.address + "]" : s.options.address) +
                      ":" + std::to_string(s.options.port) + ": " + ec.message());
  }
  s.port = s.acceptor->local_endpoint().port();
  asio::post(*s.iocs.front(), [&s] { s.accept(); });
  for (auto& ioc : s.iocs) {
    s.threads.emplace_back([&s, &ioc = *ioc] {
      tl_server = &s;
      tl_ioc = &ioc;
      auto work = asio::make_work_guard(ioc);  // idle threads wait for connections
      // A handler that throws (say, out of descriptors) costs its connection, not the process.
      for (;;) {
        try {
          ioc.run();
          break;
        } catch (const std::exception& e) {
          spdlog::error("{}: {}", s.url(), e.what());
        }
      }
    });
  }
}

HttpServer::~HttpServer() {
  Impl& s = *impl_;
  {
    // Replies that come later are dropped; queued ones are answered below.
    std::lock_guard<std::mutex> lock(s.gate->mu);
    s.gate->open = false;
  }
  // Stop accepting (on the acceptor's thread), then close every connection on its own thread
  // (answering what is still waiting for a reply), then stop whatever is left.
  Impl::run_on_each({s.iocs.front()->get_executor()}, [&s] {
    beast::error_code ec;
    s.acceptor->close(ec);
  });
  std::vector<std::shared_ptr<Session>> sessions;
  {
    std::lock_guard<std::mutex> lock(s.registry.mu);
    sessions.assign(s.registry.sessions.begin(), s.registry.sessions.end());
  }
  std::vector<asio::io_context::executor_type> executors;
  for (auto& ioc : s.iocs) executors.push_back(ioc->get_executor());
  Impl::run_on_each(executors, [&sessions] {
    for (const auto& session : sessions) {
      if (session->executor().running_in_this_thread()) session->close();
    }
  });
  // Give the io threads a moment to flush, then stop them whatever is left.
  for (auto& ioc : s.iocs) asio::post(*ioc, [&ioc = *ioc] { ioc.stop(); });
  for (auto& t : s.threads) {
    if (t.joinable()) t.join();
  }
  sessions.clear();
  {
    std::lock_guard<std::mutex> lock(s.held_mu);
    s.held_timers.clear();  // their pending waits are dropped with the io_contexts
  }
  std::lock_guard<std::mutex> lock(s.registry.mu);
  s.registry.sessions.clear();
}

void HttpServer::after(Duration delay, std::function<void()> fn) {
  // From one of this server's io threads (a handler, another callback) the timer stays on that
  // thread: the connection's, so what the callback queues on the exchange needs no wake-up of
  // another thread. From elsewhere, round-robin.
  asio::io_context& ioc = tl_server == impl_.get() ? *tl_ioc : impl_->next_ioc();
  auto timer = std::make_shared<asio::steady_timer>(ioc, std::chrono::microseconds(delay));
  timer->async_wait([timer, fn = std::move(fn)](beast::error_code ec) {
    if (!ec) fn();
  });
}

void HttpServer::after(Duration delay, std::vector<std::string> held_by, std::function<void()> fn) {
  if (held_by.empty()) return after(delay, std::move(fn));
  asio::io_context& ioc = tl_server == impl_.get() ? *tl_ioc : impl_->next_ioc();
  auto held = std::make_shared<HeldTimer>(ioc, delay, std::move(held_by));
  {
    std::lock_guard<std::mutex> lock(impl_->held_mu);
    impl_->held_timers.insert(held);
  }
  held->timer.async_wait([held, impl = impl_.get(), fn = std::move(fn)](beast::error_code ec) {
    {
      std::lock_guard<std::mutex> lock(impl->held_mu);
      impl->held_timers.erase(held);
    }
    if (!ec || held->released) fn();  // cancelled otherwise: the server is stopping
  });
}

void HttpServer::release_held(const HoldRelease& release) {
  std::vector<std::shared_ptr<Session>> sessions;
  {
    std::lock_guard<std::mutex> lock(impl_->registry.mu);
    sessions.assign(impl_->registry.sessions.begin(), impl_->registry.sessions.end());
  }
  std::vector<std::shared_ptr<HeldTimer>> timers;
  {
    std::lock_guard<std::mutex> lock(impl_->held_mu);
    for (const auto& t : impl_->held_timers) {
      if (release.covers(t->held_by)) timers.push_back(t);
    }
  }
  std::lock_guard<std::mutex> lock(impl_->gate->mu);
  if (!impl_->gate->open) return;
  for (auto& session : sessions) {
    asio::post(session->executor(), [session, release] { session->release_if_held(release); });
  }
  for (auto& t : timers) {
    asio::post(t->timer.get_executor(), [t] {
      t->released = true;
      t->timer.cancel();
    });
  }
}

std::uint16_t HttpServer::port() const { return impl_->port; }

std::string HttpServer::url() const { return impl_->url(); }

std::size_t fd_reserve() { return std::clamp<std::size_t>(fd_limit() / 16, 16, 256); }

}  // namespace gameday::net
