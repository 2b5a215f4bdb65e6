#pragma once
// zstd streams: a compressed journal (journal.jsonl.zst) written and read through std streams,
// so the journal's writer (Journal::set_sink) and reader (read_journal_tolerant) stay as they are.
//
//   std::ofstream file(path, std::ios::binary);
//   ZstdOStream z(file);         // compresses into `file`
//   journal.set_sink(&z);        // ... run ...
//   journal.flush();             // everything so far is decodable (a killed run leaves a prefix)
//   z.finish();                  // ends the frame; throws on failure (the destructor does not)
//
//   auto in = open_journal_input(path);       // plain or zstd, by the file's first bytes
//   JournalRead r = read_journal_tolerant(*in);
//   if (journal_input_truncated(*in)) ...     // the writer was killed before finish()
//
// Errors (zstd's, the underlying stream's, corrupt input) are ZstdError. ZstdOStream and
// ZstdIStream set badbit in exceptions(), so they reach the caller through std::ostream::write,
// flush, std::getline and the like (a plain std::ostream over a ZstdWriter would turn them into
// badbit). Copying with `out << in.rdbuf()` swallows them (the standard makes it set failbit on
// `out` instead): read with std::getline, read() or std::istreambuf_iterator.
//
// Without flushes zstd still writes each 128 KiB block of input as it completes, so a killed run
// loses at most its last block plus what its streams buffered. Uses libzstd's stable API only.
#include <cstdint>
#include <istream>
#include <memory>
#include <ostream>
#include <stdexcept>
#include <streambuf>
#include <string>
#include <string_view>
#include <vector>

struct ZSTD_CCtx_s;
struct ZSTD_DCtx_s;

namespace gameday {

/// The level ZstdWriter uses unless told. On journals of four shipped scenarios (10.5 MB,
/// 18,000 events each, written with every request field) level 1 both compressed better than
/// level 3 (22.4-23.0x against 19.4-20.0x) and faster (0.8-1.3 GB/s against 0.5-0.9 GB/s on one
/// core): about 10 ms a journal, a few per cent of a simulated run's time. Request lines that
/// leave out their defaults compress about 11x.
inline constexpr int kZstdDefaultLevel = 1;

/// The first four bytes of every zstd frame (the magic number 0xFD2FB528, little-endian).
inline constexpr unsigned char kZstdMagic[4] = {0x28, 0xB5, 0x2F, 0xFD};

/// A zstd stream that failed: a zstd error, a write or read of the underlying stream that
/// failed, or corrupt compressed input (what() then names the byte offset).
class ZstdError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Whether `path` names a compressed journal by its suffix (".zst"), for writers choosing a
/// format by file name. Readers go by content instead (open_journal_input).
bool is_zstd_path(std::string_view path);

/// Whether `bytes` starts with the zstd magic number (kZstdMagic).
bool has_zstd_magic(std::string_view bytes);

/// A std::streambuf that compresses everything written into it, as zstd frames, to `out`.
/// Buffers one zstd block (128 KiB) of input before compressing; see flush() and finish().
/// Not copyable or movable (a stream holds a pointer to it).
class ZstdWriter : public std::streambuf {
 public:
  /// Compresses to `out` (which must outlive the writer and be opened in binary mode) at
  /// `level` (zstd's 1 to 19; negative levels are faster still). Each frame carries a content
  /// checksum. Throws ZstdError when zstd refuses the level or cannot allocate its context.
  explicit ZstdWriter(std::ostream& out, int level = kZstdDefaultLevel);
  /// Calls finish(), swallowing any error (call finish() first to see errors); does nothing
  /// more after a failure.
  ~ZstdWriter() override;
  ZstdWriter(const ZstdWriter&) = delete;
  ZstdWriter& operator=(const ZstdWriter&) = delete;

  /// Compresses everything written so far, ends the current zstd block (ZSTD_e_flush) and
  /// flushes `out`: a reader can decode all of it even if the frame is never finished. Costs
  /// some ratio when called often (each call ends a block). std::ostream::flush() calls it.
  /// Throws ZstdError.
  void flush();
  /// Ends the current frame (ZSTD_e_end: last block and checksum) and flushes `out`. Writing
  /// afterwards starts a new frame (a reader reads concatenated frames as one stream). Writes
  /// an empty frame when nothing was ever written, so the output is a valid zstd file;
  /// otherwise a second call without writes in between only flushes `out`. Throws ZstdError.
  void finish();

  /// Bytes written into the writer so far (uncompressed, including those still buffered).
  std::uint64_t bytes_in() const { return bytes_in_ + static_cast<std::uint64_t>(pptr() - pbase()); }
  /// Compressed bytes written to `out` so far.
  std::uint64_t bytes_out() const { return bytes_out_; }
  /// Frames ended by finish() so far.
  std::uint64_t frames() const { return frames_; }
  /// The compression level in use.
  int level() const { return level_; }

 protected:
  /// Compresses the full buffer, then buffers `ch`. Throws ZstdError.
  int_type overflow(int_type ch) override;
  /// Buffers `s` (compressing as the buffer fills; large writes go to zstd without a copy).
  /// Throws ZstdError.
  std::streamsize xsputn(const char* s, std::streamsize n) override;
  /// flush(); returns 0. Throws ZstdError.
  int sync() override;

 private:
  // Feeds `size` bytes at `data` to zstd with directive `mode` (ZSTD_EndDirective) and writes
  // what it produces to out_, until the input is consumed (and, for flush/end, fully flushed).
  void compress(const char* data, std::size_t size, int mode);
  // Compresses the buffered input with `mode` and empties the buffer.
  void drain(int mode);
  // Throws ZstdError(message) after marking the writer failed.
  [[noreturn]] void fail(const std::string& message);
  // Throws when an earlier call failed.
  void check_usable() const;

  std::ostream& out_;
  ZSTD_CCtx_s* cctx_ = nullptr;
  int level_;
  std::vector<char> in_;   // the put area
  std::vector<char> out_buffer_;
  std::uint64_t bytes_in_ = 0;   // bytes passed to zstd
  std::uint64_t bytes_out_ = 0;
  std::uint64_t frames_ = 0;
  bool frame_open_ = false;  // zstd holds or has emitted part of an unfinished frame
  bool unflushed_ = false;   // input given to zstd since the last flush or finish
  std::string failed_;       // the first error's message ("" = none)
};

/// A std::streambuf that decompresses a zstd stream read from `in`: one or more concatenated
/// frames (skippable frames are skipped) yield one stream of bytes.
///   - Corrupt input throws ZstdError naming the byte offset in the compressed input of the
///     unit zstd failed to decode (a frame header, or a block's content: a damaged block header
///     shows at its block's content, a checksum mismatch at the frame's checksum) and zstd's
///     error, e.g. "corrupt zstd data at byte offset 22216 of the compressed input (zstd was
///     decoding bytes 22216 to 22220): Unknown frame descriptor".
///   - Input that ends inside a frame (a writer killed before finish()) is not an error: every
///     byte decodable before the cut is delivered, then end of input, and truncated() is true.
/// Not copyable or movable (a stream holds a pointer to it).
class ZstdReader : public std::streambuf {
 public:
  /// Reads compressed bytes from `in` (which must outlive the reader and be opened in binary
  /// mode). `name` (a path, say) prefixes error messages when not empty. Throws ZstdError when
  /// zstd cannot allocate its context.
  explicit ZstdReader(std::istream& in, std::string name = "");
  ~ZstdReader() override;
  ZstdReader(const ZstdReader&) = delete;
  ZstdReader& operator=(const ZstdReader&) = delete;

  /// Whether the input ended inside a frame (after end of input was reached; false before).
  /// A journal whose writer was killed reads as its flushed prefix with truncated() true.
  bool truncated() const { return truncated_; }
  /// Whether end of input was reached.
  bool at_end() const { return at_end_; }
  /// Compressed bytes decoded so far (the offset in the input of the next byte to decode).
  std::uint64_t compressed_offset() const { return consumed_; }
  /// Frames decoded to their end so far.
  std::uint64_t frames() const { return frames_; }

 protected:
  /// Decompresses the next chunk. Throws ZstdError on corrupt input or a failed read.
  int_type underflow() override;

 private:
  // Makes at least `want` bytes (or all that remain) available in in_ from the current
  // position on; false when none remain.
  bool fill(std::size_t want);
  // Throws ZstdError(name_ prefix + message).
  [[noreturn]] void fail(const std::string& message) const;

  std::istream& in_;
  std::string name_;
  ZSTD_DCtx_s* dctx_ = nullptr;
  std::vector<char> in_buffer_;
  std::size_t in_pos_ = 0;   // next unread byte of in_buffer_
  std::size_t in_end_ = 0;   // end of the bytes read into in_buffer_
  std::vector<char> out_;    // the get area
  std::uint64_t consumed_ = 0;  // compressed bytes handed to zstd and consumed
  std::size_t hint_ = 0;        // zstd's suggested size of the next input
  std::size_t first_hint_ = 0;  // zstd's suggested size of a frame's first input
  std::uint64_t frames_ = 0;
  bool frame_open_ = false;  // inside a frame (started, not decoded to its end)
  bool drain_ = false;       // the last call filled the output: zstd may hold more
  bool input_done_ = false;  // `in` has no more bytes
  bool at_end_ = false;
  bool truncated_ = false;
};

/// A std::ostream that compresses into another stream (or a stream it owns) through a
/// ZstdWriter. exceptions() includes badbit, so errors reach the caller as ZstdError.
class ZstdOStream : public std::ostream {
 public:
  /// Compresses into `sink`, which must outlive this stream.
  explicit ZstdOStream(std::ostream& sink, int level = kZstdDefaultLevel);
  /// Compresses into `sink` and owns it (destroyed after the writer has finished).
  explicit ZstdOStream(std::unique_ptr<std::ostream> sink, int level = kZstdDefaultLevel);
  /// Finishes the frame (errors swallowed; call finish() to see them).
  ~ZstdOStream() override;

  /// ZstdWriter::finish(): ends the frame and flushes the underlying stream. Throws ZstdError.
  void finish();
  /// The writer (byte counts, level).
  ZstdWriter& writer() { return *writer_; }

 private:
  std::unique_ptr<std::ostream> owned_;  // declared first: destroyed after the writer
  std::unique_ptr<ZstdWriter> writer_;
};

/// A std::istream that decompresses another stream (or a stream it owns) through a
/// ZstdReader. exceptions() includes badbit, so corrupt input reaches the caller as ZstdError
/// (through std::getline and read_journal_tolerant too); end of input is eof as usual.
class ZstdIStream : public std::istream {
 public:
  /// Decompresses `source`, which must outlive this stream; `name` prefixes error messages.
  explicit ZstdIStream(std::istream& source, std::string name = "");
  /// Decompresses `source` and owns it.
  explicit ZstdIStream(std::unique_ptr<std::istream> source, std::string name = "");
  ~ZstdIStream() override;

  /// ZstdReader::truncated(): the input ended inside a frame.
  bool truncated() const { return reader_->truncated(); }
  /// The reader (offsets, frame count).
  ZstdReader& reader() { return *reader_; }

 private:
  std::unique_ptr<std::istream> owned_;  // declared first: destroyed after the reader
  std::unique_ptr<ZstdReader> reader_;
};

/// Opens the journal at `path` for reading as plain JSONL whether it is stored plain or
/// zstd-compressed, told apart by the file's first four bytes (kZstdMagic), not its name.
/// Throws std::runtime_error naming `path` when it cannot be opened or read (missing,
/// unreadable, a directory). The file must be seekable (a regular file).
std::unique_ptr<std::istream> open_journal_input(const std::string& path);

/// Whether `in` (from open_journal_input) is a compressed journal that ended inside a frame:
/// its writer was killed, and what was read is the part it had flushed. Meaningful once the
/// stream has been read to its end; false for plain input.
bool journal_input_truncated(const std::istream& in);

/// Opens `path` for writing a journal: zstd-compressed at `level` when is_zstd_path(path)
/// (the result is then a ZstdOStream), else a plain binary std::ofstream. Throws
/// std::runtime_error naming `path` when it cannot be created. End a compressed journal with
/// finish_journal_output() to see errors the destructor would swallow.
std::unique_ptr<std::ostream> open_journal_output(const std::string& path,
                                                  int level = kZstdDefaultLevel);

/// Ends a journal output from open_journal_output: finishes the zstd frame of a compressed one,
/// flushes a plain one. Throws (ZstdError, or std::runtime_error when a plain stream has
/// failed) so a lost tail is reported.
void finish_journal_output(std::ostream& out);

}  // namespace gameday
