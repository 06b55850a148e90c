// daemon::prometheus_text — writes the Prometheus text exposition format (0.0.4): families
// with their HELP and TYPE lines, samples with labels (values escaped: \\, \" and \n), integer
// values exactly and others with enough digits to read back. Pure.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace corrent::daemon {

class prometheus_text {
 public:
  using labels = std::initializer_list<std::pair<std::string_view, std::string_view>>;

  // `type`: "counter" or "gauge". Every sample of the family follows its call.
  void family(std::string_view name, std::string_view type, std::string_view help);
  void sample(std::string_view name, labels l, std::int64_t value);
  void sample(std::string_view name, labels l, double value);
  std::string take() { return std::move(out_); }

 private:
  void start(std::string_view name, labels l);
  std::string out_;
};

}  // namespace corrent::daemon
