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
  value() = default;
  explicit value(std::int64_t i, std::string_view raw = {}) : data_(i), raw_(raw) {}
  explicit value(std::string_view s, std::string_view raw = {}) : data_(s), raw_(raw) {}
  explicit value(list l, std::string_view raw = {}) : data_(std::move(l)), raw_(raw) {}
  explicit value(dict d, std::string_view raw = {}) : data_(std::move(d)), raw_(raw) {}

  type kind() const noexcept { return static_cast<type>(data_.index()); }
  bool is_int() const noexcept { return kind() == type::integer; }
  bool is_string() const noexcept { return kind() == type::string; }
  bool is_list() const noexcept { return kind() == type::list; }
  bool is_dict() const noexcept { return kind() == type::dict; }

  // Accessors; precondition: the kind matches.
  std::int64_t as_int() const { return std::get<std::int64_t>(data_); }
  std::string_view as_string() const { return std::get<std::string_view>(data_); }
  const list& as_list() const { return std::get<bencode::list>(data_); }
  const dict& as_dict() const { return std::get<bencode::dict>(data_); }

  // The dictionary entry for key, or nullptr (also when this is not a dictionary).
  const value* find(std::string_view key) const noexcept;

  // The exact bytes this value was decoded from (empty for built values).
  std::string_view raw() const noexcept { return raw_; }

 private:
  std::variant<std::int64_t, std::string_view, bencode::list, bencode::dict> data_{std::int64_t{0}};
  std::string_view raw_;
};

struct dict_entry {
  std::string_view key;
  value val;
};

}  // namespace corrent::bencode
