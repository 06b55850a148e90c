#include "core/bencode/decode.hpp"

#include <algorithm>
#include <limits>
#include <string>

namespace corrent::bencode {
namespace {

class decoder {
 public:
  decoder(std::string_view in, const decode_limits& limits) : in_(in), limits_(limits) {}

  bool parse_value(value& out, std::size_t depth) {
    if (pos_ >= in_.size()) return fail(errc::unexpected_end, pos_);
    if (++tokens_ > limits_.max_tokens) return fail(errc::token_limit_exceeded, pos_);
    const std::size_t start = pos_;
    const char c = in_[pos_];
    if (c == 'i') {
      std::int64_t v = 0;
      if (!parse_int(v)) return false;
      out = value(v, in_.substr(start, pos_ - start));
      return true;
    }
    if (c >= '0' && c <= '9') {
      std::string_view s;
      if (!parse_string(s)) return false;
      out = value(s, in_.substr(start, pos_ - start));
      return true;
    }
    if (c == 'l' || c == 'd') {
      if (depth >= limits_.max_depth) return fail(errc::depth_exceeded, pos_);
      ++pos_;
      if (c == 'l') {
        list items;
        while (true) {
          if (pos_ >= in_.size()) return fail(errc::unexpected_end, pos_);
          if (in_[pos_] == 'e') break;
          items.emplace_back();
          if (!parse_value(items.back(), depth + 1)) return false;
        }
        ++pos_;
        out = value(std::move(items), in_.substr(start, pos_ - start));
        return true;
      }
      dict entries;
      bool unsorted = false;
      while (true) {
        if (pos_ >= in_.size()) return fail(errc::unexpected_end, pos_);
        if (in_[pos_] == 'e') break;
        const std::size_t key_pos = pos_;
        if (in_[pos_] < '0' || in_[pos_] > '9') return fail(errc::key_not_string, pos_);
        if (++tokens_ > limits_.max_tokens) return fail(errc::token_limit_exceeded, pos_);
        std::string_view key;
        if (!parse_string(key)) return false;
        if (!entries.empty()) {
          const int cmp = entries.back().key.compare(key);
          if (cmp == 0) return fail(errc::duplicate_key, key_pos);
          if (cmp > 0) {
            if (limits_.require_sorted_keys) return fail(errc::unsorted_keys, key_pos);
            unsorted = true;
          }
        }
        entries.push_back(dict_entry{key, value{}});
        if (!parse_value(entries.back().val, depth + 1)) return false;
      }
      if (unsorted && !sort_entries(entries)) return fail(errc::duplicate_key, start);
      ++pos_;
      out = value(std::move(entries), in_.substr(start, pos_ - start));
      return true;
    }
    return fail(errc::unexpected_byte, pos_);
  }

  // Sorts a leniently decoded dictionary; false when a key repeats.
  static bool sort_entries(dict& entries) {
    std::stable_sort(entries.begin(), entries.end(),
                     [](const dict_entry& a, const dict_entry& b) { return a.key < b.key; });
    for (std::size_t i = 1; i < entries.size(); ++i) {
      if (entries[i - 1].key == entries[i].key) return false;
    }
    return true;
  }

  std::size_t pos() const { return pos_; }
  bool fail(errc e, std::size_t at) {
    err_ = e;
    err_pos_ = at;
    return false;
  }
  errc err() const { return err_; }
  std::size_t err_pos() const { return err_pos_; }

 private:
  // "i" [-] digits "e"; strict: no leading zeros, no -0, fits in int64.
  bool parse_int(std::int64_t& out) {
    const std::size_t start = pos_;
    ++pos_;  // 'i'
    bool negative = false;
    if (pos_ < in_.size() && in_[pos_] == '-') {
      negative = true;
      ++pos_;
    }
    const std::size_t digits = pos_;
    // Accumulate as a negative number so INT64_MIN is representable.
    std::int64_t acc = 0;
    constexpr std::int64_t min = std::numeric_limits<std::int64_t>::min();
    while (pos_ < in_.size() && in_[pos_] >= '0' && in_[pos_] <= '9') {
      const int d = in_[pos_] - '0';
      if (acc < min / 10 || acc * 10 < min + d) return fail(errc::integer_overflow, start);
      acc = acc * 10 - d;
      ++pos_;
    }
    if (pos_ >= in_.size()) return fail(errc::unexpected_end, pos_);
    if (in_[pos_] != 'e') return fail(errc::invalid_integer, pos_);
    const std::size_t ndigits = pos_ - digits;
    if (ndigits == 0) return fail(errc::invalid_integer, start);
    if (in_[digits] == '0' && ndigits > 1) return fail(errc::leading_zero, start);
    if (negative && acc == 0) return fail(errc::negative_zero, start);
    if (!negative) {
      if (acc == min) return fail(errc::integer_overflow, start);
      acc = -acc;
    }
    ++pos_;  // 'e'
    out = acc;
    return true;
  }

  // <length> ":" <bytes>; strict: no leading zeros, the bytes must be present.
  bool parse_string(std::string_view& out) {
    const std::size_t start = pos_;
    std::size_t len = 0;
    while (pos_ < in_.size() && in_[pos_] >= '0' && in_[pos_] <= '9') {
      const std::size_t d = static_cast<std::size_t>(in_[pos_] - '0');
      if (len > (std::numeric_limits<std::size_t>::max() - d) / 10) {
        return fail(errc::invalid_string_length, start);
      }
      len = len * 10 + d;
      ++pos_;
    }
    if (pos_ >= in_.size()) return fail(errc::unexpected_end, pos_);
    if (in_[pos_] != ':') {
      return fail(in_[pos_] == '-' ? errc::invalid_string_length : errc::unexpected_byte, pos_);
    }
    if (in_[start] == '0' && pos_ - start > 1) return fail(errc::leading_zero, start);
    ++pos_;  // ':'
    if (len > in_.size() - pos_) return fail(errc::string_out_of_bounds, start);
    out = in_.substr(pos_, len);
    pos_ += len;
    return true;
  }

  std::string_view in_;
  const decode_limits& limits_;
  std::size_t pos_ = 0;
  std::size_t tokens_ = 0;
  errc err_{};
  std::size_t err_pos_ = 0;
};

error make_error(errc e, std::size_t at) {
  return error{make_error_code(e), "at byte " + std::to_string(at)};
}

}  // namespace

result<value> decode(std::string_view input, const decode_limits& limits, decode_error_info* info) {
  auto fail = [&](errc e, std::size_t at) -> result<value> {
    if (info) *info = {e, at};
    return make_error(e, at);
  };
  if (input.size() > limits.max_size) return fail(errc::input_too_large, limits.max_size);
  decoder d(input, limits);
  value v;
  if (!d.parse_value(v, 0)) return fail(d.err(), d.err_pos());
  if (d.pos() != input.size()) return fail(errc::trailing_bytes, d.pos());
  return v;
}

result<value> decode(std::string_view input, const decode_limits& limits) {
  return decode(input, limits, nullptr);
}

result<value> decode_prefix(std::string_view input, std::size_t& consumed,
                            const decode_limits& limits) {
  if (input.size() > limits.max_size) return make_error(errc::input_too_large, limits.max_size);
  decoder d(input, limits);
  value v;
  if (!d.parse_value(v, 0)) return make_error(d.err(), d.err_pos());
  consumed = d.pos();
  return v;
}

}  // namespace corrent::bencode
