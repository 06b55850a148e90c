#include "core/daemon/prometheus.hpp"

#include <cmath>
#include <cstdio>

namespace corrent::daemon {

void prometheus_text::family(std::string_view name, std::string_view type, std::string_view help) {
  out_.append("# HELP ").append(name).append(" ");
  for (char c : help) {
    if (c == '\\')
      out_ += "\\\\";
    else if (c == '\n')
      out_ += "\\n";
    else
      out_ += c;
  }
  out_.append("\n# TYPE ").append(name).append(" ").append(type).append("\n");
}

void prometheus_text::start(std::string_view name, labels l) {
  out_.append(name);
  if (l.size() == 0) {
    out_ += ' ';
    return;
  }
  out_ += '{';
  bool first = true;
  for (const auto& [k, v] : l) {
    if (!first) out_ += ',';
    first = false;
    out_.append(k).append("=\"");
    for (char c : v) {
      if (c == '\\')
        out_ += "\\\\";
      else if (c == '"')
        out_ += "\\\"";
      else if (c == '\n')
        out_ += "\\n";
      else
        out_ += c;
    }
    out_ += '"';
  }
  out_ += "} ";
}

void prometheus_text::sample(std::string_view name, labels l, std::int64_t value) {
  start(name, l);
  out_.append(std::to_string(value)).append("\n");
}

void prometheus_text::sample(std::string_view name, labels l, double value) {
  start(name, l);
  if (std::isnan(value)) {
    out_ += "NaN";
  } else if (std::isinf(value)) {
    out_ += value > 0 ? "+Inf" : "-Inf";
  } else {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.17g", value);
    out_ += buf;
  }
  out_ += '\n';
}

}  // namespace corrent::daemon
