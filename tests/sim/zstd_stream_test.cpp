// zstd streams (sim/zstd_stream.hpp): ZstdWriter / ZstdReader through std streams, the journal
// file helpers, and what a killed writer or a corrupt file reads as.
#include <catch2/catch.hpp>

#include <stdlib.h>
#include <zstd.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "sim/journal.hpp"
#include "sim/zstd_stream.hpp"
#include "support/skip.hpp"

using namespace gameday;
namespace fs = std::filesystem;

namespace {

/// A fresh temporary directory (removed at the end).
class Scratch {
 public:
  Scratch() {
    std::string tmpl = (fs::temp_directory_path() / "gameday-zstd-XXXXXX").string();
    path_ = ::mkdtemp(tmpl.data());
  }
  ~Scratch() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  fs::path path_;
};

void write_file(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  REQUIRE(out.good());
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in.is_open());
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Everything `in` yields, through std::istream::read (errors propagate: see ZstdIStream).
std::string read_all(std::istream& in) {
  std::string out;
  char buf[4096];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) out.append(buf, static_cast<std::size_t>(in.gcount()));
  return out;
}

// `count` request events with varied fields, as a run journals them (about 330 bytes a line).
std::vector<Event> journal_events(int count) {
  static const char* const kTasks[] = {"prior_auth_status", "benefits_question", "discharge_summary"};
  static const char* const kVendors[] = {"primary", "secondary"};
  std::vector<Event> events;
  std::uint64_t state = 17;
  const auto next = [&](std::uint64_t n) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (state >> 33) % n;
  };
  RunStartEvent start;
  start.scenario = "zstd-test";
  start.seed = 7;
  start.duration = 3600 * kSecond;
  start.mode = "simulated";
  events.push_back(Event{0, start});
  for (int i = 0; i < count; ++i) {
    RequestEvent r;
    r.id = static_cast<std::uint64_t>(i + 1);
    r.task_type = kTasks[next(3)];
    r.patient_ref = "pt-" + std::to_string(100000 + next(900000));
    r.arrival = static_cast<SimTime>(i) * 200'000 + static_cast<SimTime>(next(200'000));
    r.latency = static_cast<Duration>(300'000 + next(9'000'000));
    r.status = next(10) == 0 ? RequestStatus::kFallback : RequestStatus::kOk;
    r.vendor = kVendors[next(2)];
    r.model = "nw-clinical-large";
    r.prompt_version = "v" + std::to_string(1 + next(3));
    r.attempts = 1 + static_cast<int>(next(2));
    r.ehr_calls = static_cast<int>(next(4));
    r.citations = static_cast<int>(next(4));
    r.correct = next(20) != 0;
    if (r.status == RequestStatus::kFallback) r.cause = "vendor_timeout";
    events.push_back(Event{r.arrival, r});
  }
  return events;
}

// The journal text of `events`, as Journal writes it.
std::string journal_text(const std::vector<Event>& events) {
  std::string out;
  for (const Event& e : events) {
    append_json(out, e);
    out += '\n';
  }
  return out;
}

// Decodes `compressed` (one or more whole frames) with zstd's one-shot API, independently of
// ZstdReader. `capacity` must exceed the decoded size.
std::string one_shot_decode(const std::string& compressed, std::size_t capacity) {
  std::string out(capacity, '\0');
  const std::size_t n = ZSTD_decompress(out.data(), out.size(), compressed.data(), compressed.size());
  INFO("ZSTD_decompress: " << (ZSTD_isError(n) ? ZSTD_getErrorName(n) : "ok"));
  REQUIRE_FALSE(ZSTD_isError(n));
  out.resize(n);
  return out;
}

// Compresses `text` through a ZstdOStream into a string, writing it in pieces of varied sizes
// (one byte, a line, far more than a block) and flushing every `flush_every` bytes.
std::string compress_in_pieces(const std::string& text, std::size_t flush_every, int level = kZstdDefaultLevel) {
  std::ostringstream sink;
  ZstdOStream z(sink, level);
  std::size_t pos = 0;
  std::size_t next_flush = flush_every;
  const std::size_t sizes[] = {1, 17, 333, 70'000, 300'000, 4096};
  for (std::size_t i = 0; pos < text.size(); ++i) {
    const std::size_t n = std::min(sizes[i % std::size(sizes)], text.size() - pos);
    if (n == 1) {
      z.put(text[pos]);
    } else {
      z.write(text.data() + pos, static_cast<std::streamsize>(n));
    }
    pos += n;
    if (pos >= next_flush) {
      z.flush();
      next_flush += flush_every;
    }
  }
  z.finish();
  REQUIRE(z.writer().bytes_in() == text.size());
  REQUIRE(z.writer().bytes_out() == sink.str().size());
  return sink.str();
}

// The message of the ZstdError `fn` throws (fails the test when it throws none).
template <typename Fn>
std::string zstd_error_of(Fn&& fn) {
  try {
    fn();
  } catch (const ZstdError& e) {
    return e.what();
  }
  FAIL("no ZstdError was thrown");
  return "";
}

}  // namespace

TEST_CASE("A multi-megabyte journal written through ZstdOStream with flushes reads back byte for byte",
          "[sim][zstd]") {
  const std::string text = journal_text(journal_events(12'000));
  REQUIRE(text.size() > 3'000'000);
  const std::string compressed = compress_in_pieces(text, 500'000);
  CHECK(compressed.size() * 4 < text.size());
  CHECK(has_zstd_magic(compressed));

  // Independently of ZstdReader: zstd's one-shot decoder sees one frame holding the text.
  CHECK(ZSTD_findFrameCompressedSize(compressed.data(), compressed.size()) == compressed.size());
  CHECK(one_shot_decode(compressed, text.size() + 1) == text);

  std::istringstream in(compressed);
  ZstdIStream z(in);
  CHECK(read_all(z) == text);
  CHECK_FALSE(z.truncated());
  CHECK(z.reader().frames() == 1);
  CHECK(z.reader().compressed_offset() == compressed.size());
}

TEST_CASE("Levels 1 and 3 both round-trip and flushes alone keep a run readable", "[sim][zstd]") {
  const std::string text = journal_text(journal_events(2'000));
  for (const int level : {1, 3}) {
    INFO("level " << level);
    // A flush after every line: each is a zstd block of its own, still one frame.
    std::ostringstream sink;
    {
      ZstdOStream z(sink, level);
      CHECK(z.writer().level() == level);
      std::istringstream lines(text);
      std::string line;
      while (std::getline(lines, line)) {
        z << line << '\n';
        z.flush();
      }
    }  // the destructor finishes the frame
    CHECK(one_shot_decode(sink.str(), text.size() + 1) == text);
  }
}

TEST_CASE("The zstd command-line tool decodes what ZstdWriter writes", "[sim][zstd]") {
  const auto zstd = test_support::find_tool({"zstd"});
  if (zstd.empty()) return test_support::skip_because("zstd not in PATH (apt-get install zstd)");
  Scratch dir;
  const std::string text = journal_text(journal_events(3'000));
  write_file(dir.file("journal.jsonl.zst"), compress_in_pieces(text, 200'000));
  const std::string cmd = zstd.string() + " -q -dc '" + dir.file("journal.jsonl.zst") + "' > '" +
                          dir.file("decoded.jsonl") + "'";
  REQUIRE(std::system(cmd.c_str()) == 0);
  CHECK(read_file(dir.file("decoded.jsonl")) == text);

  // And the other way: what the tool compresses, ZstdReader reads.
  write_file(dir.file("plain.jsonl"), text);
  const std::string back = zstd.string() + " -q -9 -f '" + dir.file("plain.jsonl") + "' -o '" +
                           dir.file("tool.jsonl.zst") + "'";
  REQUIRE(std::system(back.c_str()) == 0);
  auto in = open_journal_input(dir.file("tool.jsonl.zst"));
  CHECK(read_all(*in) == text);
  CHECK_FALSE(journal_input_truncated(*in));
}

TEST_CASE("Concatenated zstd frames read back as one stream", "[sim][zstd]") {
  const std::string a = journal_text(journal_events(300));
  const std::string b = "{\"t_us\":1,\"type\":\"run_end\",\"reason\":\"completed\"}\n";
  std::ostringstream sink;
  ZstdOStream z(sink);
  z << a;
  z.finish();  // frame 1
  z.finish();  // nothing written since: no empty frame
  z << b;
  z.finish();  // frame 2
  CHECK(z.writer().frames() == 2);
  std::string compressed = sink.str();

  // A frame compressed elsewhere (one shot, with its content size), a skippable frame and an
  // empty frame, appended.
  const std::string c = "third frame\n";
  std::string frame(ZSTD_compressBound(c.size()), '\0');
  frame.resize(ZSTD_compress(frame.data(), frame.size(), c.data(), c.size(), 1));
  compressed += frame;
  const std::string skippable("\x50\x2A\x4D\x18\x05\x00\x00\x00hello", 13);
  compressed += skippable;
  std::ostringstream empty;
  ZstdWriter(empty).finish();
  CHECK(empty.str().size() > 4);
  compressed += empty.str();

  std::istringstream in(compressed);
  ZstdIStream zin(in);
  CHECK(read_all(zin) == a + b + c);
  CHECK_FALSE(zin.truncated());
  CHECK(zin.reader().frames() == 5);
  CHECK(one_shot_decode(compressed, a.size() + b.size() + c.size() + 1) == a + b + c);
}

TEST_CASE("A writer that writes nothing leaves one valid empty frame", "[sim][zstd]") {
  std::ostringstream sink;
  { ZstdOStream z(sink); }
  REQUIRE(has_zstd_magic(sink.str()));
  CHECK(one_shot_decode(sink.str(), 1).empty());
  std::istringstream in(sink.str());
  ZstdIStream z(in);
  CHECK(read_all(z).empty());
  CHECK_FALSE(z.truncated());
  CHECK(z.reader().frames() == 1);
}

TEST_CASE("A compressed journal cut short yields the part flushed before the cut and reports truncated",
          "[sim][zstd][truncated]") {
  const std::vector<Event> events = journal_events(4'000);
  // Written as a run writes it (Journal's sink), flushed at 1000 and 2000 events; the rest is
  // written but never flushed or finished (the run was killed).
  std::ostringstream sink;
  std::vector<std::size_t> flushed_at;  // compressed size at each flush
  std::vector<std::size_t> text_at;     // text size at each flush
  std::string text;
  std::string compressed;  // what the sink held when the run was "killed"
  {
    ZstdOStream z(sink);
    Journal journal;
    journal.set_sink(&z);
    for (std::size_t i = 0; i < events.size(); ++i) {
      journal.append(events[i].t, events[i].body);
      append_json(text, events[i]);
      text += '\n';
      if (i == 999 || i == 1999) {
        journal.flush();
        flushed_at.push_back(sink.str().size());
        text_at.push_back(text.size());
      }
    }
    // Killed here: of the lines since the last flush, zstd has written the blocks it completed;
    // the rest sits in buffers. What the destructors write afterwards is not looked at.
    journal.set_sink(nullptr);
    compressed = sink.str();
  }
  REQUIRE(compressed.size() > flushed_at[1]);

  SECTION("cut exactly where a flush ended: the text up to that flush") {
    for (std::size_t k = 0; k < flushed_at.size(); ++k) {
      std::istringstream in(compressed.substr(0, flushed_at[k]));
      ZstdIStream z(in);
      CHECK(read_all(z) == text.substr(0, text_at[k]));
      CHECK(z.truncated());
    }
  }
  SECTION("cut anywhere after a flush: at least the text up to it, and only a prefix") {
    for (const std::size_t cut : {flushed_at[0] + 1, flushed_at[0] + 5'000, flushed_at[1] + 3,
                                  compressed.size() - 1, compressed.size() - 100}) {
      INFO("cut at " << cut);
      std::istringstream in(compressed.substr(0, cut));
      ZstdIStream z(in);
      const std::string got = read_all(z);
      CHECK(got.size() >= text_at[cut > flushed_at[1] ? 1 : 0]);
      CHECK(text.compare(0, got.size(), got) == 0);
      CHECK(z.truncated());
    }
  }
  SECTION("cut inside the frame header: nothing, and truncated") {
    std::istringstream in(compressed.substr(0, 6));
    ZstdIStream z(in);
    CHECK(read_all(z).empty());
    CHECK(z.truncated());
  }
  SECTION("the tolerant journal reader reads the events before the cut") {
    Scratch dir;
    const std::size_t cut = flushed_at[1] + 20'000;  // inside a block: the last line may be cut
    write_file(dir.file("journal.jsonl.zst"), compressed.substr(0, cut));
    auto in = open_journal_input(dir.file("journal.jsonl.zst"));
    const JournalRead r = read_journal_tolerant(*in);
    CHECK(journal_input_truncated(*in));
    REQUIRE(r.events.size() >= 2000);
    REQUIRE(r.events.size() < events.size());
    std::string prefix;
    const std::vector<Event> before_cut(events.begin(), events.begin() + static_cast<std::ptrdiff_t>(r.events.size()));
    CHECK(journal_text(r.events) == journal_text(before_cut));
  }
}

TEST_CASE("Corrupt zstd data throws an error naming the byte offset in the compressed input",
          "[sim][zstd]") {
  const std::string a = journal_text(journal_events(200));
  std::ostringstream sink;
  {
    ZstdOStream z(sink);
    z << a;
    z.finish();
    z << a;
  }
  const std::string good = sink.str();
  const std::size_t second = ZSTD_findFrameCompressedSize(good.data(), good.size());
  REQUIRE(second < good.size());

  SECTION("a frame that does not start with the magic number") {
    std::string bad = good;
    bad[second] = 'X';
    std::istringstream in(bad);
    ZstdIStream z(in);
    const std::string what = zstd_error_of([&] { read_all(z); });
    CHECK_THAT(what, Catch::Contains("corrupt zstd data at byte offset " + std::to_string(second) + " of the compressed input"));
    CHECK_THAT(what, Catch::Contains("Unknown frame descriptor"));
  }
  SECTION("bytes after the last frame that are not a frame") {
    std::istringstream in(good + "garbage!");
    ZstdIStream z(in);
    const std::string what = zstd_error_of([&] { read_all(z); });
    CHECK_THAT(what, Catch::Contains("at byte offset " + std::to_string(good.size()) + " "));
  }
  SECTION("a damaged block, through the journal reader, with the file's path") {
    std::string bad = good;
    for (std::size_t i = second / 2; i < second / 2 + 16; ++i) bad[i] = static_cast<char>(~bad[i]);
    Scratch dir;
    write_file(dir.file("journal.jsonl.zst"), bad);
    auto in = open_journal_input(dir.file("journal.jsonl.zst"));
    // read_journal_tolerant reads through std::getline: the error is not taken for end of input.
    const std::string what = zstd_error_of([&] { read_journal_tolerant(*in); });
    CHECK_THAT(what, Catch::StartsWith(dir.file("journal.jsonl.zst") + ": corrupt zstd data at byte offset "));
    const std::size_t offset = std::stoull(what.substr(what.find("byte offset ") + 12));
    CHECK(offset <= second);  // in the first frame
  }
}

TEST_CASE("open_journal_input yields the same text for a plain and a compressed journal", "[sim][zstd]") {
  Scratch dir;
  const std::vector<Event> events = journal_events(1'000);
  for (const std::string name : {"journal.jsonl", "journal.jsonl.zst"}) {
    auto out = open_journal_output(dir.file(name), 1);
    Journal journal;
    journal.set_sink(out.get());
    for (const Event& e : events) journal.append(e.t, e.body);
    journal.flush();
    finish_journal_output(*out);
  }
  CHECK_FALSE(has_zstd_magic(read_file(dir.file("journal.jsonl"))));
  CHECK(has_zstd_magic(read_file(dir.file("journal.jsonl.zst"))));
  // Told apart by content, not name: a compressed journal named .jsonl reads as well.
  fs::copy_file(dir.file("journal.jsonl.zst"), dir.file("compressed-but-named.jsonl"));

  const std::string expected = journal_text(events);
  for (const std::string name : {"journal.jsonl", "journal.jsonl.zst", "compressed-but-named.jsonl"}) {
    INFO(name);
    auto in = open_journal_input(dir.file(name));
    CHECK(read_all(*in) == expected);
    CHECK_FALSE(journal_input_truncated(*in));
    auto again = open_journal_input(dir.file(name));
    CHECK(read_journal_tolerant(*again).events.size() == events.size());
  }

  // Files shorter than the magic number are plain.
  write_file(dir.file("empty.jsonl"), "");
  write_file(dir.file("short.jsonl"), "\x28\xB5");
  CHECK(read_all(*open_journal_input(dir.file("empty.jsonl"))).empty());
  CHECK(read_all(*open_journal_input(dir.file("short.jsonl"))) == "\x28\xB5");
}

TEST_CASE("open_journal_input throws naming a path it cannot open", "[sim][zstd]") {
  Scratch dir;
  CHECK_THROWS_WITH(open_journal_input(dir.file("missing.jsonl")),
                    Catch::StartsWith("cannot open journal " + dir.file("missing.jsonl") + ": ") &&
                        Catch::Contains("No such file"));
  fs::create_directory(dir.file("adir"));
  CHECK_THROWS_WITH(open_journal_input(dir.file("adir")),
                    "cannot open journal " + dir.file("adir") + ": it is a directory");
  CHECK_THROWS_WITH(open_journal_output(dir.file("no/such/dir/journal.jsonl.zst")),
                    Catch::StartsWith("cannot create journal " + dir.file("no/such/dir/journal.jsonl.zst")));
}

TEST_CASE("A failing underlying stream surfaces as ZstdError, and the destructor does not throw",
          "[sim][zstd]") {
  std::ostringstream sink;
  sink.setstate(std::ios::badbit);
  {
    ZstdOStream z(sink);
    z << "a line\n";  // buffered: nothing reaches the sink yet
    CHECK_THAT(zstd_error_of([&] { z.flush(); }), Catch::Contains("writing the compressed stream failed"));
    CHECK(z.bad());
    CHECK_THAT(zstd_error_of([&] { z.finish(); }), Catch::StartsWith("zstd writer failed earlier: "));
  }  // destroyed without throwing
  {
    ZstdOStream z(sink);
    // Large writes reach zstd, and so the sink, at once: the error comes out of write().
    const std::string big(1 << 20, 'x');
    CHECK_THROWS_AS(z.write(big.data(), static_cast<std::streamsize>(big.size())), ZstdError);
  }
}

TEST_CASE("is_zstd_path goes by the .zst suffix and has_zstd_magic by the first four bytes", "[sim][zstd]") {
  CHECK(is_zstd_path("reports/x/journal.jsonl.zst"));
  CHECK_FALSE(is_zstd_path("reports/x/journal.jsonl"));
  CHECK_FALSE(is_zstd_path("zst"));
  CHECK(has_zstd_magic(std::string("\x28\xB5\x2F\xFD", 4)));
  CHECK_FALSE(has_zstd_magic(std::string("\x28\xB5\x2F", 3)));
  CHECK_FALSE(has_zstd_magic("{\"t_us\":0"));
}
