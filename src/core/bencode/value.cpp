#include "core/bencode/value.hpp"

#include <algorithm>

namespace corrent::bencode {

const value* value::find(std::string_view key) const noexcept {
  if (!is_dict()) return nullptr;
  const auto& d = as_dict();
  auto it = std::lower_bound(d.begin(), d.end(), key,
                             [](const dict_entry& e, std::string_view k) { return e.key < k; });
  if (it == d.end() || it->key != key) return nullptr;
  return &it->val;
}

}  // namespace corrent::bencode
