// Fuzzes how `gameday report` reads a journal file: plain JSONL or zstd-compressed (told apart by
// the first bytes, as open_journal_input does), line by line, each line parsed into an event. A
// bad line or corrupt zstd data is an expected outcome; anything else escaping is a finding. An
// event read back must write the same line again when read from what it writes.
#include <cstdlib>
#include <memory>
#include <sstream>
#include <string>

#include "sim/journal.hpp"
#include "sim/zstd_stream.hpp"
#include "support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace gameday;
  const std::string text(fuzz::as_text(data, size));
  std::istringstream raw(text);
  std::unique_ptr<std::istream> zstd;
  if (has_zstd_magic(text)) zstd = std::make_unique<ZstdIStream>(raw, "journal.jsonl.zst");
  std::istream& in = zstd ? *zstd : raw;
  try {
    scan_journal(in, [](const Event& e, std::size_t line) {
      std::string once;
      append_json(once, e);
      std::string twice;
      append_json(twice, parse_event_line(once, line));
      if (once != twice) std::abort();
    });
  } catch (const JournalError&) {
  } catch (const ZstdError&) {
  }
  return 0;
}
