// bencode::value — one decoded bencode value (BEP 3) that *views* the input it was
// decoded from: strings are string_views into the input, and every value remembers
// its raw byte span (raw()), so the info-hash can be SHA-1 of the exact `info` bytes.
// The input must outlive the value tree. Dictionaries keep their keys in input order,
// which strict decoding guarantees is sorted, so find() is a binary search.
#pragma once

#include <cstdint>
#include <string_view>
#include <variant>
#include <vector>

namespace corrent::bencode {

class value;
struct dict_entry;
using list = std::vector<value>;
using dict = std::vector<dict_entry>;

enum class type { integer, string, list, dict };

class value {
 public:
  // Members are defined below, once dict_entry is complete (clang needs the variant's
  // alternatives complete wherever its constructors are instantiated).
  value();
  explicit value(std::int64_t i, std::string_view raw = {});
  explicit value(std::string_view s, std::string_view raw = {});
  explicit value(list l, std::string_view raw = {});
  explicit value(dict d, std::string_view raw = {});

  type kind() const noexcept;
  bool is_int() const noexcept { return kind() == type::integer; }
  bool is_string() const noexcept { return kind() == type::string; }
  bool is_list() const noexcept { return kind() == type::list; }
  bool is_dict() const noexcept { return kind() == type::dict; }

  // Accessors; precondition: the kind matches.
  std::int64_t as_int() const;
  std::string_view as_string() const;
  const list& as_list() const;
  const dict& as_dict() const;

  // The dictionary entry for key, or nullptr (also when this is not a dictionary).
  const value* find(std::string_view key) const noexcept;

  // The exact bytes this value was decoded from (empty for built values).
  std::string_view raw() const noexcept { return raw_; }

 private:
  std::variant<std::int64_t, std::string_view, bencode::list, bencode::dict> data_;
  std::string_view raw_;
};

struct dict_entry {
  std::string_view key;
  value val;
};

inline value::value() : data_(std::int64_t{0}) {}
inline value::value(std::int64_t i, std::string_view raw) : data_(i), raw_(raw) {}
inline value::value(std::string_view s, std::string_view raw) : data_(s), raw_(raw) {}
inline value::value(list l, std::string_view raw) : data_(std::move(l)), raw_(raw) {}
inline value::value(dict d, std::string_view raw) : data_(std::move(d)), raw_(raw) {}
inline type value::kind() const noexcept {
  return static_cast<type>(data_.index());
}
inline std::int64_t value::as_int() const {
  return std::get<std::int64_t>(data_);
}
inline std::string_view value::as_string() const {
  return std::get<std::string_view>(data_);
}
inline const list& value::as_list() const {
  return std::get<bencode::list>(data_);
}
inline const dict& value::as_dict() const {
  return std::get<bencode::dict>(data_);
}

}  // namespace corrent::bencode
