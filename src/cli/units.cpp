#include "cli/units.hpp"

#include <fmt/format.h>

#include <cctype>
#include <charconv>

namespace corrent::cli {

std::string human_size(std::int64_t bytes) {
  static constexpr const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  if (bytes < 1024) return fmt::format("{} B", bytes);
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1024 && u < 5) {
    v /= 1024;
    ++u;
  }
  return fmt::format("{:.2f} {}", v, units[u]);
}

std::string human_rate(double bps) {
  if (bps < 1e3) return fmt::format("{:.0f} B/s", bps);
  if (bps < 1e6) return fmt::format("{:.1f} kB/s", bps / 1e3);
  if (bps < 1e9) return fmt::format("{:.1f} MB/s", bps / 1e6);
  return fmt::format("{:.2f} GB/s", bps / 1e9);
}

std::string human_duration(double seconds) {
  if (seconds < 0 || seconds > 1e8) return "--";
  const auto s = static_cast<std::int64_t>(seconds + 0.5);
  if (s >= 3600) return fmt::format("{}h{:02}m", s / 3600, (s % 3600) / 60);
  if (s >= 60) return fmt::format("{}m{:02}s", s / 60, s % 60);
  return fmt::format("{}s", s);
}

bool parse_size(const std::string& text, std::int64_t& out) {
  std::int64_t n = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || n < 0) return false;
  std::string suffix(ptr, text.data() + text.size());
  for (auto& c : suffix) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  int shift = 0;
  if (suffix.empty() || suffix == "b")
    shift = 0;
  else if (suffix == "k" || suffix == "kib" || suffix == "kb")
    shift = 10;
  else if (suffix == "m" || suffix == "mib" || suffix == "mb")
    shift = 20;
  else if (suffix == "g" || suffix == "gib" || suffix == "gb")
    shift = 30;
  else
    return false;
  if (n > (INT64_MAX >> shift)) return false;
  out = n << shift;
  return true;
}

}  // namespace corrent::cli
