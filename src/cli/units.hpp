// Human-readable sizes, rates and durations for what the user sees.
#pragma once

#include <cstdint>
#include <string>

namespace corrent::cli {

std::string human_size(std::int64_t bytes);       // "1.00 GiB", "512 B"
std::string human_rate(double bytes_per_second);  // "12.3 MB/s"
std::string human_duration(double seconds);       // "1h02m", "3m05s", "12s"

// Parses "262144", "256K", "256KiB", "4M", "1MiB" (binary multiples) or fails.
bool parse_size(const std::string& text, std::int64_t& out);

}  // namespace corrent::cli
