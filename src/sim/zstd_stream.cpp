#include "sim/zstd_stream.hpp"

#include <zstd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <system_error>

namespace gameday {

namespace {

std::string zstd_error_name(std::size_t code) { return ZSTD_getErrorName(code); }

}  // namespace

bool is_zstd_path(std::string_view path) { return path.ends_with(".zst"); }

bool has_zstd_magic(std::string_view bytes) {
  return bytes.size() >= sizeof kZstdMagic &&
         std::memcmp(bytes.data(), kZstdMagic, sizeof kZstdMagic) == 0;
}

// --- ZstdWriter ---

ZstdWriter::ZstdWriter(std::ostream& out, int level) : out_(out), level_(level) {
  cctx_ = ZSTD_createCCtx();
  if (cctx_ == nullptr) throw ZstdError("zstd: cannot allocate a compression context");
  std::size_t r = ZSTD_CCtx_setParameter(cctx_, ZSTD_c_compressionLevel, level);
  if (!ZSTD_isError(r)) r = ZSTD_CCtx_setParameter(cctx_, ZSTD_c_checksumFlag, 1);
  if (ZSTD_isError(r)) {
    ZSTD_freeCCtx(cctx_);
    throw ZstdError("zstd: compression level " + std::to_string(level) + " refused: " +
                    zstd_error_name(r));
  }
  in_.resize(ZSTD_CStreamInSize());
  out_buffer_.resize(ZSTD_CStreamOutSize());
  setp(in_.data(), in_.data() + in_.size());
}

ZstdWriter::~ZstdWriter() {
  if (failed_.empty()) {
    try {
      finish();
    } catch (...) {
      // A destructor must not throw; finish() called first reports the error.
    }
  }
  ZSTD_freeCCtx(cctx_);
}

void ZstdWriter::fail(const std::string& message) {
  if (failed_.empty()) failed_ = message;
  throw ZstdError(message);
}

void ZstdWriter::check_usable() const {
  if (!failed_.empty()) throw ZstdError("zstd writer failed earlier: " + failed_);
}

void ZstdWriter::compress(const char* data, std::size_t size, int mode) {
  const auto directive = static_cast<ZSTD_EndDirective>(mode);
  ZSTD_inBuffer in{data, size, 0};
  for (;;) {
    ZSTD_outBuffer out{out_buffer_.data(), out_buffer_.size(), 0};
    const std::size_t remaining = ZSTD_compressStream2(cctx_, &out, &in, directive);
    if (ZSTD_isError(remaining)) fail("zstd: compression failed: " + zstd_error_name(remaining));
    if (out.pos > 0) {
      try {
        out_.write(out_buffer_.data(), static_cast<std::streamsize>(out.pos));
      } catch (const std::exception& e) {
        fail(std::string("zstd: writing the compressed stream failed: ") + e.what());
      }
      if (!out_) fail("zstd: writing the compressed stream failed");
      bytes_out_ += out.pos;
    }
    // continue: done once zstd has taken all the input; flush/end: once it holds nothing more.
    const bool done = directive == ZSTD_e_continue ? in.pos == in.size : remaining == 0;
    if (done) break;
  }
  bytes_in_ += size;
  if (size > 0) {
    frame_open_ = true;
    unflushed_ = true;
  }
  if (directive != ZSTD_e_continue) unflushed_ = false;
  if (directive == ZSTD_e_end) {
    frame_open_ = false;
    ++frames_;
  }
}

void ZstdWriter::drain(int mode) {
  const std::size_t n = static_cast<std::size_t>(pptr() - pbase());
  // Empty the put area first: should compress() throw, bytes_in() does not count them twice.
  setp(in_.data(), in_.data() + in_.size());
  compress(in_.data(), n, mode);
}

void ZstdWriter::flush() {
  check_usable();
  if (pptr() != pbase() || unflushed_) drain(ZSTD_e_flush);
  try {
    out_.flush();
  } catch (const std::exception& e) {
    fail(std::string("zstd: flushing the compressed stream failed: ") + e.what());
  }
  if (!out_) fail("zstd: flushing the compressed stream failed");
}

void ZstdWriter::finish() {
  check_usable();
  if (pptr() != pbase() || frame_open_ || frames_ == 0) drain(ZSTD_e_end);
  flush();
}

ZstdWriter::int_type ZstdWriter::overflow(int_type ch) {
  check_usable();
  if (pptr() == epptr()) drain(ZSTD_e_continue);
  if (traits_type::eq_int_type(ch, traits_type::eof())) return traits_type::not_eof(ch);
  *pptr() = traits_type::to_char_type(ch);
  pbump(1);
  return ch;
}

std::streamsize ZstdWriter::xsputn(const char* s, std::streamsize n) {
  check_usable();
  std::streamsize done = 0;
  while (done < n) {
    const auto left = static_cast<std::size_t>(n - done);
    if (pptr() == pbase() && left >= in_.size()) {
      compress(s + done, left, ZSTD_e_continue);  // no copy through the put area
      return n;
    }
    const std::size_t k = std::min(left, static_cast<std::size_t>(epptr() - pptr()));
    std::memcpy(pptr(), s + done, k);
    pbump(static_cast<int>(k));
    done += static_cast<std::streamsize>(k);
    if (pptr() == epptr()) drain(ZSTD_e_continue);
  }
  return n;
}

int ZstdWriter::sync() {
  flush();
  return 0;
}

// --- ZstdReader ---

ZstdReader::ZstdReader(std::istream& in, std::string name) : in_(in), name_(std::move(name)) {
  dctx_ = ZSTD_createDCtx();
  if (dctx_ == nullptr) throw ZstdError("zstd: cannot allocate a decompression context");
  first_hint_ = ZSTD_initDStream(dctx_);
  if (ZSTD_isError(first_hint_)) {
    ZSTD_freeDCtx(dctx_);
    throw ZstdError("zstd: cannot start decompressing: " + zstd_error_name(first_hint_));
  }
  hint_ = first_hint_;
  // Room for two of the largest inputs zstd asks for (a block and the next block's header), so
  // fill() rarely moves bytes.
  in_buffer_.resize(2 * ZSTD_DStreamInSize());
  out_.resize(ZSTD_DStreamOutSize());
  setg(out_.data(), out_.data(), out_.data());
}

ZstdReader::~ZstdReader() { ZSTD_freeDCtx(dctx_); }

void ZstdReader::fail(const std::string& message) const {
  throw ZstdError(name_.empty() ? message : name_ + ": " + message);
}

bool ZstdReader::fill(std::size_t want) {
  const std::size_t have = in_end_ - in_pos_;
  if (have >= want || input_done_) return have > 0;
  if (in_pos_ > 0) {
    std::memmove(in_buffer_.data(), in_buffer_.data() + in_pos_, have);
    in_pos_ = 0;
    in_end_ = have;
  }
  want = std::min(want, in_buffer_.size());
  while (in_end_ < want && !input_done_) {
    std::streamsize got = 0;
    try {
      in_.read(in_buffer_.data() + in_end_, static_cast<std::streamsize>(in_buffer_.size() - in_end_));
      got = in_.gcount();
    } catch (const std::exception& e) {
      // An underlying stream with exceptions() set throws at its end too: only bad is an error.
      if (in_.bad()) fail(std::string("zstd: reading the compressed input failed: ") + e.what());
      got = in_.gcount();
    }
    if (in_.bad()) fail("zstd: reading the compressed input failed");
    in_end_ += static_cast<std::size_t>(got);
    if (!in_) input_done_ = true;  // eof (a short read)
  }
  return in_end_ > in_pos_;
}

ZstdReader::int_type ZstdReader::underflow() {
  if (gptr() < egptr()) return traits_type::to_int_type(*gptr());
  if (at_end_) return traits_type::eof();
  for (;;) {
    // Hand zstd no more than it asks for (a frame header, or one block and the next block's
    // header), so an error lies in the bytes of this call and the offset below is close to it.
    const std::size_t want = std::max<std::size_t>(hint_, 1);
    const bool have_input = fill(want);
    if (!have_input && !drain_) {
      at_end_ = true;
      truncated_ = frame_open_;
      return traits_type::eof();
    }
    const std::size_t feed = std::min(want, in_end_ - in_pos_);
    ZSTD_inBuffer in{in_buffer_.data() + in_pos_, feed, 0};
    ZSTD_outBuffer out{out_.data(), out_.size(), 0};
    const std::size_t r = ZSTD_decompressStream(dctx_, &out, &in);
    if (ZSTD_isError(r)) {
      std::string where = "corrupt zstd data at byte offset " + std::to_string(consumed_) +
                          " of the compressed input";
      if (feed > 1) {
        where += " (zstd was decoding bytes " + std::to_string(consumed_) + " to " +
                 std::to_string(consumed_ + feed - 1) + ")";
      }
      fail(where + ": " + zstd_error_name(r));
    }
    in_pos_ += in.pos;
    consumed_ += in.pos;
    if (in.pos > 0 || out.pos > 0) {
      if (r == 0) {  // a frame decoded to its end and fully flushed
        ++frames_;
        frame_open_ = false;
        hint_ = first_hint_;
      } else {
        frame_open_ = true;
        hint_ = r;
      }
    }
    drain_ = out.pos == out.size;
    if (out.pos > 0) {
      setg(out_.data(), out_.data(), out_.data() + out.pos);
      return traits_type::to_int_type(*gptr());
    }
  }
}

// --- streams ---

ZstdOStream::ZstdOStream(std::ostream& sink, int level)
    : std::ostream(nullptr), writer_(std::make_unique<ZstdWriter>(sink, level)) {
  rdbuf(writer_.get());
  exceptions(std::ios::badbit);
}

ZstdOStream::ZstdOStream(std::unique_ptr<std::ostream> sink, int level)
    : std::ostream(nullptr), owned_(std::move(sink)),
      writer_(std::make_unique<ZstdWriter>(*owned_, level)) {
  rdbuf(writer_.get());
  exceptions(std::ios::badbit);
}

ZstdOStream::~ZstdOStream() = default;

void ZstdOStream::finish() { writer_->finish(); }

ZstdIStream::ZstdIStream(std::istream& source, std::string name)
    : std::istream(nullptr), reader_(std::make_unique<ZstdReader>(source, std::move(name))) {
  rdbuf(reader_.get());
  exceptions(std::ios::badbit);
}

ZstdIStream::ZstdIStream(std::unique_ptr<std::istream> source, std::string name)
    : std::istream(nullptr), owned_(std::move(source)),
      reader_(std::make_unique<ZstdReader>(*owned_, std::move(name))) {
  rdbuf(reader_.get());
  exceptions(std::ios::badbit);
}

ZstdIStream::~ZstdIStream() = default;

// --- journal files ---

std::unique_ptr<std::istream> open_journal_input(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    throw std::runtime_error("cannot open journal " + path + ": it is a directory");
  }
  auto file = std::make_unique<std::ifstream>(path, std::ios::binary);
  if (!file->is_open()) {
    throw std::runtime_error("cannot open journal " + path + ": " + std::strerror(errno));
  }
  char head[sizeof kZstdMagic];
  file->read(head, sizeof head);
  const auto n = static_cast<std::size_t>(file->gcount());
  if (file->bad()) throw std::runtime_error("cannot read journal " + path);
  file->clear();
  file->seekg(0);
  if (!*file) throw std::runtime_error("cannot read journal " + path + ": it cannot be rewound");
  if (has_zstd_magic(std::string_view(head, n))) {
    return std::make_unique<ZstdIStream>(std::move(file), path);
  }
  return file;
}

bool journal_input_truncated(const std::istream& in) {
  const auto* z = dynamic_cast<const ZstdIStream*>(&in);
  return z != nullptr && z->truncated();
}

std::unique_ptr<std::ostream> open_journal_output(const std::string& path, int level) {
  auto file = std::make_unique<std::ofstream>(path, std::ios::binary | std::ios::trunc);
  if (!file->is_open()) {
    throw std::runtime_error("cannot create journal " + path + ": " + std::strerror(errno));
  }
  if (!is_zstd_path(path)) return file;
  return std::make_unique<ZstdOStream>(std::move(file), level);
}

void finish_journal_output(std::ostream& out) {
  if (auto* z = dynamic_cast<ZstdOStream*>(&out)) {
    z->finish();
    return;
  }
  out.flush();
  if (!out) throw std::runtime_error("writing the journal failed");
}

}  // namespace gameday
